"""A switch, a bridge and a bot on 127.0.0.1, wired as in production, for one test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from aiohttp import web

from dsl.compile import compile_text
from media_bridge.esl import Backoff, EslClient
from media_bridge.fakes import FakeSentenceSynthesizer, FakeToneSynthesizer
from media_bridge.protocol import Metadata, PlaybackMode
from media_bridge.server import CallBridge, MediaBridgeServer, metadata_for
from media_bridge.settings import BridgeSettings
from media_bridge.standin import StandInCall, StandInSwitch
from runtime.program import load_program
from runtime.session import Session

TOKEN = "test-token-7f3a"
FLOW = '''
flow t "Media bridge test"
  defaults
    input keys
    noinput after 5s
    attempts 2

queue general
  skills general

start
  say "Hi."
  go main

menu main
  prompt "Press one for yes, two for an agent."
  1 "yes" -> yes
  2 "agent" -> agent
  on failure hangup

step yes
  say "You said yes."
  hangup

step agent
  say "Connecting you."
  handoff general reason "asked for an agent"
'''
FLAVOURS = {PlaybackMode.FILE: "community", PlaybackMode.INJECT_BINARY: "cloudfieldcz",
            PlaybackMode.INJECT_STREAM_AUDIO: "pr118"}
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
    """Every test is bounded in time; a hang reports where every task was stuck."""

    async def bounded() -> T:
        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            stacks = []
            for other in asyncio.all_tasks():
                if other is not asyncio.current_task():
                    frames = other.get_stack(limit=6)
                    where = " <- ".join(f"{f.f_code.co_name}:{f.f_lineno}" for f in frames)
                    stacks.append(f"{other.get_coro()!r}: {where}")
            task.cancel()
            raise AssertionError("the test hung; tasks:\n" + "\n".join(stacks))
        return task.result()

    return asyncio.run(bounded())


def program(flow: str = FLOW) -> Any:
    comp = compile_text(flow)
    assert comp.ok, [d.message for d in comp.diagnostics]
    return load_program(comp.ir())


async def until(check: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.005)


class Rig:
    def __init__(self, mode: PlaybackMode = PlaybackMode.FILE, flow: str = FLOW,
                 ms_per_character: float = 4.0, streaming: bool = True,
                 **settings: Any) -> None:
        self.mode = mode
        self.program = program(flow)
        self.settings = replace(BridgeSettings(token=TOKEN, playback=mode), **settings)
        # Sentence by sentence as piper (`stream`), or a synthesizer that can only do whole
        # texts (the channel falls back to one piece per prompt).
        kind = FakeSentenceSynthesizer if streaming else FakeToneSynthesizer
        self.synth: FakeToneSynthesizer = kind(ms_per_character=ms_per_character)
        self.switch = StandInSwitch(flavour=FLAVOURS[mode], broadcast_delay_s=0.01)
        self.sessions: list[Session] = []

    def new_session(self, metadata: Metadata) -> Session:
        session = Session(self.program)
        self.sessions.append(session)
        return session

    async def __aenter__(self) -> Rig:
        port = await self.switch.start()
        self.esl = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.02))
        await self.esl.start()
        self.server = MediaBridgeServer(self.settings, self.esl, self.new_session,
                                        synthesizer=self.synth)
        self.url = await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()
        await self.esl.close()
        await self.switch.close()

    def stream_url(self, token: str | None = None, path: str = "/stream") -> str:
        query = f"?token={token}" if token is not None else ""
        return f"{self.url}{path}{query}"

    async def call(self, *, rate: int = 8000, header_token: str | None = TOKEN,
                   url: str | None = None, metadata: str | None = None,
                   variables: dict[str, str] | None = None, wait: bool = True,
                   before_start: Callable[[StandInCall], None] | None = None) -> StandInCall:
        """A new channel whose audio is streamed to the bridge, started the way voxflow starts
        it: `uuid_audio_stream <uuid> start <url> mono <rate> <metadata>` over ESL."""
        extra = dict(variables or {})
        if header_token is not None:
            extra["STREAM_EXTRA_HEADERS"] = json.dumps({"Authorization": f"Bearer {header_token}"})
        call = self.switch.new_call(variables=extra)
        if before_start is not None:
            before_start(call)
        meta = metadata_for(call.uuid, rate) if metadata is None else metadata
        reply = await self.esl.audio_stream_start(call.uuid, url or self.stream_url(), rate, meta)
        assert reply.ok, reply.text
        if wait:
            await until(lambda: call.uuid in self.server.bridges, what="the bridge")
        return call

    def bridge(self, call: StandInCall) -> CallBridge:
        return self.server.bridges.get(call.uuid) or self.server.finished[call.uuid]

    async def finished(self, call: StandInCall, timeout: float = 8.0) -> CallBridge:
        return await self.server.wait_finished(call.uuid, timeout)

    def session(self, call: StandInCall) -> Session:
        session = self.bridge(call).session
        assert session is not None
        return session


def said(session: Session) -> list[str]:
    return [e["text"] for e in session.log if e["kind"] == "action"
            and e.get("type") == "play" and e.get("text")]


def events(session: Session, kind: str) -> list[dict[str, Any]]:
    return [e["event"] for e in session.log if e["kind"] == "event"
            and e["event"]["type"] == kind]


class CaptureServer:
    """A bare WebSocket server that records what a mod_audio_stream client sends, with the
    time of each frame, and can answer or close: to check the stand-in's own faithfulness."""

    def __init__(self) -> None:
        self.requests: list[web.Request] = []
        self.frames: list[tuple[float, str | bytes]] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.opened_at = 0.0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> CaptureServer:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/capture"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        self.requests.append(request)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.opened_at = asyncio.get_running_loop().time()
        self.sockets.append(ws)
        async for msg in ws:
            self.frames.append((asyncio.get_running_loop().time(), msg.data))
        return ws

    def binary(self) -> list[tuple[float, bytes]]:
        return [(t, d) for t, d in self.frames if isinstance(d, bytes)]
