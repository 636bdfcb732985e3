"""PairedInitHook: seed k gives every method the same initial student."""
import os.path as osp

import pytest
import torch

from conftest import CONFIG_ROOT

pytestmark = pytest.mark.usefixtures('restore_default_scope')
PAIR = 'preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k'
CONFIGS = {
    'vanilla': 'vanilla/resnet20-half_1xb128_fashion-mnist-1k.py',
    'kd': f'distill/kd/kd_logits_{PAIR}.py',
    'hksanc': f'hksanc/hksanc_{PAIR}.py',
}


def initial_student(name, work_dir, seed, hook=True):
    """The student's weights right after the Runner's weight init."""
    from mmhkd.engine.launch import build_runner, build_runner_config
    options = {'randomness.seed': seed, 'train_dataloader.dataset.'
               'num_per_class': 1}
    if name != 'vanilla':
        options['model.teacher_ckpt'] = None
    if name == 'hksanc':
        options['model.teacher_attention_ckpt'] = None
    cfg = build_runner_config(osp.join(CONFIG_ROOT, CONFIGS[name]),
                              work_dir=work_dir, cfg_options=options,
                              overwrite=True)
    if not hook:
        cfg.custom_hooks = [h for h in cfg.custom_hooks
                            if h['type'] != 'PairedInitHook']
    cfg.experiment_name = f'{name}_{seed}_{hook}'
    runner = build_runner(cfg)
    runner.call_hook('before_run')
    runner._init_model_weights()
    model = runner.model
    student = getattr(model, 'architecture', model)
    return {k: v.detach().clone() for k, v in student.state_dict().items()}


def same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_every_method_starts_from_the_same_student(tmp_path,
                                                   fashion_mnist_root):
    first = {n: initial_student(n, str(tmp_path / n), seed=3)
             for n in CONFIGS}
    assert same(first['vanilla'], first['kd'])
    assert same(first['vanilla'], first['hksanc'])
    other_seed = initial_student('vanilla', str(tmp_path / 'v4'), seed=4)
    assert not same(first['vanilla'], other_seed)


def test_without_the_hook_the_students_differ(tmp_path, fashion_mnist_root):
    vanilla = initial_student('vanilla', str(tmp_path / 'v'), 3, hook=False)
    hksanc = initial_student('hksanc', str(tmp_path / 'h'), 3, hook=False)
    assert not same(vanilla, hksanc)
