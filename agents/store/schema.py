"""The database schema, as numbered migrations applied in order.

The version lives in SQLite's `PRAGMA user_version`. Each migration runs in one transaction
together with the version bump, so a database is always at exactly one version. Never edit a
migration that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

V1 = """
-- One row per call handed to the queues: what the agent's screen shows.
CREATE TABLE handoffs (
    call_id TEXT PRIMARY KEY,       -- the switch's call id: unique per deployment
    handoff_id TEXT NOT NULL,       -- the runtime's request id
    queue TEXT NOT NULL,            -- the queue the flow named
    reason TEXT NOT NULL,
    priority TEXT NOT NULL,         -- as the flow gave it: low | normal | high | urgent | 1-10
    priority_level INTEGER NOT NULL,
    vip INTEGER NOT NULL,
    tier TEXT NOT NULL,
    caller_number TEXT NOT NULL,
    caller_name TEXT NOT NULL,
    callback_number TEXT NOT NULL,
    summary TEXT NOT NULL,
    transcript TEXT NOT NULL,       -- JSON: the bot conversation, turn by turn
    consulted TEXT NOT NULL,        -- JSON: knowledge articles used
    queued_at REAL NOT NULL
);

-- The handoff's typed context and slots. Sensitive values are stored (an agent whose role
-- allows may see them) and marked, so every reader masks them by default.
CREATE TABLE handoff_fields (
    call_id TEXT NOT NULL REFERENCES handoffs (call_id),
    kind TEXT NOT NULL CHECK (kind IN ('context', 'slot')),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL,            -- JSON
    sensitive INTEGER NOT NULL CHECK (sensitive IN (0, 1)),
    PRIMARY KEY (call_id, kind, position)
);

-- A call's path through the queues. Every call has exactly one event that ends its wait:
-- answered | abandoned | voicemail | disconnected | callback_requested (detail: who chose).
CREATE TABLE queue_events (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_events_by_time ON queue_events (at, kind);
CREATE INDEX queue_events_by_call ON queue_events (call_id);

CREATE TABLE offers (
    id INTEGER PRIMARY KEY,
    offer_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'callback')),
    offered_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL,                  -- NULL while it rings
    outcome TEXT                    -- accepted | answered | the reason it was withdrawn
);
CREATE INDEX offers_by_offer ON offers (offer_id);
CREATE INDEX offers_by_agent ON offers (agent_id, offered_at);

CREATE TABLE wrap_ups (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    disposition TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    timed_out INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX wrap_ups_by_end ON wrap_ups (ended_at);

CREATE TABLE callbacks (
    call_id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    number TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('caller', 'max_wait')),
    requested_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'kept', 'failed')),
    ended_at REAL
);

CREATE TABLE agent_states (
    id INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX agent_states_by_agent ON agent_states (agent_id, at);
"""

V2 = """
-- What the caller last asked for, as the NLU understood it (the screen pop shows it).
ALTER TABLE handoffs ADD COLUMN intent TEXT NOT NULL DEFAULT '';
ALTER TABLE handoffs ADD COLUMN intent_confidence REAL;
-- A caller's previous calls on the agent's screen.
CREATE INDEX handoffs_by_caller ON handoffs (caller_number, queued_at);
-- A call's wrap-up and offers (previous calls, and closing a wrap-up) without a table scan.
CREATE INDEX wrap_ups_by_call ON wrap_ups (call_id);
CREATE INDEX offers_by_call ON offers (call_id);

-- The people who sign in to the agent desktop and the supervisor view.
CREATE TABLE users (
    id TEXT PRIMARY KEY,            -- the sign-in name, also the router's agent id
    name TEXT NOT NULL,             -- shown on screens
    role TEXT NOT NULL CHECK (role IN ('agent', 'senior', 'supervisor')),
    skills TEXT NOT NULL DEFAULT '{}',  -- JSON: skill -> level 1..10
    endpoint TEXT NOT NULL DEFAULT '',  -- where the switch bridges their calls (user/1001)
    password_hash TEXT NOT NULL,    -- scrypt$n$r$p$salt$hash (agents/users.py); never the password
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at REAL NOT NULL
);

-- Signed-in browsers. Only a hash of the token is kept: the table cannot be used to sign in.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
"""

V3 = """
-- Voicemails callers left while waiting (queue mode): the recording on voxflow's host and
-- the hand-off it belongs to (handoffs.call_id: reason, caller, summary). Agents of the queue
-- and supervisors list, play and mark them handled. `path` is written by voxflow only: the web
-- app serves a voicemail's file by its id, never a path a client names.
CREATE TABLE voicemails (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,
    queue TEXT NOT NULL,            -- the queue the caller left it from (after any overflow)
    caller_number TEXT NOT NULL,
    left_at REAL NOT NULL,
    duration_s REAL NOT NULL,
    path TEXT NOT NULL,             -- absolute path of the WAV
    handled_at REAL,                -- NULL while nobody has dealt with it
    handled_by TEXT                 -- users.id
);
CREATE INDEX voicemails_by_time ON voicemails (left_at);
CREATE INDEX voicemails_by_queue ON voicemails (queue, left_at);
"""

MIGRATIONS: tuple[tuple[int, str], ...] = ((1, V1), (2, V2), (3, V3))


class SchemaError(Exception):
    """The database cannot be used by this version of voxflow."""


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection,
            migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> int:
    """Bring the database to the latest version; returns it. `conn` must be in autocommit
    mode (`isolation_level=None`), as each step manages its own transaction."""
    numbers = [n for n, _ in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise SchemaError(f"migrations must be numbered 1, 2, 3...; got {numbers}")
    current, latest = version(conn), len(migrations)
    if current > latest:
        raise SchemaError(f"the database is at schema version {current}, newer than this "
                          f"voxflow knows ({latest}); upgrade voxflow or use another file")
    for number, sql in migrations[current:]:
        try:
            # One script, one transaction: the tables and the version bump land together.
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise SchemaError(f"migration {number} failed: {exc}") from exc
    return latest
