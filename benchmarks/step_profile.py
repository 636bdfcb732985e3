"""Wall-clock time per named part of a step (see ``plain_hksanc_step``)."""
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List


class PartTimer:
    """Collects wall-clock durations per named part."""

    def __init__(self) -> None:
        self.seconds: Dict[str, List[float]] = defaultdict(list)

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Time the block as one occurrence of ``name``."""
        start = time.perf_counter()
        yield
        self.seconds[name].append(time.perf_counter() - start)

    def median_ms(self) -> Dict[str, float]:
        """Median milliseconds per part, in first-seen order."""
        return {k: 1000 * statistics.median(v)
                for k, v in self.seconds.items()}


def profile_parts(step: Callable[..., None], steps: int,
                  warmup: int = 2) -> Dict[str, float]:
    """Median milliseconds per part of ``step(timer)`` over ``steps`` calls
    after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    timer = PartTimer()
    for _ in range(steps):
        step(timer)
    return timer.median_ms()
