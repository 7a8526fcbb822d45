"""The router's deadlines: one heap, cancelled lazily.

A deadline names what it is for and a token (an offer id, a call's epoch); when it falls due
the router checks that the token is still current and ignores it otherwise. Nothing is ever
removed from the middle of the heap, which keeps starting a timer O(log n) with 10,000 callers
each holding several.
"""

from __future__ import annotations

import heapq
from typing import NamedTuple


class Deadline(NamedTuple):  # a tuple, so the heap compares in C
    due: float
    seq: int  # ties fall due in the order they were set: deterministic
    kind: str
    subject: str  # call id, agent id or offer id
    token: int = 0  # the subject's epoch when the deadline was set


class Timers:
    def __init__(self) -> None:
        self._heap: list[Deadline] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def start(self, due: float, kind: str, subject: str, token: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Deadline(due, self._seq, kind, subject, token))

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None

    def pop_due(self, until: float, inclusive: bool) -> Deadline | None:
        """The earliest deadline due before `until` (or at it, when `inclusive`)."""
        if not self._heap:
            return None
        due = self._heap[0].due
        if due < until or (inclusive and due == until):
            return heapq.heappop(self._heap)
        return None
