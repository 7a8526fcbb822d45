"""The WebSocket server: authentication before audio, limits, malformed input that closes one
call cleanly, and calls that never disturb each other."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from media_bridge import protocol as P
from media_bridge.server import metadata_for
from media_bridge.standin import StandInCall
from tests.media_bridge.rig import TOKEN, Rig, events, run, until

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def raw_stream(rig: Rig, call: StandInCall, *, rate: int = 8000,
                     headers: dict[str, str] | None = None,
                     url: str | None = None) -> aiohttp.ClientWebSocketResponse:
    """A hand-driven mod_audio_stream connection for `call`, metadata already sent."""
    ws = await rig.switch.http.ws_connect(url or rig.stream_url(), headers=headers or AUTH)
    await ws.send_str(metadata_for(call.uuid, rate))
    await until(lambda: call.uuid in rig.server.bridges, what="the bridge")
    return ws


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, str]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
        msg = await asyncio.wait_for(ws.receive(), 5)
    return ws.close_code, msg.extra or ""


# ---- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "query", "status"), [
    ({}, None, 401),
    ({"Authorization": "Bearer wrong"}, None, 403),
    ({"Authorization": f"Basic {TOKEN}"}, None, 403),
    ({"Authorization": "Bearer"}, None, 403),
    ({}, "wrong", 403),
    ({"Authorization": "Bearer wrong"}, TOKEN, 403),  # a bad header is not rescued by the URL
])
def test_no_token_or_a_wrong_one_is_refused_at_the_upgrade(headers: dict[str, str],
                                                           query: str | None, status: int,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    async def main() -> None:
        async with Rig() as rig:
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await rig.switch.http.ws_connect(rig.stream_url(query), headers=headers)
            assert err.value.status == status
            assert not rig.server.bridges and not rig.sessions

    with caplog.at_level("WARNING", logger="voxflow.media"):
        run(main())
    # The operator sees the refusal and where it came from, never what was presented.
    [record] = [r for r in caplog.records if r.getMessage() == "stream refused"]
    assert (record.reason, record.peer) == (  # type: ignore[attr-defined]
        "no-token" if status == 401 else "wrong-token", "127.0.0.1")
    assert "wrong" not in caplog.text and TOKEN not in caplog.text


def test_the_token_in_the_url_is_accepted() -> None:
    async def main() -> None:
        async with Rig() as rig:
            call = await rig.call(header_token=None, url=rig.stream_url(TOKEN))
            # The bridge exists once the socket is accepted; the call starts just after.
            await until(lambda: rig.bridge(call).session is not None
                        and rig.session(call).state.started, what="the call to start")

    run(main())


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_refused_stream_never_sends_audio(token: str | None) -> None:
    """Through the stand-in: the API says +OK, then `::error` fires and no frame flows."""
    async def main() -> None:
        async with Rig() as rig:
            from media_bridge.esl import EslClient

            watcher = EslClient("127.0.0.1", rig.switch.port, "ClueCon")
            await watcher.start()
            call = await rig.call(header_token=token, wait=False)
            seen: list[str] = []
            watcher.watch(call.uuid, lambda e: seen.append(e.body))
            stream = call.streams[0]
            await until(lambda: stream.closed, what="the refusal")
            assert stream.refused_status == (401 if token is None else 403)
            assert stream.sent_frames == 0 and not rig.sessions
            await until(lambda: bool(seen), what="::error")
            assert json.loads(seen[0])["status"] == "error"
            await watcher.close()

    run(main())


def test_a_plain_http_request_is_not_upgraded() -> None:
    async def main() -> None:
        async with Rig() as rig:
            url = rig.stream_url(TOKEN).replace("ws://", "http://")
            async with rig.switch.http.get(url) as resp:
                assert resp.status == 400

    run(main())


# ---- malformed input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("frame", "code", "kind"), [
    (b"\x00" * 321, 1007, "odd-length"),
    (b"\x00" * 100, 1007, "wrong-frame-size"),
    (b"\x00" * 4000, 1009, "frame-too-large"),
    # Over the socket's own limit aiohttp drops the connection without reading the frame, so
    # the peer sees 1006; the bridge still records why.
    (b"\x00" * 200_000, 1006, "frame-too-large"),
    ("x" * 9000, 1009, "frame-too-large"),
], ids=["odd", "not-whole-packets", "over-frame-limit", "over-socket-limit", "long-text"])
def test_malformed_frames_close_the_call_cleanly(frame: bytes | str, code: int,
                                                 kind: str) -> None:
    async def main() -> None:
        async with Rig() as rig:
            call = rig.switch.new_call()
            ws = await raw_stream(rig, call)
            await ws.send_bytes(b"\x00" * 320)
            await (ws.send_str(frame) if isinstance(frame, str) else ws.send_bytes(frame))
            assert (await closed_with(ws))[0] == code
            bridge = await rig.finished(call)
            assert bridge.close_reason == kind
            session = rig.session(call)
            assert session.ended and events(session, "hung_up")
            # The caller is not left in silence: the channel is hung up.
            await until(lambda: call.hung_up, what="uuid_kill")
            assert f"uuid_kill {call.uuid} NORMAL_TEMPORARY_FAILURE" in rig.switch.api_log

    run(main())


def test_16k_audio_on_an_8k_call_is_stopped() -> None:
    async def main() -> None:
        async with Rig(limits=P.FrameLimits(burst_ms=200)) as rig:
            call = rig.switch.new_call()
            ws = await raw_stream(rig, call, rate=8000)
            for _ in range(40):
                if ws.closed:
                    break
                await ws.send_bytes(b"\x00" * 640)
                await asyncio.sleep(0.02)
            assert (await closed_with(ws))[0] == 1008
            assert (await rig.finished(call)).close_reason == "rate-exceeded"

    run(main())


def test_an_unsupported_rate_is_refused_before_the_call_starts() -> None:
    async def main() -> None:
        async with Rig() as rig:
            ws = await rig.switch.http.ws_connect(rig.stream_url(), headers=AUTH)
            await ws.send_str(json.dumps({"uuid": "abc-1", "rate": 44100}))
            assert await closed_with(ws) == (1003, "unsupported-rate")
            assert not rig.sessions

    run(main())


@pytest.mark.parametrize(("first", "kind"), [("not json, no uuid", "bad-metadata"),
                                             ('{"uuid":"a b"}', "bad-metadata"),
                                             (None, "bad-metadata")])
def test_a_stream_that_names_no_call_is_refused(first: str | None, kind: str) -> None:
    async def main() -> None:
        async with Rig(metadata_timeout_s=0.2) as rig:
            ws = await rig.switch.http.ws_connect(rig.stream_url(), headers=AUTH)
            if first is not None:
                await ws.send_str(first)
            assert await closed_with(ws) == (1008, kind)
            assert not rig.sessions

    run(main())


def test_without_metadata_the_path_names_the_call() -> None:
    """`uuid_audio_stream ... start <url>` without metadata sends no text frame at all."""
    async def main() -> None:
        async with Rig() as rig:
            call = rig.switch.new_call()
            ws = await rig.switch.http.ws_connect(rig.stream_url(path=f"/calls/{call.uuid}"),
                                                  headers=AUTH)
            await ws.send_bytes(b"\x00" * 320)
            await until(lambda: call.uuid in rig.server.bridges, what="the bridge")
            assert rig.bridge(call).frames == 1
            await ws.close()

    run(main())


def test_a_second_stream_for_the_same_call_is_refused() -> None:
    async def main() -> None:
        async with Rig() as rig:
            call = rig.switch.new_call()
            first = await raw_stream(rig, call)
            second = await rig.switch.http.ws_connect(rig.stream_url(), headers=AUTH)
            await second.send_str(metadata_for(call.uuid, 8000))
            assert (await closed_with(second))[0] == 1008
            assert not first.closed and call.uuid in rig.server.bridges
            await first.close()

    run(main())


def test_two_calls_one_sends_garbage_the_other_completes() -> None:
    async def main() -> None:
        async with Rig() as rig:
            good = await rig.call()
            bad = await rig.call()
            good_session = rig.session(good)
            await bad.streams[0].send_raw(b"\x13\x37\x00")
            await bad.streams[0].send_raw("{{{ garbage")
            bad_bridge = await rig.finished(bad)
            assert bad_bridge.close_reason == "odd-length"
            assert rig.session(bad).state.ended == "caller"
            assert good.uuid in rig.server.bridges  # untouched
            await until(lambda: good_session.state.input is not None
                        and good_session.state.input.phase == "listening",
                        what="the menu to listen")
            good.press("1")
            done = await rig.finished(good)
            assert good_session.state.ended == "flow"
            assert "You said yes." in [e.get("text") for e in good_session.log]
            assert done.frames > 0

    run(main())
