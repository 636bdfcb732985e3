"""A method's config set to distil from a teacher cache, for the cost table.

The cost of a step does not depend on the weights, so the cache is built for
the config's own training set with one view per image and, for HKSANC, with
the teacher estimators at their initialisation (saved as the adaptation
checkpoint the cache requires). The cache is built in a subprocess (as
``tools/cache_teacher.py`` would), so the teacher it loads never counts in
the memory of the step that reads the cache. Its build time and size are
returned too.
"""
import copy
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmhkd.engine.teacher_cache_builder import build_teacher_cache
from mmhkd.engine.view_pool_config import wrap_in_view_pool

CACHED_SUFFIX = '-cached'
# the harness is not installed: the subprocess finds it from the repository
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def save_initial_attention(cfg: Config, path: str) -> str:
    """The teacher connector of ``cfg`` at initialisation, saved in the
    adaptation phase's format (``connector.*``)."""
    from mmrazor.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(model_cfg)
    name = model.teacher_connector_names[0]
    state = model.distiller.connectors[name].state_dict()
    torch.save({'state_dict': {f'connector.{k}': v
                               for k, v in state.items()}}, path)
    return path


def build_cache_here(config_file: str, work_dir: str) -> dict:
    """Build the one-view cache of a dumped config (run in a subprocess)."""
    cfg = Config.fromfile(config_file)
    if cfg.model.get('teacher_attention_ckpt', None) == 'INITIAL':
        cfg.model.teacher_attention_ckpt = save_initial_attention(
            cfg, osp.join(work_dir, 'attention.pth'))
    out = osp.join(work_dir, 'teacher_cache.npy')
    start = time.perf_counter()
    manifest = build_teacher_cache(copy.deepcopy(cfg), 1, out)
    return dict(cache=out,
                attention=cfg.model.get('teacher_attention_ckpt'),
                cache_build_s=time.perf_counter() - start,
                cache_images=manifest['num_images'],
                cache_bytes_per_view=manifest['bytes_per_view'])


def cached_config(cfg: Config, work_dir: str) -> Tuple[Config, Dict]:
    """``cfg`` reading a one-view teacher cache built in ``work_dir``.

    Returns:
        The config, and ``cache_build_s``, ``cache_images``,
        ``cache_bytes_per_view``.
    """
    cfg = copy.deepcopy(cfg)
    connectors = cfg.model.distiller.get('connectors') or {}
    if 'teacher_attention_ckpt' in cfg.model:
        cfg.model.teacher_attention_ckpt = 'INITIAL' if connectors else None
    config_file = osp.join(work_dir, 'cached_variant_config.py')
    cfg.dump(config_file)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    done = subprocess.run(
        [sys.executable, '-m', 'benchmarks.cached_variant',
         config_file, work_dir], check=True, capture_output=True, text=True,
        env=env)
    info = json.loads(done.stdout.strip().splitlines()[-1])
    if 'teacher_attention_ckpt' in cfg.model:
        cfg.model.teacher_attention_ckpt = info.pop('attention')
    else:
        info.pop('attention')
    wrap_in_view_pool(cfg, 1, 0)
    cfg.model.teacher_cache = info.pop('cache')
    return cfg, info


if __name__ == '__main__':
    import mmhkd  # noqa: F401
    torch.set_num_threads(1)
    print(json.dumps(build_cache_here(sys.argv[1], sys.argv[2])))
