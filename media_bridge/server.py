"""The WebSocket server mod_audio_stream connects to, and one `CallBridge` per connection.

FreeSWITCH opens `GET /<path>` (no subprotocol), sends the metadata as the first text frame,
then binary L16 frames. The token is checked before the upgrade (401 without one, 403 with a
wrong one), so no audio flows from a stranger. Each call is bridged on its own: a malformed
frame, a flood or a crash closes that call's socket and ends that call only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
from aiohttp import WSMsgType, web

from media_bridge import protocol as P
from media_bridge.channel import HANGUP_CAUSE_FAILED, MediaChannel
from media_bridge.esl import EslClient, EslUnavailable
from media_bridge.esl_codec import EslEvent
from media_bridge.settings import BridgeSettings
from media_bridge.speech import BufferedSpeechInput, NoSynthesizer, SpeechInput, Synthesizer
from runtime import actions as A
from runtime import events as E
from runtime.driver import CallDriver, Knowledge, RealClock
from runtime.hooks import Hooks
from runtime.session import Session

log = logging.getLogger("voxflow.media")

DTMF_KEYS = {**{d: d for d in "0123456789"}, "*": "star", "#": "pound"}
RESERVED_METADATA = ("uuid", "rate", "caller", "called", "language")
LINGER_S = 5.0  # after the bot's last words and its hang-up or transfer, how long to wait for
# the switch to close the stream
PLAY_OUT_MAX_S = 600.0  # the most the prompts still queued when the bot ended may take
IDLE_POLL_S = 0.25
SETTLE_S = 5.0  # how long a closing call's last events (an `on hangup` handler) may take
CLOSE_TIMEOUT_S = 1.0  # how long to wait for the switch to answer our close frame
KEEP_FINISHED = 1000  # finished calls kept for inspection (tests, `voxflow call`)

SessionFactory = Callable[[P.Metadata], Session]


class HeldCall(Protocol):
    """A caller the bot handed to voxflow's own queues, still on this socket (queue mode,
    `media_bridge/agent_link.py`): their keys, prompt ends and recordings go here, not to the
    finished session."""

    def on_event(self, event: E.Event) -> None: ...

    def on_gone(self, hung_up: bool) -> None:
        """The caller's leg ended (`hung_up`) or the stream closed."""


class CallHolder(Protocol):
    """Queue mode: takes a handed-off call on (setting `bridge.held`); "" when it did, else
    why not."""

    async def take(self, bridge: CallBridge, action: A.Handoff) -> str: ...
SpeechFactory = Callable[[int, Callable[[E.Event], None]], SpeechInput]
EnvFactory = Callable[[P.Metadata], dict[str, Any]]


class _PokingClock(RealClock):
    """Real timers that also wake the call's event pump when they fire. `offset_s` shifts the
    wall clock (conversation tests played through audio pin the time of day)."""

    def __init__(self, poke: Callable[[], None], offset_s: float = 0.0) -> None:
        super().__init__()
        self._poke = poke
        self._ids: set[str] = set()
        self._offset = offset_s

    def now(self) -> float:
        return super().now() + self._offset

    def start(self, timer_id: str, ms: int, fire: Callable[[], None]) -> None:
        self._ids.add(timer_id)

        def fire_and_poke() -> None:
            self._ids.discard(timer_id)
            fire()
            self._poke()

        super().start(timer_id, ms, fire_and_poke)

    def cancel_all(self) -> None:
        for timer_id in list(self._ids):
            self.cancel(timer_id)
        self._ids.clear()


