"""tools/export_student.py on a tiny, real HKSANC run, then tools/test.py.

The export must load with ``strict=True`` into the student built from the
run's ``student_config.py`` and from the vanilla student config, give the
distillation model's student's logits exactly, and ``tools/test.py`` on it
must report the run's last validation top-1.
"""
import copy
import glob
import json
import os.path as osp
from typing import Dict

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from conftest import CONFIG_ROOT
from tiny_hksanc_run import load_tool, tiny_hksanc_run

FORBIDDEN = ('teacher.', 'discriminator.', 'distiller.', 'architecture.')
VANILLA_STUDENT = osp.join(CONFIG_ROOT, 'vanilla',
                           'resnet20-half_1xb128_fashion-mnist-1k.py')


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, fashion_mnist_root) -> Dict[str, str]:
    """Shared with the other tiny-run tests: trained once per session."""
    return tiny_hksanc_run(str(tmp_path_factory.getbasetemp() / 'tiny'))


@pytest.fixture(scope='module')
def tool():
    return load_tool('export_student')


pytestmark = pytest.mark.usefixtures('one_thread')


def build(model_cfg: dict, scope: str) -> nn.Module:
    with DefaultScope.overwrite_default_scope(scope):
        from mmrazor.registry import MODELS
        return MODELS.build(copy.deepcopy(model_cfg))


def distillation_model(tiny_run) -> nn.Module:
    cfg = Config.fromfile(tiny_run['config'])
    cfg.model.teacher_ckpt = tiny_run['teacher']
    cfg.model.teacher_attention_ckpt = None
    model = build(cfg.model, 'mmrazor')
    checkpoint = torch.load(tiny_run['checkpoint'], map_location='cpu',
                            weights_only=True)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    return model.eval()


def batch(seed: int = 0, num: int = 6) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[
            torch.randint(0, 256, (1, 32, 32), dtype=torch.uint8,
                          generator=gen) for _ in range(num)
        ],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(num)])


def logits(model: nn.Module, classifier: nn.Module) -> torch.Tensor:
    """Logits of ``classifier`` on the batch preprocessed by ``model``."""
    with torch.no_grad():
        data = model.data_preprocessor(batch(), False)
        return classifier(data['inputs'], mode='tensor')


def test_export_loads_strictly_and_predicts_like_the_distilled_student(
        tool, tiny_run, tmp_path):
    out = str(tmp_path / 'exports' / 'student.pth')
    state = tool.main([tiny_run['checkpoint'], out, '--config',
                       tiny_run['config'], '--cfg-options',
                       'test_dataloader.dataset.num_per_class=1'])
    saved = torch.load(out, map_location='cpu', weights_only=True)
    assert saved['state_dict'].keys() == state.keys()
    assert state and not [k for k in state if k.startswith(FORBIDDEN)]
    assert not [k for k in state if 'connector' in k or 'estimator' in k]

    distill = distillation_model(tiny_run)
    expected = logits(distill, distill.student)
    assert expected.shape == (6, 10)
    student_config = osp.join(tmp_path, 'exports', 'student_config.py')
    for config in (student_config,
                   osp.join(tiny_run['work_dir'], 'student_config.py'),
                   VANILLA_STUDENT):
        cfg = Config.fromfile(config)
        model_cfg = copy.deepcopy(cfg.model)  # as the Runner builds it
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        student = build(model_cfg, 'mmpretrain')
        assert type(student).__name__ == 'ImageClassifier'
        student.load_state_dict(saved['state_dict'], strict=True)
        student.eval()
        assert torch.equal(logits(student, student), expected), config
        # and through the prediction API, as tools/test.py runs it
        with torch.no_grad():
            got = student.val_step(batch())
            want = distill.val_step(batch())
        for a, b in zip(got, want):
            assert torch.equal(a.pred_score, b.pred_score)


def test_test_tool_gives_the_runs_validation_top1(tool, tiny_run, tmp_path):
    out = str(tmp_path / 'student.pth')
    tool.main([tiny_run['checkpoint'], out])
    records = []
    for path in glob.glob(osp.join(tiny_run['work_dir'], '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    val = [r['accuracy/top1'] for r in records if 'accuracy/top1' in r]
    assert val
    metrics = load_tool('test').main([
        osp.join(tiny_run['work_dir'], 'student_config.py'), out,
        '--work-dir', str(tmp_path / 'test')
    ])
    assert metrics['accuracy/top1'] == pytest.approx(val[-1], abs=1e-9)


def test_existing_outputs_need_force(tool, tiny_run, tmp_path):
    out = str(tmp_path / 'student.pth')
    with open(out, 'w') as f:
        f.write('keep me')
    with pytest.raises(FileExistsError, match='pass overwrite=True'):
        tool.main([tiny_run['checkpoint'], out])
    with open(out) as f:
        assert f.read() == 'keep me'
    tool.main([tiny_run['checkpoint'], out, '--force'])
    assert torch.load(out, weights_only=True)['state_dict']
    # an existing student_config.py is kept too, and nothing is exported
    (tmp_path / 'student_config.py').write_text('# keep me\n')
    other = str(tmp_path / 'other.pth')
    with pytest.raises(FileExistsError, match='student_config.py exists'):
        tool.main([tiny_run['checkpoint'], other, '--config',
                   tiny_run['config']])
    assert not osp.exists(other)
    assert (tmp_path / 'student_config.py').read_text() == '# keep me\n'
    tool.main([tiny_run['checkpoint'], other, '--force', '--config',
               tiny_run['config']])
    assert 'mmpretrain' in (tmp_path / 'student_config.py').read_text()


def test_non_distillation_checkpoint_is_refused(tool, tiny_run, tmp_path):
    with pytest.raises(KeyError, match='is not a distillation checkpoint'):
        tool.main([tiny_run['teacher'], str(tmp_path / 'student.pth')])
    assert not osp.exists(tmp_path / 'student.pth')


def test_output_that_is_the_input_is_refused_even_with_force(tool, tiny_run,
                                                              tmp_path):
    import shutil
    source = str(tmp_path / 'epoch_1.pth')
    shutil.copy(tiny_run['checkpoint'], source)
    with open(source, 'rb') as f:
        before = f.read()
    with pytest.raises(ValueError, match='is the input checkpoint itself'):
        tool.main([source, source, '--force'])
    with open(source, 'rb') as f:
        assert f.read() == before


def test_test_tool_needs_no_distillation_sources(tiny_run, tmp_path):
    """tools/test.py on the distillation config: the checkpoint under test
    holds the teacher and its estimators, so their files are not read."""
    metrics = load_tool('test').main([
        tiny_run['config'], tiny_run['checkpoint'], '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        'model.teacher_attention_ckpt=does/not/exist.pth',
        'model.teacher_ckpt=does/not/exist.pth',
        'test_dataloader.dataset.num_per_class=1'
    ])
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
