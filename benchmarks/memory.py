"""Peak resident memory of a block of work, sampled from /proc (Linux).

On CPU there is no ``torch.cuda.max_memory_allocated``; the resident set size
of the process, sampled every millisecond by a thread while the training steps
run, gives the peak the steps reach. Its increase over the resident size just
before the steps is the memory the steps themselves need (activations,
gradients, optimizer state).
"""
import os
import threading
from typing import Optional

_PAGE = os.sysconf('SC_PAGE_SIZE')


def resident_bytes() -> int:
    """Current resident set size of this process in bytes."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * _PAGE


class PeakResidentSampler:
    """Context manager recording the peak RSS while its block runs."""

    def __init__(self, interval_s: float = 0.001) -> None:
        self.interval_s = interval_s
        self.before: int = 0
        self.peak: int = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, resident_bytes())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> 'PeakResidentSampler':
        self.before = self.peak = resident_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())

    @property
    def increase(self) -> int:
        """Peak minus the resident size when the block started (bytes)."""
        return self.peak - self.before
