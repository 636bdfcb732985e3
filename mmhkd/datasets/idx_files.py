"""Read IDX (MNIST-format) files, gzipped or not, with clear errors."""
import gzip
import os.path as osp
from typing import Tuple

import numpy as np

IDX_UBYTE = 0x08
SETUP_HINT = ("Fashion-MNIST is installed by the README's set-up command "
              '(Debian package dataset-fashion-mnist: '
              'apt-get update && apt-get install -y dataset-fashion-mnist), '
              'or point data_root at a folder holding the four IDX files.')


class DataFileError(RuntimeError):
    """A data file is missing or corrupt."""


def read_idx_file(path: str) -> np.ndarray:
    """Read an unsigned-byte IDX file (``.gz`` or plain) into an array.

    Args:
        path (str): File path; ``path + '.gz'`` is tried when ``path`` is
            missing and the other way round.

    Returns:
        np.ndarray: uint8 array of the shape stored in the header.

    Raises:
        DataFileError: Naming the file, when it is missing, truncated or
            not an unsigned-byte IDX file.
    """
    path = resolve_idx_path(path)
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise DataFileError(f'Cannot read {path}: {error}. The file is '
                            f'corrupt; reinstall it. {SETUP_HINT}') from error
    return parse_idx_bytes(raw, path)


def resolve_idx_path(path: str) -> str:
    """Return ``path`` or its gzipped/plain sibling, whichever exists."""
    candidates = [path, path[:-3]] if path.endswith('.gz') else [
        path, path + '.gz'
    ]
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise DataFileError(f'Data file not found: {path} (nor its .gz/plain '
                        f'variant). {SETUP_HINT}')


def parse_idx_bytes(raw: bytes, path: str) -> np.ndarray:
    """Parse the bytes of an unsigned-byte IDX file (see ``read_idx_file``)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_UBYTE:
        raise DataFileError(f'{path} is not an unsigned-byte IDX file (bad '
                            f'magic number). {SETUP_HINT}')
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise DataFileError(f'{path} is truncated inside its header. '
                            f'{SETUP_HINT}')
    shape: Tuple[int, ...] = tuple(
        int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    expected = int(np.prod(shape)) if shape else 0
    if len(raw) - header_end != expected:
        raise DataFileError(
            f'{path} holds {len(raw) - header_end} bytes of data but its '
            f'header announces shape {shape} ({expected} bytes): the file is '
            f'truncated or corrupt. {SETUP_HINT}')
    return np.frombuffer(raw, dtype=np.uint8, offset=header_end).reshape(shape)
