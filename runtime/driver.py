"""The asyncio driver: performs a session's actions and feeds the results back as events.

It is the only part of the runtime that touches the network, threads and clocks. Events are
handled strictly one at a time (a queue), so the session is never re-entered. Channels (the text
chat, the conversation-test harness, later the media bridge) plug in through `Channel`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from runtime import actions as A
from runtime import events as E
from runtime.hooks import HookError, Hooks
from runtime.session import Session

log = logging.getLogger("voxflow.driver")
RETRY_BACKOFF_S = 0.2


class Channel(Protocol):
    """Where the caller is: it shows the bot's actions and says when prompts end."""

    async def perform(self, action: A.Action, driver: CallDriver) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...
    def start(self, timer_id: str, ms: int, fire: Callable[[], None]) -> None: ...
    def cancel(self, timer_id: str) -> None: ...


class RealClock:
    """Wall-clock time and loop timers."""

    def __init__(self) -> None:
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def now(self) -> float:
        return time.time()

    def start(self, timer_id: str, ms: int, fire: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self._handles[timer_id] = loop.call_later(ms / 1000, self._fire, timer_id, fire)

    def _fire(self, timer_id: str, fire: Callable[[], None]) -> None:
        self._handles.pop(timer_id, None)
        fire()

    def cancel(self, timer_id: str) -> None:
        handle = self._handles.pop(timer_id, None)
        if handle is not None:
            handle.cancel()


@dataclass
class ManualClock:
    """A fixed clock whose timers fire only when asked: for tests and the text channel."""

    at: float = 0.0
    pending: dict[str, tuple[int, Callable[[], None]]] = field(default_factory=dict)

    def now(self) -> float:
        return self.at

    def start(self, timer_id: str, ms: int, fire: Callable[[], None]) -> None:
        self.pending[timer_id] = (ms, fire)

    def cancel(self, timer_id: str) -> None:
        self.pending.pop(timer_id, None)

    def fire(self, prefix: str) -> bool:
        """Fire the pending timer whose id starts with `prefix` (advancing the clock)."""
        for timer_id, (ms, fire) in list(self.pending.items()):
            if timer_id.startswith(prefix):
                del self.pending[timer_id]
                self.at += ms / 1000
                fire()
                return True
        return False


class Knowledge(Protocol):
    async def ask(self, collection: str, question: str) -> tuple[str, float, str]: ...


class NoKnowledge:
    """Used until a knowledge base is configured: every question goes to `on no_answer`."""

    async def ask(self, collection: str, question: str) -> tuple[str, float, str]:
        return "", 0.0, ""


class CallDriver:
    def __init__(self, session: Session, channel: Channel, *, clock: Clock | None = None,
                 hooks: Hooks | None = None, http: aiohttp.ClientSession | None = None,
                 knowledge: Knowledge | None = None) -> None:
        self.session = session
        self.channel = channel
        self.clock = clock or RealClock()
        self.hooks = hooks
        self.http = http
        self.knowledge = knowledge or NoKnowledge()
        self._queue: asyncio.Queue[E.Event] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy = False

    # ---- events in -------------------------------------------------------------------------
    def post(self, event: E.Event) -> None:
        """Queue an event (stamped with the clock if it has no time)."""
        if not event.at:
            event = type(event)(**{**event.__dict__, "at": self.clock.now()})
        self._queue.put_nowait(event)

    async def send(self, event: E.Event) -> None:
        """Queue an event and wait until the call is quiet again."""
        self.post(event)
        await self.settle()

    async def settle(self) -> None:
        """Process queued events until none are left and no request is in flight."""
        while True:
            while not self._queue.empty():
                event = self._queue.get_nowait()
                prepare = getattr(self.session.intents, "prepare", None)
                if prepare is not None and isinstance(event, E.Speech):
                    await prepare(event.text)  # a remote NLU answers before the turn (nlu/rasa)
                for action in self.session.handle(event):
                    await self._perform(action)
            if not self._tasks:
                return
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)

    # ---- actions out -----------------------------------------------------------------------
    async def _perform(self, action: A.Action) -> None:
        if isinstance(action, A.StartTimer):
            self.clock.start(action.timer_id, action.ms,
                             lambda tid=action.timer_id: self.post(E.TimerFired(timer_id=tid)))
        elif isinstance(action, A.CancelTimer):
            self.clock.cancel(action.timer_id)
        elif isinstance(action, A.Fetch):
            self._spawn(self._fetch(action))
        elif isinstance(action, A.RunHook):
            self._spawn(self._hook(action))
        elif isinstance(action, A.AskKnowledge):
            self._spawn(self._knowledge(action))
        await self.channel.perform(action, self)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, action: A.Fetch) -> None:
        if self.http is None:
            self.post(E.FetchResult(request_id=action.request_id, error="no HTTP client"))
            return
        error = ""
        status = 0
        for attempt in range(action.retries + 1):
            if attempt:
                await asyncio.sleep(RETRY_BACKOFF_S * attempt)
            try:
                timeout = aiohttp.ClientTimeout(total=action.timeout_ms / 1000)
                async with self.http.request(action.method, action.url, headers=action.headers,
                                             json=action.body, timeout=timeout) as resp:
                    status = resp.status
                    text = await resp.text()
                    if 200 <= resp.status < 300:
                        body = json.loads(text) if text.strip() else None
                        self.post(E.FetchResult(request_id=action.request_id, ok=True,
                                                status=status, body=body))
                        return
                    error = f"HTTP {resp.status}"
                    if resp.status < 500:
                        break  # a client error will not change on retry
            except TimeoutError:
                error = f"no answer within {action.timeout_ms} ms"
            except (aiohttp.ClientError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                # The exception text can quote the URL, which may hold slot values: keep the kind.
                error = type(exc).__name__
        log.warning("fetch failed", extra={"request_id": action.request_id, "error": error})
        self.post(E.FetchResult(request_id=action.request_id, ok=False, status=status,
                                error=error))

    async def _hook(self, action: A.RunHook) -> None:
        if self.hooks is None:
            self.post(E.HookResult(request_id=action.request_id, error="this bot has no hooks"))
            return
        try:
            value = await self.hooks.call(action.hook, action.args, action.timeout_ms)
        except HookError as exc:
            self.post(E.HookResult(request_id=action.request_id, error=str(exc)))
            return
        self.post(E.HookResult(request_id=action.request_id, ok=True, value=value))

    async def _knowledge(self, action: A.AskKnowledge) -> None:
        try:
            answer, confidence, source = await self.knowledge.ask(action.collection,
                                                                  action.question)
        except Exception as exc:  # a broken knowledge base must not end the call
            self.post(E.KnowledgeResult(request_id=action.request_id, error=str(exc)))
            return
        self.post(E.KnowledgeResult(request_id=action.request_id, answer=answer,
                                    confidence=confidence, source=source))
