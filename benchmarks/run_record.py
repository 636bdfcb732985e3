"""Read a finished run's validation curve from its mmengine work dir."""
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple

METRIC = 'accuracy/top1'


def read_launches(work_dir: str) -> Tuple[List[dict], List[str]]:
    """Every scalar entry of a run's launches and their text logs, oldest
    launch first.

    mmengine writes ``<work_dir>/<timestamp>/vis_data/scalars.json`` per
    launch (a resumed run has several), one JSON object a line, and
    ``<timestamp>/<timestamp>.log``.
    """
    entries: List[dict] = []
    logs: List[str] = []
    for launch in sorted(glob.glob(osp.join(work_dir, '2*_*'))):
        stamp = osp.basename(launch)
        log = osp.join(launch, f'{stamp}.log')
        if osp.isfile(log):
            logs.append(log)
        scalars = osp.join(launch, 'vis_data', 'scalars.json')
        if not osp.isfile(scalars):
            continue
        with open(scalars) as f:
            entries += [json.loads(line) for line in f if line.strip()]
    return entries, logs


def read_val_curve(work_dir: str) -> Tuple[Dict[int, float], List[str]]:
    """Top-1 per validated epoch, and the run's text logs, oldest first.

    Validation lines of mmengine's per-launch ``scalars.json`` carry the
    metric and ``step`` = epoch; a later launch overrides an earlier one's
    epoch.

    Returns:
        tuple: ``{epoch: top1}`` and the ``<timestamp>.log`` paths.
    """
    entries, logs = read_launches(work_dir)
    curve = {int(e['step']): float(e[METRIC]) for e in entries if METRIC in e}
    return curve, logs
