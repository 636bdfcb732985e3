"""Normalised entropy and KL(M_T || M_S) against hand computations."""
import math

import pytest
import torch

from mmhkd.analysis.attention_stats import map_divergence, normalized_entropy


def test_uniform_map_has_entropy_one_and_one_hot_zero():
    uniform = torch.full((3, 1, 4, 5), 1 / 20)
    torch.testing.assert_close(normalized_entropy(uniform),
                               torch.ones(3, dtype=torch.float64))
    one_hot = torch.zeros(2, 1, 4, 4)
    one_hot[0, 0, 1, 2] = 1
    one_hot[1, 0, 3, 3] = 1
    torch.testing.assert_close(normalized_entropy(one_hot),
                               torch.zeros(2, dtype=torch.float64))


def test_entropy_of_a_two_position_map():
    maps = torch.tensor([[0.25, 0.75]])
    expected = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(2)
    assert float(normalized_entropy(maps)[0]) == pytest.approx(expected)


def test_kl_against_hand_computation():
    teacher = torch.tensor([[0.5, 0.5, 0.0, 0.0]]).view(1, 1, 2, 2)
    student = torch.tensor([[0.25, 0.25, 0.25, 0.25]]).view(1, 1, 2, 2)
    expected = 2 * 0.5 * math.log(0.5 / 0.25)  # 0 log 0 terms vanish
    assert float(map_divergence(teacher, student)[0]) == pytest.approx(
        expected)
    same = torch.softmax(torch.randn(3, 1, 4, 4).flatten(1), 1)
    torch.testing.assert_close(map_divergence(same, same),
                               torch.zeros(3, dtype=torch.float64))
    assert float(map_divergence(student, teacher)[0]) > 10  # S puts 0 mass


def test_kl_of_other_resolutions_is_none():
    assert map_divergence(torch.full((1, 1, 2, 2), 0.25),
                          torch.full((1, 1, 4, 4), 1 / 16)) is None
