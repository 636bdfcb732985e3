"""Build a teacher cache: run the teacher side once over every view of every
training image and store its records (``tools/cache_teacher.py``).

The file is a ``.npy`` array of shape ``(images, views, row width)`` in
float32 or float16, read memory-mapped; the manifest beside it
(``FILE.manifest.json``) records the teacher side (config, checkpoint hashes,
teacher-side connectors, recorded calls, preprocessing), the view pool
(dataset, subset, pipeline, views, cache seed), the row layout and the build
progress, so an interrupted build continues where it stopped
(docs/teacher_cache.md).
"""
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from mmhkd.datasets.view_pool import ViewPoolDataset
from mmhkd.models.teacher_cache.manifest import plain, teacher_side
from mmhkd.models.teacher_cache.reader import FORMAT, manifest_path
from mmhkd.models.teacher_cache.records import (flatten_record,
                                                record_shapes,
                                                teacher_record_calls)
from .view_pool_config import wrap_in_view_pool

DTYPES = {'float32': np.float32, 'float16': np.float16}


def teacher_side_of(model_cfg: dict) -> dict:
    """:func:`teacher_side` of a distillation config's ``model``."""
    checkpoints = {}
    if 'teacher_attention_ckpt' in model_cfg:
        checkpoints['teacher_attention_ckpt'] = model_cfg[
            'teacher_attention_ckpt']
    return teacher_side(model_cfg['teacher'], model_cfg.get('teacher_ckpt'),
                        model_cfg['distiller'],
                        model_cfg.get('data_preprocessor'), checkpoints)


def build_live_model(cfg: Config) -> torch.nn.Module:
    """The distillation model with its live teacher, in eval mode."""
    from mmrazor.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg['teacher_cache'] = None
    preprocessor = model_cfg.get('data_preprocessor') or {}
    if preprocessor.get('batch_augments'):
        raise ValueError(
            'The teacher cache cannot hold batch augments (mixup, cutmix): '
            'they mix images across a batch, so a view is not a function of '
            'one image. Remove data_preprocessor.batch_augments.')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmrazor')):
        model = MODELS.build(model_cfg)
    check_teacher_side_loaded(model, teacher_record_calls(
        cfg.model.distiller))
    return model.eval()


def check_teacher_side_loaded(model: torch.nn.Module,
                              calls: Dict[str, dict]) -> None:
    """Every teacher-side connector with weights must have been loaded
    from a checkpoint: a randomly initialised one would be cached as if it
    were the teacher's (e.g. HKSANC without ``teacher_attention_ckpt``)."""
    for name in sorted({c['connector'] for c in calls.values()
                        if c.get('connector')}):
        connector = model.distiller.connectors[name]
        has_weights = any(True for _ in connector.parameters())
        if has_weights and not getattr(connector, '_is_init', False):
            raise ValueError(
                f'The teacher-side connector {name!r} was not loaded from a '
                'checkpoint, so its weights are a random initialisation; '
                'the cache would store them as the teacher\'s. Set its '
                'checkpoint (HKSANC: model.teacher_attention_ckpt, written '
                'by phase 2, teacher adaptation).')


def teacher_records(model: torch.nn.Module, data: dict,
                    calls: Dict[str, dict]) -> Dict[str, object]:
    """Run the teacher side on one batch; its records by key."""
    batch = model.data_preprocessor(data, False)
    distiller = model.distiller
    with torch.no_grad():
        with distiller.teacher_recorders:
            model.teacher(batch['inputs'], batch['data_samples'],
                          mode='tensor')
            return {
                key: distiller.get_record(from_student=False, **call)
                for key, call in calls.items()
            }


