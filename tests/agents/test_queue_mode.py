"""Queue mode end to end at protocol level: a real bot session on the media bridge, the
stand-in FreeSWITCH (ESL server + mod_audio_stream client), the agent service over a real
SQLite file, and `EslSwitch` between them. The caller waits on their own socket (hold audio,
announcements, keys), is abandoned by hanging up, takes a callback or leaves a voicemail, and
an accepted offer is bridged to the agent's endpoint over the Event Socket; a bridge the
agent's phone does not take puts the caller back in the queue, in their place."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agents.queues import specs_from_program
from agents.router import Router
from agents.service import AgentService, Connection, ManualClock, ServiceConfig
from agents.store import Store
from agents.switch import BridgeRequest, OriginateRequest, SwitchError
from agents.users import User
from media_bridge.agent_link import (
    ESL_EVENTS,
    EslSwitch,
    LinkSettings,
    QueuedCall,
    announcement,
    hold_audio,
    inline_bridge,
)
from media_bridge.esl import Backoff, EslClient
from media_bridge.protocol import PlaybackMode
from media_bridge.server import MediaBridgeServer, metadata_for
from media_bridge.speech import BufferedSpeechInput
from media_bridge.standin import StandInCall, inline_apps
from runtime import events as E
from tests.agents.floor import T0
from tests.agents.web_rig import PASSWORD
from tests.media_bridge.rig import TOKEN, Rig, events, run, until

FLOW = '''
flow q "Queue mode test"
  defaults
    input keys
    noinput after 5s
    attempts 2

queue general
  skills general
  announce position every 30s
  offer callback after 1m

queue billing
  skills billing
  max_wait 10m then voicemail

on error
  say "Sorry, something went wrong."
  hangup

start
  say "Hi."
  go main

menu main
  prompt "Press one for general, two for billing."
  1 "general" -> general
  2 "billing" -> billing
  on failure hangup

step general
  say "Connecting you."
  handoff general reason "asked for an agent"

step billing
  handoff billing reason "billing question"
'''
NUMBER = "+15550100"
DIAL = f"sofia/gateway/voxflow/{NUMBER}"


class QueueRig(Rig):
    """The media bridge rig in queue mode: an agent service (manual clock) attached through an
    `EslSwitch` to the bridge and its Event Socket client."""

    def __init__(self, tmp: Path, mode: PlaybackMode = PlaybackMode.FILE,
                 queues: list[str] | None = None, **settings: Any) -> None:
        super().__init__(mode, FLOW, ms_per_character=2.0, recordings_dir=tmp / "recordings",
                         **settings)
        specs = specs_from_program(self.program)
        if queues is not None:
            specs = {name: spec for name, spec in specs.items() if name in queues}
        self.store = Store(tmp / "agents.db")
        self.clock = ManualClock(T0)
        self.link = EslSwitch(LinkSettings())
        self.service = AgentService(Router(specs), self.store, self.link, clock=self.clock,
                                    config=ServiceConfig(snapshot_interval_s=0.0))

    async def __aenter__(self) -> QueueRig:
        port = await self.switch.start()
        self.esl = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.02),
                             events=ESL_EVENTS)
        await self.esl.start()
        self.server = MediaBridgeServer(self.settings, self.esl, self.new_session,
                                        synthesizer=self.synth)
        self.url = await self.server.start()
        self.link.attach(self.service, self.esl, self.server)
        await self.service.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.service.close()
        await super().__aexit__(*exc)
        self.store.close()

    async def caller(self, number: str = NUMBER) -> StandInCall:
        """A call streamed to the bridge with the caller's number in the metadata."""
        call = self.switch.new_call(caller=number, variables={
            "STREAM_EXTRA_HEADERS": json.dumps({"Authorization": f"Bearer {TOKEN}"})})
        reply = await self.esl.audio_stream_start(
            call.uuid, self.stream_url(), 8000, metadata_for(call.uuid, 8000, caller=number))
        assert reply.ok, reply.text
        await until(lambda: call.uuid in self.server.bridges, what="the bridge")
        return call

    async def queued(self, call: StandInCall, key: str = "1") -> QueuedCall:
        """Choose a queue at the menu; the call is waiting once the queue has it."""
        session = self.session(call)
        await until(lambda: session.state.input is not None
                    and session.state.input.phase == "listening", what="the menu")
        call.press(key)
        await until(lambda: call.uuid in self.link.waiting, what="the hand-off to the queue")
        return self.link.waiting[call.uuid]

    def agent(self, name: str = "kim", skills: str = "general billing") -> User:
        return self.service.users.add(name, PASSWORD, name=name.title(), role="agent",
                                      skills=dict.fromkeys(skills.split(), 1), now=T0)

    def available(self, user: User) -> Connection:
        conn = self.service.connect(user)
        self.service.set_state(user, "available")
        return conn

    def kinds(self, call: StandInCall) -> list[str]:
        return [kind for _, kind, _, _ in self.store.path(call.uuid)]


