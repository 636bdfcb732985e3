"""Read a finished run's validation curve from its mmengine work dir."""
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple

METRIC = 'accuracy/top1'


def read_val_curve(work_dir: str) -> Tuple[Dict[int, float], List[str]]:
    """Top-1 per validated epoch, and the run's text logs, oldest first.

    mmengine writes ``<work_dir>/<timestamp>/vis_data/scalars.json`` per
    launch (a resumed run has several); validation lines carry the metric
    and ``step`` = epoch. A later launch overrides an earlier one's epoch.

    Returns:
        tuple: ``{epoch: top1}`` and the ``<timestamp>.log`` paths.
    """
    curve: Dict[int, float] = {}
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
            for line in f:
                line = line.strip()
                if not line:
                    continue
                entry = json.loads(line)
                if METRIC in entry:
                    curve[int(entry['step'])] = float(entry[METRIC])
    return curve, logs