def build_teacher_cache(cfg: Config, num_views: int, out: str,
                        dtype: str = 'float32', batch_size: int = 256,
                        cache_seed: Optional[int] = None,
                        force: bool = False,
                        progress: Optional[Callable[[int, int], None]] = None
                        ) -> dict:
    """Write the teacher cache of ``cfg``'s training set to ``out``.

    Args:
        cfg: A distillation config (after ``--cfg-options``).
        num_views: Views per image (``K``).
        out: The ``.npy`` file; the manifest goes beside it.
        dtype: 'float32' or 'float16'.
        batch_size: Images per teacher forward.
        cache_seed: Seed of the view pool; default: the config's pool's, or 0.
        force: Replace a complete cache, or one of other settings.
        progress: Called with ``(done, total)`` after every batch.

    Returns:
        dict: The manifest.

    Raises:
        FileExistsError: ``out`` holds a complete cache, or a partial one of
            other settings, and ``force`` is False.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got '
                         f'{dtype!r}')
    dataset_cfg = cfg.train_dataloader.dataset
    if cache_seed is None:
        cache_seed = dataset_cfg.get('cache_seed', 0) if dataset_cfg.get(
            'type', '').endswith('ViewPoolDataset') else 0
    wrap_in_view_pool(cfg, num_views, cache_seed)
    from mmpretrain.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pool: ViewPoolDataset = DATASETS.build(cfg.train_dataloader.dataset)
    model = build_live_model(cfg)
    calls = teacher_record_calls(cfg.model.distiller)
    identity = dict(
        format=FORMAT, version=1, dtype=dtype, num_images=len(pool),
        num_views=num_views, teacher_side=teacher_side_of(cfg.model),
        views=pool.description, view_pool=pool.fingerprint)
    manifest = resume_or_start(out, identity, force)
    total = len(pool) * num_views
    if manifest.get('complete'):
        return manifest
    started = time.time() - manifest['progress'].get('seconds', 0.0)
    rows = None
    done = manifest['progress']['done']
    while done < total:
        view, first = divmod(done, len(pool))
        last = min(first + batch_size, len(pool))
        data = pseudo_collate(
            [pool.get_view(i, view) for i in range(first, last)])
        records = teacher_records(model, data, calls)
        flat = torch.cat([flatten_record(records[k]) for k in calls], dim=1)
        if rows is None:
            if 'layout' not in manifest:
                manifest['layout'] = layout_of(records, calls)
                manifest['row_width'] = int(flat.shape[1])
                np.lib.format.open_memmap(
                    out, mode='w+', dtype=DTYPES[dtype],
                    shape=(len(pool), num_views, manifest['row_width']))
            rows = np.load(out, mmap_mode='r+')
        rows[first:last, view] = flat.numpy().astype(DTYPES[dtype])
        rows.flush()
        done += last - first
        manifest['progress'] = dict(done=done, total=total,
                                    seconds=time.time() - started)
        write_manifest(out, manifest)
        if progress is not None:
            progress(done, total)
    manifest['complete'] = True
    manifest['bytes_per_view'] = manifest['row_width'] * np.dtype(
        DTYPES[dtype]).itemsize
    write_manifest(out, manifest)
    return manifest


def layout_of(records: Dict[str, object], calls: Dict[str, dict]) -> dict:
    """Where each record lies in a row: offset, width, per-sample shapes."""
    layout, offset = {}, 0
    for key in calls:
        shapes = record_shapes(records[key])
        width = int(sum(np.prod(s, dtype=np.int64) for s in shapes))
        layout[key] = dict(offset=offset, width=width, shapes=shapes,
                           is_tuple=isinstance(records[key], (tuple, list)))
        offset += width
    return layout


def resume_or_start(out: str, identity: dict, force: bool) -> dict:
    """The manifest to continue from: a partial build of the same identity,
    or a fresh one."""
    path = manifest_path(out)
    if osp.isfile(path) and osp.isfile(out) and not force:
        with open(path) as f:
            old = json.load(f)
        same = all(old.get(k) == plain(v) for k, v in identity.items())
        if old.get('complete'):
            if same:
                return old
            raise FileExistsError(
                f'{out} holds a complete teacher cache of other settings; '
                'choose another --out, or pass --force to replace it.')
        if not same:
            raise FileExistsError(
                f'{out} holds a partial teacher cache of other settings; '
                'choose another --out, or pass --force to replace it.')
        return old
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    manifest = plain(identity)
    manifest.update(complete=False, progress=dict(done=0, total=identity[
        'num_images'] * identity['num_views'], seconds=0.0))
    write_manifest(out, manifest)
    return manifest


def write_manifest(out: str, manifest: dict) -> None:
    """Write the manifest atomically (a kill never leaves half a file)."""
    path = manifest_path(out)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(tmp, path)
