"""Where a call stands in its queue: the sort key, and the values it is made of.

A waiting list is sorted by `(-priority, -vip, -rank, since, seq)`:
1. the handoff's `priority` (1..10, 10 most urgent; low=2, normal=5, high=8, urgent=10);
2. VIP callers (`caller.vip`) before others of the same priority;
3. the queue's `priority by` value: numbers and booleans by value, text by the tier list
   (`RouterConfig.tiers`, best first; text not in it ranks last);
4. `since`: when the caller was first queued, kept across overflow and callbacks, so equal
   callers are served first come, first served;
5. `seq`, the order the router saw the handoffs in, so no two keys are ever equal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dsl import tree as T
from runtime.actions import Handoff
from runtime.evaluate import EvalError, Scope, evaluate, truthy

PRIORITY_NAMES = {"low": 2, "normal": 5, "high": 8, "urgent": 10}
DEFAULT_PRIORITY = PRIORITY_NAMES["normal"]

# (-priority, -vip, -rank, since, seq, call id): the call id rides along, never compared.
SortKey = tuple[int, int, float, float, int, str]


def priority_level(value: str | int) -> int:
    """The handoff's priority as 1..10; anything else (the compiler rules it out) is normal."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= 10 else DEFAULT_PRIORITY
    text = str(value).strip().lower()
    if text in PRIORITY_NAMES:
        return PRIORITY_NAMES[text]
    if text.isdigit() and 1 <= int(text) <= 10:
        return int(text)
    return DEFAULT_PRIORITY


def rank_value(value: Any, tiers: Sequence[str]) -> float:
    """A `priority by` value as a number, bigger first."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return _finite(float(value))
    text = str(value).strip().lower()
    if text in tiers:
        return float(len(tiers) - tiers.index(text))
    try:
        return _finite(float(text))
    except ValueError:
        return 0.0


def _finite(number: float) -> float:
    # NaN would break the waiting list's order (it compares false with everything).
    return 0.0 if math.isnan(number) else number


def priority_by_rank(expr: T.Expr | None, handoff: Handoff, caller: Mapping[str, Any],
                     at: float, tiers: Sequence[str]) -> float:
    """Evaluate the queue's `priority by` for this call. It reads what the flow could read at
    the handoff: caller.* and the slots the bot collected. A value the expression cannot
    produce (a missing field, a division by zero) ranks last rather than failing the call."""
    if expr is None:
        return 0.0
    scope = Scope(variables={f.name: f.value for f in handoff.slots}, caller=dict(caller),
                  env={}, hours={}, now=at, say_as=lambda _fmt, v: str(v))
    try:
        return rank_value(evaluate(expr, scope), tiers)
    except (EvalError, TypeError, ValueError):
        return 0.0


def sort_key(priority: int, vip: bool, rank: float, since: float, seq: int,
             call_id: str) -> SortKey:
    return (-priority, -int(vip), -rank, since, seq, call_id)


def same_rank(a: SortKey, b: SortKey) -> bool:
    """Equal priority, VIP and `priority by`: such calls must be served in arrival order."""
    return a[:3] == b[:3]


def is_vip(caller: Mapping[str, Any]) -> bool:
    return truthy(caller.get("vip", False))