def api(rig: QueueRig, prefix: str) -> list[str]:
    return [c for c in rig.switch.api_log if c.startswith(prefix)]


def pushes(conn: Connection) -> list[dict[str, Any]]:
    out = []
    while not conn.queue.empty():
        message = conn.queue.get_nowait()
        if message is not None:
            out.append(message)
    return out


# ---- waiting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [PlaybackMode.FILE, PlaybackMode.INJECT_BINARY],
                         ids=lambda m: m.value)
def test_a_handoff_waits_in_queue_with_hold_audio_and_announcements(
        tmp_path: Path, mode: PlaybackMode) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path, mode) as rig:
            call = await rig.caller()
            session = rig.session(call)
            queued = await rig.queued(call)
            # The router has the call, with the bot's hand-off and the caller.
            assert rig.service.router.call_state(call.uuid) == "waiting"
            stored = rig.store.handoff(call.uuid)
            assert stored is not None and stored["queue"] == "general"
            assert stored["reason"] == "asked for an agent"
            assert stored["caller_number"] == NUMBER
            # The session ended with its hand-off accepted; the call was not transferred.
            await until(lambda: events(session, "handoff_outcome"), what="the outcome")
            assert events(session, "handoff_outcome")[0]["ok"] is True
            assert session.state.ended == "handoff"
            # The position is announced with the bot's synthesizer, then hold audio plays.
            await until(lambda: queued.hold_played >= 2, timeout=15, what="hold audio")
            assert queued.said == ["You're next in line."]
            assert "You're next in line." in rig.synth.spoken
            if mode is PlaybackMode.FILE:
                files = [c.split()[2] for c in api(rig, "uuid_broadcast")]
                assert len(files) >= 5  # hi, menu, connecting you, the position, hold
            else:
                assert len(call.injected) > len(hold_audio(8000))
            # Still on the socket: no linger hang-up, no transfer, no stream stop.
            await asyncio.sleep(0.2)
            assert call.uuid in rig.server.bridges and not call.hung_up
            assert rig.bridge(call)._linger is None
            assert call.transferred_to is None
            assert not api(rig, "uuid_transfer") and not api(rig, "uuid_kill")
            assert rig.kinds(call) == ["queued"]
            await call.hang_up()

    run(main(), timeout=30)