class MediaBridgeServer:
    def __init__(self, settings: BridgeSettings, esl: EslClient, new_session: SessionFactory,
                 *, synthesizer: Synthesizer | None = None, hooks: Hooks | None = None,
                 http: aiohttp.ClientSession | None = None,
                 speech: SpeechFactory | None = None, knowledge: Knowledge | None = None,
                 env_for: EnvFactory | None = None,
                 clock_offset_for: Callable[[P.Metadata], float] | None = None) -> None:
        self.settings, self.esl, self.new_session = settings, esl, new_session
        self.synthesizer = synthesizer or NoSynthesizer()
        self.hooks, self.http, self.knowledge = hooks, http, knowledge
        # Per-call env.* and clock (the audio conversation tests); a deployment uses settings.
        self.env_for: EnvFactory = env_for or (lambda metadata: dict(settings.env))
        self.clock_offset_for = clock_offset_for or (lambda metadata: 0.0)
        # Called with each finished bridge, and with each hand-off as the bot makes it (the
        # voice service and the agents service take calls on from here).
        self.on_finished: list[Callable[[CallBridge], None]] = []
        self.on_handoff: list[Callable[[str, A.Handoff], None]] = []
        # Queue mode: hand-offs go to voxflow's own queues and callers wait on their socket
        # (`agent_link.EslSwitch`); None transfers them to the dialplan (`handoff_extension`).
        self.holder: CallHolder | None = None
        self.speech_factory: SpeechFactory = speech or (
            lambda rate, post: BufferedSpeechInput(rate, post))
        self.bridges: dict[str, CallBridge] = {}  # live calls by channel uuid
        self.finished: dict[str, CallBridge] = {}
        self._finished_events: dict[str, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        limits = settings.limits
        # Past twice the largest legal message aiohttp drops the connection before buffering
        # it; below that, the typed checks answer with a close code.
        self.max_message = 2 * max(P.TEXT_MAX_BYTES,
                                   P.bytes_per_ms(16000) * limits.max_frame_ms)

    async def start(self, host: str = "127.0.0.1", port: int = 0, *,
                    reuse_port: bool = False) -> str:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        # No access log: a `?token=` in the stream URL must never reach a log file.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_port=reuse_port or None)
        await site.start()
        bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
        self.url = f"ws://{bound[0]}:{bound[1]}"
        return self.url

    def handoff_made(self, uuid: str, action: A.Handoff) -> None:
        for listener in self.on_handoff:
            listener(uuid, action)

    async def stop(self) -> None:
        for bridge in list(self.bridges.values()):
            bridge.end()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_finished(self, uuid: str, timeout: float = 10.0) -> CallBridge:
        event = self._finished_events.setdefault(uuid, asyncio.Event())
        await asyncio.wait_for(event.wait(), timeout)
        return self.finished[uuid]

    def _done(self, bridge: CallBridge) -> None:
        if self.bridges.get(bridge.uuid) is bridge:
            del self.bridges[bridge.uuid]
        self.finished[bridge.uuid] = bridge
        self._finished_events.setdefault(bridge.uuid, asyncio.Event()).set()
        while len(self.finished) > KEEP_FINISHED:  # a long-running server must not grow
            oldest = next(iter(self.finished))
            del self.finished[oldest]
            self._finished_events.pop(oldest, None)
        for listener in self.on_finished:
            listener(bridge)

    # ---- the upgrade ---------------------------------------------------------------------------
    def authorize(self, request: web.Request) -> int:
        """0 when the request carries the token; else the HTTP status to refuse it with."""
        s = self.settings
        presented = request.query.get(s.token_query, "")
        header = request.headers.get(s.token_header, "")
        if header:
            scheme, _, value = header.partition(" ")
            presented = value.strip() if scheme.lower() == s.token_scheme.lower() else ""
            if not presented:
                return 403
        if not presented:
            return 401
        if not s.token or not hmac.compare_digest(presented.encode(), s.token.encode()):
            return 403
        return 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        status = self.authorize(request)
        if status:  # the address only: what was presented is never logged
            log.warning("stream refused", extra={
                "reason": "no-token" if status == 401 else "wrong-token",
                "peer": request.remote or "?"})
        if status == 401:
            return web.Response(status=401, text="a stream token is required\n",
                                headers={"WWW-Authenticate": self.settings.token_scheme})
        if status:
            return web.Response(status=403, text="the stream token is not valid\n")
        # No compression: deflating 20 ms PCM frames costs CPU per frame for little gain.
        # A short close timeout: a call that is over must not hold the server for 10 s.
        ws = web.WebSocketResponse(protocols=(), compress=False, max_msg_size=self.max_message,
                                   autoping=True, timeout=CLOSE_TIMEOUT_S)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="a WebSocket upgrade is expected\n")
        await ws.prepare(request)
        bridge = CallBridge(self, ws, request.match_info.get("tail", ""))
        try:
            await bridge.run()
        except Exception:  # one call's failure must never reach the server or other calls
            log.exception("call bridge failed", extra={"call": bridge.uuid})
            await ws.close(code=1011, message=b"internal error")
            bridge.cleanup_after_crash()
        return ws


