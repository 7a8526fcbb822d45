"""Contact-centre KPIs for a time window, computed from the records with SQL.

Every call has exactly one event that ends its wait (`queue_events`): answered, abandoned,
voicemail, disconnected, or callback_requested; the detail of the last three says whether the
caller chose it or the queue's `max_wait` did. An `answered` followed by a `bridge_failed`
(the agent's phone did not answer the bridge; the caller waited on) did not end the wait and
is not counted: the call counts once, by how its wait really ended. A call counts in the
window its wait ended in, and in the queue it was waiting in then (after any overflow).
Definitions:

- service level: answered within the threshold / (answered + abandoned + ended by max_wait).
  Callers who chose a callback or voicemail are left out: they were not kept waiting for a
  live answer, and callbacks have their own measure.
- ASA (average speed of answer): mean time from first queued to answered, live calls (to the
  answer that held, after any failed bridges).
- abandonment rate: abandoned / every call whose wait ended.
- AHT (average handle time): from answer to the end of wrap-up, for wrap-ups that ended in
  the window (talk plus after-call work: what keeps an agent from the next caller).
- callbacks kept: kept / (kept + failed), for callbacks that ended in the window.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WAIT_ENDS = ("answered", "abandoned", "voicemail", "disconnected", "callback_requested")

# An answer that a failed bridge took back: a later `bridge_failed` of the same call.
_VOIDED = """(e.kind = 'answered' AND EXISTS (
    SELECT 1 FROM queue_events AS f
    WHERE f.call_id = e.call_id AND f.kind = 'bridge_failed' AND f.id > e.id))"""


@dataclass(frozen=True)
class Kpis:
    start: float
    end: float
    threshold_s: float
    queue: str | None
    waits_ended: int  # calls whose wait ended in the window
    answered: int
    answered_within: int
    abandoned: int
    max_wait_reached: int
    chose_callback: int
    chose_voicemail: int
    handled: int  # wrap-ups ended
    callbacks_kept: int
    callbacks_failed: int
    service_level: float | None  # None when nothing to measure
    asa_s: float | None
    abandonment_rate: float | None
    aht_s: float | None
    callbacks_kept_rate: float | None


_WAITS = f"""
SELECT
    COUNT(*),
    COALESCE(SUM(kind = 'answered'), 0),
    COALESCE(SUM(kind = 'answered' AND waited <= :threshold), 0),
    COALESCE(SUM(kind = 'abandoned'), 0),
    COALESCE(SUM(kind != 'answered' AND kind != 'abandoned' AND detail = 'max_wait'), 0),
    COALESCE(SUM(kind = 'callback_requested' AND detail = 'caller'), 0),
    COALESCE(SUM(kind = 'voicemail' AND detail = 'caller'), 0),
    AVG(CASE WHEN kind = 'answered' THEN waited END)
FROM (
    SELECT e.kind, e.detail, e.at - h.queued_at AS waited
    FROM queue_events AS e JOIN handoffs AS h ON h.call_id = e.call_id
    WHERE e.kind IN ({", ".join(f"'{k}'" for k in WAIT_ENDS)})
      AND e.at >= :start AND e.at < :end AND (:queue IS NULL OR e.queue = :queue)
      AND NOT {_VOIDED}
)
"""

# From the answer that held: the call's last one (earlier answers ended in failed bridges).
_HANDLED = """
SELECT COUNT(*), AVG(w.ended_at - a.at)
FROM wrap_ups AS w
JOIN queue_events AS a ON a.id = (
    SELECT MAX(id) FROM queue_events
    WHERE call_id = w.call_id AND kind IN ('answered', 'callback_kept'))
WHERE w.ended_at >= :start AND w.ended_at < :end AND (:queue IS NULL OR w.queue = :queue)
"""

_CALLBACKS = """
SELECT COALESCE(SUM(outcome = 'kept'), 0), COALESCE(SUM(outcome = 'failed'), 0)
FROM callbacks
WHERE ended_at >= :start AND ended_at < :end AND (:queue IS NULL OR queue = :queue)
"""


def kpis(conn: sqlite3.Connection, start: float, end: float, threshold_s: float = 20.0,
         queue: str | None = None) -> Kpis:
    args = {"start": start, "end": end, "threshold": threshold_s, "queue": queue}
    (ended, answered, within, abandoned, max_wait, callback, voicemail,
     asa) = conn.execute(_WAITS, args).fetchone()
    handled, aht = conn.execute(_HANDLED, args).fetchone()
    kept, failed = conn.execute(_CALLBACKS, args).fetchone()
    measured = answered + abandoned + max_wait
    return Kpis(
        start=start, end=end, threshold_s=threshold_s, queue=queue, waits_ended=ended,
        answered=answered, answered_within=within, abandoned=abandoned,
        max_wait_reached=max_wait, chose_callback=callback, chose_voicemail=voicemail,
        handled=handled, callbacks_kept=kept, callbacks_failed=failed,
        service_level=within / measured if measured else None,
        asa_s=asa, abandonment_rate=abandoned / ended if ended else None,
        aht_s=aht, callbacks_kept_rate=kept / (kept + failed) if kept + failed else None)


def day_window(now: float, timezone: str = "UTC") -> tuple[float, float]:
    """[start, end) of the local day `now` falls in: "today" for the wallboard. The caller
    passes `now`; this module reads no clock."""
    tz = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Through a date, not +24h: a day with a daylight-saving change has 23 or 25 hours.
    following = datetime.combine(midnight.date() + timedelta(days=1), midnight.time(), tz)
    return midnight.timestamp(), following.timestamp()
