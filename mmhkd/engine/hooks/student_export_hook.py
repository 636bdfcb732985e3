"""Export the distilled student as a plain checkpoint while training.

After every checkpoint the ``CheckpointHook`` saves, :class:`StudentExportHook`
writes ``student_last.pth`` (from the latest checkpoint) and, when it saved a
best checkpoint (``save_best``), ``student_best.pth``: the weights under
``architecture.`` with the prefix removed (no teacher, discriminator or
connectors), as ``tools/export_student.py`` does. Before training it writes
``student_config.py``, the student as a plain config in its own scope
(mmpretrain, mmdet, mmseg) with the run's data pipeline, so that

    python tools/test.py WORK_DIR/student_config.py WORK_DIR/student_last.pth

evaluates the student alone.
"""
import os
import os.path as osp
from typing import Dict, Optional, Tuple

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..checkpoint_export import export_state_dict
from ..student_config import write_student_config

Signature = Tuple[str, int, int]
# message-hub entry of the CheckpointHook -> name of the export
EXPORTS = (('last_ckpt', 'student_last.pth'), ('best_ckpt',
                                                'student_best.pth'))


def _signature(path: Optional[str]) -> Optional[Signature]:
    """``(path, mtime_ns, size)`` of a local file, or None."""
    if not path or not osp.isfile(path):
        return None
    stat = os.stat(path)
    return path, stat.st_mtime_ns, stat.st_size


@HOOKS.register_module()
class StudentExportHook(Hook):
    """Write ``student_last.pth``, ``student_best.pth``, ``student_config.py``.

    Runs after the ``CheckpointHook`` (priority ``LOWEST`` against its
    ``VERY_LOW``) and reads the checkpoints it saved (the message hub's
    ``last_ckpt`` and ``best_ckpt``), on the main process only. A
    checkpoint is exported once; a re-saved one (new mtime or size) again.
    A failed export or config write is logged as a warning (the run's own
    checkpoints are saved either way) and does not stop training.

    Args:
        prefix (str): The student's keys in the algorithm's state dict.
            Defaults to ``'architecture.'`` (mmrazor's algorithms).
        out_dir (str, optional): Where the files go. Defaults to the work
            directory.
        write_config (bool): Write ``student_config.py``. Defaults to True.
    """

    priority = 'LOWEST'

    def __init__(self,
                 prefix: str = 'architecture.',
                 out_dir: Optional[str] = None,
                 write_config: bool = True) -> None:
        self.prefix = prefix
        self.out_dir = out_dir
        self.write_config = write_config
        self._exported: Dict[str, Optional[Signature]] = {}

    def _dir(self, runner) -> str:
        return self.out_dir or runner.work_dir

    @master_only
    def before_train(self, runner) -> None:
        """Write ``student_config.py``; remember the checkpoints present
        (a resumed run's are not exported again)."""
        for key, _ in EXPORTS:
            self._exported[key] = _signature(
                runner.message_hub.get_info(key))
        if self.write_config and 'model' in runner.cfg:
            path = osp.join(self._dir(runner), 'student_config.py')
            try:
                write_student_config(runner.cfg, path)
            except Exception as error:  # a convenience: never stop training
                runner.logger.warning(
                    f'StudentExportHook could not write {path}: {error!r}')
            else:
                runner.logger.info(f'Student config written to {path}')

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch=None, outputs=None) -> None:
        self._export_new(runner)

    def after_train_epoch(self, runner) -> None:
        self._export_new(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._export_new(runner)

    @master_only
    def _export_new(self, runner) -> None:
        """Export every checkpoint saved since the last call."""
        for key, name in EXPORTS:
            signature = _signature(runner.message_hub.get_info(key))
            if signature is None or signature == self._exported.get(key):
                continue
            dst = osp.join(self._dir(runner), name)
            self._exported[key] = signature
            try:
                export_state_dict(signature[0], dst, self.prefix,
                                  overwrite=True)
            except Exception as error:  # the checkpoint itself is saved
                runner.logger.warning(
                    f'StudentExportHook could not export {signature[0]} to '
                    f'{dst}: {error!r}; export it later with python '
                    f'tools/export_student.py {signature[0]} {dst}')
                continue
            runner.logger.info(f'Student of {osp.basename(signature[0])} '
                               f'exported to {dst}')