class CallBridge:
    """One mod_audio_stream connection <-> one `Session` via `CallDriver` and `MediaChannel`."""

    def __init__(self, server: MediaBridgeServer, ws: web.WebSocketResponse, path: str) -> None:
        self.server, self.ws, self.path = server, ws, path
        self.uuid = ""
        self.metadata = P.Metadata()
        self.close_reason = ""  # why the call ended, for tests and the bridge log
        self.frames = 0
        self.session: Session | None = None
        self.gate: P.FrameGate | None = None
        self.speech: SpeechInput | None = None
        self.channel: MediaChannel | None = None
        self.driver: CallDriver | None = None
        self._clock: _PokingClock | None = None
        self._poke = asyncio.Event()
        self._settled = asyncio.Event()
        self._ending = asyncio.Event()
        self._gone = False  # the caller is gone (hang-up, socket closed, protocol error)
        self._linger: asyncio.TimerHandle | None = None
        self.held: HeldCall | None = None  # queue mode: the caller waits for a person
        # Who watches the channel's Event Socket events once this bridge is gone (a caller
        # bridged to an agent: their hang-up ends the agent's call).
        self.esl_successor: Callable[[EslEvent], None] | None = None

    # ---- the life of a call ---------------------------------------------------------------------
    async def run(self) -> None:
        s = self.server.settings
        try:
            first = await self._metadata()
        except P.ProtocolError as exc:
            await self._refuse(exc)
            return
        rate = self.metadata.rate or s.default_rate
        self.gate = P.FrameGate(rate, _now(), s.limits)
        self.session = self.server.new_session(self.metadata)
        self.speech = self.server.speech_factory(rate, self.post)
        holder = self.server.holder
        self.channel = MediaChannel(self.uuid, rate, s, self.server.esl, self.ws,
                                    self.server.synthesizer, self.speech, self.post,
                                    on_handoff=self.server.handoff_made,
                                    take_handoff=None if holder is None else (
                                        lambda action: holder.take(self, action)))
        self._clock = _PokingClock(self._poke.set, self.server.clock_offset_for(self.metadata))
        self.driver = CallDriver(self.session, self.channel, clock=self._clock,
                                 hooks=self.server.hooks, http=self.server.http,
                                 knowledge=self.server.knowledge)
        self.server.esl.watch(self.uuid, self._on_esl_event)
        self.channel.start()
        pump = asyncio.ensure_future(self._pump())
        log.info("call connected", extra={"call": self.uuid, "rate": rate})
        fields = self.metadata.fields
        self.post(E.CallStarted(
            caller=str(fields.get("caller", "")), called=str(fields.get("called", "")),
            language=str(fields.get("language", "")), env=self.server.env_for(self.metadata),
            variables={k: v for k, v in fields.items() if k not in RESERVED_METADATA
                       and isinstance(v, str | int | float | bool)}))
        reader = asyncio.ensure_future(self._read(first))
        ending = asyncio.ensure_future(self._ending.wait())
        try:
            await asyncio.wait({reader, ending}, return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():
                # Stop reading before closing: one task owns the socket's close handshake.
                reader.cancel()
                await asyncio.wait({reader})
                if not self.ws.closed:
                    await self.ws.close(code=P.CLOSE_NORMAL, message=b"call ended")
            error = None if reader.cancelled() else reader.exception()
            if isinstance(error, P.ProtocolError):
                await self._protocol_error(error)
            elif error is not None:
                raise error
            elif not self.close_reason:
                self.close_reason = "socket closed"
            self._caller_gone()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), SETTLE_S)
        finally:
            for task in (reader, ending, pump):
                task.cancel()
            await self._cleanup()
        log.info("call ended", extra={"call": self.uuid, "reason": self.close_reason,
                                      "frames": self.frames})

    async def _metadata(self) -> bytes | None:
        """Reads the first frame: the metadata (or, when none was given, the first audio)."""
        s = self.server.settings
        try:
            msg = await self.ws.receive(timeout=s.metadata_timeout_s)
        except TimeoutError:
            raise P.BadMetadata("no metadata frame in time") from None
        first: bytes | None = None
        if msg.type is WSMsgType.TEXT:
            self.metadata = P.parse_metadata(msg.data)
        elif msg.type is WSMsgType.BINARY:
            first = msg.data
        else:
            raise P.ProtocolError("the stream closed before its first frame")
        self.uuid = self.metadata.uuid or _uuid_from_path(self.path)
        if not self.uuid:
            raise P.BadMetadata("no call uuid in the metadata or the path")
        if self.uuid in self.server.bridges:
            raise P.ProtocolError("a stream for this call is already open")
        self.server.bridges[self.uuid] = self
        return first

    async def _read(self, first: bytes | None) -> None:
        """The hot path: per frame, one size/rate check and one append."""
        assert self.gate is not None and self.speech is not None
        ws, gate, push = self.ws, self.gate, self.speech.push
        loop_time = asyncio.get_running_loop().time
        if first is not None:
            gate.check(len(first), loop_time())
            push(first)
            self.frames += 1
        while True:
            msg = await ws.receive()
            if msg.type is WSMsgType.BINARY:
                gate.check(len(msg.data), loop_time())
                push(msg.data)
                self.frames += 1
            elif msg.type is WSMsgType.TEXT:
                P.check_text(msg.data)  # `send_text` / `stop <text>`: nothing to act on yet
            elif msg.type is WSMsgType.ERROR:
                exc = ws.exception()
                if isinstance(exc, aiohttp.WebSocketError) and exc.code == P.CLOSE_TOO_BIG:
                    raise P.FrameTooLarge("a message over the size limit")
                raise P.ProtocolError("the WebSocket stream is broken")
            else:  # CLOSE / CLOSING / CLOSED
                if not self.close_reason:
                    self.close_reason = "socket closed"
                return

    async def _refuse(self, exc: P.ProtocolError) -> None:
        self.close_reason = exc.kind
        log.warning("stream refused", extra={"call": self.uuid, "reason": exc.kind})
        await self.ws.close(code=exc.close_code, message=exc.kind.encode())
        if self.server.bridges.get(self.uuid) is self:
            del self.server.bridges[self.uuid]

    async def _protocol_error(self, exc: P.ProtocolError) -> None:
        """Close this call's stream with the error's code, and hang the channel up: a bot that
        cannot hear must not leave the caller in silence."""
        self.close_reason = exc.kind
        log.warning("stream closed for a protocol error", extra={"call": self.uuid,
                                                                  "reason": exc.kind})
        if not self.ws.closed:
            await self.ws.close(code=exc.close_code, message=exc.kind.encode())
        with contextlib.suppress(EslUnavailable, ValueError):
            await self.server.esl.kill(self.uuid, HANGUP_CAUSE_FAILED)

    def _release_esl(self) -> None:
        if self.esl_successor is not None:
            self.server.esl.watch(self.uuid, self.esl_successor)
        else:
            self.server.esl.unwatch(self.uuid)

    async def _cleanup(self) -> None:
        self._release_esl()
        if self._clock is not None:
            self._clock.cancel_all()
        if self._linger is not None:
            self._linger.cancel()
        if self.channel is not None:
            await self.channel.close()
        if not self.ws.closed:
            await self.ws.close()
        self.server._done(self)

    def cleanup_after_crash(self) -> None:
        self._release_esl()
        if self._clock is not None:
            self._clock.cancel_all()
        if self.uuid:
            self.server._done(self)

    def end(self) -> None:
        self._ending.set()

    # ---- events into the session ----------------------------------------------------------------
    def post(self, event: E.Event) -> None:
        if self.held is not None and isinstance(event, HELD_EVENTS):
            if not self._gone:
                self.held.on_event(event)  # the session is over; the queue has the caller
            return
        if self.driver is None or (self._gone and not isinstance(event, E.HungUp)):
            return  # nothing reaches a session after its caller has gone
        self.driver.post(event)
        self._settled.clear()
        self._poke.set()

    async def _pump(self) -> None:
        """Runs the driver whenever something was posted: events are handled one at a time."""
        assert self.driver is not None and self.session is not None
        while True:
            self._poke.clear()
            await self.driver.settle()
            self._settled.set()
            if self._gone:
                self._ending.set()
            elif self.session.ended and self._linger is None and not self._queued():
                self._linger_when_played()
            await self._poke.wait()
            self._settled.clear()

    def _linger_when_played(self, waited: float = 0.0) -> None:
        """The session has ended, but its last prompts may still be playing, with the transfer
        or hang-up after them: the linger starts once the channel has done all of it (ending
        the bridge earlier dropped the call's playback events, so the transfer never came)."""
        loop = asyncio.get_running_loop()
        channel = self.channel
        if channel is not None and not channel.idle and waited < PLAY_OUT_MAX_S \
                and not self._gone:
            self._linger = loop.call_later(IDLE_POLL_S, self._linger_when_played,
                                           waited + IDLE_POLL_S)
            return
        self._linger = loop.call_later(LINGER_S, self._ending.set)

    def _queued(self) -> bool:
        """Queue mode keeps a handed-off caller on the socket: no linger, no hang-up."""
        assert self.session is not None
        return self.held is not None or (self.server.holder is not None
                                         and self.session.state.ended == "handoff")

    def _caller_gone(self, hung_up: bool = False) -> None:
        if self._gone:
            return
        if self.held is not None:
            self.held.on_gone(hung_up)
        if self.channel is not None:
            self.channel.caller_gone()  # a voicemail keeps what was said before the hang-up
        if self.session is not None and not self.session.ended:
            self.post(E.HungUp())
        self._gone = True
        self._poke.set()

    def _on_esl_event(self, event: EslEvent) -> None:
        if self.esl_successor is not None:
            self.esl_successor(event)  # the channel has moved on (to an agent): not ours now
            return
        name = event.name
        if name == "DTMF":
            key = DTMF_KEYS.get(event.get("DTMF-Digit"))
            if key is not None:  # A-D have no meaning in a flow
                self.post(E.KeyPressed(key=key))
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self.close_reason = self.close_reason or "hang-up"
            self._caller_gone(hung_up=True)
        elif name == "CUSTOM" and event.subclass in ("mod_audio_stream::error",
                                                     "mod_audio_stream::disconnect"):
            # The media bug is gone (an error closes it); the socket closing ends the bridge.
            self.close_reason = self.close_reason or event.subclass.removeprefix(
                P.SUBCLASS_PREFIX)
        elif self.channel is not None:
            self.channel.on_esl_event(event)


# What a held caller does (keys, the end of what they hear, a voicemail) goes to the queue.
HELD_EVENTS = (E.KeyPressed, E.PlaybackFinished, E.RecordResult, E.Speech, E.NoInput)


def _now() -> float:
    return asyncio.get_running_loop().time()


# Only a canonical uuid names a call from the path (`ws://host/calls/${uuid}`): a path word
# such as `/stream` must never be mistaken for a channel.
PATH_UUID_RE = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _uuid_from_path(path: str) -> str:
    last = path.rstrip("/").rpartition("/")[2]
    return last if PATH_UUID_RE.fullmatch(last) else ""


def metadata_for(uuid: str, rate: int, **fields: Any) -> str:
    """The metadata voxflow passes to `uuid_audio_stream ... start`: compact JSON (the module
    takes the rest of the command line, spaces included)."""
    return json.dumps({"uuid": uuid, "rate": rate, **fields}, separators=(",", ":"))
