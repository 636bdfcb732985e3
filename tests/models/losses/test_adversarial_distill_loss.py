"""Tests of AdversarialDistillLoss against plain torch formulas."""
import pytest
import torch

import mmhkd  # noqa: F401
from mmhkd.models.losses import AdversarialDistillLoss

N, C = 4, 3


def _scores(seed, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N, 1 + C, generator=g, requires_grad=requires_grad)


LABELS = torch.tensor([0, 2, 1, 2])


def _neg_log_sigmoid(x):
    return -torch.log(1 / (1 + torch.exp(-x)))


def _ce(logits, labels):
    log_p = logits - torch.log(torch.exp(logits).sum(1, keepdim=True))
    return -log_p[torch.arange(N), labels].mean()


def test_student_side_matches_hand_computation():
    s = _scores(0, requires_grad=True)
    loss = AdversarialDistillLoss(loss_weight=2.0, category_weight=0.5)(
        s, LABELS)
    sd = s.detach()
    expected = 2.0 * (_neg_log_sigmoid(sd[:, 0]).mean() +
                      0.5 * _ce(sd[:, 1:], LABELS))
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert s.grad is not None


def test_discriminator_side_matches_hand_computation():
    t, s, far = _scores(1), _scores(2), _scores(3)
    g = torch.Generator().manual_seed(4)
    weights = [torch.randn(5, 3, generator=g), torch.randn(2, 5, generator=g)]
    loss = AdversarialDistillLoss(
        loss_weight=7.0, category_weight=0.5, regularization_weight=0.01,
        fake_as_real_weight=0.25)
    out = loss.discriminator_loss(t, s, LABELS, weights, far)
    assert set(out) == {'loss_real', 'loss_fake', 'loss_category',
                        'loss_reg', 'loss_fake_as_real'}
    torch.testing.assert_close(out['loss_real'],
                               _neg_log_sigmoid(t[:, 0]).mean())
    # -log(1 - sigmoid(x)) == -log(sigmoid(-x))
    torch.testing.assert_close(out['loss_fake'],
                               -torch.log(1 - torch.sigmoid(s[:, 0])).mean())
    torch.testing.assert_close(
        out['loss_category'],
        0.5 * (_ce(t[:, 1:], LABELS) + _ce(s[:, 1:], LABELS)))
    reg = sum(float(w.abs().sum()) + float((w * w).sum()) for w in weights)
    torch.testing.assert_close(out['loss_reg'], torch.tensor(0.01 * reg))
    torch.testing.assert_close(out['loss_fake_as_real'],
                               0.25 * _neg_log_sigmoid(far[:, 0]).mean())


def test_fake_as_real_is_off_by_default_and_required_when_on():
    t, s = _scores(1), _scores(2)
    out = AdversarialDistillLoss().discriminator_loss(t, s, LABELS, [],
                                                      _scores(3))
    assert 'loss_fake_as_real' not in out
    torch.testing.assert_close(out['loss_reg'], torch.tensor(0.0))
    with pytest.raises(ValueError, match='needs fake_as_real_scores'):
        AdversarialDistillLoss(fake_as_real_weight=0.1).discriminator_loss(
            t, s, LABELS, [])


def test_regularizer_gradient_reaches_weights():
    w = torch.randn(3, 2, requires_grad=True)
    out = AdversarialDistillLoss(regularization_weight=0.1).discriminator_loss(
        _scores(1), _scores(2), LABELS, [w])
    out['loss_reg'].backward()
    torch.testing.assert_close(w.grad,
                               0.1 * (torch.sign(w) + 2 * w).detach())


def test_lsgan_criterion():
    t, s = _scores(1), _scores(2)
    loss = AdversarialDistillLoss(adversarial_criterion='lsgan')
    out = loss.discriminator_loss(t, s, LABELS, [])
    torch.testing.assert_close(out['loss_real'], ((t[:, 0] - 1) ** 2).mean())
    torch.testing.assert_close(out['loss_fake'], (s[:, 0] ** 2).mean())


def test_accuracies_are_fractions():
    t = torch.tensor([[1.0, 5, 0, 0], [-1, 0, 0, 5], [2, 0, 5, 0],
                      [3, 5, 0, 0]])
    s = torch.tensor([[-1.0, 5, 0, 0], [-2, 0, 0, 5], [1, 5, 0, 0],
                      [-3, 5, 0, 0]])
    acc = AdversarialDistillLoss().discriminator_accuracies(t, s, LABELS)
    # teacher unit > 0 for 3 of 4; student unit < 0 for 3 of 4
    torch.testing.assert_close(acc['acc_real'], torch.tensor(0.75))
    torch.testing.assert_close(acc['acc_fake'], torch.tensor(0.75))
    # argmax classes: teacher 0,2,1,0 vs 0,2,1,2; student 0,2,0,0
    torch.testing.assert_close(acc['acc_category_teacher'],
                               torch.tensor(0.75))
    torch.testing.assert_close(acc['acc_category_student'],
                               torch.tensor(0.5))


def test_errors():
    with pytest.raises(ValueError, match='adversarial_criterion=.*allowed'):
        AdversarialDistillLoss(adversarial_criterion='hinge')
    with pytest.raises(ValueError, match='category_weight'):
        AdversarialDistillLoss(category_weight=-1)
    with pytest.raises(ValueError, match=r'gt_labels must be \(4,\)'):
        AdversarialDistillLoss()(_scores(0), LABELS[:3])
    with pytest.raises(ValueError, match='differ in shape'):
        AdversarialDistillLoss().discriminator_loss(
            _scores(0), torch.randn(N, 3), LABELS, [])


# --------------------------------------------- the real/fake switch alone
def test_adversarial_weight_scales_only_the_real_fake_terms():
    s = _scores(0, requires_grad=True)
    loss = AdversarialDistillLoss(adversarial_weight=0.0,
                                  category_weight=0.5)(s, LABELS)
    torch.testing.assert_close(loss, 0.5 * _ce(s.detach()[:, 1:], LABELS))
    loss.backward()
    assert torch.all(s.grad[:, 0] == 0) and s.grad[:, 1:].abs().sum() > 0

    t, f = _scores(1), _scores(2)
    half = AdversarialDistillLoss(adversarial_weight=0.5)
    full = AdversarialDistillLoss()
    terms_half = half.discriminator_loss(t, f, LABELS, [])
    terms_full = full.discriminator_loss(t, f, LABELS, [])
    for key in ('loss_real', 'loss_fake'):
        torch.testing.assert_close(terms_half[key], 0.5 * terms_full[key])
    torch.testing.assert_close(terms_half['loss_category'],
                               terms_full['loss_category'])


@pytest.mark.parametrize('kwargs, match', [
    (dict(loss_weight=-1.0), 'loss_weight must be a finite number >= 0'),
    (dict(adversarial_weight=-1.0), 'adversarial_weight must be >= 0'),
])
def test_negative_weights_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdversarialDistillLoss(**kwargs)
