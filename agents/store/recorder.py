"""`Store`: the SQLite file, and how a router step (an event and its commands) becomes rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from agents import commands as C
from agents import events as E
from agents.priority import is_vip, priority_level
from agents.store.kpis import WAIT_ENDS, Kpis, kpis
from agents.store.schema import migrate

MASK = "[redacted]"  # what a reader sees of a sensitive value it may not see (as the runtime)

# Commands that are events in a call's path, and the kind and detail they are stored as.
_PATH: dict[str, Callable[[Any], tuple[str, str, str, str]]] = {  # call, queue, kind, detail
    "queued": lambda c: (c.call_id, c.queue, "queued", str(c.priority)),
    "moved": lambda c: (c.call_id, c.to_queue, "moved", c.from_queue),
    "bridge": lambda c: (c.call_id, c.queue, "answered", c.agent),
    # takes that answer back: the KPIs leave an `answered` with a later `bridge_failed` out
    "connect_failed": lambda c: (c.call_id, c.queue, "bridge_failed", c.cause or c.reason),
    "abandoned": lambda c: (c.call_id, c.queue, "abandoned", ""),
    "to_voicemail": lambda c: (c.call_id, c.queue, "voicemail", c.reason),
    "disconnect": lambda c: (c.call_id, c.queue, "disconnected", c.reason),
    "callback_scheduled": lambda c: (c.call_id, c.queue, "callback_requested", c.reason),
    "offer_callback": lambda c: (c.call_id, c.queue, "callback_offered", ""),
    "callback_finished": lambda c: (c.call_id, c.queue,
                                    "callback_kept" if c.kept else "callback_failed",
                                    str(c.attempts)),
    "completed": lambda c: (c.call_id, c.queue, "completed", c.agent),
    "rejected": lambda c: (c.call_id, c.queue, "rejected", c.reason),
}


class Store:
    def __init__(self, path: Path | str) -> None:
        # Autocommit mode: `record` opens its own transaction, migrations theirs.
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")  # readers (the wallboard) never block
        self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL keeps this crash-safe
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.version = migrate(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def record(self, event: E.Event, commands: Iterable[C.Command]) -> None:
        """Write what one `Router.handle` call did, all or nothing."""
        commands = list(commands)
        with _transaction(self.conn):
            if isinstance(event, E.CallQueued) and any(
                    isinstance(c, C.Queued) and c.call_id == event.call_id for c in commands):
                self._handoff(event)
            for command in commands:
                self._command(command)

    def _handoff(self, ev: E.CallQueued) -> None:
        h, caller = ev.handoff, ev.caller
        self.conn.execute(
            "INSERT INTO handoffs (call_id, handoff_id, queue, reason, priority, priority_level, "
            "vip, tier, caller_number, caller_name, callback_number, summary, transcript, "
            "consulted, queued_at, intent, intent_confidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ev.call_id, h.request_id, h.queue, h.reason, str(h.priority),
             priority_level(h.priority), int(is_vip(caller)),
             str(caller.get("tier") or ""), str(caller.get("number") or ""),
             str(caller.get("name") or ""), ev.number, h.summary,
             _json(list(h.transcript)), _json(list(h.consulted)), ev.at, ev.intent,
             ev.intent_confidence))
        rows = [(ev.call_id, kind, i, f.name, f.type, _json(f.value), int(f.sensitive))
                for kind, fields in (("context", h.context), ("slot", h.slots))
                for i, f in enumerate(fields)]
        self.conn.executemany("INSERT INTO handoff_fields VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _command(self, c: C.Command) -> None:
        run = self.conn.execute
        path = _PATH.get(c.type)
        if path is not None:
            run("INSERT INTO queue_events (call_id, queue, kind, detail, at) "
                "VALUES (?, ?, ?, ?, ?)", (*path(c), c.at))
        if isinstance(c, C.AgentStateChanged):
            run("INSERT INTO agent_states (agent_id, state, reason, at) VALUES (?, ?, ?, ?)",
                (c.agent, c.state, c.reason, c.at))
        elif isinstance(c, C.Offer):
            run("INSERT INTO offers (offer_id, call_id, agent_id, queue, kind, offered_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (c.offer_id, c.call_id, c.agent, c.queue, c.kind, c.at, c.expires_at))
        elif isinstance(c, C.RescindOffer | C.Bridge):
            outcome = "accepted" if isinstance(c, C.Bridge) else c.reason
            self._end_offer(c.offer_id, c.at, outcome)
        elif isinstance(c, C.ConnectFailed):
            # The offer was accepted, but the agent's phone never took the call.
            run("UPDATE offers SET outcome = 'bridge_failed' WHERE id = (SELECT MAX(id) FROM "
                "offers WHERE offer_id = ? AND call_id = ?)", (c.offer_id, c.call_id))
        elif isinstance(c, C.CallbackScheduled):
            run("INSERT INTO callbacks (call_id, queue, number, reason, requested_at) "
                "VALUES (?, ?, ?, ?, ?)", (c.call_id, c.queue, c.number, c.reason, c.at))
        elif isinstance(c, C.Originate):
            run("UPDATE callbacks SET attempts = ? WHERE call_id = ?", (c.attempt, c.call_id))
        elif isinstance(c, C.CallbackFinished):
            run("UPDATE callbacks SET outcome = ?, ended_at = ?, attempts = ? WHERE call_id = ?",
                ("kept" if c.kept else "failed", c.at, c.attempts, c.call_id))
            if c.kept:  # the reserved agent's offer ends with the customer answering
                run("UPDATE offers SET ended_at = ?, outcome = 'answered' WHERE id = (SELECT "
                    "MAX(id) FROM offers WHERE call_id = ? AND ended_at IS NULL)",
                    (c.at, c.call_id))
        elif isinstance(c, C.WrapUpStarted):
            run("INSERT INTO wrap_ups (call_id, agent_id, queue, started_at) VALUES "
                "(?, ?, ?, ?)", (c.call_id, c.agent, c.queue, c.at))
        elif isinstance(c, C.WrapUpEnded):
            run("UPDATE wrap_ups SET ended_at = ?, disposition = ?, notes = ?, timed_out = ? "
                "WHERE id = (SELECT MAX(id) FROM wrap_ups WHERE agent_id = ? AND call_id = ? "
                "AND ended_at IS NULL)",
                (c.at, c.disposition, c.notes, int(c.timed_out), c.agent, c.call_id))

    def _end_offer(self, offer_id: str, at: float, outcome: str) -> None:
        # Offer ids restart with a new router: the open one with this id is the one meant.
        self.conn.execute(
            "UPDATE offers SET ended_at = ?, outcome = ? WHERE id = (SELECT MAX(id) FROM "
            "offers WHERE offer_id = ? AND ended_at IS NULL)", (at, outcome, offer_id))

    # --- reading --------------------------------------------------------------------------

    def handoff(self, call_id: str, reveal: bool = False) -> dict[str, Any] | None:
        """A handoff as the agent's screen needs it; sensitive values masked unless `reveal`
        (for a role that may see them)."""
        self.conn.row_factory = sqlite3.Row
        try:
            row = self.conn.execute("SELECT * FROM handoffs WHERE call_id = ?",
                                    (call_id,)).fetchone()
            if row is None:
                return None
            out = dict(row)
            out["transcript"] = json.loads(out["transcript"])
            out["consulted"] = json.loads(out["consulted"])
            out["context"], out["slots"] = [], []
            for f in self.conn.execute("SELECT * FROM handoff_fields WHERE call_id = ? "
                                       "ORDER BY kind, position", (call_id,)):
                value = json.loads(f["value"])
                out["context" if f["kind"] == "context" else "slots"].append({
                    "name": f["name"], "type": f["type"], "sensitive": bool(f["sensitive"]),
                    "value": MASK if f["sensitive"] and not reveal else value})
            return out
        finally:
            self.conn.row_factory = None

    def path(self, call_id: str) -> list[tuple[str, str, float, str]]:
        """(queue, kind, at, detail) of a call's queue events, in order."""
        return self.conn.execute(
            "SELECT queue, kind, at, detail FROM queue_events WHERE call_id = ? ORDER BY id",
            (call_id,)).fetchall()

    def previous_calls(self, number: str, before: float, exclude: str = "",
                       limit: int = 5) -> list[dict[str, Any]]:
        """The caller's earlier handoffs, newest first: when, where, why, how the wait ended,
        and the agent's disposition and notes (for the screen pop)."""
        if not number:
            return []
        rows = self.conn.execute(_PREVIOUS, {"number": number, "before": before,
                                             "exclude": exclude, "limit": limit})
        keys = ("call_id", "queue", "reason", "queued_at", "outcome", "ended_at", "agent",
                "disposition", "notes")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def kpis(self, start: float, end: float, threshold_s: float = 20.0,
             queue: str | None = None) -> Kpis:
        return kpis(self.conn, start, end, threshold_s, queue)

    # --- voicemails -----------------------------------------------------------------------

    def add_voicemail(self, call_id: str, path: Path, duration_s: float, at: float) -> int:
        """A voicemail `call_id`'s caller left (`path`: the WAV on this host); its queue is
        the one the call left for voicemail, its caller the hand-off's. Returns its id."""
        with _transaction(self.conn):
            row = self.conn.execute(
                "SELECT COALESCE((SELECT queue FROM queue_events WHERE call_id = :c AND "
                "kind = 'voicemail' ORDER BY id DESC LIMIT 1), h.queue, ''), "
                "COALESCE(h.caller_number, '') FROM (SELECT 1) LEFT JOIN handoffs AS h "
                "ON h.call_id = :c", {"c": call_id}).fetchone()
            cursor = self.conn.execute(
                "INSERT INTO voicemails (call_id, queue, caller_number, left_at, duration_s, "
                "path) VALUES (?, ?, ?, ?, ?, ?)",
                (call_id, row[0], row[1], at, duration_s, str(path)))
        return int(cursor.lastrowid or 0)

    def voicemails(self, queues: Iterable[str] | None = None,
                   limit: int = 100) -> list[dict[str, Any]]:
        """Voicemails, those nobody handled first, then newest first; only `queues`' if
        given."""
        where, args = "", []
        if queues is not None:
            names = list(queues)
            if not names:
                return []
            where = f"WHERE queue IN ({', '.join('?' * len(names))})"
            args = names
        rows = self.conn.execute(
            f"SELECT {_VOICEMAIL} FROM voicemails {where} "
            "ORDER BY handled_at IS NOT NULL, left_at DESC, id DESC LIMIT ?", (*args, limit))
        return [_voicemail(row) for row in rows]

    def voicemail(self, voicemail_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {_VOICEMAIL} FROM voicemails WHERE id = ?",
                                (voicemail_id,)).fetchone()
        return _voicemail(row) if row else None

    def set_voicemail_handled(self, voicemail_id: int, by: str | None, at: float) -> None:
        """Mark it handled by `by` at `at`, or open again (`by` None)."""
        self.conn.execute("UPDATE voicemails SET handled_by = ?, handled_at = ? WHERE id = ?",
                          (by, at if by is not None else None, voicemail_id))


