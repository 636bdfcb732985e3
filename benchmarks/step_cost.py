"""Cost of one training step of a config, measured without the training loop.

As docs/benchmark.md ("Cost of a training step") measures it: in one
process, on the same batch, after warm-up, the median of >= 20 steps. The
model and optimizer wrappers are built exactly as ``tools/train.py`` builds
them (through mmengine's ``Runner``), then ``model.train_step`` is called on
one fixed batch; data loading, logging, hooks and validation are excluded.
"""
import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner


@dataclass
class StepTimer:
    """A callable training step and the list of its measured durations."""
    name: str
    step: Callable[[], None]
    seconds: List[float] = field(default_factory=list)

    def run(self, num_steps: int, record: bool = True) -> None:
        """Run ``num_steps`` steps; keep their wall-clock durations."""
        for _ in range(num_steps):
            start = time.perf_counter()
            self.step()
            elapsed = time.perf_counter() - start
            if record:
                self.seconds.append(elapsed)

    def median_ms(self) -> float:
        """Median step time in milliseconds (needs recorded steps)."""
        if not self.seconds:
            raise ValueError(f'{self.name}: no step was recorded')
        return 1000.0 * float(torch.tensor(self.seconds).median())


def count_parameters(module: Optional[torch.nn.Module],
                     trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (0 for None)."""
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters()
               if p.requires_grad or not trainable_only)


def build_runner_for_cost(cfg: Config, work_dir: str) -> Runner:
    """A Runner for ``cfg`` that writes nothing but its log to ``work_dir``.

    Checkpoint-producing phases (the teacher attention checkpoint of phase 2)
    are not needed to time a step: ``teacher_attention_ckpt`` is dropped, the
    estimators keep their initialisation (their cost is the same). A config
    that reads a teacher cache keeps it (the cache was built with it).
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    if 'teacher_attention_ckpt' in cfg.model and not cfg.model.get(
            'teacher_cache'):
        cfg.model.teacher_attention_ckpt = None
    cfg.custom_hooks = []
    cfg.visualizer = dict(
        _scope_='mmengine', type='Visualizer', vis_backends=[])
    return Runner.from_cfg(cfg)


def first_batch(runner: Runner, cfg: Config) -> dict:
    """The first training batch of the config's own dataloader (seeded)."""
    loader = runner.build_dataloader(cfg.train_dataloader)
    return next(iter(loader))


def runner_step(runner: Runner, cfg: Config, batch: dict) -> Callable[[], None]:
    """``model.train_step`` with the config's optimizer wrapper(s)."""
    model = runner.model
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    model.train()

    def step() -> None:
        model.train_step(batch, optim_wrapper)

    return step


def added_parameters(model: torch.nn.Module) -> Dict[str, int]:
    """Parameters a distillation method adds around its student.

    Returns:
        dict: ``student`` (trainable parameters of the deployed student),
        ``added_trainable`` (trainable parameters outside the student:
        connectors, discriminator...) and ``added_to_deployed`` (always 0
        for methods whose export is the plain student; kept to make that
        explicit in the table).
    """
    student = getattr(model, 'architecture', model)
    trainable = count_parameters(model, trainable_only=True)
    student_params = count_parameters(student, trainable_only=True)
    return dict(student=student_params,
                added_trainable=trainable - student_params,
                added_to_deployed=0)