def test_the_announcement_interrupts_hold_audio_and_hold_resumes(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            queued = await rig.queued(call)
            await until(lambda: queued._playing_hold and call.playing, timeout=10,
                        what="hold audio playing")
            played = queued.hold_played
            rig.clock.advance(30)  # the next position announcement falls due
            await until(lambda: len(queued.said) == 2, what="the second announcement")
            await until(lambda: f"uuid_break {call.uuid} all" in rig.switch.api_log,
                        what="the hold audio to stop")
            await until(lambda: queued.hold_played > played, timeout=10,
                        what="hold audio to resume")
            assert queued.said == ["You're next in line.", "You're next in line."]
            await call.hang_up()

    run(main(), timeout=30)


def test_hanging_up_in_the_queue_is_abandoned(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            await rig.queued(call)
            await call.hang_up()
            await until(lambda: rig.service.router.call_state(call.uuid) is None,
                        what="the router to let the call go")
            assert rig.kinds(call) == ["queued", "abandoned"]
            assert call.uuid not in rig.link.waiting
            await rig.finished(call)

    run(main())


def test_a_stream_that_breaks_in_the_queue_hangs_the_caller_up(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            await rig.queued(call)
            assert call.stream is not None
            await call.stream.stop()  # the socket closes; the channel is still up
            await until(lambda: call.hung_up, what="the channel to be hung up")
            assert api(rig, "uuid_kill") == [f"uuid_kill {call.uuid}"]
            assert rig.kinds(call) == ["queued", "abandoned"]

    run(main())


def test_a_refused_handoff_runs_the_flow_s_on_error(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path, queues=["billing"]) as rig:  # no `general` queue
            call = await rig.caller()
            session = rig.session(call)
            await until(lambda: session.state.input is not None, what="the menu")
            call.press("1")
            await until(lambda: call.hung_up, timeout=8, what="the bot to hang up")
            (outcome,) = events(session, "handoff_outcome")
            assert outcome["ok"] is False and outcome["reason"] == "unknown queue"
            assert "Sorry, something went wrong." in rig.synth.spoken
            assert call.uuid not in rig.link.waiting
            assert rig.kinds(call) == ["rejected"]

    run(main())


# ---- keys while waiting ---------------------------------------------------------------------

def test_a_key_while_queued_accepts_the_callback_offer(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            queued = await rig.queued(call)
            call.press("1")  # before any offer: 1 means nothing yet
            await asyncio.sleep(0.1)
            assert rig.service.router.queue_status("general").callbacks == 0
            rig.clock.advance(60)  # `offer callback after 1m`
            await until(lambda: any("press 1" in s for s in queued.said),
                        what="the callback offer")
            assert queued.callback_offered
            call.press("1")
            await until(lambda: call.hung_up, timeout=10, what="the goodbye and hang-up")
            assert queued.said[-1] == ("Thank you. We'll call you back on the number ending "
                                       "0 1 0 0. Goodbye.")
            status = rig.service.router.queue_status("general")
            assert (status.waiting, status.callbacks) == (0, 1)  # keeps the place, off the line
            assert rig.kinds(call)[-2:] == ["callback_offered", "callback_requested"]
            assert api(rig, "uuid_kill") == [f"uuid_kill {call.uuid}"]

    run(main(), timeout=30)


def test_the_voicemail_key_where_the_queue_allows_it(tmp_path: Path) -> None:
    class Recorder(BufferedSpeechInput):
        """A speech input that records: the caller 'speaks' for half a second."""

        def record(self, max_ms: int, done: Any) -> None:
            asyncio.get_running_loop().call_later(0.05, done, b"\x10\x00" * 4000, True)

    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            rig.server.speech_factory = lambda rate, post: Recorder(rate, post)
            call = await rig.caller()
            queued = await rig.queued(call, key="2")  # billing: max_wait ... then voicemail
            assert queued.voicemail
            await until(lambda: queued.said, what="the voicemail hint")
            assert queued.said[0] == ("To leave a message instead of waiting, press 2 at any "
                                      "time.")
            call.press("2")
            await until(lambda: call.hung_up, timeout=10, what="the message and goodbye")
            assert queued.said[-2:] == [
                "Please leave your message after the tone, and hang up when you're done.",
                "Thank you. Goodbye."]
            uri = rig.link.voicemails[call.uuid]
            assert uri.startswith("file://") and uri.endswith("-voicemail.wav")
            wav = tmp_path / "recordings" / f"{call.uuid}-voicemail.wav"
            assert wav.is_file()
            assert rig.kinds(call) == ["queued", "voicemail"]
            # recorded for the desktop, with its hand-off: agents of billing see it
            (stored,) = rig.store.voicemails()
            assert (stored["call_id"], stored["queue"], stored["caller_number"]) == (
                call.uuid, "billing", NUMBER)
            assert stored["path"] == str(wav.resolve()) and stored["duration_s"] == 0.5
            assert stored["left_at"] == T0 and stored["handled_at"] is None
            billing, general = rig.agent("bea", "billing"), rig.agent("gil", "general")
            assert rig.service.voicemail_file(billing, stored["id"]) == wav.resolve()
            (listed,) = rig.service.voicemails_for(billing)
            assert listed["reason"] == "billing question" and listed["caller"]["number"] == NUMBER
            assert rig.service.voicemails_for(general) == []

    run(main(), timeout=30)


def test_the_voicemail_key_does_nothing_where_the_queue_has_no_voicemail(
        tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            queued = await rig.queued(call)  # general: no voicemail
            call.press("2")
            await asyncio.sleep(0.2)
            assert not queued.voicemail and queued.state == "queued"
            assert rig.service.router.call_state(call.uuid) == "waiting"
            await call.hang_up()

    run(main())


# ---- to an agent ----------------------------------------------------------------------------

@pytest.mark.parametrize("who_ends", ["agent", "caller", "agent's phone"])
def test_an_accepted_offer_bridges_the_caller_to_the_agent(tmp_path: Path,
                                                           who_ends: str) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            kim = rig.agent()
            desk = rig.available(kim)
            call = await rig.caller()
            session = rig.session(call)
            await rig.queued(call)
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            assert offer["offer"]["call_id"] == call.uuid
            rig.service.accept(kim, offer["offer"]["offer_id"])
            await until(lambda: call.bridged_to == "user/kim", what="the bridge")
            (handoff,) = [a for a in session.log if a.get("type") == "handoff"]
            handoff_id = handoff["request_id"]
            pause, setvar, transfer = (api(rig, "uuid_audio_stream")[-1],
                                       api(rig, "uuid_setvar_multi")[-1],
                                       api(rig, "uuid_transfer")[-1])
            log = rig.switch.api_log
            assert log.index(pause) < log.index(setvar) < log.index(transfer)
            assert pause == f"uuid_audio_stream {call.uuid} pause"
            assert transfer == f"uuid_transfer {call.uuid} bridge:user/kim,park inline"
            assert call.transferred_to == ("bridge:user/kim,park", "inline", "")
            assert call.inline == [("bridge", "user/kim")]
            assert call.variables["voxflow_handoff_id"] == handoff_id
            assert call.variables["voxflow_agent"] == "kim"
            assert call.variables["voxflow_queue"] == "general"
            assert call.variables["voxflow_offer_id"] == offer["offer"]["offer_id"]
            assert call.variables["hangup_after_bridge"] == "true"
            assert call.variables["continue_on_fail"] == "true"
            # The bot's stream is paused, not closed: nothing of the conversation reaches the
            # bot, and a failed bridge could have resumed it.
            assert call.stream is not None and call.stream.paused and not call.stream.closed
            assert call.uuid in rig.server.bridges and not call.hung_up
            assert rig.service.router.agent_state("kim")[0] == "on_call"
            if who_ends == "agent":
                await rig.service.end_call(kim)
            elif who_ends == "caller":
                await call.hang_up()
            else:
                await call.far_end_hangs_up()  # hangup_after_bridge: the caller's leg ends
            await until(lambda: rig.service.router.agent_state("kim")[0] == "wrap_up",
                        what="wrap-up")
            assert call.hung_up and call.parked == 0
            assert rig.kinds(call) == ["queued", "answered", "completed"]
            if who_ends == "agent":
                assert api(rig, "uuid_kill") == [f"uuid_kill {call.uuid}"]
            await rig.finished(call)  # the stream closed with the channel
            assert call.uuid not in rig.esl._watchers  # nothing left watching it

    run(main())


@pytest.mark.parametrize("mode", [PlaybackMode.FILE, PlaybackMode.INJECT_BINARY],
                         ids=lambda m: m.value)
def test_an_agent_phone_that_does_not_answer_puts_the_caller_back_for_the_next_agent(
        tmp_path: Path, mode: PlaybackMode) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path, mode) as rig:
            kim, lou = rig.agent(), rig.agent("lou")
            desk = rig.available(kim)
            lou_desk = rig.service.connect(lou)  # signed in, not ready yet
            rig.switch.no_answer.add("user/kim")
            ringing = rig.switch.ring_until = asyncio.Event()
            call = await rig.caller()
            queued = await rig.queued(call)
            bridge = rig.bridge(call)
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            rig.service.accept(kim, offer["offer"]["offer_id"])
            await until(lambda: call.transferred_to is not None, what="the transfer")
            # While kim's phone rings the stream is paused and the caller is the switch's.
            assert call.stream is not None and call.stream.paused
            assert queued.state == "bridging" and call.uuid not in rig.link.waiting
            played = queued.hold_played
            ringing.set()  # ... and rings out: the inline dialplan goes on to `park`
            await until(lambda: rig.service.router.call_state(call.uuid) == "waiting",
                        what="the caller back in the queue")
            assert call.parked == 1 and not call.hung_up
            assert call.variables["originate_disposition"] == "NO_ANSWER"
            assert api(rig, f"uuid_audio_stream {call.uuid}")[-2:] == [
                f"uuid_audio_stream {call.uuid} pause", f"uuid_audio_stream {call.uuid} resume"]
            assert not call.stream.paused
            assert rig.service.router.agent_state("kim") == ("not_ready", "Phone did not answer")
            failed = [m for m in pushes(desk) if m["type"] == "call_failed"]
            assert [m["reason"] for m in failed] == ["Phone did not answer"]
            # The same stream carries the caller again: their audio, hold audio and an apology.
            assert queued.state == "queued" and rig.link.waiting[call.uuid] is queued
            assert bridge.esl_successor is None and rig.server.bridges[call.uuid] is bridge
            frames = bridge.frames
            await until(lambda: bridge.frames > frames + 5, what="caller audio again")
            await until(lambda: queued.hold_played > played, timeout=10,
                        what="hold audio again")
            await until(lambda: any("couldn't connect you" in t for t in queued.said),
                        timeout=10, what="the apology")
            # lou goes available: the caller, still first, is offered to lou and bridged
            rig.service.set_state(lou, "available")
            (second,) = [m for m in pushes(lou_desk) if m["type"] == "offer"]
            assert second["offer"]["call_id"] == call.uuid
            rig.service.accept(lou, second["offer"]["offer_id"])
            await until(lambda: call.bridged_to == "user/lou", what="the bridge to lou")
            assert call.transferred_to == ("bridge:user/lou,park", "inline", "")
            await call.hang_up()
            await until(lambda: rig.service.router.agent_state("lou")[0] == "wrap_up",
                        what="lou's wrap-up")
            assert rig.kinds(call) == ["queued", "answered", "bridge_failed", "answered",
                                       "completed"]
            assert rig.store.path(call.uuid)[2][3] == "NO_ANSWER"
            k = rig.store.kpis(T0 - 3600, T0 + 3600)
            assert (k.answered, k.waits_ended, k.abandoned) == (1, 1, 0)

    run(main(), timeout=30)


@pytest.mark.parametrize("refused", ["pause", "transfer"])
def test_a_refused_command_during_the_bridge_puts_the_caller_back(tmp_path: Path,
                                                                  refused: str) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            kim = rig.agent()
            desk = rig.available(kim)
            call = await rig.caller()
            queued = await rig.queued(call)
            original = {"pause": rig.switch._audio_stream, "transfer": rig.switch._transfer}

            async def refuse(args: str) -> str:
                if refused == "pause" and not args.endswith(" pause"):
                    return await original["pause"](args)
                return "-ERR Operation Failed\n"

            if refused == "pause":
                rig.switch._audio_stream = refuse  # type: ignore[method-assign]
            else:
                rig.switch._transfer = refuse  # type: ignore[method-assign]
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            rig.service.accept(kim, offer["offer"]["offer_id"])
            await rig.service.idle()
            seen = pushes(desk)
            notices = [m["text"] for m in seen if m["type"] == "notice"]
            assert len(notices) == 1 and "could not be connected" in notices[0]
            assert f"refused to {refused}" in notices[0]
            assert [m["reason"] for m in seen if m["type"] == "call_failed"] == [
                "Phone could not be connected"]
            assert rig.service.router.agent_state("kim")[0] == "not_ready"
            assert rig.service.router.call_state(call.uuid) == "waiting"
            assert queued.state == "queued" and not call.hung_up
            resumes = api(rig, f"uuid_audio_stream {call.uuid} resume")
            assert len(resumes) == (1 if refused == "transfer" else 0)  # only what was paused
            assert call.stream is not None and not call.stream.paused
            assert rig.kinds(call) == ["queued", "answered", "bridge_failed"]
            await call.hang_up()
            await until(lambda: rig.kinds(call)[-1] == "abandoned", what="abandoned")

    run(main())


def test_a_caller_whose_stream_closed_while_the_agent_rang_is_abandoned(
        tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            kim = rig.agent()
            desk = rig.available(kim)
            rig.switch.no_answer.add("user/kim")
            ringing = rig.switch.ring_until = asyncio.Event()
            call = await rig.caller()
            await rig.queued(call)
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            rig.service.accept(kim, offer["offer"]["offer_id"])
            await until(lambda: call.transferred_to is not None, what="the transfer")
            assert call.stream is not None
            await call.stream.stop()  # the socket closes; the channel rings on
            await rig.finished(call)
            ringing.set()
            await until(lambda: call.hung_up, what="the caller's leg to end")
            assert call.hangup_cause == "NORMAL_TEMPORARY_FAILURE"  # not left parked, silent
            await until(lambda: rig.kinds(call)[-1] == "abandoned", what="the records")
            assert rig.kinds(call) == ["queued", "answered", "bridge_failed", "abandoned"]
            assert rig.service.router.agent_state("kim") == ("not_ready", "Phone did not answer")

    run(main())


def test_a_stream_that_will_not_resume_hangs_the_caller_up(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            kim = rig.agent()
            desk = rig.available(kim)
            rig.switch.refuse["user/kim"] = "USER_BUSY"
            original = rig.switch._audio_stream

            async def no_resume(args: str) -> str:
                if args.endswith(" resume"):
                    return "-ERR Operation Failed\n"
                return await original(args)

            rig.switch._audio_stream = no_resume  # type: ignore[method-assign]
            call = await rig.caller()
            await rig.queued(call)
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            rig.service.accept(kim, offer["offer"]["offer_id"])
            await until(lambda: call.hung_up, what="the caller's leg to end")
            assert call.variables["originate_disposition"] == "USER_BUSY"
            await until(lambda: rig.kinds(call)[-1] == "abandoned", what="the records")
            assert rig.kinds(call) == ["queued", "answered", "bridge_failed", "abandoned"]
            assert rig.service.router.agent_state("kim") == ("not_ready", "Phone was busy")
            assert rig.kinds(call).count("completed") == 0

    run(main())


@pytest.mark.parametrize("when", ["ringing", "before the bridge"])
def test_a_caller_who_hangs_up_before_the_agent_answers_is_abandoned_not_answered(
        tmp_path: Path, when: str) -> None:
    """No conversation happened: the records count an abandoned call, not an answered one,
    and the agent, whose phone did nothing wrong, is free again (no wrap-up, not set not
    ready): the next caller is offered to them at once."""

    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            kim = rig.agent()
            desk = rig.available(kim)
            ringing = rig.switch.ring_until = asyncio.Event()  # kim's phone rings until set
            call = await rig.caller()
            await rig.queued(call)
            (offer,) = [m for m in pushes(desk) if m["type"] == "offer"]
            bridge = rig.link.bridge
            begin = asyncio.Event()
            if when == "before the bridge":
                async def held_bridge(request: BridgeRequest) -> None:
                    await begin.wait()  # the switch worker has not begun the bridge yet
                    await bridge(request)

                rig.link.bridge = held_bridge  # type: ignore[method-assign]
            rig.service.accept(kim, offer["offer"]["offer_id"])
            if when == "ringing":
                await until(lambda: call.inline == [("bridge", "user/kim")],
                            what="kim's phone to ring")
            other = await rig.caller("+15550199")  # waits behind the call kim accepted
            await rig.queued(other)
            assert rig.service.router.agent_state("kim")[0] == "on_call"
            await call.hang_up()
            await until(lambda: rig.service.router.call_state(call.uuid) is None,
                        what="the call to leave the router")
            begin.set()
            ringing.set()
            await rig.service.idle()
            assert rig.kinds(call) == ["queued", "answered", "bridge_failed", "abandoned"]
            assert rig.store.path(call.uuid)[2][3] == "ORIGINATOR_CANCEL"
            k = rig.store.kpis(T0 - 3600, T0 + 3600)
            assert (k.answered, k.abandoned, k.handled) == (0, 1, 0)
            # kim is free again and the next caller rings her phone; no wrap-up
            seen = pushes(desk)
            assert [m["reason"] for m in seen if m["type"] == "call_failed"] == [
                "Caller hung up while the phone rang"]
            assert not [m for m in seen if m["type"] in ("wrap_up", "call_ended")]
            assert [m["offer"]["call_id"] for m in seen if m["type"] == "offer"] == [
                other.uuid]
            assert rig.service.router.agent_state("kim")[0] == "offered"
            # the caller's leg is gone: nothing was parked or resumed
            assert call.parked == 0 and call.hangup_cause == "NORMAL_CLEARING"
            assert not api(rig, f"uuid_audio_stream {call.uuid} resume")
            if when == "ringing":  # (a socket seen closing before the hang-up is killed)
                assert not api(rig, f"uuid_kill {call.uuid}")
            await rig.finished(call)
            assert call.uuid not in rig.link.legs and call.uuid not in rig.esl._watchers
            await other.hang_up()

    run(main(), timeout=30)


# ---- callbacks: originate ---------------------------------------------------------------------

async def _callback_scheduled(rig: QueueRig) -> StandInCall:
    call = await rig.caller()
    queued = await rig.queued(call)
    rig.clock.advance(60)
    await until(lambda: queued.callback_offered, what="the callback offer")
    call.press("1")
    await until(lambda: call.hung_up, timeout=10, what="the caller's leg to end")
    return call


def test_a_callback_rings_the_agent_then_the_customer(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await _callback_scheduled(rig)
            kim = rig.agent()
            rig.available(kim)  # the callback is offered to kim: the switch calls out
            await until(lambda: rig.switch.originated, what="the originate")
            (leg,) = rig.switch.originated
            (command,) = api(rig, "bgapi originate")
            assert command.endswith(f"user/kim &bridge({DIAL})")
            assert leg.variables["origination_uuid"] == leg.uuid
            assert leg.variables["voxflow_call_id"] == call.uuid
            assert leg.variables["voxflow_agent"] == "kim"
            await until(lambda: rig.service.router.agent_state("kim")[0] == "on_call",
                        what="the customer to answer")
            assert leg.bridged_to == DIAL
            await rig.service.end_call(kim)
            await until(lambda: rig.service.router.agent_state("kim")[0] == "wrap_up",
                        what="wrap-up")
            assert leg.hung_up
            assert rig.kinds(call)[-2:] == ["callback_kept", "completed"]

    run(main(), timeout=30)


def test_a_callback_nobody_answers_is_tried_again_later(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            rig.switch.no_answer.add(DIAL)
            call = await _callback_scheduled(rig)
            kim = rig.agent()
            rig.available(kim)
            await until(lambda: rig.service.router.agent_state("kim")[0] == "available"
                        and rig.switch.originated and rig.switch.originated[0].hung_up,
                        what="the attempt to fail")
            assert rig.service.router.call_state(call.uuid) == "held"  # until the retry
            assert not rig.link.originations and call.uuid not in rig.link.legs

    run(main(), timeout=30)


# ---- the switch on its own ------------------------------------------------------------------

def test_the_switch_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            request = BridgeRequest(call_id="0000", agent="kim", endpoint="user/kim",
                                    queue="general", handoff_id="handoff-1", offer_id="offer-1")
            with pytest.raises(SwitchError, match="no longer waiting"):
                await rig.link.bridge(request)
            with pytest.raises(SwitchError, match="not one word"):
                await rig.link.bridge(BridgeRequest(
                    call_id="0000", agent="kim", endpoint="user/kim; rm", queue="general",
                    handoff_id="h", offer_id="o"))
            # A callback to a number that is not a number is reported unanswered at once.
            results: list[tuple[str, bool]] = []

            def result(offer_id: str, answered: bool) -> None:
                results.append((offer_id, answered))

            rig.service.originate_result = result  # type: ignore[method-assign]
            await rig.link.originate(OriginateRequest(
                call_id="c", offer_id="offer-9", agent="kim", endpoint="user/kim",
                queue="general", number="1; uuid_kill", handoff_id="h", attempt=1))
            assert results == [("offer-9", False)] and not api(rig, "bgapi")
            # The Event Socket gone: a clear error.
            await rig.switch.stop_esl()
            await until(lambda: not rig.esl.connected.is_set(), what="the ESL to drop")
            with pytest.raises(SwitchError, match="could not end the call"):
                await rig.link.hangup("0000")

    run(main())


def test_hanging_up_a_call_the_switch_no_longer_has_reports_it_at_once(
        tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            gone: list[str] = []
            rig.service.hung_up = gone.append  # type: ignore[method-assign]
            await rig.link.hangup("9f0c2a54-0000-4000-8000-000000000000")
            assert gone == ["9f0c2a54-0000-4000-8000-000000000000"]

    run(main())


def test_inline_bridge_and_announcements() -> None:
    assert inline_bridge("user/kim") == "bridge:user/kim,park"
    assert inline_bridge("{a=1,b=2}user/kim") == "m:^:bridge:{a=1,b=2}user/kim^park"
    assert inline_apps(inline_bridge("{a=1,b=2}user/kim")) == [
        ("bridge", "{a=1,b=2}user/kim"), ("park", "")]
    with pytest.raises(SwitchError):
        inline_bridge("user/kim 'x'")
    with pytest.raises(SwitchError, match="both"):
        inline_bridge("{a=1,b=2^3}user/kim")
    from agents import commands as C

    assert announcement(C.Announce(what="position", position=3)) == "You are number 3 in line."
    assert announcement(C.Announce(what="wait", wait_minutes=None)).startswith("Thank you")
    assert announcement(C.Announce(what="wait", wait_minutes=1)) == (
        "Your expected wait is about one minute. Thank you for waiting.")
    assert "more than 30 minutes" in announcement(C.Announce(what="wait", wait_minutes=30,
                                                             more_than=True))
    pcm = hold_audio(8000)
    assert len(pcm) == 2 * 8000 * 4
    assert max(abs(int.from_bytes(pcm[i:i + 2], "little", signed=True))
               for i in range(0, len(pcm), 2)) < 8000  # soft


def test_without_an_agent_service_the_handoff_still_goes_to_the_dialplan(
        tmp_path: Path) -> None:
    """The plain bridge (no holder) keeps its transfer; pinned in detail by
    tests/media_bridge/test_calls.py."""
    async def main() -> None:
        async with Rig(PlaybackMode.FILE, FLOW, ms_per_character=2.0) as rig:
            assert rig.server.holder is None
            call = await rig.call()
            session = rig.session(call)
            await until(lambda: session.state.input is not None, what="the menu")
            call.press("1")
            await until(lambda: call.transferred_to is not None, what="the transfer")
            assert call.transferred_to == ("to_queue", "XML", "default")
            assert events(session, "handoff_outcome")[0]["ok"] is True
            assert not [e for e in session.log if e.get("kind") == "event"
                        and e["event"]["type"] == E.HungUp.type]

    run(main())


# ---- the service as `voxflow serve --agents` and `voxflow call --agents` run it ---------------

class ToneStack:
    """The speech stack's shape without models: a tone synthesizer, keys only."""

    def __init__(self) -> None:
        from media_bridge.fakes import FakeToneSynthesizer

        self.synthesizer = FakeToneSynthesizer(ms_per_character=2.0)

    def listener(self, rate: int, post: Any, hints: Any = None) -> BufferedSpeechInput:
        return BufferedSpeechInput(rate, post)


def test_the_voice_service_runs_in_queue_mode_with_an_agent_service(tmp_path: Path) -> None:
    from media_bridge.agent_link import agent_service_for
    from media_bridge.voice import VoiceService
    from runtime.bot import load_bot

    folder = tmp_path / "bot"
    folder.mkdir()
    (folder / "q.flow").write_text(FLOW, encoding="utf-8")
    bot = load_bot(folder)

    async def main() -> None:
        agents = agent_service_for(bot, tmp_path / "build" / "agents.db")
        kim = agents.users.add("kim", PASSWORD, role="agent", skills={"general": 1})
        voice = VoiceService(bot, ToneStack(), standin=True, agents=agents)  # type: ignore[arg-type]
        await voice.start()
        try:
            assert voice.esl is not None
            assert "CHANNEL_BRIDGE CHANNEL_PARK CUSTOM" in voice.esl._subscription
            assert voice.bridge is not None and voice.bridge.holder is agents.switch
            switch = voice.switch
            assert switch is not None
            conn = agents.connect(kim)
            agents.set_state(kim, "available")
            call = switch.new_call(caller=NUMBER, variables={
                "STREAM_EXTRA_HEADERS": json.dumps({"Authorization": f"Bearer {voice.token}"})})
            reply = await switch.api(f"uuid_audio_stream {call.uuid} start {voice.stream_url} "
                                     f"mono 8k {metadata_for(call.uuid, 8000, caller=NUMBER)}")
            assert reply.startswith("+OK")
            await until(lambda: (s := voice.session_of(call.uuid)) is not None
                        and s.state.input is not None and s.state.input.phase == "listening",
                        what="the menu")
            call.press("1")
            seen: list[dict[str, Any]] = []

            def offered() -> bool:
                seen.extend(pushes(conn))
                return any(m["type"] == "offer" for m in seen)

            await until(offered, what="the offer")
            assert voice.handoffs[call.uuid].queue == "general"
            (offer,) = [m for m in seen if m["type"] == "offer"]
            agents.accept(kim, offer["offer"]["offer_id"])
            await until(lambda: call.bridged_to == "user/kim", what="the bridge")
            await agents.end_call(kim)
            await until(lambda: agents.router.agent_state("kim")[0] == "wrap_up",
                        what="wrap-up")
        finally:
            await voice.stop()
            await agents.close()
            agents.store.close()

    run(main(), timeout=30)


def test_voxflow_agents_manages_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from runtime.cli import main

    db = tmp_path / "agents.db"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["agents", "--db", str(db), "user", "add", "kim", "--role", "agent",
                 "--skill", "complaints:3", "--endpoint", "sofia/internal/1001",
                 "--password-stdin"]) == 0
    assert main(["agents", "--db", str(db), "user", "list"]) == 0
    out = capsys.readouterr().out
    assert "added kim (agent)" in out and "complaints:3" in out
    store = Store(db)
    try:
        from agents.users import Users

        user = Users(store.conn).get("kim")
        assert user is not None and user.endpoint == "sofia/internal/1001"
    finally:
        store.close()


def test_stopping_hangs_up_the_callers_still_waiting(tmp_path: Path) -> None:
    async def main() -> None:
        async with QueueRig(tmp_path) as rig:
            call = await rig.caller()
            await rig.queued(call)
            await rig.link.close()
            await until(lambda: call.hung_up, what="the waiting caller to be hung up")
            await until(lambda: rig.kinds(call) == ["queued", "abandoned"], what="the record")

    run(main())