_VOICEMAIL_KEYS = ("id", "call_id", "queue", "caller_number", "left_at", "duration_s", "path",
                   "handled_at", "handled_by")
_VOICEMAIL = ", ".join(_VOICEMAIL_KEYS)


def _voicemail(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_VOICEMAIL_KEYS, row, strict=True))


_PREVIOUS = f"""
SELECT h.call_id, h.queue, h.reason, h.queued_at, e.kind, e.at, w.agent_id,
       COALESCE(w.disposition, ''), COALESCE(w.notes, '')
FROM handoffs AS h
LEFT JOIN queue_events AS e ON e.id = (
    SELECT MAX(id) FROM queue_events WHERE call_id = h.call_id
    AND kind IN ({", ".join(f"'{k}'" for k in (*WAIT_ENDS, "bridge_failed"))}))
LEFT JOIN wrap_ups AS w ON w.id = (SELECT MAX(id) FROM wrap_ups WHERE call_id = h.call_id)
WHERE h.caller_number = :number AND h.queued_at < :before AND h.call_id != :exclude
ORDER BY h.queued_at DESC
LIMIT :limit
"""


class _transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _json(value: Any) -> str:
    # Values come from web services and hooks: anything JSON can't hold is kept as text.
    return json.dumps(value, ensure_ascii=False, default=str)
