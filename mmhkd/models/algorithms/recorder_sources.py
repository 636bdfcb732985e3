"""Clear errors for recorder sources that name nothing in the network.

MMRazor's ``ModuleOutputsRecorder`` (and ``ModuleInputsRecorder``,
``ParameterRecorder``) end ``RecorderManager.initialize`` with a bare
``AssertionError: "<source>" is not in the model.`` when the ``source`` of a
recorder names no module (parameter). :func:`check_recorder_sources` looks
the sources up first and raises :class:`RecorderSourceError` naming the
recorder, the side (student/teacher), the bad source and the closest
existing names. :func:`install_recorder_source_check` runs the same check in
``ConfigurableDistiller.prepare_from_student/teacher``, so every
``SingleTeacherDistill`` config gets it without changes.
"""
import difflib
from typing import Dict, Iterable, List, Optional

import torch.nn as nn
from mmrazor.models.task_modules.recorder import (ModuleOutputsRecorder,
                                                  ParameterRecorder)

SIDES = ('student', 'teacher')
_PATCHED = '_mmhkd_recorder_source_check'


class RecorderSourceError(KeyError):
    """A recorder's ``source`` names no module (or parameter) of its network.

    A ``KeyError`` whose message prints as written (``KeyError`` would quote
    it).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def close_names(name: str, candidates: Iterable[str], n: int = 5) -> List[str]:
    """The up to ``n`` names of ``candidates`` closest to ``name``."""
    candidates = [c for c in candidates if c]
    found = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
    if not found:  # e.g. a wrong first component: match the last one
        tail = name.rsplit('.', 1)[-1]
        found = [c for c in candidates if c.rsplit('.', 1)[-1] == tail][:n]
    return found


def _names_for(recorder: object, model: nn.Module) -> Optional[List[str]]:
    """Names the recorder's source must be one of; None: not checked."""
    if isinstance(recorder, ModuleOutputsRecorder):  # and ModuleInputs
        return [name for name, _ in model.named_modules()]
    if isinstance(recorder, ParameterRecorder):
        return [name for name, _ in model.named_parameters()]
    return None  # method/function recorders: sources are import paths


def check_side_sources(recorders: Dict[str, object], model: nn.Module,
                       side: str) -> None:
    """Check the sources of one side's recorders against ``model``.

    Args:
        recorders (dict): Recorder name -> built recorder (a
            ``RecorderManager.recorders``).
        model (nn.Module): The network the recorders hook into.
        side (str): 'student' or 'teacher', for the message.

    Raises:
        RecorderSourceError: For the first source that names nothing.
    """
    for key, recorder in recorders.items():
        names = _names_for(recorder, model)
        if names is None or recorder.source in names:
            continue
        what = ('parameter' if isinstance(recorder, ParameterRecorder) else
                'module')
        close = close_names(recorder.source, names)
        hint = (f'nearest {what} names: {close}' if close else
                f'top-level {what}s: '
                f'{sorted({n.split(".")[0] for n in names if n})}')
        kind = type(recorder).__name__.replace('Recorder', '')
        raise RecorderSourceError(
            f'{side}_recorders[{key!r}] ({kind}) has source '
            f'{recorder.source!r}, which names no {what} of the {side} '
            f'({type(model).__name__}); {hint}.')


def check_recorder_sources(distiller: nn.Module, student: nn.Module,
                           teacher: nn.Module) -> None:
    """Check both sides of an mmrazor ``ConfigurableDistiller``.

    Usable from any ``SingleTeacherDistill``:
    ``check_recorder_sources(self.distiller, self.student, self.teacher)``.

    Raises:
        RecorderSourceError: Naming the side, the recorder, the bad source
            and the nearest existing names.
    """
    check_side_sources(distiller.student_recorders.recorders, student,
                       'student')
    check_side_sources(distiller.teacher_recorders.recorders, teacher,
                       'teacher')


def install_recorder_source_check() -> None:
    """Run :func:`check_side_sources` in ``ConfigurableDistiller``'s
    ``prepare_from_student``/``prepare_from_teacher`` (idempotent)."""
    from mmrazor.models.distillers import ConfigurableDistiller
    if getattr(ConfigurableDistiller, _PATCHED, False):
        return
    for side in SIDES:
        original = getattr(ConfigurableDistiller, f'prepare_from_{side}')

        def prepare(self, model: nn.Module, _side: str = side,
                    _original=original) -> None:
            check_side_sources(
                getattr(self, f'{_side}_recorders').recorders, model, _side)
            _original(self, model)

        prepare.__doc__ = original.__doc__
        setattr(ConfigurableDistiller, f'prepare_from_{side}', prepare)
    setattr(ConfigurableDistiller, _PATCHED, True)
