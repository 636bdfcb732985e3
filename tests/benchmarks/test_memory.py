"""The RSS sampler sees memory allocated inside its block."""
import time

import torch

from benchmarks.memory import PeakResidentSampler, resident_bytes

MIB = 1024 ** 2


def test_peak_includes_a_freed_allocation():
    with PeakResidentSampler() as sampler:
        block = torch.ones(200 * MIB // 4)  # 200 MiB, touched
        time.sleep(0.05)  # the sampler polls every millisecond
        del block
    assert sampler.increase >= 190 * MIB
    assert sampler.peak >= sampler.before + 190 * MIB


def test_idle_block_adds_little():
    with PeakResidentSampler() as sampler:
        sum(range(1000))
    assert sampler.increase < 20 * MIB
    assert abs(sampler.before - resident_bytes()) < 50 * MIB
