"""Shared logic of ``tools/train.py`` and ``tools/test.py``: config to Runner.

Kept in the package (not in the scripts) so that tests can drive it.
"""
import glob
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction  # noqa: F401  (re-exported)
from mmengine.runner import Runner

from .config_paths import check_load_from, resolve_input_paths
from .view_pool_config import apply_teacher_cache


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>``, as in OpenMMLab's tools."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def enable_amp(cfg: Config) -> None:
    """Switch every optimizer wrapper of ``cfg`` to ``AmpOptimWrapper``.

    With a constructor (e.g. mmrazor's SeparateOptimWrapperConstructor) the
    wrappers are nested, one per algorithm child; all of them are switched,
    not only ``architecture`` as in mmrazor's own tool.
    """
    optim_wrapper = cfg.optim_wrapper
    nested = [
        value for key, value in optim_wrapper.items()
        if isinstance(value, dict) and 'optimizer' in value
    ]
    targets = nested if nested else [optim_wrapper]
    for wrapper in targets:
        if wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        if wrapper.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(
                '--amp only applies to OptimWrapper, got '
                f"{wrapper.get('type')}; set AmpOptimWrapper in the config.")
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')


# what a run leaves that a new run would overwrite: checkpoints, and the
# exported weights of StudentExportHook (also after epoch_*.pth was
# deleted). student_config.py alone is not a run: every run writes it at its
# start, the same for the same config, so a run killed before its first
# checkpoint can be started again.
FINISHED_RUN_MARKERS = ('last_checkpoint', 'epoch_*.pth', 'iter_*.pth',
                        'best_*.pth', 'student_last.pth', 'student_best.pth')


def finished_run_files(work_dir: str) -> List[str]:
    """Names of the files in ``work_dir`` that mark a run saved there."""
    found = []
    for pattern in FINISHED_RUN_MARKERS:
        found += sorted(
            osp.basename(p) for p in glob.glob(osp.join(work_dir, pattern)))
    return found


def check_work_dir_free(work_dir: str) -> None:
    """Refuse to train into a work dir that holds a saved run.

    Raises:
        FileExistsError: Naming the work dir, what it holds and the options.
    """
    found = finished_run_files(work_dir)
    if found:
        shown = found[:5] + (['...'] if len(found) > 5 else [])
        raise FileExistsError(
            f'Work dir {work_dir} already holds a run ({", ".join(shown)}); '
            'it would be overwritten. Pass --resume to continue it, '
            '--work-dir with a new directory to start another run, or '
            '--overwrite to train into it anyway.')


def build_runner_config(config_path: str,
                        work_dir: Optional[str] = None,
                        cfg_options: Optional[dict] = None,
                        launcher: str = 'none',
                        amp: bool = False,
                        auto_scale_lr: bool = False,
                        resume: Optional[str] = None,
                        overwrite: bool = False) -> Config:
    """Read ``config_path`` and apply the command-line options.

    Args:
        config_path (str): Config file.
        work_dir (str, optional): Overrides the config's work_dir; default
            ``./work_dirs/<config name>``.
        cfg_options (dict, optional): ``key=value`` overrides.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'.
        amp (bool): Automatic mixed precision for every optimizer.
        auto_scale_lr (bool): Enable the config's ``auto_scale_lr``.
        resume (str, optional): 'auto' (latest checkpoint of the work dir)
            or a checkpoint path.
        overwrite (bool): Allow a work dir that already holds a run
            (``last_checkpoint``, ``epoch_*.pth`` or ``iter_*.pth``) without
            ``resume``. Defaults to False: training there raises. Pass True
            for a Runner that saves no checkpoints (testing).

    Returns:
        Config: Ready for :func:`build_runner`.

    Relative input paths (teacher, attention and cache files, ``load_from``)
    that exist only under the config's repository are resolved there
    (:func:`resolve_input_paths`), so the tools work from any folder. With
    ``model.teacher_cache`` set, the training set becomes the cache's view
    pool (:func:`apply_teacher_cache`).

    Raises:
        FileExistsError: The work dir holds a run, and neither ``resume``
            nor ``overwrite`` was given.
    """
    if not osp.isfile(config_path):
        raise FileNotFoundError(f'Config file not found: {config_path}')
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(config_path)
    if amp:
        enable_amp(cfg)
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in \
                cfg.auto_scale_lr:
            raise KeyError('--auto-scale-lr needs auto_scale_lr.'
                           'base_batch_size in the config.')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        cfg.resume = True
        cfg.load_from = resume
    if resume is None and not overwrite:
        check_work_dir_free(cfg.work_dir)
    resolve_input_paths(cfg, config_path)
    check_load_from(cfg)
    apply_teacher_cache(cfg)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build the Runner (or the config's ``runner_type``)."""
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    from mmengine.registry import RUNNERS
    return RUNNERS.build(cfg)
