"""Config helpers of the teacher cache: the training set as a view pool."""
from mmengine.config import Config, ConfigDict

VIEW_POOL_TYPES = ('ViewPoolDataset', 'mmpretrain.ViewPoolDataset')


def is_view_pool(dataset_cfg: dict) -> bool:
    """Whether a dataset config is a ``ViewPoolDataset``."""
    return dataset_cfg.get('type') in VIEW_POOL_TYPES


def wrap_in_view_pool(cfg: Config, num_views: int, cache_seed: int) -> None:
    """Make ``cfg``'s training set a ``ViewPoolDataset`` with ``num_views``
    views and ``cache_seed``; an existing pool keeps its inner dataset and
    gets these two values."""
    dataset = cfg.train_dataloader.dataset
    inner = dataset.dataset if is_view_pool(dataset) else dataset
    cfg.train_dataloader.dataset = ConfigDict(
        _scope_='mmpretrain', type='ViewPoolDataset', dataset=inner,
        num_views=num_views, cache_seed=cache_seed)


def apply_teacher_cache(cfg: Config) -> None:
    """With ``model.teacher_cache`` set, train on the cache's view pool.

    A training set that is not yet a ``ViewPoolDataset`` is wrapped with the
    cache's ``num_views`` and ``cache_seed`` (read from its manifest); one that
    is keeps its settings, and the run refuses them if they differ from the
    cache's. Used by ``tools/train.py``.
    """
    cache = cfg.model.get('teacher_cache')
    if not cache or is_view_pool(cfg.train_dataloader.dataset):
        return
    from mmhkd.models.teacher_cache import read_manifest
    manifest = read_manifest(cache)
    wrap_in_view_pool(cfg, manifest['num_views'],
                      manifest['views']['cache_seed'])
