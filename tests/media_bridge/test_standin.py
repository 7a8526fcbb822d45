"""The stand-in switch is held to what was observed on a real FreeSWITCH 1.10.12 with
mod_audio_stream: the handshake, frame sizes and timing, stop/pause/send_text, and the events;
and to mod_dptools' inline bridge: a failed bridge parks with `continue_on_fail` (CHANNEL_PARK,
`originate_disposition`) and hangs the caller up without it."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from media_bridge.esl import EVENTS, EslClient
from media_bridge.esl_codec import EslEvent, parse_event_plain
from media_bridge.standin import StandInCall, StandInSwitch, continues_on_fail
from tests.media_bridge.rig import CaptureServer, run, until


class Bench:
    """A stand-in switch, an ESL watcher and a capture server."""

    async def __aenter__(self) -> Bench:
        self.switch = StandInSwitch(broadcast_delay_s=0.05, default_file_s=0.1)
        port = await self.switch.start()
        self.esl = EslClient("127.0.0.1", port, "ClueCon")
        await self.esl.start()
        self.capture = await CaptureServer().__aenter__()
        self.seen: list[EslEvent] = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.esl.close()
        await self.switch.close()
        await self.capture.__aexit__()

    async def start(self, args: str, variables: dict[str, str] | None = None) -> StandInCall:
        call = self.switch.new_call(variables=variables)
        self.esl.watch(call.uuid, self.seen.append)
        reply = await self.esl.api(f"uuid_audio_stream {call.uuid} start {args}")
        assert reply.text == "+OK Success"
        await until(lambda: bool(self.capture.sockets), what="the connection")
        return call

    def custom(self) -> list[str]:
        return [e.subclass.removeprefix("mod_audio_stream::") for e in self.seen
                if e.name == "CUSTOM"]


def test_handshake_metadata_first_then_320_byte_frames_every_20_ms() -> None:
    async def main() -> None:
        async with Bench() as b:
            headers = json.dumps({"Authorization": "Bearer t0k"})
            await b.start(f'{b.capture.url} mono 8k {{"k":"v","leg":"A"}}',
                          {"STREAM_EXTRA_HEADERS": headers})
            await asyncio.sleep(0.5)
            request = b.capture.requests[0]
            assert request.method == "GET" and request.path == "/capture"
            assert request.headers["Authorization"] == "Bearer t0k"
            port = b.capture.url.split(":")[2].split("/")[0]
            assert request.headers["Origin"] == f"http://127.0.0.1:{port}"
            assert request.headers["Sec-WebSocket-Version"] == "13"
            assert "Sec-WebSocket-Protocol" not in request.headers
            assert "Sec-WebSocket-Extensions" not in request.headers
            first_at, first = b.capture.frames[0]
            assert first == '{"k":"v","leg":"A"}'
            audio = b.capture.binary()
            assert {len(d) for _, d in audio} == {320}
            assert 15 <= len(audio) <= 26  # 50 a second, in real time
            gaps = [t2 - t1 for (t1, _), (t2, _) in itertools.pairwise(audio)]
            assert 0.015 < sum(gaps) / len(gaps) < 0.025
            assert audio[0][0] - first_at < 0.045
            assert b.custom() == ["connect"]
            assert b.seen[0].body == '{"status":"connected"}'

    run(main())


def test_every_call_gets_its_stream_however_many_there_are() -> None:
    async def main() -> None:
        async with Bench() as b:
            for _ in range(120):  # more than an HTTP client's usual connection limit (100)
                call = b.switch.new_call()
                reply = await b.switch.api(f"uuid_audio_stream {call.uuid} start "
                                           f"{b.capture.url} mono 8k")
                assert reply.startswith("+OK")
            await until(lambda: len(b.capture.sockets) == 120, what="120 streams")

    run(main())


def test_16k_and_buffered_and_no_metadata() -> None:
    async def main() -> None:
        async with Bench() as b:
            await b.start(f"{b.capture.url} mono 16k")  # no metadata: no text frame at all
            await asyncio.sleep(0.15)
            assert all(isinstance(d, bytes) and len(d) == 640 for _, d in b.capture.frames)
        async with Bench() as b:
            await b.start(f"{b.capture.url} mono 8k", {"STREAM_BUFFER_SIZE": "100"})
            await asyncio.sleep(0.45)
            audio = b.capture.binary()
            assert {len(d) for _, d in audio} == {1600} and 3 <= len(audio) <= 5

    run(main())


def test_mixed_sends_nothing_while_nothing_plays() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = await b.start(f"{b.capture.url} mixed 8k")
            await asyncio.sleep(0.2)
            assert b.capture.binary() == []
            call.broadcast("/nonexistent.wav")  # plays default_file_s
            await until(lambda: bool(b.capture.binary()), what="frames while playing")

    run(main())


def test_caller_audio_is_streamed_then_silence() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = b.switch.new_call()
            call.say(b"\x07\x00" * 200)  # 25 ms of caller speech
            await b.esl.api(f"uuid_audio_stream {call.uuid} start {b.capture.url} mono 8k")
            await until(lambda: len(b.capture.binary()) >= 3, what="three frames")
            frames = [d for _, d in b.capture.binary()]
            assert frames[0] == b"\x07\x00" * 160
            assert frames[1] == b"\x07\x00" * 40 + bytes(240)
            assert frames[2] == bytes(320)

    run(main())


def test_stop_send_text_pause_and_resume() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = await b.start(f"{b.capture.url} mono 8k")
            u = call.uuid
            assert (await b.esl.api(f"uuid_audio_stream {u} send_text hello")).ok
            assert (await b.esl.api(f"uuid_audio_stream {u} pause")).ok
            await asyncio.sleep(0.05)
            paused_at = len(b.capture.binary())
            await asyncio.sleep(0.1)
            assert len(b.capture.binary()) == paused_at
            assert (await b.esl.api(f"uuid_audio_stream {u} resume")).ok
            await until(lambda: len(b.capture.binary()) > paused_at, what="frames again")
            reply = await b.esl.api(f'uuid_audio_stream {u} stop {{"bye":true}}')
            assert reply.text == "+OK Success"
            ws = b.capture.sockets[0]
            await until(lambda: ws.closed, what="the close")
            texts = [d for _, d in b.capture.frames if isinstance(d, str)]
            assert texts == ["hello", '{"bye":true}']
            assert ws.close_code == 1000
            await asyncio.sleep(0.05)
            assert "disconnect" not in b.custom()  # not on stop

    run(main())


def test_server_close_gives_disconnect_and_text_gives_json() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = await b.start(f"{b.capture.url} mono 8k")
            ws = b.capture.sockets[0]
            await ws.send_str('{"type":"anything"}')
            await until(lambda: "json" in b.custom(), what="::json")
            await ws.close(code=4000, message=b"server bye")
            await until(lambda: "disconnect" in b.custom(), what="::disconnect")
            json_event = next(e for e in b.seen if e.subclass.endswith("json"))
            assert json_event.body == '{"type":"anything"}'
            assert b.seen[-1].body == (
                '{"status":"disconnected","message":{"code":4000,"reason":"server bye"}}')
            # send_text after the server closed: +OK and silently dropped.
            reply = await b.esl.api(f"uuid_audio_stream {call.uuid} send_text late")
            assert reply.text == "+OK Success"
            assert [d for _, d in b.capture.frames if isinstance(d, str)] == []

    run(main())


def test_a_refused_connection_gives_error_code_6_though_the_api_said_ok() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = b.switch.new_call()
            b.esl.watch(call.uuid, b.seen.append)
            url = b.capture.url
            await b.capture.__aexit__()  # nobody listens there any more
            reply = await b.esl.api(f"uuid_audio_stream {call.uuid} start {url} mono 8k")
            assert reply.text == "+OK Success"
            await until(lambda: "error" in b.custom(), what="::error")
            body = json.loads(b.seen[-1].body)
            assert body["status"] == "error" and body["message"]["code"] == 6
            b.capture = await CaptureServer().__aenter__()

    run(main())


def test_playback_events_and_app_dtmf() -> None:
    async def main() -> None:
        async with Bench() as b:
            call = b.switch.new_call()
            b.esl.watch(call.uuid, b.seen.append)
            assert (await b.esl.broadcast(call.uuid, "/a.wav")).text == "+OK Message sent"
            assert (await b.esl.broadcast(call.uuid, "/b.wav")).ok  # queued behind /a.wav
            await until(lambda: any(e.name == "PLAYBACK_START" for e in b.seen), what="start")
            assert (await b.esl.break_all(call.uuid)).text == "+OK"
            await until(lambda: any(e.name == "PLAYBACK_STOP" for e in b.seen), what="stop")
            await asyncio.sleep(0.2)
            stops = [(e.get("Playback-File-Path"), e.get("Playback-Status")) for e in b.seen
                     if e.name == "PLAYBACK_STOP"]
            assert stops == [("/a.wav", "break")]  # `all` dropped the queued one too
            assert (await b.esl.api(f"uuid_recv_dtmf {call.uuid} 42")).text == "+OK"
            await until(lambda: sum(e.name == "DTMF" for e in b.seen) == 2, what="DTMF")
            dtmf = [e for e in b.seen if e.name == "DTMF"]
            assert [(e.get("DTMF-Digit"), e.get("DTMF-Source")) for e in dtmf] == [
                ("4", "APP"), ("2", "APP")]

    run(main())


# ---- the inline dialplan of queue mode: bridge, then park ----------------------------------

CHANNEL_EVENTS = (*EVENTS, "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PARK")


class Dialplan:
    """A stand-in switch and an Event Socket client subscribed as queue mode is."""

    async def __aenter__(self) -> Dialplan:
        self.switch = StandInSwitch()
        port = await self.switch.start()
        self.esl = EslClient("127.0.0.1", port, "ClueCon", events=CHANNEL_EVENTS)
        await self.esl.start()
        self.seen: list[EslEvent] = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.esl.close()
        await self.switch.close()

    async def transfer(self, variables: str, destination: str) -> StandInCall:
        call = self.switch.new_call()
        self.esl.watch(call.uuid, self.seen.append)
        if variables:
            assert (await self.esl.api(f"uuid_setvar_multi {call.uuid} {variables}")).ok
        reply = await self.esl.api(f"uuid_transfer {call.uuid} {destination} inline")
        assert reply.text == "+OK"
        return call

    def names(self) -> list[str]:
        return [e.name for e in self.seen]


FAIL_OVER = "hangup_after_bridge=true;continue_on_fail=true;voxflow_agent=kim"


def test_a_bridge_not_answered_goes_on_to_park_with_continue_on_fail() -> None:
    async def main() -> None:
        async with Dialplan() as d:
            d.switch.no_answer.add("user/kim")
            call = await d.transfer(FAIL_OVER, "bridge:user/kim,park")
            await until(lambda: "CHANNEL_PARK" in d.names(), what="CHANNEL_PARK")
            assert d.names() == ["CHANNEL_PARK"]  # no CHANNEL_BRIDGE before it
            (park,) = d.seen
            assert park.unique_id == call.uuid
            assert park.get("variable_originate_disposition") == "NO_ANSWER"
            assert park.get("variable_continue_on_fail") == "true"
            assert park.get("variable_voxflow_agent") == "kim"
            assert park.get("Channel-State") == "CS_EXECUTE"
            assert call.inline == [("bridge", "user/kim"), ("park", "")]
            assert call.parked == 1 and not call.hung_up
            # parked, the channel takes the next transfer (the next agent)
            call2 = await d.transfer("", "bridge:user/lou,park")
            await until(lambda: call2.bridged_to == "user/lou", what="the second bridge")

    run(main())


def test_the_park_event_is_encoded_like_every_other() -> None:
    async def main() -> None:
        async with Dialplan() as d:
            call = d.switch.new_call(variables={"voxflow_reason": "late bill: 50% & more"})
            call.variables["originate_disposition"] = "USER_BUSY"
            frames: list[bytes] = []
            listener = next(iter(d.switch._listeners))
            write = listener.writer.write

            def tap(data: bytes) -> None:  # what goes on the wire
                frames.append(data)
                write(data)

            listener.writer.write = tap  # type: ignore[method-assign]
            d.switch.fire("CHANNEL_PARK", call, [])
            raw = b"".join(frames)
            assert b"Content-Type: text/event-plain" in raw
            body = raw.split(b"\n\n", 1)[1]
            assert b"Event-Name: CHANNEL_PARK" in body
            assert b"variable_voxflow_reason: late%20bill%3A%2050%25%20%26%20more" in body
            event = parse_event_plain(body)
            assert event.get("variable_voxflow_reason") == "late bill: 50% & more"
            assert event.unique_id == call.uuid

    run(main())


def test_a_bridge_not_answered_without_continue_on_fail_hangs_the_caller_up() -> None:
    async def main() -> None:
        async with Dialplan() as d:
            d.switch.no_answer.add("user/kim")
            call = await d.transfer("hangup_after_bridge=true", "bridge:user/kim,park")
            # The switch hangs up before its event reaches the client: wait for the event.
            await until(lambda: "CHANNEL_HANGUP_COMPLETE" in d.names(), what="the hang-up")
            assert call.hung_up and call.hangup_cause == "NO_ANSWER"
            assert d.names() == ["CHANNEL_HANGUP_COMPLETE"]
            assert d.seen[0].get("Hangup-Cause") == "NO_ANSWER"
            assert call.parked == 0 and call.inline == [("bridge", "user/kim")]

    run(main())


def test_continue_on_fail_may_name_the_causes() -> None:
    assert continues_on_fail("true", "NO_ANSWER") and continues_on_fail("1", "USER_BUSY")
    assert continues_on_fail("user_busy, NO_ANSWER", "USER_BUSY")
    assert not continues_on_fail("USER_BUSY", "NO_ANSWER")
    assert not continues_on_fail("", "NO_ANSWER") and not continues_on_fail("false", "X")

    async def main() -> None:
        async with Dialplan() as d:
            d.switch.refuse["user/kim"] = "USER_BUSY"  # fails at once, without ringing
            busy = await d.transfer("continue_on_fail=USER_BUSY", "bridge:user/kim,park")
            await until(lambda: busy.parked == 1, what="the park")
            assert busy.variables["originate_disposition"] == "USER_BUSY"
            d.switch.no_answer.add("user/lou")
            other = await d.transfer("continue_on_fail=USER_BUSY", "bridge:user/lou,park")
            await until(lambda: other.hung_up, what="the hang-up")
            assert other.hangup_cause == "NO_ANSWER"

    run(main())


@pytest.mark.parametrize("hangup_after_bridge", [True, False])
def test_an_answered_bridge_and_the_agent_hanging_up(hangup_after_bridge: bool) -> None:
    async def main() -> None:
        async with Dialplan() as d:
            variables = "continue_on_fail=true" + (
                ";hangup_after_bridge=true" if hangup_after_bridge else "")
            # the delimiter form, for an endpoint with commas
            call = await d.transfer(variables, "m:^:bridge:{a=1,b=2}user/kim^park")
            await until(lambda: "CHANNEL_BRIDGE" in d.names(), what="CHANNEL_BRIDGE")
            assert call.bridged_to == "{a=1,b=2}user/kim"
            await call.far_end_hangs_up()
            await until(lambda: len(d.seen) == 3, what="the events after the bridge")
            if hangup_after_bridge:
                assert call.hung_up
                assert call.hangup_cause == "NORMAL_CLEARING" and call.parked == 0
                assert d.names() == ["CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
                                     "CHANNEL_HANGUP_COMPLETE"]
            else:  # the dialplan goes on after the bridge: the caller is parked
                assert call.parked == 1 and not call.hung_up
                assert d.names() == ["CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PARK"]

    run(main())


def test_a_caller_who_hangs_up_while_the_agent_rings_is_not_parked() -> None:
    async def main() -> None:
        async with Dialplan() as d:
            ringing = d.switch.ring_until = asyncio.Event()
            d.switch.no_answer.add("user/kim")
            call = await d.transfer(FAIL_OVER, "bridge:user/kim,park")
            await call.hang_up()
            ringing.set()
            await until(lambda: not d.switch._tasks, what="the inline dialplan to end")
            # events come in wire order before a later reply: all of them are in by now
            await d.esl.api("uuid_kill 00000000-0000-4000-8000-000000000000")
            assert d.names() == ["CHANNEL_HANGUP_COMPLETE"] and call.parked == 0
            assert call.inline == [("bridge", "user/kim")]

    run(main())
