"""An asyncio Event Socket client: one inbound connection shared by every call of a bridge.

Why not the `genesis` library (evaluated at 2026.10.18): it has no reconnection; it puts every
event header (DTMF-Digit included) on OpenTelemetry spans and logs whole commands and events at
debug/trace level, which would leak digits and stream tokens; it runs each event handler in its
own task (or thread), so a call could see hang-up before the DTMF that preceded it; and it pulls
about 40 packages (fastapi, uvicorn, redis, pydantic, opentelemetry, rich, typer, watchdog).
What voxflow needs is small: auth, one subscription, `api` commands answered in order, events
routed by Unique-ID in wire order, and reconnect with backoff. The wire format is in
`esl_codec.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from media_bridge import esl_codec as C
from media_bridge.protocol import SUBCLASS_PREFIX, SUBCLASSES

log = logging.getLogger("voxflow.esl")

# Plain events first: every word after CUSTOM is a subclass. PLAYBACK_START/STOP tell when a
# `uuid_broadcast` begins and ends (file playback mode needs the end to start listening).
EVENTS = ("DTMF", "CHANNEL_HANGUP_COMPLETE", "PLAYBACK_START", "PLAYBACK_STOP")

EventHandler = Callable[[C.EslEvent], None]


class EslUnavailable(ConnectionError):
    """No connection to FreeSWITCH right now (it restarted, or never answered)."""


class EslAuthError(ConnectionError):
    """FreeSWITCH refused the password: retrying will not help."""


class EslRejected(ConnectionError):
    """FreeSWITCH's Event Socket refused this host (its apply-inbound-acl) before any auth."""


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.1
    factor: float = 2.0
    max_s: float = 5.0

    def delays(self) -> Iterable[float]:
        delay = self.first_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_s)


@dataclass(frozen=True)
class ApiReply:
    text: str  # the command's output, trailing newline removed

    @property
    def ok(self) -> bool:
        return self.text.startswith("+OK")


