"""A circuit breaker: after `failures` failed calls in a row, stop calling for `cooldown_s`,
then let one call through to see whether the service is back.

A call that would wait on a dead server costs the caller the whole timeout on every turn; once
the breaker is open the turn goes straight to the fallback instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, failures: int = 3, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.failed = 0  # consecutive failures
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        """Whether to call the service now (closed, or half-open for one trial call)."""
        return self.state != "open"

    def success(self) -> None:
        self.failed = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failed += 1
        if self.failed >= self.failures or self.opened_at is not None:
            self.opened_at = self.clock()  # a failed trial call opens it again
