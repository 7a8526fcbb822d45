"""The agent desktop's server: the real web app over a real SQLite file, through HTTP and
WebSockets (aiohttp's test client). Time moves only when a test says (`ManualClock`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from agents.service import ServiceConfig
from agents.store import day_window
from agents.store.schema import V1, migrate
from tests.agents.floor import T0
from tests.agents.web_rig import ACCOUNT, CALLER, PASSWORD, Rig, handoff, run

# --- signing in -----------------------------------------------------------------------------


def test_sign_in_failures_say_what_went_wrong(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.add("old")
            rig.users.set_disabled("old", True)
            c = await rig.client()

            async def sign_in(body: object, **kw: object) -> tuple[int, dict[str, str]]:
                resp = await c.post("/api/sign-in", json=body, **kw)  # type: ignore[arg-type]
                return resp.status, await resp.json()

            assert await sign_in({"user": "", "password": ""}) == (
                400, {"error": "Enter your user name and your password."})
            wrong = "The user name or the password is wrong. Check both and try again."
            assert await sign_in({"user": "kim", "password": "nope-nope"}) == (
                401, {"error": wrong})
            # an unknown name gets the same answer: no way to find out who exists
            assert await sign_in({"user": "nobody", "password": PASSWORD}) == (
                401, {"error": wrong})
            assert await sign_in({"user": "old", "password": PASSWORD}) == (
                403, {"error": "This account is disabled. Ask your supervisor."})
            resp = await c.post("/api/sign-in", data="user=kim&password=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert resp.status == 415
            resp = await c.post("/api/sign-in", json={"user": "kim", "password": PASSWORD},
                                headers={"Origin": "http://evil.example"})
            assert (resp.status, await resp.json()) == (
                403, {"error": "Cross-site requests are not allowed."})
            for _ in range(4):  # five failures in all for kim: then a pause
                await sign_in({"user": "kim", "password": "still-wrong"})
            resp = await c.post("/api/sign-in", json={"user": "kim", "password": PASSWORD})
            assert resp.status == 429
            assert "Too many failed sign-ins for kim" in (await resp.json())["error"]
            assert int(resp.headers["Retry-After"]) > 0
            rig.clock.advance(301)  # the window passes: the right password works again
            resp = await c.post("/api/sign-in", json={"user": "Kim ", "password": PASSWORD})
            assert resp.status == 200
            assert (await resp.json())["user"] == {"id": "kim", "name": "Kim", "role": "agent"}
            cookie = resp.cookies["voxflow_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
            token = cookie.value
            assert (await (await c.get("/api/me")).json())["user"]["id"] == "kim"
            stored = rig.store.conn.execute("SELECT token_hash FROM web_sessions").fetchall()
            assert stored and all(token not in row[0] for row in stored)
            hashes = rig.store.conn.execute("SELECT password_hash FROM users").fetchall()
            assert all(h[0].startswith("scrypt$") and PASSWORD not in h[0] for h in hashes)
            # signed out: the token no longer works
            await c.post("/api/sign-out", json={})
            bearer = await rig.client()
            auth = {"Authorization": f"Bearer {token}"}
            resp = await bearer.get("/api/me", headers=auth)
            assert (resp.status, await resp.json()) == (200, {"user": None})
            resp = await bearer.post("/api/agent/state", json={"state": "available"},
                                     headers=auth)
            assert (resp.status, await resp.json()) == (
                401, {"error": "You are signed out. Sign in again."})
            assert PASSWORD not in caplog.text and token not in caplog.text

    run(go)


@pytest.mark.parametrize("secure", [True, False])
def test_the_session_cookie_is_secure_when_asked(tmp_path: Path, secure: bool) -> None:
    async def go() -> None:
        async with Rig(tmp_path, secure_cookies=secure) as rig:
            rig.add("kim")
            c = await rig.client()
            resp = await c.post("/api/sign-in", json={"user": "kim", "password": PASSWORD})
            assert resp.status == 200
            (header,) = resp.headers.getall("Set-Cookie")
            flags = [part.strip().lower() for part in header.split(";")[1:]]
            assert ("secure" in flags) is secure
            assert "httponly" in flags and "samesite=strict" in flags

    run(go)


@pytest.mark.parametrize("flag", [True, False])
def test_voxflow_serve_agents_takes_secure_cookies(tmp_path: Path, flag: bool) -> None:
    """`voxflow serve BOT --agents HOST:PORT [--secure-cookies]`: the flag reaches the app."""
    import argparse

    import aiohttp

    from media_bridge.cli import _start_agents, add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["serve", "bots/acme", "--agents", "127.0.0.1:0"]
                             + (["--secure-cookies"] if flag else []))
    assert args.secure_cookies is flag

    async def go() -> None:
        rig = Rig(tmp_path)  # its service, over a real SQLite file
        rig.add("kim")
        runner = await _start_agents(args, rig.service)
        try:
            host, port = runner.addresses[0][:2]
            async with aiohttp.ClientSession() as http:
                resp = await http.post(f"http://{host}:{port}/api/sign-in",
                                       json={"user": "kim", "password": PASSWORD})
                assert resp.status == 200
                flags = [part.strip().lower()
                         for part in resp.headers["Set-Cookie"].split(";")[1:]]
        finally:
            await runner.cleanup()
            rig.store.close()
        assert ("secure" in flags) is flag

    run(go)


def test_roles_keep_to_their_pages(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.add("sue", role="supervisor")
            kim = await rig.signed_in("kim")
            resp = await kim.get("/api/supervisor/snapshot")
            assert (resp.status, await resp.json()) == (
                403, {"error": "Only supervisors can do this."})
            sue = await rig.signed_in("sue")
            resp = await sue.post("/api/agent/state", json={"state": "available"})
            assert (resp.status, await resp.json()) == (403, {"error": "Only agents can do this."})
            anon = await rig.client()
            assert (await anon.get("/api/supervisor/snapshot")).status == 401
            ws_resp = await anon.get("/api/ws")
            assert ws_resp.status == 401

    run(go)


# --- offers, the screen pop and masking -----------------------------------------------------


def test_an_offer_arrives_with_its_screen_pop_masked_for_an_agent(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim", name="Kim Lee")
            kim = await rig.desk("kim")
            assert (kim.hello["state"], kim.hello["reason"]) == ("not_ready", "login")
            assert kim.hello["reveal"] is False
            assert "resolved" in [d["code"] for d in kim.hello["dispositions"]]
            await kim.post("/api/agent/state", {"state": "available"})
            assert (await kim.next("state"))["state"] == "available"
            rig.clock.advance(3)
            result = await rig.service.handoff("call-1", handoff(), CALLER,
                                               intent="complaint", intent_confidence=0.91)
            assert (result.queued, result.offered_to) == (True, "kim")
            offer = await kim.next("offer")
            screen = offer["screen"]
            assert offer["offer"]["queue"] == "complaints"
            assert offer["offer"]["expires_at"] == T0 + 3 + 20
            assert screen["caller"] == {"number": "+15550142", "name": "Sam Ortiz",
                                        "tier": "gold", "vip": True,
                                        "callback_number": "+15550142"}
            assert screen["intent"] == {"name": "complaint", "confidence": 0.91}
            assert screen["reason"] == "complaint"
            assert screen["context"][0] == {"name": "account", "type": "digits",
                                            "sensitive": True, "masked": True,
                                            "value": "[redacted]"}
            assert screen["context"][1]["value"] == "+15550142"
            assert screen["summary"] == "Sam called to complain about account [redacted]."
            steps = [(t["who"], t["step"]) for t in screen["transcript"]]
            assert steps == [("bot", "main_menu"), ("caller", "balance"), ("bot", "balance"),
                             ("caller", "main_menu")]
            assert screen["transcript"][2]["text"] == "That's [redacted]. Is that right?"
            assert screen["consulted"][0]["source"] == "acme-help/complaints.md"
            # The unmasked value never went down the agent's socket, in any form.
            assert not any(ACCOUNT in raw or "8 7 6 5 4 3 2 1" in raw for raw in kim.raw)
            resp = await kim.client.get("/api/calls/call-1")
            assert ACCOUNT not in await resp.text()

    run(go)


def test_a_senior_agent_sees_sensitive_values(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("ana", role="senior")
            ana = await rig.desk("ana")
            assert ana.hello["reveal"] is True
            await ana.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            screen = (await ana.next("offer"))["screen"]
            assert screen["context"][0]["value"] == ACCOUNT
            assert screen["context"][0]["masked"] is False
            assert ACCOUNT in screen["summary"]
            assert screen["intent"] is None

    run(go)


def test_accept_bridges_the_caller_with_the_handoff_id(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            offer = (await kim.next("offer"))["offer"]
            rig.clock.advance(4)
            await kim.post(f"/api/offers/{offer['offer_id']}/accept")
            connected = await kim.next("connected")
            assert connected["call"]["call_id"] == "call-1"
            await rig.service.idle()
            (bridge,) = rig.switch.sent("bridge")
            assert (bridge.call_id, bridge.agent, bridge.endpoint) == ("call-1", "kim",
                                                                      "user/kim")
            assert bridge.variables()["voxflow_handoff_id"] == "handoff-1"
            row = rig.store.conn.execute("SELECT outcome, ended_at FROM offers").fetchone()
            assert row == ("accepted", T0 + 4)
            # accepting it again (or someone else's offer) is refused clearly
            resp = await kim.client.post(f"/api/offers/{offer['offer_id']}/accept", json={})
            assert resp.status == 409
            assert "no longer offered to you" in (await resp.json())["error"]

    run(go)


def test_decline_re_offers_to_the_next_agent_and_timeouts_too(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            for name in ("kim", "lou"):
                rig.add(name)
            kim, lou = await rig.desk("kim"), await rig.desk("lou")
            await kim.post("/api/agent/state", {"state": "available"})
            rig.clock.advance(1)
            await lou.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            first = (await kim.next("offer"))["offer"]  # kim has been idle longest
            resp = await lou.client.post(f"/api/offers/{first['offer_id']}/accept", json={})
            assert resp.status == 409  # not lou's offer
            await kim.post(f"/api/offers/{first['offer_id']}/decline")
            assert (await kim.next("offer_ended"))["reason"] == "declined"
            second = (await lou.next("offer"))["offer"]
            assert second["call_id"] == "call-1"
            rig.clock.advance(20)  # lou lets it ring out: back to kim
            assert (await lou.next("offer_ended"))["reason"] == "no_answer"
            third = (await kim.next("offer"))["offer"]
            assert third["call_id"] == "call-1"
            rows = rig.store.conn.execute(
                "SELECT agent_id, outcome FROM offers ORDER BY id").fetchall()
            assert rows == [("kim", "declined"), ("lou", "no_answer"), ("kim", None)]

    run(go)


def test_the_caller_hanging_up_withdraws_the_offer(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            await kim.next("offer")
            rig.service.hung_up("call-1")
            assert (await kim.next("offer_ended"))["reason"] == "caller_hung_up"
            assert (await kim.next("state"))["state"] == "available"

    run(go)


# --- calls end, wrap-up ---------------------------------------------------------------------


def test_end_call_then_wrap_up_with_a_disposition(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            bad = await kim.post("/api/wrap-up", {"disposition": "resolved"}, status=409)
            assert bad == {"error": "You are not wrapping up a call."}
            await rig.service.handoff("call-1", handoff(), CALLER)
            offer = (await kim.next("offer"))["offer"]
            await kim.post(f"/api/offers/{offer['offer_id']}/accept")
            await kim.next("connected")
            rig.clock.advance(90)
            await kim.post("/api/call/end")
            assert rig.switch.sent("hangup") == ["call-1"]
            await kim.next("call_ended")
            wrap = await kim.next("wrap_up")
            assert wrap["until"] == T0 + 90 + 60
            bad = await kim.post("/api/wrap-up", {"disposition": "made-up"}, status=400)
            assert bad == {"error": "Choose a disposition from the list."}
            rig.clock.advance(15)
            await kim.post("/api/wrap-up", {"disposition": "complaint_logged",
                                            "notes": "Engineer missed the visit; rebooked."})
            await kim.next("wrap_up_ended")
            assert (await kim.next("state"))["state"] == "available"
            row = rig.store.conn.execute(
                "SELECT call_id, agent_id, disposition, notes, timed_out, ended_at - started_at "
                "FROM wrap_ups").fetchone()
            assert row == ("call-1", "kim", "complaint_logged",
                           "Engineer missed the visit; rebooked.", 0, 15.0)
            k = rig.store.kpis(*day_window(T0))
            assert (k.answered, k.handled, k.aht_s) == (1, 1, 105.0)

    run(go)


def test_a_phone_that_does_not_answer_puts_the_caller_back_for_the_next_agent(
        tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.add("lou")
            rig.switch.no_answer.add("user/kim")
            kim, lou = await rig.desk("kim"), await rig.desk("lou")
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            offer = (await kim.next("offer"))["offer"]
            await kim.post(f"/api/offers/{offer['offer_id']}/accept")
            await kim.next("connected")
            failed = await kim.next("call_failed")
            assert (failed["call_id"], failed["reason"]) == ("call-1", "Phone did not answer")
            assert "back in the queue" in failed["text"]
            state = await kim.next("state")
            assert (state["state"], state["reason"]) == ("not_ready", "Phone did not answer")
            # the caller side is told too: the switch plays it to the waiting caller
            await rig.service.idle()
            (told,) = rig.switch.sent("connect_failed")
            assert (told.call_id, told.agent, told.cause) == ("call-1", "kim", "NO_ANSWER")
            assert rig.service.router.call_state("call-1") == "waiting"
            assert rig.service.snapshot()["today"]["answered"] == 0
            # a desktop opened again shows no call
            again = await rig.desk("kim")
            assert again.hello["call"] is None and again.hello["state"] == "not_ready"
            # lou goes available: the caller, still first, is offered to lou and bridged
            await lou.post("/api/agent/state", {"state": "available"})
            second = (await lou.next("offer"))["offer"]
            assert second["call_id"] == "call-1"
            await lou.post(f"/api/offers/{second['offer_id']}/accept")
            await lou.next("connected")
            await rig.service.idle()
            assert [b.endpoint for b in rig.switch.sent("bridge")] == ["user/kim", "user/lou"]
            k = rig.store.kpis(*day_window(T0))
            assert (k.answered, k.waits_ended) == (1, 1)

    run(go)


def test_a_refused_bridge_command_tells_the_agent_and_the_caller_waits_again(
        tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.switch.fail_bridge = "the switch refused to transfer the caller to user/kim"
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            offer = (await kim.next("offer"))["offer"]
            await kim.post(f"/api/offers/{offer['offer_id']}/accept")
            notice = await kim.next("notice")
            assert notice["level"] == "error" and "refused to transfer" in notice["text"]
            assert (await kim.next("call_failed"))["reason"] == "Phone could not be connected"
            assert (await kim.next("state"))["state"] == "not_ready"
            assert rig.service.router.call_state("call-1") == "waiting"
            assert "wrap_up" not in kim.kinds()

    run(go)


def test_a_bridge_to_a_caller_who_is_gone_ends_the_call(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.switch.gone.add("call-1")
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-1", handoff(), CALLER)
            offer = (await kim.next("offer"))["offer"]
            await kim.post(f"/api/offers/{offer['offer_id']}/accept")
            notice = await kim.next("notice")
            assert notice["level"] == "error" and "hung up" in notice["text"]
            await kim.next("wrap_up")
            assert rig.service.router.call_state("call-1") is None

    run(go)


def test_a_closed_desktop_makes_the_agent_not_ready(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            kim = await rig.desk("kim")
            await kim.post("/api/agent/state", {"state": "available"})
            await kim.next("state")
            await kim.ws.close()
            for _ in range(100):
                if rig.service.router.agent_state("kim") != ("available", ""):
                    break
                await asyncio.sleep(0.01)
            assert rig.service.router.agent_state("kim") == ("not_ready", "disconnected")
            # back again: the state is kept, no second login
            again = await rig.desk("kim")
            assert (again.hello["state"], again.hello["reason"]) == ("not_ready",
                                                                     "disconnected")

    run(go)


# --- previous calls -------------------------------------------------------------------------


def test_the_screen_pop_lists_the_callers_previous_calls(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            kim = await rig.desk("kim")
            await rig.service.handoff("old-1", handoff(request_id="h0"), CALLER)
            rig.clock.advance(30)
            rig.service.hung_up("old-1")  # abandoned: nobody was available
            rig.clock.advance(3600)
            await kim.post("/api/agent/state", {"state": "available"})
            await rig.service.handoff("call-2", handoff(request_id="h1"), CALLER)
            screen = (await kim.next("offer"))["screen"]
            (previous,) = screen["previous_calls"]
            assert previous["call_id"] == "old-1"
            assert (previous["outcome"], previous["queue"], previous["queued_at"]) == (
                "abandoned", "complaints", T0)
            assert screen["waited_s"] == 0.0

    run(go)


# --- supervisors ----------------------------------------------------------------------------


def test_the_supervisor_snapshot_matches_the_records(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path, ServiceConfig(snapshot_interval_s=0.0,
                                               service_level_s=20)) as rig:
            rig.add("kim")
            rig.add("sue", role="supervisor", name="Sue Park")
            kim = await rig.desk("kim")
            sue = await rig.desk("sue", first="snapshot")
            assert sue.hello["type"] == "snapshot"  # a supervisor's first push
            await kim.post("/api/agent/state", {"state": "available"})

            async def answer(call_id: str) -> None:
                offer = (await kim.next("offer"))["offer"]
                assert offer["call_id"] == call_id
                await kim.post(f"/api/offers/{offer['offer_id']}/accept")

            async def finish(talk: float, wrap: float) -> None:
                rig.clock.advance(talk)
                await kim.post("/api/call/end")
                rig.clock.advance(wrap)
                await kim.post("/api/wrap-up", {"disposition": "resolved"})

            # a: answered after 5 s; b waits 35 s behind it (outside 20 s); c abandons at 10 s
            await rig.service.handoff("a", handoff(request_id="ha"), CALLER)
            rig.clock.advance(5)
            await answer("a")
            await rig.service.handoff("b", handoff(request_id="hb"), CALLER)
            await rig.service.handoff("c", handoff("general", request_id="hc"), CALLER)
            rig.clock.advance(10)
            rig.service.hung_up("c")
            await finish(talk=20, wrap=5)  # b has waited 35 s
            await answer("b")
            await rig.service.handoff("d", handoff(request_id="hd"), CALLER)  # still waiting
            rig.clock.advance(12)
            snap = await (await sue.client.get("/api/supervisor/snapshot")).json()
            queues = {q["name"]: q for q in snap["queues"]}
            comp, gen = queues["complaints"], queues["general"]
            assert (comp["waiting"], comp["longest_wait_s"], comp["staffed"],
                    comp["available"]) == (1, 12.0, 1, 0)
            assert (comp["today"]["answered"], comp["today"]["answered_within"],
                    comp["today"]["service_level"], comp["today"]["asa_s"]) == (
                2, 1, 0.5, 20.0)
            assert (gen["today"]["abandoned"], gen["today"]["service_level"]) == (1, 0.0)
            start, end = day_window(rig.clock.now())
            for name, q in queues.items():
                k = rig.store.kpis(start, end, 20, name)
                assert q["today"]["service_level"] == k.service_level
                assert q["today"]["answered"] == k.answered
                assert q["today"]["abandoned"] == k.abandoned
            assert snap["today"]["answered"] == 2 and snap["today"]["abandoned"] == 1
            assert snap["today"]["service_level"] == pytest.approx(1 / 3)
            assert snap["today"]["aht_s"] == 35.0  # a: answered at 5, wrapped up at 40
            (kim_row,) = snap["agents"]
            assert (kim_row["id"], kim_row["state"], kim_row["call_id"], kim_row["queue"],
                    kim_row["connected"]) == ("kim", "on_call", "b", "complaints", True)
            assert snap["by_state"]["on_call"] == 1
            # the same arrives pushed on the supervisor's socket
            pushed = await sue.next("snapshot")
            assert {q["name"] for q in pushed["queues"]} == {"complaints", "general"}

    run(go)


def test_a_supervisor_changes_an_agents_state(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")
            rig.add("ghost")
            rig.add("sue", role="supervisor", name="Sue Park")
            kim = await rig.desk("kim")
            sue = await rig.signed_in("sue")

            async def set_state(agent: str, body: dict[str, str], status: int = 200) -> dict:
                resp = await sue.post(f"/api/supervisor/agents/{agent}/state", json=body)
                assert resp.status == status, await resp.text()
                return await resp.json()

            await set_state("kim", {"state": "available"})
            assert (await kim.next("state"))["state"] == "available"
            await set_state("kim", {"state": "not_ready", "reason": "Coaching"})
            state = await kim.next("state")
            assert (state["state"], state["reason"]) == ("not_ready",
                                                         "Coaching (set by Sue Park)")
            notice = await kim.next("notice")
            assert notice["text"] == ("Sue Park changed your state to Not ready: Coaching "
                                      "(set by Sue Park).")
            row = rig.store.conn.execute(
                "SELECT state, reason FROM agent_states WHERE agent_id = 'kim' "
                "ORDER BY id DESC LIMIT 1").fetchone()
            assert row == ("not_ready", "Coaching (set by Sue Park)")
            # an agent whose desktop is closed cannot be made available
            err = await set_state("ghost", {"state": "available"}, status=409)
            assert err == {"error": "Ghost is logged out."}
            err = await set_state("nobody", {"state": "available"}, status=404)
            assert err == {"error": "No such agent."}
            err = await set_state("kim", {"state": "dancing"}, status=400)
            assert "must be available, not_ready" in err["error"]
            await set_state("kim", {"state": "logged_out"})
            assert (await kim.next("state"))["state"] == "logged_out"
            snap = await (await sue.get("/api/supervisor/snapshot")).json()
            states = {a["id"]: a["state"] for a in snap["agents"]}
            assert states == {"ghost": "logged_out", "kim": "logged_out"}
            # the agent can log back in from their desktop
            await kim.post("/api/agent/state", {"state": "logged_in"})
            assert (await kim.next("state"))["reason"] == "login"

    run(go)


# --- voicemails -----------------------------------------------------------------------------


def _voicemail(rig: Rig, tmp_path: Path, call_id: str = "call-1") -> tuple[int, bytes]:
    """A caller of `complaints` who chose voicemail and left one (as queue mode records it)."""
    from media_bridge.protocol import wav_bytes

    wav = wav_bytes(b"\x10\x00" * 8000, 8000)
    path = tmp_path / "recordings" / f"{call_id}-voicemail.wav"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(wav)
    rig.service.voicemail_chosen(call_id)
    rig.clock.advance(30)
    voicemail_id = rig.service.voicemail_left(call_id, path, 1.0)
    assert voicemail_id is not None
    return voicemail_id, wav


def test_voicemails_are_listed_played_and_marked_handled(tmp_path: Path) -> None:
    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("kim")  # complaints and general
            rig.add("ned", skills="general")
            rig.add("sue", role="supervisor", name="Sue Park")
            kim, ned = await rig.desk("kim"), await rig.desk("ned")
            sue = await rig.desk("sue", first="snapshot")
            await rig.service.handoff("call-1", handoff(), CALLER)
            voicemail_id, wav = _voicemail(rig, tmp_path)
            await kim.next("voicemails")
            assert (await sue.next("voicemails"))["queue"] == "complaints"
            await ned.post("/api/agent/state", {"state": "available"})
            await ned.next("state")
            assert "voicemails" not in ned.kinds()  # not ned's queue
            # kim, an agent of complaints: listed with its hand-off, sensitive values scrubbed
            resp = await kim.client.get("/api/voicemails")
            text = await resp.text()
            (item,) = (await resp.json())["voicemails"]
            assert item["id"] == voicemail_id and item["call_id"] == "call-1"
            assert (item["queue"], item["left_at"], item["duration_s"]) == (
                "complaints", T0 + 30, 1.0)
            assert item["caller"] == {"number": "+15550142", "name": "Sam Ortiz"}
            assert item["reason"] == "complaint" and "[redacted]" in item["summary"]
            assert ACCOUNT not in text and item["handled_by"] is None
            assert item["audio"] == f"/api/voicemails/{voicemail_id}/audio"
            resp = await kim.client.get(item["audio"])
            assert resp.status == 200 and await resp.read() == wav
            assert resp.headers["Content-Type"] == "audio/wav"
            assert resp.headers["Cache-Control"] == "no-store"
            # a supervisor sees every queue's, unmasked
            sue_list = await (await sue.client.get("/api/voicemails")).json()
            assert ACCOUNT in sue_list["voicemails"][0]["summary"]
            # ned serves general only: nothing listed, nothing played
            assert await (await ned.client.get("/api/voicemails")).json() == {"voicemails": []}
            resp = await ned.client.get(item["audio"])
            assert (resp.status, await resp.json()) == (
                403, {"error": "This voicemail was left in a queue you do not serve."})
            await ned.post(f"/api/voicemails/{voicemail_id}/handled", {"handled": True},
                           status=403)
            # kim deals with it: marked, and everyone who lists it is told
            rig.clock.advance(60)
            done = await kim.post(f"/api/voicemails/{voicemail_id}/handled", {"handled": True})
            assert done["voicemail"]["handled_by"] == {"id": "kim", "name": "Kim"}
            assert done["voicemail"]["handled_at"] == T0 + 90
            await sue.next("voicemails")
            await kim.post(f"/api/voicemails/{voicemail_id}/handled", {"handled": "yes"},
                           status=400)
            # newest first, and open ones before handled ones
            await rig.service.handoff("call-2", handoff(request_id="handoff-2"), CALLER)
            second, _ = _voicemail(rig, tmp_path, "call-2")
            reopened = await sue.post(f"/api/voicemails/{voicemail_id}/handled",
                                      {"handled": False})
            assert reopened["voicemail"]["handled_by"] is None

            async def order() -> list[int]:
                listed = await (await sue.client.get("/api/voicemails")).json()
                return [v["id"] for v in listed["voicemails"]]

            assert await order() == [second, voicemail_id]
            await sue.post(f"/api/voicemails/{second}/handled", {"handled": True})
            assert await order() == [voicemail_id, second]

    run(go)


def test_voicemails_refuse_strangers_and_path_tricks(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for you")

    async def go() -> None:
        async with Rig(tmp_path) as rig:
            rig.add("sue", role="supervisor")
            await rig.service.handoff("call-1", handoff(), CALLER)
            voicemail_id, wav = _voicemail(rig, tmp_path)
            anon = await rig.client()
            for resp in (await anon.get("/api/voicemails"),
                         await anon.get(f"/api/voicemails/{voicemail_id}/audio"),
                         await anon.post(f"/api/voicemails/{voicemail_id}/handled",
                                         json={"handled": True})):
                assert (resp.status, await resp.json()) == (
                    401, {"error": "You are signed out. Sign in again."})
            sue = await rig.signed_in("sue")
            # only ids name a voicemail; a client's path goes nowhere
            for path in ("/api/voicemails/..%2F..%2Fsecret.txt/audio",
                         f"/api/voicemails/{voicemail_id}%2F..%2F..%2Fsecret.txt/audio",
                         "/api/voicemails/secret.txt/audio", "/api/voicemails/-1/audio",
                         f"/api/voicemails/{voicemail_id}/../../secret.txt"):
                resp = await sue.get(path)
                assert resp.status == 404, path
                assert "not for you" not in await resp.text()
            resp = await sue.get("/api/voicemails/99/audio")
            assert (resp.status, await resp.json()) == (404, {"error": "No such voicemail."})
            resp = await sue.get(f"/api/voicemails/{voicemail_id}/audio?path={secret}")
            assert resp.status == 200 and await resp.read() == wav
            # even a row that names another file is not served: WAV recordings only
            link = tmp_path / "recordings" / "link.wav"
            link.symlink_to(secret)
            for named in (secret, link):
                rig.store.conn.execute("UPDATE voicemails SET path = ? WHERE id = ?",
                                       (str(named), voicemail_id))
                resp = await sue.get(f"/api/voicemails/{voicemail_id}/audio")
                assert resp.status == 404 and "not for you" not in await resp.text()
            # a recording removed from the disk: said so
            (tmp_path / "recordings" / "call-1-voicemail.wav").unlink()
            rig.store.conn.execute("UPDATE voicemails SET path = ? WHERE id = ?",
                                   (str(tmp_path / "recordings" / "call-1-voicemail.wav"),
                                    voicemail_id))
            resp = await sue.get(f"/api/voicemails/{voicemail_id}/audio")
            assert resp.status == 404 and "no longer on the server" in (await resp.json())[
                "error"]

    run(go)


# --- pages and the database -----------------------------------------------------------------


def test_pages_are_served_from_the_build_and_missing_ones_say_how_to_build(
        tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "desktop.html").write_text("<!doctype html><title>desk</title>")
    (dist / "assets" / "app-1.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("no")

    async def go() -> None:
        async with Rig(tmp_path, dist=dist) as rig:
            c = await rig.client()
            resp = await c.get("/", allow_redirects=False)
            assert (resp.status, resp.headers["Location"]) == (302, "/desktop.html")
            resp = await c.get("/desktop.html")
            assert resp.status == 200 and "desk" in await resp.text()
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
            assert (await c.get("/assets/app-1.js")).status == 200
            assert (await c.get("/assets/..%2F..%2Fsecret.txt")).status == 404
            resp = await c.get("/supervisor.html")
            assert resp.status == 503 and "make studio" in await resp.text()

    run(go)


def test_a_version_1_database_is_upgraded_with_its_records(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(f"BEGIN;\n{V1}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.execute("INSERT INTO handoffs VALUES ('c1', 'h1', 'general', 'r', 'normal', 5, 0, '', "
                 "'+1555', '', '+1555', '', '[]', '[]', 1.0)")
    assert migrate(conn) == 3
    row = conn.execute("SELECT call_id, intent, intent_confidence FROM handoffs").fetchone()
    assert row == ("c1", "", None)
    conn.close()