class EslClient:
    """`start()` connects (and keeps reconnecting); `watch(uuid, handler)` routes that channel's
    events to `handler`, called in wire order on the reader task; events of channels nobody
    watches, and CUSTOM events of other modules, are dropped."""

    def __init__(self, host: str, port: int, password: str, *,
                 events: Iterable[str] = EVENTS, subclasses: Iterable[str] = SUBCLASSES,
                 backoff: Backoff | None = None, command_timeout_s: float = 5.0) -> None:
        self.host, self.port = host, port
        self._password = password
        self._subscription = C.event_subscription(events, subclasses)
        self._backoff = backoff or Backoff()
        self._timeout = command_timeout_s
        self._watchers: dict[str, EventHandler] = {}
        self._replies: deque[asyncio.Future[C.EslMessage]] = deque()
        self._lock = asyncio.Lock()  # one command on the wire at a time: replies are in order
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.connections = 0  # how many times a connection was set up (tests, metrics)

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self, wait_s: float | None = 5.0) -> None:
        """Start connecting; wait up to `wait_s` for the first connection (None: do not wait)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        if wait_s is not None:
            waiter = asyncio.ensure_future(self.connected.wait())
            done, _ = await asyncio.wait({waiter, self._task}, timeout=wait_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if self._task in done:
                waiter.cancel()
                self._task.result()  # raises EslAuthError or EslRejected
            if waiter not in done:
                waiter.cancel()
                raise EslUnavailable(f"no Event Socket at {self.host}:{self.port}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)  # never hang a shutdown on it
            if self._task.done() and not self._task.cancelled():
                self._task.exception()  # retrieved: an auth error was already logged
            self._task = None
        self._drop_connection()

    async def _run(self) -> None:
        delays = iter(self._backoff.delays())
        rejected = False  # log a run of ACL refusals once
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(next(delays))
                continue
            before = self.connections
            try:
                await self._serve(reader, writer)
                delays = iter(self._backoff.delays())  # it worked for a while: start over
            except EslAuthError:
                self._drop_connection()
                log.error("Event Socket refused the password")
                raise
            except EslRejected:
                # Never connected: a configuration error, said at start. Once connected, an
                # ACL change is retried: the operator may be fixing it with `reloadacl`.
                self._drop_connection()
                if not self.connections:
                    raise
                if not rejected:
                    log.error("Event Socket refused this host (FreeSWITCH's apply-inbound-acl)")
                rejected = True
                await asyncio.sleep(next(delays))
                continue
            except (OSError, C.EslProtocolError, asyncio.IncompleteReadError,
                    TimeoutError) as exc:
                log.warning("Event Socket connection lost", extra={"error": type(exc).__name__})
            if self.connections != before:
                rejected = False
            self._drop_connection()
            await asyncio.sleep(next(delays))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = C.EslParser()
        pending: deque[C.EslMessage] = deque()

        async def next_message() -> C.EslMessage:
            while not pending:
                data = await reader.read(65536)
                if not data:
                    raise asyncio.IncompleteReadError(b"", None)
                pending.extend(parser.feed(data))
            return pending.popleft()

        # Handshake: auth/request, then auth and the subscription, each answered in turn.
        hello = await asyncio.wait_for(next_message(), self._timeout)
        if hello.content_type == C.RUDE_REJECTION:
            raise EslRejected(f"the Event Socket at {self.host}:{self.port} refused this host")
        if hello.content_type != "auth/request":
            raise C.EslProtocolError("the server did not ask for auth")
        writer.write(C.encode_command(f"auth {self._password}"))
        if not (await asyncio.wait_for(next_message(), self._timeout)).reply_text.startswith(
                "+OK"):
            raise EslAuthError("Event Socket authentication failed")
        writer.write(C.encode_command(self._subscription))
        reply = await asyncio.wait_for(next_message(), self._timeout)
        if not reply.reply_text.startswith("+OK"):
            raise C.EslProtocolError("the event subscription was refused")
        self._writer = writer
        self.connections += 1
        self.connected.set()
        log.info("Event Socket connected")
        while True:
            self._dispatch(await next_message())

    def _drop_connection(self) -> None:
        self.connected.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        while self._replies:
            future = self._replies.popleft()
            if not future.done():
                future.set_exception(EslUnavailable("the Event Socket connection was lost"))

    def _dispatch(self, message: C.EslMessage) -> None:
        kind = message.content_type
        if kind == "text/event-plain":
            self._route(C.parse_event_plain(message.body))
        elif kind in ("api/response", "command/reply"):
            if self._replies:
                future = self._replies.popleft()
                if not future.done():
                    future.set_result(message)
        elif kind == "text/disconnect-notice":
            raise C.EslProtocolError("the server said goodbye")

    def _route(self, event: C.EslEvent) -> None:
        if event.name == "CUSTOM" and not event.subclass.startswith(SUBCLASS_PREFIX):
            return  # another module's event
        handler = self._watchers.get(event.unique_id)
        if handler is None:
            return  # another call's event
        try:
            handler(event)
        except Exception:  # one call's bug must not stop the events of every other call
            log.exception("ESL event handler failed", extra={"call": event.unique_id})

    # ---- calls -------------------------------------------------------------------------------
    def watch(self, uuid: str, handler: EventHandler) -> None:
        self._watchers[uuid] = handler

    def unwatch(self, uuid: str) -> None:
        self._watchers.pop(uuid, None)

    # ---- commands ----------------------------------------------------------------------------
    async def api(self, command: str) -> ApiReply:
        """Run an API command and return its output. Commands are never logged: they carry
        stream URLs (tokens) and handoff values."""
        data = C.encode_command(f"api {command}")
        async with self._lock:
            writer = self._writer
            if writer is None or not self.connected.is_set():
                raise EslUnavailable("no Event Socket connection")
            future: asyncio.Future[C.EslMessage] = asyncio.get_running_loop().create_future()
            self._replies.append(future)
            writer.write(data)
            try:
                message = await asyncio.wait_for(asyncio.shield(future), self._timeout)
            except TimeoutError:
                raise EslUnavailable("no reply from the Event Socket") from None
        return ApiReply(message.body.decode("utf-8", errors="replace").rstrip("\n"))

    async def audio_stream_start(self, uuid: str, url: str, rate: int,
                                 metadata: str = "") -> ApiReply:
        return await self.api(C.uuid_audio_stream_start(uuid, url, rate, metadata))

    async def audio_stream_stop(self, uuid: str) -> ApiReply:
        return await self.api(C.uuid_audio_stream_stop(uuid))

    async def broadcast(self, uuid: str, path: str) -> ApiReply:
        return await self.api(C.uuid_broadcast(uuid, path))

    async def break_all(self, uuid: str) -> ApiReply:
        return await self.api(C.uuid_break(uuid))

    async def setvar(self, uuid: str, name: str, value: str) -> ApiReply:
        return await self.api(C.uuid_setvar(uuid, name, value))

    async def setvar_multi(self, uuid: str, variables: dict[str, str]) -> ApiReply:
        return await self.api(C.uuid_setvar_multi(uuid, variables))

    async def transfer(self, uuid: str, exten: str, context: str) -> ApiReply:
        return await self.api(C.uuid_transfer(uuid, exten, context))

    async def kill(self, uuid: str, cause: str = "") -> ApiReply:
        return await self.api(C.uuid_kill(uuid, cause))
