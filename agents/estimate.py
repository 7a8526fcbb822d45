"""Expected wait: a model from recent handle times and staffed agents, and what may be announced.

The model: a caller at position `k` is answered after `k` agents of the queue have finished
what they are doing. With `n` staffed agents each busy for a mean handle time `h` (talk plus
wrap-up), agents free up at a rate of `n / h`, so the `k`-th frees up after about

    expected wait = k * h / n

(exact for exponential handle times, where departures are a Poisson process; the test
simulates such a queue and compares). It is Erlang C's conditional wait for a caller who
already knows their position, which is what an announcement needs: Erlang C's own figure is an
average over callers who do not. `n` counts staffed agents (available, ringing, talking or
wrapping up; not on a break), each as 1/k when they serve k queues: an agent shared with other
queues may be taken by them, so the figure errs long rather than short. `h` is the mean of the
queue's recent handle times (the last `window`, none older than `max_age_s`).

What is announced never claims more than the data supports:
- no figure until the queue has `min_samples` recent handle times, or while no agent is staffed;
- minutes are rounded up, never down, and at least 1;
- beyond `cap` minutes the announcement is "more than `cap` minutes".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


def expected_wait_s(position: int, mean_handle_s: float, staffed: float) -> float:
    return position * mean_handle_s / staffed


@dataclass(frozen=True)
class WaitFigure:
    minutes: int | None  # None: no figure can be given
    more_than: bool = False


NO_FIGURE = WaitFigure(None)


def wait_figure(position: int, samples: int, mean_handle_s: float, staffed: float, *,
                min_samples: int, cap_minutes: int) -> WaitFigure:
    if samples < max(1, min_samples) or staffed <= 0 or position < 1:
        return NO_FIGURE
    minutes = max(1, math.ceil(expected_wait_s(position, mean_handle_s, staffed) / 60))
    if minutes > cap_minutes:
        return WaitFigure(cap_minutes, more_than=True)
    return WaitFigure(minutes)


class HandleTimes:
    """The most recent handle times per queue, with their mean kept as a running sum."""

    def __init__(self, window: int, max_age_s: float) -> None:
        self.window = window
        self.max_age_s = max_age_s
        self._samples: dict[str, deque[tuple[float, float]]] = {}  # queue -> (at, seconds)
        self._sums: dict[str, float] = {}

    def add(self, queue: str, at: float, seconds: float) -> None:
        samples = self._samples.setdefault(queue, deque())
        samples.append((at, seconds))
        self._sums[queue] = self._sums.get(queue, 0.0) + seconds
        if len(samples) > self.window:
            self._sums[queue] -= samples.popleft()[1]

    def stats(self, queue: str, now: float) -> tuple[int, float]:
        """(how many recent samples, their mean in seconds)."""
        samples = self._samples.get(queue)
        if not samples:
            return 0, 0.0
        while samples and samples[0][0] < now - self.max_age_s:
            self._sums[queue] -= samples.popleft()[1]
        if not samples:
            self._sums[queue] = 0.0  # no float residue from the running sum
            return 0, 0.0
        return len(samples), self._sums[queue] / len(samples)
