"""HierarchicalAttentionConnector: ``adapted_ckpt`` (phase-2 weights, frozen)
and ``descriptor_source='pool_all_stages'``."""
import pytest
import torch

import mmhkd  # noqa: F401
from mmhkd.models.algorithms.teacher_attention import SETTINGS_KEY
from mmhkd.models.connectors import HierarchicalAttentionConnector

N = 2
LEVELS = (8, 4, 2)
WIDTH = 16


def _levels(width=WIDTH, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(N, width, s, s, generator=g) for s in LEVELS)


def _connector(**kwargs):
    cfg = dict(stage_channels=[WIDTH] * 3, descriptor_channels=WIDTH,
               descriptor_source='pool_last_stage')
    cfg.update(kwargs)
    return HierarchicalAttentionConnector(**cfg)


def _phase2_checkpoint(path, connector, settings=None):
    """What AttentionAdaptation's runner saves: ``connector.*`` weights and
    the settings record in ``_extra_state``."""
    state = {f'connector.{k}': v for k, v in connector.state_dict().items()}
    state['head.weight'] = torch.zeros(3, 3 * WIDTH)
    state['_extra_state'] = {
        SETTINGS_KEY: settings or connector.settings()}
    torch.save(dict(state_dict=state), path)
    return str(path)


def test_adapted_ckpt_loads_the_weights_and_freezes(tmp_path):
    torch.manual_seed(1)
    adapted = _connector()
    for p in adapted.parameters():  # not the initialisation
        p.data.normal_()
    ckpt = _phase2_checkpoint(tmp_path / 'epoch_2.pth', adapted)
    torch.manual_seed(2)
    conn = _connector(adapted_ckpt=ckpt)
    for (name, a), b in zip(adapted.state_dict().items(),
                            conn.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    assert conn.frozen and not any(p.requires_grad
                                   for p in conn.parameters())
    conn.train()
    assert not conn.training
    assert not any(m.training for m in conn.modules())
    # runner's init_weights must not re-initialise the loaded weights
    conn.init_weights()
    torch.testing.assert_close(adapted.estimators[0].score.weight,
                               conn.estimators[0].score.weight)
    # same function as the adapted connector in eval mode
    feats = _levels()
    for a, b in zip(adapted.eval()(feats), conn(feats)):
        torch.testing.assert_close(a, b)


def test_trainable_by_default():
    conn = _connector()
    assert not conn.frozen
    assert all(p.requires_grad for p in conn.parameters())
    assert conn.train().training


def test_adapted_ckpt_refuses_other_settings(tmp_path):
    adapted = _connector(descriptor_source='pool_all_stages')
    ckpt = _phase2_checkpoint(tmp_path / 'epoch_2.pth', adapted)
    with pytest.raises(ValueError) as err:
        _connector(adapted_ckpt=ckpt)
    assert ("descriptor_source: 'pool_all_stages' in the checkpoint, "
            "'pool_last_stage' in the config") in str(err.value)


def test_adapted_ckpt_missing_file_names_option_and_phase(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError) as err:
        _connector(adapted_ckpt=missing)
    message = str(err.value)
    assert message.startswith(f'connector adapted_ckpt not found: {missing}')
    assert 'phase 2 (teacher adaptation)' in message


def test_adapted_ckpt_without_connector_weights(tmp_path):
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict={'backbone.w': torch.zeros(1)}), path)
    with pytest.raises(KeyError) as err:
        _connector(adapted_ckpt=str(path))
    assert "has no weights under 'connector.'" in str(err.value)
    assert "['backbone']" in str(err.value)


def test_pool_all_stages_query_is_the_mean_of_the_pools():
    torch.manual_seed(0)
    conn = _connector(descriptor_source='pool_all_stages').eval()
    feats = _levels()
    query = sum(t.mean(dim=(2, 3)) for t in feats) / len(feats)
    expected = [est(t, query)[0] for est, t in zip(conn.estimators, feats)]
    for a, b in zip(conn(feats), expected):
        torch.testing.assert_close(a, b)
    # and not the top level's pool
    last = conn.estimators[0](feats[0], feats[-1].mean(dim=(2, 3)))[0]
    assert not torch.allclose(conn(feats)[0], last)


def test_pool_all_stages_needs_one_width():
    conn = HierarchicalAttentionConnector(
        stage_channels=[8, 16], descriptor_channels=16,
        descriptor_source='pool_all_stages')
    feats = (torch.randn(N, 8, 4, 4), torch.randn(N, 16, 2, 2))
    with pytest.raises(ValueError) as err:
        conn(feats)
    assert str(err.value) == (
        "descriptor_source='pool_all_stages' averages the pooled entries, "
        "which needs one width; they have [8, 16]. Use 'pool_last_stage' "
        'for stages of different widths.')
