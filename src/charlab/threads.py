"""Keep CPU training fast when other processes share the cores: try fewer (or more) threads, keep the faster.

PyTorch splits each matrix product across its intra-op threads, and the threads wait for one another at the end
of it. When another process takes one of the cores, the thread that shares that core runs late and every other
thread waits for it: on this project's 2-core machine, training with 2 threads beside one busy process ran 3 to
10 times slower than with 1 thread. How busy a machine is changes while a run trains, so instead of guessing at
start-up the tuner measures. It times iterations in windows; after the first window (a machine may be busy from
the start), then every `probe_every_s` seconds of training, and at once when the current speed collapses to under
half the best seen, it runs one window with one thread fewer or one more, and keeps the count whose window was
faster by at least `margin`. A probe that fails costs one slower window a minute (about 2-3% on an idle 2-core
machine, where one thread is ~1.7x slower). The thread count changes only how fast an iteration runs, not what it
computes beyond floating-point rounding.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Callable, Iterator

import torch


class ThreadTuner:
    def __init__(self, max_threads: int, set_threads: Callable[[int], None], *, window: int = 10,
                 probe_every_s: float = 60.0, margin: float = 0.1):
        self.max_threads, self.set_threads = max_threads, set_threads
        self.window, self.probe_every_s, self.margin = window, probe_every_s, margin
        self.threads = max_threads
        self.best: dict[int, float] = {}  # fastest window median seen per thread count
        self._times: list[float] = []
        self._since_probe_s = math.inf  # the first window is followed by a probe
        self._baseline: float | None = None  # while probing: the median of the window before the probe
        self._previous = max_threads
        self._down = True  # the next probe tries one thread fewer (else one more)
        self.changes: list[tuple[int, int]] = []  # (iteration count seen, new thread count): what happened, for logs
        self._seen = 0

    @property
    def probing(self) -> bool:
        """Whether the current window runs a trial thread count."""
        return self._baseline is not None

    def observe(self, seconds: float) -> None:
        """Record one iteration's wall time; may change the thread count for the next ones."""
        self._seen += 1
        self._since_probe_s += seconds
        self._times.append(seconds)
        if len(self._times) < self.window:
            return
        median = statistics.median(self._times)
        self._times = []
        self.best[self.threads] = min(median, self.best.get(self.threads, median))
        if self._baseline is not None:  # a probe window just ended: keep the faster count
            if median > self._baseline * (1 - self.margin):
                self._switch(self._previous)
            self._baseline = None
            return
        collapsed = median > 2 * self.best[self.threads]
        if self._since_probe_s >= self.probe_every_s or collapsed:
            self._probe(median)

    def _probe(self, median: float) -> None:
        candidates = [n for n in (self.threads - 1, self.threads + 1) if 1 <= n <= self.max_threads]
        if not candidates:
            return
        if len(candidates) == 2:
            target = candidates[0] if self._down else candidates[1]
            self._down = not self._down
        else:
            target = candidates[0]
        self._since_probe_s = 0.0
        self._baseline, self._previous = median, self.threads
        self._switch(target)

    def _switch(self, n: int) -> None:
        if n != self.threads:
            self.threads = n
            self.set_threads(n)
            self.changes.append((self._seen, n))


@contextlib.contextmanager
def thread_policy(threads: int, device: torch.device) -> Iterator[ThreadTuner | None]:
    """For one training run on CPU: `threads` > 0 fixes the count; 0 lets a ThreadTuner move it (when PyTorch
    would use more than one). The count in use before is restored afterwards, so one run's choice does not leak
    into the next run of the same process (a chapter trains several)."""
    before = torch.get_num_threads()
    tuner = None
    if device.type == "cpu":
        if threads:
            torch.set_num_threads(threads)
        elif before > 1:
            tuner = ThreadTuner(before, torch.set_num_threads)
    try:
        yield tuner
    finally:
        torch.set_num_threads(before)
