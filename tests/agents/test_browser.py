"""End to end in a real headless Chromium, through the real audio path: an agent signs in to
the desktop and goes available; a caller (piper's voice through a phone line, key presses as
Event Socket DTMF) rings the acme bot on the stand-in FreeSWITCH, exactly as `voxflow call`
places calls, and the bot's speech is transcribed back (Whisper). The caller complains, the bot
hands off, the call waits in voxflow's own queue on its socket (queue mode), the screen pop
shows account (masked), reason, intent and transcript, the agent accepts, the stand-in sees the
caller bridged to the agent's endpoint over the Event Socket, the agent ends the call and wraps
up; a supervisor watches and changes the agent's state. Before that, the same caller rang once
and hung up while waiting (they heard their position): an abandoned call. Then the records
and the KPIs are checked.

Needs Debian's Chromium at /usr/bin/chromium (`make chromium`), the built front-end
(`make studio`) and the speech stack with its recognisers (`speech/asr`); `make test` has them.
Without them this test fails, on purpose: CI must run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from agents.screen import last_intent
from agents.service import ServiceConfig
from agents.store import Store, day_window
from agents.web import DEFAULT_DIST
from media_bridge.agent_link import EslSwitch, agent_service_for, start_agents_web
from media_bridge.caller import AudioCaller, CallResult
from media_bridge.ear import Ear
from media_bridge.protocol import PlaybackMode
from media_bridge.settings import BridgeSettings
from media_bridge.voice import VoiceService
from runtime import actions as A
from runtime.bot import load_bot
from runtime.convtest import parse_tests
from tests.agents.web_rig import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ACCOUNT = "87654321"
GIVEN = '''  given caller.vip = true and caller.name = "Sam Ortiz" and caller.number = "+15550142"
  given caller.tier = "gold" and env.crm_url = mock "acme-crm"'''
EARLIER = f'''
test "earlier: the caller complains, hears their place in line and gives up"
{GIVEN}
  bot says "You're on our priority line."
  bot asks "Or just tell me what you need."
  caller says "I want to file a complaint about the engineer who never came"
  bot says "Let me put you through to our complaints team."
  bot says "You're next in line."
  caller hangs up
'''
SCRIPT = f'''
test "a VIP complains after a balance check"
{GIVEN}
  caller presses 1
  caller presses {ACCOUNT}
  caller presses 1
  bot says "there's nothing to pay"
  bot asks "anything else"
  caller says "yes"
  bot asks "For your balance, press 1"
  caller says "I want to file a complaint about the engineer who never came"
  bot says "Let me put you through to our complaints team."
  bot hands off to complaints
    reason "complaint"
    priority high
    context account = "{ACCOUNT}"
    context account is sensitive
    context caller_number = "+15550142"
  log does not contain "{ACCOUNT}"
'''


class PatientCaller(AudioCaller):
    """Stays on the line once bridged to the agent (`bot hands off` ends the script): the agent
    ends the call from the desktop."""

    async def _hang_up_and_wait(self) -> None:
        call = self.call
        if call is not None and call.transferred_to is not None:
            deadline = time.monotonic() + 120
            while not call.hung_up and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        await super()._hang_up_and_wait()


def _prerequisites() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing ({CHROMIUM}): install it with `make chromium` "
                    "(Debian's package: apt-get install chromium). CI runs this test.",
                    pytrace=False)
    if not (DEFAULT_DIST / "desktop.html").is_file():
        pytest.fail(f"the front-end is not built ({DEFAULT_DIST}): run `make studio` "
                    "(cd studio && npm ci && npm run build).", pytrace=False)
    # What `voxflow call` loads: the engine policy (SpeechStack) and Whisper (the caller's ear).
    for module in ("speech.asr.choose", "speech.asr.whisper"):
        if importlib.util.find_spec("speech.asr") is None or importlib.util.find_spec(
                module) is None:
            pytest.fail(f"the speech recognisers are missing ({module}): this test places "
                        "its call through the real audio path, as `voxflow call` does.",
                        pytrace=False)


def test_an_agent_takes_a_voice_caller_s_complaint_in_a_real_browser(tmp_path: Path) -> None:
    _prerequisites()
    asyncio.run(asyncio.wait_for(_scenario(tmp_path), 360))


async def _scenario(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    from media_bridge.voice import SpeechStack
    from speech.prompts import warm
    from speech.simulated import CallerVoice, WhisperTranscriber

    shots = os.environ.get("VOXFLOW_E2E_SCREENSHOTS", "")
    bot = load_bot(Path("bots/acme"))
    warm(bot.ir, rates=(8000,))
    agents = agent_service_for(bot, tmp_path / "agents.db",
                               config=ServiceConfig(snapshot_interval_s=0.1))
    assert isinstance(agents.switch, EslSwitch)
    store = agents.store
    agents.users.add("kim", PASSWORD, name="Kim Lee", role="agent",
                     skills={"complaints": 3, "general": 1})
    agents.users.add("sue", PASSWORD, name="Sue Park", role="supervisor")
    voice = VoiceService(bot, SpeechStack.load(), standin=True, agents=agents,
                         settings=BridgeSettings(playback=PlaybackMode.FILE))
    await voice.start()
    runner, base = await start_agents_web(agents, "127.0.0.1", 0)
    caller_voice, transcriber = CallerVoice(), WhisperTranscriber()
    (earlier_test,) = parse_tests(EARLIER, "e2e-earlier")
    (test,) = parse_tests(SCRIPT, "e2e")

    def caller(cls: type[AudioCaller], which: Any) -> AudioCaller:
        return cls(voice, which, Ear(transcriber), voice=caller_voice, rate=8000)

    try:
        # The same caller rang a moment ago, heard their place in line, and gave up waiting:
        # nobody was available, so they waited in the queue, on their own socket.
        earlier = caller(AudioCaller, earlier_test)
        result = await earlier.run()
        assert result.ok, result.report
        assert earlier.call is not None
        assert "queued" in [k for _, k, _, _ in store.path(earlier.call.uuid)]
        await _until(lambda: "abandoned" in [k for _, k, _, _ in store.path(
            earlier.call.uuid)], "the earlier call to be abandoned")

        async with async_playwright() as pw:
            kim_browser = await pw.chromium.launch_persistent_context(
                str(tmp_path / "profile-kim"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
            sue_browser = await pw.chromium.launch_persistent_context(
                str(tmp_path / "profile-sue"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
            calling: asyncio.Future[CallResult] | None = None
            try:
                page = kim_browser.pages[0] if kim_browser.pages else await kim_browser.new_page()
                errors: list[str] = []  # script errors on the page
                failed: list[tuple[str, str, int]] = []  # requests the server refused
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("response", lambda r: failed.append(
                    (r.request.method, r.url.removeprefix(base), r.status))
                    if r.status >= 400 else None)

                # Sign in: a wrong password first, and the page says so.
                await page.goto(f"{base}/")
                await page.get_by_label("User name").fill("kim")
                await page.get_by_label("Password").fill("not my password")
                await page.get_by_role("button", name="Sign in").click()
                await expect(page.get_by_role("alert")).to_contain_text("password is wrong")
                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                state = page.get_by_test_id("agent-state")
                await expect(state).to_have_text("Not ready")
                await expect(page.get_by_role("status").filter(
                    has_text="Connected")).to_be_visible()
                await page.get_by_role("button", name="Go available").click()
                await expect(state).to_have_text("Available")

                # The caller rings the bot; after the balance check they complain, and the
                # bot hands off: the offer rings kim's desktop while the caller waits.
                patient = caller(PatientCaller, test)
                calling = asyncio.ensure_future(patient.run())
                offer = page.get_by_role("alertdialog", name="Incoming call")
                await expect(offer).to_be_visible(timeout=180_000)
                await expect(offer).to_contain_text("Sam Ortiz")
                if shots:
                    await page.screenshot(path=f"{shots}/desktop-offer.png", full_page=True)
                # Accept at once: the caller's `bot hands off` waits for the transfer.
                await offer.get_by_role("button", name="Accept").click()
                await expect(state).to_have_text("On call")
                await expect(page.get_by_role("region", name="Current call")).to_contain_text(
                    "On call with Sam Ortiz")

                # The stand-in switch sees the bridge, with the hand-off in the variables.
                call = patient.call
                assert call is not None
                await _until(lambda: call.bridged_to == "user/kim", "the bridge")
                handoff = voice.handoffs[call.uuid]
                assert (handoff.queue, handoff.reason) == ("complaints", "complaint")
                assert call.variables["voxflow_handoff_id"] == handoff.request_id
                assert call.variables["voxflow_agent"] == "kim"
                log = voice.switch.api_log if voice.switch else []
                assert f"uuid_audio_stream {call.uuid} pause" in log
                assert f"uuid_transfer {call.uuid} bridge:user/kim,park inline" in log
                session = voice.session_of(call.uuid)
                assert session is not None
                intent, _ = last_intent(session.log)
                assert intent == "complaint"

                # The screen pop (kept while on the call): masked account, reason, intent,
                # the transcript with its flow steps, the summary, the earlier call.
                pop = page.get_by_role("region", name="Caller details")
                await expect(pop.get_by_text("Sam Ortiz", exact=False).first).to_be_visible()
                await expect(pop.get_by_test_id("reason")).to_have_text("complaint")
                await expect(pop).to_contain_text("Complaint")  # the intent
                account = pop.locator("tr[data-field=account]").first
                await expect(account).to_contain_text("hidden: your role may not see it")
                await expect(account).to_contain_text("digits")
                await expect(pop.locator("tr[data-field=caller_number]")).to_contain_text(
                    "+15550142")
                transcript = pop.locator("ol.transcript")
                # The caller's words as the recogniser heard them, at the menu's step.
                said = transcript.locator("li.turn-caller", has_text=re.compile("complaint",
                                                                                re.I))
                await expect(said.first).to_be_visible()
                await expect(said.first.locator(".step")).to_have_text("main_menu")
                await expect(transcript.locator(".step").first).to_have_text("start")
                await expect(pop).to_contain_text("Sam Ortiz called to complain")  # summary
                await expect(pop.locator("ul.previous")).to_contain_text(
                    "Hung up while waiting")
                html = await page.content()
                assert ACCOUNT not in html and "8 7 6 5 4 3 2 1" not in html

                # The agent ends the call: the switch hangs the caller up; wrap-up.
                await page.get_by_role("button", name="End call").click()
                await expect(state).to_have_text("Wrap-up")
                assert f"uuid_kill {call.uuid}" in log
                result = await asyncio.wait_for(calling, 60)
                assert result.ok, result.report
                assert call.hung_up
                wrap = page.get_by_role("form", name="Wrap-up")
                await wrap.get_by_role("button", name="Finish wrap-up").click()
                await expect(wrap.get_by_role("alert")).to_have_text("Choose a disposition.")
                await wrap.get_by_label("Complaint logged").check()
                await wrap.get_by_label("Notes for the next agent").fill(
                    "Missed engineer visit; rebooked for Friday.")
                if shots:
                    await page.screenshot(path=f"{shots}/desktop-wrap-up.png", full_page=True)
                await wrap.get_by_role("button", name="Finish wrap-up").click()
                await expect(state).to_have_text("Available")
                await expect(page.get_by_text("Waiting for the next call")).to_be_visible()

                # The supervisor sees the floor and sends kim on a break.
                sup = sue_browser.pages[0] if sue_browser.pages else await sue_browser.new_page()
                await sup.goto(f"{base}/supervisor.html")
                await sup.get_by_label("User name").fill("sue")
                await sup.get_by_label("Password").fill(PASSWORD)
                await sup.get_by_role("button", name="Sign in").click()
                row = sup.locator("tr[data-queue=complaints]")
                await expect(row.locator("[data-col=answered]")).to_have_text("1")
                await expect(row.locator("[data-col=abandoned]")).to_have_text("1")
                await expect(row.locator("[data-col=service-level]")).to_have_text("50%")
                kim_row = sup.locator("tr[data-agent=kim]")
                await expect(kim_row.locator("[data-col=state]")).to_have_text("Available")
                await kim_row.get_by_label("New state for Kim Lee").select_option("not_ready")
                await kim_row.get_by_label("Reason for Kim Lee").fill("Coaching")
                await kim_row.get_by_role("button", name="Apply").click()
                await expect(kim_row.locator("[data-col=state]")).to_have_text("Not ready")
                await expect(state).to_have_text("Not ready")
                await expect(page.get_by_text("Sue Park changed your state")).to_be_visible()
                if shots:
                    await sup.screenshot(path=f"{shots}/supervisor.png", full_page=True)
                assert errors == [], errors
                assert failed == [("POST", "/api/sign-in", 401)], failed  # the wrong password
            finally:
                if calling is not None and not calling.done():
                    calling.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await calling
                await kim_browser.close()
                await sue_browser.close()
        _check_records(store, call.uuid, earlier.call.uuid, handoff, intent)
    finally:
        await voice.stop()
        await runner.cleanup()
        store.close()


async def _until(check: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _check_records(store: Store, call_id: str, earlier_id: str, handoff: A.Handoff,
                   intent: str) -> None:
    stored: dict[str, Any] | None = store.handoff(call_id)
    assert stored is not None
    assert (stored["handoff_id"], stored["queue"], stored["intent"]) == (
        handoff.request_id, "complaints", intent)
    assert stored["caller_number"] == "+15550142" and stored["vip"]
    assert {"name": "account", "type": "digits", "sensitive": True,
            "value": "[redacted]"} in stored["context"]
    assert [kind for _, kind, _, _ in store.path(call_id)] == ["queued", "answered",
                                                              "completed"]
    assert [kind for _, kind, _, _ in store.path(earlier_id)] == ["queued", "abandoned"]
    assert store.conn.execute("SELECT agent_id, outcome FROM offers WHERE call_id = ?",
                              (call_id,)).fetchall() == [("kim", "accepted")]
    assert store.conn.execute(
        "SELECT agent_id, disposition, notes, timed_out FROM wrap_ups").fetchall() == [
        ("kim", "complaint_logged", "Missed engineer visit; rebooked for Friday.", 0)]
    reasons = [r for (r,) in store.conn.execute(
        "SELECT reason FROM agent_states WHERE agent_id = 'kim' ORDER BY id")]
    assert reasons[-1] == "Coaching (set by Sue Park)"
    (now,) = store.conn.execute("SELECT MAX(at) FROM agent_states").fetchone()
    k = store.kpis(*day_window(now), threshold_s=20, queue="complaints")
    assert (k.answered, k.answered_within, k.abandoned, k.handled) == (1, 1, 1, 1)
    assert k.service_level == 0.5 and k.abandonment_rate == 0.5
    assert k.asa_s is not None and 0 <= k.asa_s < 20
    assert k.aht_s is not None and k.aht_s > 0
    assert re.fullmatch(r"handoff-\d+", handoff.request_id)
