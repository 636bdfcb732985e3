"""Write a data folder whole or not at all.

The files go to a hidden temporary folder beside the target, which is
renamed to the target only when writing succeeded; a failed run leaves
the target as it was and removes the temporary folder.
"""
import contextlib
import os
import os.path as osp
import shutil
import tempfile
from typing import Iterator


class OutputExistsError(FileExistsError):
    """The output folder exists, is not empty and may not be replaced."""


def check_output_folder(out: str, force: bool) -> None:
    """Refuse a non-empty ``out`` unless ``force`` (``--force``).

    Raises:
        OutputExistsError: Naming the folder and the flag.
    """
    if osp.isfile(out):
        raise OutputExistsError(
            f'Output {out} is a file, not a folder; remove it or choose '
            'another --out.')
    if osp.isdir(out) and os.listdir(out) and not force:
        raise OutputExistsError(
            f'Output folder {out} exists and is not empty; pass --force to '
            'replace it, or choose another --out.')


@contextlib.contextmanager
def staged_output_folder(out: str, force: bool) -> Iterator[str]:
    """Yield a temporary folder that replaces ``out`` on success.

    Args:
        out (str): The target folder.
        force (bool): Replace a non-empty ``out``.

    Yields:
        str: The temporary folder to write into (beside ``out``).

    Raises:
        OutputExistsError: See :func:`check_output_folder`.
    """
    out = osp.abspath(out)
    check_output_folder(out, force)
    parent = osp.dirname(out)
    os.makedirs(parent, exist_ok=True)
    stage = tempfile.mkdtemp(prefix=f'.{osp.basename(out)}.partial-',
                             dir=parent)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    os.chmod(stage, 0o755)  # mkdtemp made it private
    if osp.isdir(out):
        shutil.rmtree(out)
    os.rename(stage, out)
