"""The SQLite store (real files): migrations, handoffs with sensitive values marked, the
records of a day on the floor, and the KPIs computed from them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.store import Store, day_window
from agents.store.schema import MIGRATIONS, SchemaError, migrate, version
from tests.agents.floor import T0, Floor, one, spec


def test_a_new_file_gets_the_latest_schema_and_reopening_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "agents.db"
    with Store(db) as store:
        assert store.version == len(MIGRATIONS)
        tables = {r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"handoffs", "handoff_fields", "queue_events", "offers", "wrap_ups",
                "callbacks", "agent_states"} <= tables
    with Store(db) as store:
        assert store.version == len(MIGRATIONS)


def test_migrations_apply_in_order_and_only_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    first = ((1, "CREATE TABLE a (x INTEGER);"),)
    assert migrate(conn, first) == 1
    second = (*first, (2, "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z TEXT);"))
    assert migrate(conn, second) == 2
    assert migrate(conn, second) == 2  # nothing left to do
    assert [r[1] for r in conn.execute("PRAGMA table_info(a)")] == ["x", "y"]


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    migrate(conn, ((1, "CREATE TABLE a (x INTEGER);"),))
    broken = ((1, ""), (2, "CREATE TABLE b (z TEXT); CREATE TABLE a (x INTEGER);"))
    with pytest.raises(SchemaError, match="migration 2 failed"):
        migrate(conn, broken)
    assert version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'").fetchone() is None


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaError, match="newer"):
        migrate(conn)
    with pytest.raises(SchemaError, match="numbered"):
        migrate(conn, ((2, ""),))


def test_handoff_context_is_stored_with_sensitive_values_marked(tmp_path: Path) -> None:
    floor = Floor([spec("general")], db=tmp_path / "a.db")
    floor.call("c", at=0, name="Dana", tier="gold", vip=True)
    assert floor.store is not None
    masked = floor.store.handoff("c")
    assert masked is not None
    assert (masked["queue"], masked["handoff_id"], masked["vip"], masked["tier"]) == (
        "general", "h-c", 1, "gold")
    assert masked["context"] == [
        {"name": "account", "type": "digits", "sensitive": True, "value": "[redacted]"},
        {"name": "reason", "type": "text", "sensitive": False, "value": "bill"}]
    revealed = floor.store.handoff("c", reveal=True)
    assert revealed is not None and revealed["context"][0]["value"] == "12345678"
    raw = floor.store.conn.execute(
        "SELECT value, sensitive FROM handoff_fields WHERE name = 'account'").fetchone()
    assert raw == ('"12345678"', 1)  # stored, and marked
    assert floor.store.handoff("nobody") is None


def test_a_rejected_handoff_is_a_queue_event_not_a_handoff(tmp_path: Path) -> None:
    floor = Floor([spec("general")], db=tmp_path / "a.db")
    floor.call("c", "nowhere", at=0)
    assert floor.store is not None
    assert floor.store.handoff("c") is None
    assert [kind for _, kind, _, _ in floor.store.path("c")] == ["rejected"]


def day_on_the_floor(db: Path) -> Floor:
    """One agent, 20-second service level threshold; a mix of every way a wait ends:
    answered in 5 s and in 50 s, abandoned, voicemail by max wait, a callback kept."""
    floor = Floor([spec("general", max_wait_s=600, max_wait_then="voicemail")],
                  RouterConfig(wrap_up_s=60), db=db)
    floor.login("ann", at=0)
    floor.call("busy", at=0)  # answered at once (wait 0)
    floor.accept(floor.log[-1], at=0)
    floor.call("fast", at=95)  # answered at 100: wait 5
    floor.call("slow", at=96)  # answered at 146: wait 50
    floor.call("leaver", at=97)  # hangs up at 120: abandoned
    floor.call("patient", at=98)  # takes a callback at 130
    floor.call("forgotten", at=99)  # rings ann as she goes to lunch; voicemail at 699
    floor.hang_up("busy", at=100)
    floor.wrap("ann", at=100, disposition="info")  # handle: 100 s
    floor.accept(one(floor.log[-3:], C.Offer), at=100)  # fast
    floor.hang_up("leaver", at=120)
    floor.send(E.CallbackAccepted(at=floor.at(130), call_id="patient"))
    floor.hang_up("fast", at=140)
    out = floor.wrap("ann", at=146, disposition="fixed", notes="reset router")  # handle 46
    floor.accept(one(out, C.Offer), at=146)  # slow
    floor.hang_up("slow", at=200)
    out = floor.tick(260)  # wrap-up times out (60 s): handle 114; the callback's turn
    originate = one(out, C.Originate)
    floor.send(E.OriginateResult(at=floor.at(270), offer_id=originate.offer_id,
                                 answered=True))
    floor.hang_up("patient", at=330)
    floor.wrap("ann", at=340)  # handle 70
    floor.send(E.AgentNotReady(at=floor.at(341), agent="ann", reason="lunch"))
    floor.tick(700)
    return floor


def test_the_records_of_a_day(tmp_path: Path) -> None:
    floor = day_on_the_floor(tmp_path / "day.db")
    store = floor.store
    assert store is not None
    kinds = [kind for _, kind, _, _ in store.path("patient")]
    assert kinds == ["queued", "callback_requested", "callback_kept", "completed"]
    assert [k for _, k, _, _ in store.path("forgotten")] == ["queued", "voicemail"]
    offers = store.conn.execute("SELECT call_id, kind, outcome FROM offers ORDER BY id").fetchall()
    assert offers == [("busy", "call", "accepted"), ("fast", "call", "accepted"),
                      ("slow", "call", "accepted"), ("patient", "callback", "answered"),
                      ("forgotten", "call", "agent_not_ready")]  # ann went to lunch
    wraps = store.conn.execute(
        "SELECT call_id, disposition, notes, timed_out FROM wrap_ups ORDER BY id").fetchall()
    assert wraps == [("busy", "info", "", 0), ("fast", "fixed", "reset router", 0),
                     ("slow", "", "", 1), ("patient", "resolved", "", 0)]
    callbacks = store.conn.execute("SELECT call_id, reason, attempts, outcome FROM callbacks")
    assert callbacks.fetchall() == [("patient", "caller", 1, "kept")]
    states = store.conn.execute("SELECT state, reason FROM agent_states WHERE agent_id = 'ann' "
                                "ORDER BY id DESC LIMIT 1").fetchone()
    assert states == ("not_ready", "lunch")


def test_kpis_from_the_records(tmp_path: Path) -> None:
    floor = day_on_the_floor(tmp_path / "day.db")
    assert floor.store is not None
    start, end = day_window(T0, "UTC")
    k = floor.store.kpis(start, end, threshold_s=20)
    # waits ended: busy 0 s, fast 5 s, slow 50 s answered; leaver abandoned; patient chose a
    # callback; forgotten reached max wait
    assert (k.waits_ended, k.answered, k.answered_within, k.abandoned) == (6, 3, 2, 1)
    assert (k.max_wait_reached, k.chose_callback, k.chose_voicemail) == (1, 1, 0)
    assert k.service_level == 2 / 5  # 2 within 20 s of 3 answered + 1 abandoned + 1 max wait
    assert k.asa_s == pytest.approx((0 + 5 + 50) / 3)
    assert k.abandonment_rate == 1 / 6
    assert k.handled == 4
    assert k.aht_s == pytest.approx((100 + 46 + 114 + 70) / 4)
    assert (k.callbacks_kept, k.callbacks_failed, k.callbacks_kept_rate) == (1, 0, 1.0)
    # another day, or a queue nobody used: nothing to measure, no made-up zeros
    empty = floor.store.kpis(end, end + 86400)
    assert (empty.service_level, empty.asa_s, empty.abandonment_rate, empty.aht_s,
            empty.callbacks_kept_rate) == (None, None, None, None, None)
    assert floor.store.kpis(start, end, queue="billing").waits_ended == 0


def test_day_window_follows_the_local_day() -> None:
    start, end = day_window(T0, "UTC")  # 2026-11-18 13:00 UTC
    assert (start, end) == (T0 - 13 * 3600, T0 + 11 * 3600)
    start, end = day_window(T0, "America/New_York")  # 08:00 there
    assert (start, end) == (T0 - 8 * 3600, T0 + 16 * 3600)
    # 2026-03-08, the day New York moves its clocks forward, has 23 hours
    dst_day = 1_772_971_200.0 + 12 * 3600
    start, end = day_window(dst_day, "America/New_York")
    assert end - start == 23 * 3600
