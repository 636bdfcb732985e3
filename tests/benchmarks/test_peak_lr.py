"""benchmarks/peak_lr.py: a regime's peak learning rate reaches each
method's student schedule."""
import pytest
import torch
from mmengine.optim import OneCycleLR

from benchmarks.peak_lr import peak_lr_options, regime_dir
from benchmarks.protocol_v2 import V2_METHODS
from conftest import merged_config


def student_schedule(cfg):
    """The student's OneCycleLR settings and optimizer lr of a config."""
    schedulers = cfg.param_scheduler
    optimizer = cfg.optim_wrapper.get('optimizer')
    if 'student' in schedulers:
        schedulers = schedulers['student']
        optimizer = cfg.optim_wrapper.student.optimizer
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    one_cycle = [s for s in schedulers if s['type'] == 'OneCycleLR']
    assert len(one_cycle) == 1
    return one_cycle[0], optimizer.lr


@pytest.mark.parametrize('method', V2_METHODS, ids=lambda m: m.name)
def test_every_v2_method_gets_the_peak(method):
    cfg = merged_config(method.config, peak_lr_options(method.config, 0.05))
    one_cycle, lr = student_schedule(cfg)
    assert one_cycle.eta_max == pytest.approx(0.05)
    assert lr == pytest.approx(0.05)
    # the schedule built from these settings peaks at 0.05 (mmengine's
    # OneCycleLR, independent of the config keys)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    settings = {k: v for k, v in one_cycle.items()
                if k not in ('type', 'convert_to_iter_based', 'by_epoch')}
    scheduler = OneCycleLR(optimizer, **settings)
    lrs = []
    for _ in range(settings['total_steps']):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        scheduler.step()
    assert max(lrs) == pytest.approx(0.05)
    if 'discriminator' in cfg.optim_wrapper:
        # the discriminator's own optimizer is left alone
        assert cfg.optim_wrapper.discriminator.optimizer.lr == \
            pytest.approx(1e-4)


def test_bad_peak_and_a_config_without_one_cycle(tmp_path):
    with pytest.raises(ValueError, match='peak_lr must be a positive'):
        peak_lr_options(V2_METHODS[0].config, -0.1)
    config = tmp_path / 'step.py'
    config.write_text("param_scheduler = [dict(type='MultiStepLR', "
                      "milestones=[10])]\noptim_wrapper = dict(optimizer="
                      "dict(type='SGD', lr=0.1))\n")
    with pytest.raises(ValueError, match='expected one OneCycleLR in '
                       'param_scheduler, found 0'):
        peak_lr_options(str(config), 0.05)
    assert regime_dir(None) == ''
    assert regime_dir(0.05) == 'peak-lr-0.05'
