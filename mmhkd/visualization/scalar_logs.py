"""Read mmengine's scalar logs.

Files: ``<work_dir>/<timestamp>/vis_data/scalars.json``.

mmengine's ``LocalVisBackend`` (the default backend of mmhkd's configs)
appends one JSON object per line:

- training lines carry ``iter`` (global, 1-based), ``step`` (= ``iter``),
  ``epoch`` (epoch-based loops only), the learning rates and every logged
  loss/accuracy (``loss``, ``distill.*``, ``disc.*`` ...);
- validation lines carry the metrics (``accuracy/top1`` ...) and ``step``,
  which is the epoch for epoch-based loops and the iteration otherwise.

**Validation is placed on the iteration axis** (the choice of this module):
for an epoch-based run, validation at epoch ``e`` gets the ``iter`` of the
last training line logged in an epoch ``<= e`` (the end of epoch ``e``, up
to the logging interval when ``LoggerHook.ignore_last`` skips the last
iterations of long epochs); for an iteration-based run its ``step`` is the
iteration already. A validation line with no training line before it is
dropped.

Each Runner start writes a new ``<timestamp>`` folder. By default every
folder is read in time order and concatenated: a later file starting at
iteration ``i0`` supersedes the records of earlier files at ``iter >= i0``.
That joins a resumed run to the run it resumed, and keeps only the new
records when training restarted from scratch in the same work dir.
"""
import glob
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

SCALAR_FILE = 'scalars.json'
META_KEYS = frozenset(('step', 'iter', 'epoch', 'data_time', 'time',
                       'memory'))
TIMESTAMP_MODES = ('all', 'latest')


@dataclass
class RunScalars:
    """Training and validation records of one run (one work dir).

    Attributes:
        name (str): Run name (the work dir's folder name by default).
        files (list[str]): The ``scalars.json`` files read, in time order.
        train (list[dict]): Training records in order; each has ``iter``.
        val (list[dict]): Validation records in order; each has ``iter``
            added (see the module docstring).
    """

    name: str
    files: List[str] = field(default_factory=list)
    train: List[dict] = field(default_factory=list)
    val: List[dict] = field(default_factory=list)

    def train_keys(self) -> List[str]:
        """Metric keys of the training records, first-seen order."""
        return _metric_keys(self.train)

    def val_keys(self) -> List[str]:
        """Metric keys of the validation records, first-seen order."""
        return _metric_keys(self.val)

    def series(self, key: str,
               split: str = 'train') -> Tuple[np.ndarray, np.ndarray]:
        """``(iterations, values)`` of ``key`` where it was logged.

        Args:
            key (str): A metric key, e.g. ``'distill.loss_is'``.
            split (str): ``'train'`` or ``'val'``.
        """
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        records = self.train if split == 'train' else self.val
        points = [(r['iter'], r[key]) for r in records if key in r]
        iters = np.array([p[0] for p in points], dtype=np.int64)
        values = np.array([p[1] for p in points], dtype=np.float64)
        return iters, values


def _metric_keys(records: Sequence[dict]) -> List[str]:
    keys: Dict[str, None] = {}
    for record in records:
        for key in record:
            if key not in META_KEYS:
                keys[key] = None
    return list(keys)


def find_scalar_files(work_dir: str) -> List[str]:
    """``<work_dir>/<timestamp>/vis_data/scalars.json`` files, oldest first.

    Raises:
        FileNotFoundError: ``work_dir`` does not exist or has no such file.
    """
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'Work dir not found: {work_dir}')
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', SCALAR_FILE)),
        key=lambda p: osp.basename(osp.dirname(osp.dirname(p))))
    if not files:
        raise FileNotFoundError(
            f'No scalar log in {work_dir}: expected '
            f'{osp.join(work_dir, "<timestamp>", "vis_data", SCALAR_FILE)}. '
            'Train first (python tools/train.py CONFIG --work-dir '
            f'{work_dir}); mmengine\'s LocalVisBackend, the default '
            'visualizer backend of mmhkd\'s configs, writes it.')
    return files


def read_scalar_file(path: str) -> List[dict]:
    """The JSON records of one ``scalars.json``, one per line.

    A malformed last line is skipped (the file of a running job may end in
    a line being written); any other malformed line raises ``ValueError``.
    """
    with open(path) as f:
        lines = [(n, line) for n, line in enumerate(f, 1) if line.strip()]
    records = []
    for position, (number, line) in enumerate(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if position == len(lines) - 1:
                break
            raise ValueError(f'{path}:{number}: not a JSON object '
                             f'({error})') from error
        if not isinstance(record, dict):
            raise ValueError(f'{path}:{number}: not a JSON object')
        records.append(record)
    return records


def split_records(records: Sequence[dict]) -> Tuple[List[dict], List[dict]]:
    """Training records (with ``iter``) and validation records (the rest)."""
    train = [dict(r) for r in records if 'iter' in r]
    val = [dict(r) for r in records if 'iter' not in r and 'step' in r]
    return train, val


def place_validation(train: Sequence[dict],
                     val: Sequence[dict]) -> List[dict]:
    """Give every validation record an ``iter`` (see the module docstring).

    Returns:
        list[dict]: Copies of the placeable validation records, with
        ``iter``; records that cannot be placed are left out.
    """
    epoch_based = any('epoch' in r for r in train)
    placed = []
    for record in val:
        step = record['step']
        if epoch_based:
            before = [r['iter'] for r in train if r.get('epoch', 0) <= step]
            if not before:
                continue
            iteration = max(before)
        else:
            iteration = step
        placed.append(dict(record, iter=int(iteration)))
    return placed


def load_run(work_dir: str,
             timestamps: str = 'all',
             name: Optional[str] = None) -> RunScalars:
    """Read a work dir's scalar logs.

    Args:
        work_dir (str): The run's work dir.
        timestamps (str): ``'all'`` (default): concatenate every
            ``<timestamp>`` folder in time order, later records superseding
            earlier ones from their first iteration on; ``'latest'``: only
            the newest folder.
        name (str, optional): Run name; default the work dir's folder name.

    Raises:
        FileNotFoundError: No ``scalars.json`` (see
            :func:`find_scalar_files`).
        ValueError: The files hold no record.
    """
    if timestamps not in TIMESTAMP_MODES:
        raise ValueError(f'timestamps must be one of {TIMESTAMP_MODES}, '
                         f'got {timestamps!r}')
    files = find_scalar_files(work_dir)
    if timestamps == 'latest':
        files = files[-1:]
    run = RunScalars(
        name=name or osp.basename(osp.normpath(work_dir)), files=files)
    for path in files:
        train, val = split_records(read_scalar_file(path))
        val = place_validation(train, val)
        if train:
            start = min(r['iter'] for r in train)
            run.train = [r for r in run.train if r['iter'] < start]
            run.val = [r for r in run.val if r['iter'] < start]
        run.train.extend(train)
        run.val.extend(val)
    if not run.train and not run.val:
        raise ValueError(
            f'{work_dir}: {files} hold no scalar record yet (training logs '
            'every default_hooks.logger.interval iterations)')
    return run
