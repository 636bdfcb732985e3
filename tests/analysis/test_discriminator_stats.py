"""D's accuracies: eval mode as computed by hand; D left unchanged."""
import pytest
import torch

from mmhkd.analysis.discriminator_stats import discriminator_accuracies
from mmhkd.models.heads import LogitDiscriminator
from mmhkd.models.losses import AdversarialDistillLoss

pytestmark = pytest.mark.usefixtures('one_thread')


def test_accuracies_and_discriminator_untouched():
    torch.manual_seed(0)
    disc = LogitDiscriminator(num_classes=4, hidden_channels=8)
    loss = AdversarialDistillLoss()
    disc.train()
    disc(torch.randn(16, 4) * 3)  # non-trivial running statistics
    state = {k: v.clone() for k, v in disc.state_dict().items()}
    teacher, student = torch.randn(6, 4) * 2, torch.randn(6, 4)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    found = discriminator_accuracies(
        disc, loss.discriminator_accuracies, teacher, student, labels)
    assert disc.training
    for key, value in disc.state_dict().items():
        torch.testing.assert_close(value, state[key])
    disc.eval()
    with torch.no_grad():
        t_scores, s_scores = disc(teacher), disc(student)
    # 1 + C outputs: unit 0 says "teacher" (above the threshold 0)
    assert found['eval']['acc_real'] == pytest.approx(
        float((t_scores[:, 0] > 0).float().mean()))
    assert found['eval']['acc_fake'] == pytest.approx(
        float((s_scores[:, 0] <= 0).float().mean()))
    assert found['eval']['acc_category_student'] == pytest.approx(
        float((s_scores[:, 1:].argmax(1) == labels).float().mean()))
    assert set(found['train_joint']) == set(found['eval'])
    assert all(0.0 <= v <= 1.0 for v in found['train_joint'].values())
