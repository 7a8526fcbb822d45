"""Whole calls through the stand-in switch, the bridge and a real session: key presses from the
Event Socket, prompts in every playback mode, barge-in, hang-ups, handoff."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from media_bridge.esl import EslClient
from media_bridge.esl_codec import EslEvent
from media_bridge.protocol import PlaybackMode
from runtime import actions as A
from tests.media_bridge.rig import FLOW, Rig, events, run, said, until

MODES = [PlaybackMode.FILE, PlaybackMode.INJECT_BINARY, PlaybackMode.INJECT_STREAM_AUDIO]
MENU_PROMPT = "Press one for yes, two for an agent."


def listening(rig: Rig, call: object) -> bool:
    session = rig.session(call)  # type: ignore[arg-type]
    return session.state.input is not None and session.state.input.phase == "listening"


def outcomes(session: object) -> list[str]:
    return [e["outcome"] for e in session.log if e["kind"] == "outcome"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_key_press_from_the_event_socket_reaches_the_session(mode: PlaybackMode) -> None:
    async def main() -> None:
        async with Rig(mode) as rig:
            call = await rig.call()
            session = rig.session(call)
            await until(lambda: listening(rig, call), what="the menu to listen")
            call.press("1")
            await rig.finished(call)
            assert said(session) == ["Hi.", MENU_PROMPT, "You said yes."]
            assert [e["key"] for e in events(session, "key_pressed")] == ["1"]
            assert outcomes(session) == ["key-complete"]
            assert session.state.ended == "flow"
            # The goodbye played to the end before the channel was killed.
            finished = events(session, "playback_finished")
            assert len(finished) == 3 and not any(e["interrupted"] for e in finished)
            assert rig.switch.api_log[-1] == f"uuid_kill {call.uuid}"
            assert call.hung_up

    run(main())


def test_file_mode_broadcasts_each_prompt_in_order() -> None:
    async def main() -> None:
        async with Rig(PlaybackMode.FILE) as rig:
            call = await rig.call()
            await until(lambda: listening(rig, call), what="the menu to listen")
            files = [f"{rig.switch.temp_dir}/{call.uuid}_{n}.tmp.r8" for n in (0, 1)]
            assert call.broadcasts == [(files[0], "done"), (files[1], "done")]
            broadcasts = [c for c in rig.switch.api_log if c.startswith("uuid_broadcast")]
            assert broadcasts == [f"uuid_broadcast {call.uuid} {f} aleg" for f in files]
            # What was broadcast is what the synthesiser made, at 8 kHz (a .r8 file).
            assert len(rig.synth.spoken) == 2
            await call.hang_up()

    run(main())


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_key_press_barges_into_a_long_prompt(mode: PlaybackMode) -> None:
    async def main() -> None:
        async with Rig(mode, ms_per_character=60) as rig:  # the menu prompt lasts ~2.2 s
            call = await rig.call()
            session = rig.session(call)
            await until(lambda: any(e.get("text") == MENU_PROMPT for e in session.log)
                        and ((call.playing and len(call.broadcasts) == 1)
                             or len(call.injected) > 8000),  # past "Hi."
                        what="the menu prompt to play")
            call.press("2")
            await until(lambda: call.transferred_to is not None, timeout=8, what="the handoff")
            interrupted = [e for e in events(session, "playback_finished") if e["interrupted"]]
            assert len(interrupted) == 1
            if mode is PlaybackMode.FILE:
                assert f"uuid_break {call.uuid} all" in rig.switch.api_log
                assert (f"{rig.switch.temp_dir}/{call.uuid}_1.tmp.r8", "break") in (
                    call.broadcasts)
            else:
                assert call.clears == 1
                full = len(MENU_PROMPT) * 60 * 16  # bytes of the whole prompt at 8 kHz
                assert len(call.injected) < full  # paced: the rest was never sent
            if mode is PlaybackMode.INJECT_BINARY:
                assert '{"type":"clearAudio"}' in call.streams[0].received_text

    run(main())


def test_the_caller_hangs_up_mid_prompt() -> None:
    async def main() -> None:
        async with Rig(PlaybackMode.FILE, ms_per_character=60) as rig:
            call = await rig.call()
            session = rig.session(call)
            await until(lambda: call.playing and session.state.input is not None,
                        what="the menu prompt to play")
            await call.hang_up()
            bridge = await rig.finished(call)
            assert session.state.ended == "caller"
            assert outcomes(session) == ["hang-up"]
            # The log is complete and ends with the hang-up: nothing after the caller left.
            assert session.log[-1]["kind"] == "outcome"
            assert [e["kind"] for e in session.log].count("event") == len(
                [e for e in session.log if e["kind"] == "event"])
            last_event = [e for e in session.log if e["kind"] == "event"][-1]
            assert last_event["event"]["type"] == "hung_up"
            assert bridge.close_reason in ("socket closed", "hang-up")
            assert call.uuid not in rig.server.bridges
            assert not any(c.startswith("uuid_kill") for c in rig.switch.api_log)

    run(main())


def test_a_handoff_sets_variables_and_transfers_after_the_prompt() -> None:
    async def main() -> None:
        async with Rig(PlaybackMode.FILE) as rig:
            call = await rig.call()
            session = rig.session(call)
            await until(lambda: listening(rig, call), what="the menu to listen")
            call.press("2")
            await rig.finished(call)
            assert call.transferred_to == ("to_queue", "XML", "default")
            assert call.variables["voxflow_queue"] == "general"
            assert call.variables["voxflow_reason"] == "asked for an agent"
            assert call.variables["cc_export_vars"].startswith("voxflow_handoff_id,")
            log = rig.switch.api_log
            setvar = next(i for i, c in enumerate(log) if c.startswith("uuid_setvar_multi"))
            transfer = log.index(f"uuid_transfer {call.uuid} to_queue XML default")
            last_broadcast = max(i for i, c in enumerate(log) if c.startswith("uuid_broadcast"))
            assert last_broadcast < setvar < transfer
            assert log[transfer + 1] == f"uuid_audio_stream {call.uuid} stop"
            assert events(session, "handoff_outcome")[0]["ok"] is True
            assert ("Connecting you." in said(session)
                    and call.broadcasts[-1][1] == "done")  # heard before the transfer

    run(main())


def test_the_stream_events_reach_the_event_socket() -> None:
    """::connect on open, ::play per streamAudio, ::disconnect when the server closes."""
    async def main() -> None:
        async with Rig(PlaybackMode.FILE) as rig:
            watcher = EslClient("127.0.0.1", rig.switch.port, "ClueCon")
            await watcher.start()
            seen: list[EslEvent] = []
            call = await rig.call(before_start=lambda c: watcher.watch(c.uuid, seen.append))
            await until(lambda: listening(rig, call), what="the menu to listen")
            await call.streams[0].send_raw(b"\x01")  # a protocol error: the server closes
            await until(lambda: any(e.subclass.endswith("disconnect") for e in seen),
                        what="::disconnect")
            kinds = [e.subclass for e in seen if e.name == "CUSTOM"]
            assert kinds[:3] == ["mod_audio_stream::connect", "mod_audio_stream::play",
                                 "mod_audio_stream::play"]
            assert kinds[-1] == "mod_audio_stream::disconnect"
            disconnect = seen[[e.subclass for e in seen].index(kinds[-1])]
            assert disconnect.body == (
                '{"status":"disconnected","message":{"code":1007,"reason":"odd-length"}}')
            await watcher.close()

    run(main())


def test_play_of_a_recording(tmp_path: Path) -> None:
    """`Play(audio=...)`: broadcast as it is in file mode, read and injected otherwise."""
    recording = tmp_path / "welcome.wav"
    with wave.open(str(recording), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x10\x00" * 800)

    async def main(mode: PlaybackMode) -> None:
        async with Rig(mode) as rig:
            call = await rig.call()
            await until(lambda: listening(rig, call), what="the menu to listen")
            bridge = rig.bridge(call)
            assert bridge.channel is not None and bridge.driver is not None
            before = len(call.injected)
            await bridge.channel.perform(A.Play(playback_id="rec-1", audio=str(recording)),
                                         bridge.driver)
            await until(lambda: "rec-1" in bridge.channel.played, what="the recording")
            if mode is PlaybackMode.FILE:
                assert f"uuid_broadcast {call.uuid} {recording} aleg" in rig.switch.api_log
            else:
                assert bytes(call.injected[before:]) == b"\x10\x00" * 800
            await call.hang_up()

    for mode in MODES:
        run(main(mode))


def test_a_16k_call() -> None:
    async def main() -> None:
        async with Rig(PlaybackMode.INJECT_BINARY) as rig:
            call = await rig.call(rate=16000)
            await until(lambda: listening(rig, call), what="the menu to listen")
            assert call.streams[0].rate == 16000
            bridge = rig.bridge(call)
            assert bridge.gate is not None
            # 4 ms per character at 16 kHz, mono 16-bit: 128 bytes per character.
            assert len(call.injected) == (len("Hi.") + len(MENU_PROMPT)) * 128
            await call.hang_up()

    run(main())


def _with_long_last_prompts(flow: str) -> str:
    """The rig's flow, its prompts before the hang-up and the hand-off several seconds long."""
    for short, long in (
            ('say "You said yes."',
             'say "Thank you for calling. We hope to hear from you again soon. Goodbye for now."'),
            ('say "Connecting you."',
             'say "I don\'t have an answer for that, but one of my colleagues will."\n'
             '  say "Sure. Let me connect you with our card services team."')):
        assert short in flow, short
        flow = flow.replace(short, long)
    return flow


LONG_GOODBYE_FLOW = _with_long_last_prompts(FLOW)


@pytest.mark.parametrize(("key", "what"), [("2", "transfer"), ("1", "hang-up")])
def test_the_transfer_or_hang_up_waits_for_prompts_longer_than_the_linger(
        key: str, what: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The session ends at once; the prompts before the transfer play for longer than the
    # bridge waits after the end (LINGER_S). Ending the bridge then dropped the call's
    # playback events: the transfer (or the hang-up) never came.
    from media_bridge import server

    monkeypatch.setattr(server, "LINGER_S", 0.3)

    async def main() -> None:
        async with Rig(PlaybackMode.FILE, flow=LONG_GOODBYE_FLOW, ms_per_character=12.0) as rig:
            call = await rig.call()
            await until(lambda: listening(rig, call), what="the menu to listen")
            call.press(key)
            await rig.finished(call)
            log = rig.switch.api_log
            if what == "transfer":
                assert call.transferred_to == ("to_queue", "XML", "default")
                assert [s for _, s in call.broadcasts[-2:]] == ["done", "done"]
            else:
                assert any(c.startswith(f"uuid_kill {call.uuid}") for c in log)
                assert call.broadcasts[-1][1] == "done"

    run(main(), timeout=20.0)
