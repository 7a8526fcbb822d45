"""Validation of literal values that the lexer accepts loosely: durations, times, dates, days."""

from __future__ import annotations

import re
from datetime import date

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}

SLOT_TYPES = ("digits", "number", "currency", "date", "time", "yes_no", "phone", "choice", "text",
              "pattern")
SPOKEN_FORMATS = ("digits", "number", "currency", "date", "time", "spell")
STRATEGIES = ("longest_idle", "round_robin", "fewest_calls", "skills_based")
ANNOUNCEMENTS = ("position", "wait")
AFTER_MAX_WAIT = ("voicemail", "callback", "hangup")
PRIORITIES = ("low", "normal", "high", "urgent")


def parse_duration(text: str) -> int | None:
    """Milliseconds, or None when `text` is not a duration like 500ms, 5s, 2m, 1h."""
    m = _DURATION.match(text)
    if not m:
        return None
    ms = float(m.group(1)) * _UNIT_MS[m.group(2)]
    return int(ms) if ms == int(ms) else None


def format_duration(ms: int) -> str:
    """The canonical spelling: the largest unit that divides evenly."""
    for unit in ("h", "m", "s"):
        if ms and ms % _UNIT_MS[unit] == 0:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return f"{ms}ms"


def parse_clock(text: str, *, allow_24: bool = False) -> str | None:
    """Canonical "HH:MM", or None if not a valid time of day."""
    m = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if allow_24 and hour == 24 and minute == 0:
        return "24:00"
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


def expand_days(text: str) -> tuple[str, ...]:
    """"mon-fri" -> ("mon", ..., "fri"); ranges may wrap ("fri-mon")."""
    if "-" not in text:
        return (text,)
    first, last = text.split("-")
    i, j = DAYS.index(first), DAYS.index(last)
    out = [DAYS[i]]
    while i != j:
        i = (i + 1) % 7
        out.append(DAYS[i])
    return tuple(out)
