"""`AgentService`: the router, the store, a clock and the switch, driven as one.

The runtime hands calls over (`handoff`), agents' desktops and supervisors act (`set_state`,
`accept`, `decline`, `wrap_up`...), the switch reports (`hung_up`, `bridge_failed`,
`originate_result`...).
Each becomes one router event at the clock's time: `Router.handle`, then `Store.record` in one
transaction, then the commands are carried out: pushed to the right desktops (offers with their
screen pop, state changes, wrap-up) and queued for the switch (bridge on accept, originate a
callback, announcements) in order. A timer at `Router.next_due()` sends the `Tick`s that
offer timeouts, wrap-ups, overflow and announcements need.

Everything runs on one asyncio loop, and a step is synchronous, so the router is never
re-entered. Desktops and supervisors listen through `Connection`s (the web app's WebSockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agents import commands as C
from agents import events as E
from agents.router import Router
from agents.screen import screen_pop
from agents.store import Store, day_window
from agents.store.kpis import Kpis
from agents.switch import (
    BridgeRequest,
    CallerGone,
    OriginateRequest,
    Switch,
    SwitchError,
    clean_cause,
    failure_reason,
)
from agents.users import User, Users
from runtime.actions import Handoff

log = logging.getLogger("voxflow.agents")

DISPOSITIONS: dict[str, str] = {
    "resolved": "Resolved",
    "follow_up": "Follow-up needed",
    "escalated": "Escalated",
    "complaint_logged": "Complaint logged",
    "callback_promised": "Callback promised",
    "wrong_queue": "Wrong queue",
    "no_action": "No action needed",
}
NOT_READY_REASONS = ("Break", "Lunch", "Meeting", "Training", "Paperwork")
MAX_REASON = 60
MAX_NOTES = 2000


@dataclass(frozen=True, kw_only=True)
class ServiceConfig:
    reveal_roles: frozenset[str] = frozenset({"senior", "supervisor"})  # see sensitive values
    dispositions: dict[str, str] = field(default_factory=lambda: dict(DISPOSITIONS))
    not_ready_reasons: tuple[str, ...] = NOT_READY_REASONS
    service_level_s: float = 20.0  # "answered within N seconds"
    timezone: str = "UTC"  # where "today" starts for the supervisor's figures
    previous_calls: int = 5  # on the screen pop
    snapshot_interval_s: float = 0.5  # supervisors get at most this many snapshots a second


class ServiceError(Exception):
    """An action that cannot be done now; `status` is the HTTP status, the text is for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# --- clocks -------------------------------------------------------------------------------

class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...
    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Cancellable: ...


class WallClock:
    """Seconds since the epoch, and the running loop's timers."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(delay_s, fn)


class _Pending:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only when told (tests): `advance(s)` fires what fell due, in order."""

    def __init__(self, at: float) -> None:
        self.at = at
        self._heap: list[tuple[float, int, _Pending, Callable[[], None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.at

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Cancellable:
        handle = _Pending()
        heapq.heappush(self._heap, (self.at + max(0.0, delay_s), next(self._seq), handle, fn))
        return handle

    def advance(self, seconds: float) -> None:
        until = self.at + seconds
        while self._heap and self._heap[0][0] <= until:
            due, _, handle, fn = heapq.heappop(self._heap)
            if handle.cancelled:
                continue
            self.at = max(self.at, due)
            fn()
        self.at = until


# --- who listens ----------------------------------------------------------------------------

class Connection:
    """One open desktop or supervisor screen; the web app drains `queue` into its socket."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.open = True

    def push(self, message: dict[str, Any]) -> None:
        if self.open:
            self.queue.put_nowait(message)

    def close(self) -> None:
        """Ask the socket to close (None ends the writer)."""
        if self.open:
            self.open = False
            self.queue.put_nowait(None)


@dataclass
class Desk:
    """What one agent's desktop shows, kept so a reconnecting desktop gets it back."""

    user: User
    state: str = "logged_out"
    reason: str = ""
    since: float = 0.0
    offer: dict[str, Any] | None = None
    call: dict[str, Any] | None = None  # {"call_id", "queue", "since", "offer_id"}
    screen: dict[str, Any] | None = None  # the screen pop of the offered or current call
    wrap_until: float | None = None
    connections: set[Connection] = field(default_factory=set)


@dataclass(frozen=True)
class HandoffResult:
    call_id: str
    queued: bool
    queue: str
    reason: str = ""  # why it was refused (unknown queue, call id already used)
    position: int = 0  # 0 when it went straight to an agent's screen
    wait_minutes: int | None = None
    more_than: bool = False
    offered_to: str = ""


class AgentService:
    def __init__(self, router: Router, store: Store, switch: Switch, *,
                 clock: Clock | None = None, config: ServiceConfig | None = None) -> None:
        self.router, self.store, self.switch = router, store, switch
        self.clock = clock or WallClock()
        self.config = config or ServiceConfig()
        self.users = Users(store.conn)
        self.desks: dict[str, Desk] = {}
        self.offers: dict[str, str] = {}  # open offer id -> agent
        self.supervisors: set[Connection] = set()
        self._jobs: asyncio.Queue[Callable[[], Any] | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._timer: Cancellable | None = None
        self._due: float | None = None
        self._snapshot_pending = False

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._switch_worker(), name="agents-switch")

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for desk in self.desks.values():
            for conn in list(desk.connections):
                conn.close()
        for conn in list(self.supervisors):
            conn.close()
        if self._worker is not None:
            self._jobs.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def idle(self) -> None:
        """Wait until every switch request so far has been carried out (tests, benches)."""
        await self._jobs.join()

    # --- the router step --------------------------------------------------------------------

    def step(self, event: E.Event) -> list[C.Command]:
        out = self.router.handle(event)
        try:
            self.store.record(event, out)
        except sqlite3.Error:
            # The call goes on; only its records miss this step. Loud, never silent.
            log.exception("could not record a router step (%s)", event.type)
        for command in out:
            self._carry_out(command)
        self._rearm()
        if out and self.supervisors:
            self._snapshot_soon()
        return out

    def _rearm(self) -> None:
        due = self.router.next_due()
        if due == self._due and (self._timer is not None or due is None):
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due = due
        if due is not None:
            self._timer = self.clock.call_later(max(0.0, due - self.clock.now()), self._tick)

    def _tick(self) -> None:
        due, self._timer, self._due = self._due, None, None
        # A loop timer may wake a hair early: never tick before what fell due.
        self.step(E.Tick(at=max(self.clock.now(), due or 0.0)))

    def _carry_out(self, c: C.Command) -> None:
        if isinstance(c, C.AgentStateChanged):
            desk = self._desk(c.agent)
            if desk is None:
                return
            desk.state, desk.reason, desk.since = c.state, c.reason, c.at
            self._push(desk, {"type": "state", "state": c.state, "reason": c.reason,
                              "since": c.at})
        elif isinstance(c, C.Offer):
            self._offered(c)
        elif isinstance(c, C.RescindOffer):
            self.offers.pop(c.offer_id, None)
            desk = self._desk(c.agent)
            if desk is not None and desk.offer and desk.offer["offer_id"] == c.offer_id:
                desk.offer = desk.screen = None
                self._push(desk, {"type": "offer_ended", "offer_id": c.offer_id,
                                  "reason": c.reason})
        elif isinstance(c, C.Bridge):
            self.offers.pop(c.offer_id, None)
            desk = self._desk(c.agent)
            self._connected(desk, c.call_id, c.queue, c.offer_id, c.at)
            if desk is not None:
                request = BridgeRequest(call_id=c.call_id, agent=c.agent,
                                        endpoint=desk.user.endpoint, queue=c.queue,
                                        handoff_id=c.handoff_id, offer_id=c.offer_id)
                self._job(lambda: self._bridge(request))
        elif isinstance(c, C.ConnectFailed):
            desk = self._desk(c.agent)
            if desk is not None and desk.call and desk.call["call_id"] == c.call_id:
                desk.call = desk.screen = None
                if c.cause == E.CALLER_HUNG_UP:  # nothing wrong with the phone (offers.py)
                    text = ("The caller hung up while your phone was ringing. There is "
                            "nothing to wrap up.")
                else:
                    text = (f"The call could not be put through to your phone ({c.reason}). "
                            "The caller is back in the queue and keeps their place; you are "
                            "not ready until you go available.")
                self._push(desk, {"type": "call_failed", "call_id": c.call_id,
                                  "reason": c.reason, "text": text})
            self._job(lambda: self.switch.tell_caller(c))
        elif isinstance(c, C.CallbackFinished) and c.kept:
            agent = next((a for a, d in self.desks.items()
                          if d.offer and d.offer["call_id"] == c.call_id), "")
            desk = self._desk(agent)
            if desk is not None and desk.offer is not None:
                self.offers.pop(desk.offer["offer_id"], None)
                self._connected(desk, c.call_id, c.queue, desk.offer["offer_id"], c.at)
        elif isinstance(c, C.Originate):
            desk = self._desk(c.agent)
            request = OriginateRequest(
                call_id=c.call_id, offer_id=c.offer_id, agent=c.agent,
                endpoint=desk.user.endpoint if desk else "", queue=c.queue, number=c.number,
                handoff_id=c.handoff_id, attempt=c.attempt)
            self._job(lambda: self.switch.originate(request))
        elif isinstance(c, C.CancelOriginate):
            self._job(lambda: self.switch.cancel_originate(c.offer_id, c.call_id))
        elif isinstance(c, C.Completed):
            desk = self._desk(c.agent)
            if desk is not None:
                self._push(desk, {"type": "call_ended", "call_id": c.call_id})
        elif isinstance(c, C.WrapUpStarted):
            desk = self._desk(c.agent)
            if desk is not None:
                desk.wrap_until = c.until
                self._push(desk, {"type": "wrap_up", "call_id": c.call_id, "until": c.until,
                                  "now": c.at})
        elif isinstance(c, C.WrapUpEnded):
            desk = self._desk(c.agent)
            if desk is not None:
                desk.call = desk.screen = desk.wrap_until = None
                self._push(desk, {"type": "wrap_up_ended", "call_id": c.call_id,
                                  "timed_out": c.timed_out})
        elif isinstance(c, C.Announce | C.OfferCallback | C.CallbackScheduled | C.ToVoicemail
                        | C.Disconnect):
            self._job(lambda: self.switch.tell_caller(c))

    def _offered(self, c: C.Offer) -> None:
        self.offers[c.offer_id] = c.agent
        desk = self._desk(c.agent)
        if desk is None:
            return
        desk.offer = {"offer_id": c.offer_id, "call_id": c.call_id, "queue": c.queue,
                      "kind": c.kind, "offered_at": c.at, "expires_at": c.expires_at}
        desk.screen = self.screen_for(desk.user, c.call_id)
        self._push(desk, {"type": "offer", "now": c.at, "offer": desk.offer,
                          "screen": desk.screen})

    def _connected(self, desk: Desk | None, call_id: str, queue: str, offer_id: str,
                   at: float) -> None:
        if desk is None:
            return
        desk.offer = None
        desk.call = {"call_id": call_id, "queue": queue, "since": at, "offer_id": offer_id}
        self._push(desk, {"type": "connected", "call": desk.call, "now": at})

    async def _bridge(self, request: BridgeRequest) -> None:
        try:
            await self.switch.bridge(request)
        except CallerGone as exc:
            # Nobody to put back in the queue: the call ends (wrap-up follows).
            log.warning("bridge failed for call %s, the caller is gone: %s", request.call_id,
                        exc)
            self._notice(request.agent, f"The caller could not be connected ({exc}).")
            self.hung_up(request.call_id)
        except Exception as exc:
            # The switch says the caller still waits (a command failed before the transfer
            # took effect): back to the queue in their place, and the agent goes not ready.
            # Anything but a SwitchError is a bug of the switch: the same, with its trace (a
            # caller who is in fact gone is found out at the next offer's bridge).
            if isinstance(exc, SwitchError):
                log.warning("bridge failed for call %s: %s", request.call_id, exc)
            else:
                log.exception("bridge failed for call %s", request.call_id)
            self._notice(request.agent, f"The caller could not be connected ({exc}).")
            self.bridge_failed(request.call_id, "", offer_id=request.offer_id,
                               reason="Phone could not be connected")

    def _notice(self, agent: str, text: str, level: str = "error") -> None:
        desk = self._desk(agent)
        if desk is not None:
            self._push(desk, {"type": "notice", "level": level, "text": text})

    def _job(self, job: Callable[[], Any]) -> None:
        self._jobs.put_nowait(job)

    async def _switch_worker(self) -> None:
        """Switch requests in the order the router made them, one at a time."""
        while True:
            job = await self._jobs.get()
            try:
                if job is None:
                    return
                await job()
            except Exception:
                log.exception("a switch request failed")
            finally:
                self._jobs.task_done()

    def _desk(self, agent: str) -> Desk | None:
        desk = self.desks.get(agent)
        if desk is None:
            user = self.users.get(agent)
            if user is None or not user.takes_calls:
                return None
            desk = self.desks[agent] = Desk(user)
        return desk

    def _push(self, desk: Desk, message: dict[str, Any]) -> None:
        for conn in desk.connections:
            conn.push(message)

    # --- the screen pop ---------------------------------------------------------------------

    def may_reveal(self, user: User) -> bool:
        return user.role in self.config.reveal_roles

    def screen_for(self, user: User, call_id: str) -> dict[str, Any] | None:
        """The screen pop of `call_id` as `user` may see it (sensitive values masked unless
        their role may see them: the unmasked value never leaves the server otherwise)."""
        stored = self.store.handoff(call_id, reveal=True)
        if stored is None:
            return None
        previous = self.store.previous_calls(stored["caller_number"], stored["queued_at"],
                                             exclude=call_id, limit=self.config.previous_calls)
        return screen_pop(stored, reveal=self.may_reveal(user), now=self.clock.now(),
                          previous=previous)

    # --- from the runtime and the switch ----------------------------------------------------

    async def handoff(self, call_id: str, action: Handoff, caller: dict[str, Any], *,
                      number: str | None = None, intent: str = "",
                      intent_confidence: float | None = None) -> HandoffResult:
        """The bot handed `call_id` off: queue it (the switch keeps the caller on hold and
        plays what `tell_caller` says until `bridge`). `caller` holds caller.* (number, name,
        tier, vip); `number` is where a callback goes (the caller's number by default)."""
        if self.store.conn.execute("SELECT 1 FROM handoffs WHERE call_id = ?",
                                   (call_id,)).fetchone():
            return HandoffResult(call_id, False, action.queue, "call id already used")
        number = str(caller.get("number") or "") if number is None else number
        out = self.step(E.CallQueued(at=self.clock.now(), call_id=call_id, handoff=action,
                                     caller=dict(caller), number=number, intent=intent,
                                     intent_confidence=intent_confidence))
        for c in out:
            if isinstance(c, C.Rejected) and c.call_id == call_id:
                return HandoffResult(call_id, False, c.queue, c.reason)
        offered = next((c.agent for c in out if isinstance(c, C.Offer)
                        and c.call_id == call_id), "")
        figure = self.router.expected_wait(call_id)
        return HandoffResult(call_id, True, action.queue,
                             position=self.router.position(call_id),
                             wait_minutes=figure.minutes, more_than=figure.more_than,
                             offered_to=offered)

    def hung_up(self, call_id: str) -> None:
        self.step(E.HungUp(at=self.clock.now(), call_id=call_id))

    def bridge_failed(self, call_id: str, cause: str = "", *, offer_id: str = "",
                      reason: str = "", caller_gone: bool = False) -> None:
        """The switch could not connect `call_id` to the agent who accepted it (`cause`: its
        word, NO_ANSWER, USER_BUSY...); the caller waits again unless `caller_gone`. `offer_id`
        names the accepted offer, so a late report about an earlier attempt changes nothing."""
        cause = clean_cause(cause)
        reason = (reason or failure_reason(cause))[:MAX_REASON]
        self.step(E.BridgeFailed(at=self.clock.now(), call_id=call_id, offer_id=offer_id,
                                 cause=cause, reason=reason, caller_gone=caller_gone))

    def originate_result(self, offer_id: str, answered: bool) -> None:
        self.step(E.OriginateResult(at=self.clock.now(), offer_id=offer_id, answered=answered))

    def callback_accepted(self, call_id: str, number: str = "") -> None:
        self.step(E.CallbackAccepted(at=self.clock.now(), call_id=call_id, number=number))

    def voicemail_chosen(self, call_id: str) -> None:
        self.step(E.VoicemailChosen(at=self.clock.now(), call_id=call_id))

    # --- desktops ---------------------------------------------------------------------------

    def connect(self, user: User) -> Connection:
        """A desktop or supervisor screen opened. An agent who was logged out is logged in
        (not ready until they say they are available)."""
        conn = Connection(user)
        if not user.takes_calls:
            self.supervisors.add(conn)
            conn.push(self.snapshot())
            return conn
        desk = self._desk(user.id)
        assert desk is not None
        desk.user = user
        if self.router.agent_state(user.id)[0] == "logged_out":
            self.step(E.AgentLoggedIn(at=self.clock.now(), agent=user.id, skills=user.skills))
        desk.connections.add(conn)
        conn.push(self.hello(desk))
        return conn

    def disconnect(self, conn: Connection) -> None:
        conn.open = False
        if conn in self.supervisors:
            self.supervisors.discard(conn)
            return
        desk = self.desks.get(conn.user.id)
        if desk is None:
            return
        desk.connections.discard(conn)
        if not desk.connections and desk.state != "logged_out":
            self.step(E.AgentDisconnected(at=self.clock.now(), agent=conn.user.id))

    def hello(self, desk: Desk) -> dict[str, Any]:
        return {"type": "hello", "now": self.clock.now(), "user": desk.user.public(),
                "state": desk.state, "reason": desk.reason, "since": desk.since,
                "offer": desk.offer, "call": desk.call, "screen": desk.screen,
                "wrap_until": desk.wrap_until, "reveal": self.may_reveal(desk.user),
                "dispositions": [{"code": k, "label": v}
                                 for k, v in self.config.dispositions.items()],
                "not_ready_reasons": list(self.config.not_ready_reasons)}

    def set_state(self, user: User, state: str, reason: str = "", *,
                  by: User | None = None) -> None:
        """available | not_ready (with a reason) | logged_out | logged_in, for the agent
        `user`, by the agent or (with `by`) a supervisor."""
        desk = self._desk(user.id)
        if desk is None:
            raise ServiceError(400, f"{user.name} does not take calls.")
        current = self.router.agent_state(user.id)[0]
        now = self.clock.now()
        reason = " ".join(reason.split())[:MAX_REASON]
        if state == "available":
            if current == "logged_out":
                raise ServiceError(409, f"{user.name} is logged out." if by else
                                   "Log in first.")
            if not desk.connections:
                raise ServiceError(409, f"{user.name}'s desktop is not open, so no call "
                                   "can be offered to them.")
            self.step(E.AgentReady(at=now, agent=user.id))
        elif state == "not_ready":
            if current == "logged_out":
                raise ServiceError(409, f"{user.name} is logged out." if by else
                                   "Log in first.")
            if not reason:
                reason = "Not ready"
            if by is not None:
                reason = f"{reason} (set by {by.name})"
            self.step(E.AgentNotReady(at=now, agent=user.id, reason=reason))
        elif state == "logged_out":
            self.step(E.AgentLoggedOut(at=now, agent=user.id))
        elif state == "logged_in":
            if current != "logged_out":
                return
            if not desk.connections:
                raise ServiceError(409, f"{user.name}'s desktop is not open.")
            self.step(E.AgentLoggedIn(at=now, agent=user.id, skills=user.skills))
        else:
            raise ServiceError(400, "The state must be available, not_ready, logged_out or "
                               "logged_in.")
        if by is not None:
            after = self.router.agent_state(user.id)
            self._push(desk, {"type": "notice", "level": "info",
                              "text": f"{by.name} changed your state to "
                                      f"{_STATE_WORDS.get(after[0], after[0])}"
                                      + (f": {after[1]}" if after[1] else "")
                                      + (" (after this call)" if after[0] != state
                                         and current in ("on_call", "wrap_up") else "")
                                      + "."})

    def accept(self, user: User, offer_id: str) -> None:
        self._own_offer(user, offer_id)
        self.step(E.OfferAccepted(at=self.clock.now(), offer_id=offer_id))

    def decline(self, user: User, offer_id: str) -> None:
        self._own_offer(user, offer_id)
        self.step(E.OfferDeclined(at=self.clock.now(), offer_id=offer_id))

    def _own_offer(self, user: User, offer_id: str) -> None:
        if self.offers.get(offer_id) != user.id:
            raise ServiceError(409, "This call is no longer offered to you (the caller may "
                               "have hung up, or the offer timed out).")

    async def end_call(self, user: User) -> None:
        desk = self.desks.get(user.id)
        if desk is None or desk.call is None or desk.state != "on_call":
            raise ServiceError(409, "You are not on a call.")
        try:
            await self.switch.hangup(desk.call["call_id"])
        except SwitchError as exc:
            raise ServiceError(502, f"The phone system could not end the call ({exc}).") \
                from None

    def wrap_up(self, user: User, disposition: str, notes: str = "") -> None:
        desk = self.desks.get(user.id)
        if desk is None or self.router.agent_state(user.id)[0] != "wrap_up":
            raise ServiceError(409, "You are not wrapping up a call.")
        if disposition not in self.config.dispositions:
            raise ServiceError(400, "Choose a disposition from the list.")
        if len(notes) > MAX_NOTES:
            raise ServiceError(400, f"Notes are limited to {MAX_NOTES} characters.")
        self.step(E.WrapUpDone(at=self.clock.now(), agent=user.id, disposition=disposition,
                               notes=notes.strip()))

    def sign_out(self, user: User) -> None:
        if user.takes_calls and self.router.agent_state(user.id)[0] != "logged_out":
            self.step(E.AgentLoggedOut(at=self.clock.now(), agent=user.id))
        desk = self.desks.get(user.id)
        for conn in list(desk.connections if desk else ()) + [
                c for c in self.supervisors if c.user.id == user.id]:
            conn.close()

    # --- voicemails --------------------------------------------------------------------------

    def voicemail_left(self, call_id: str, path: Path, duration_s: float) -> int | None:
        """A waiting caller left a voicemail (`EslSwitch`; `path`: the WAV on this host): it
        is recorded with its hand-off, and the screens that may list it are told. Returns its
        id (None if it could not be recorded; the file stays where it is)."""
        try:
            voicemail_id = self.store.add_voicemail(call_id, path, duration_s,
                                                    self.clock.now())
        except sqlite3.Error:
            log.exception("could not record a voicemail (call %s)", call_id)
            return None
        stored = self.store.voicemail(voicemail_id)
        if stored is not None:
            self._voicemails_changed(stored["queue"])
        return voicemail_id

    def voicemail_queues(self, user: User) -> list[str] | None:
        """The queues whose voicemails `user` may see: a supervisor every one (None), an
        agent those their skills admit them to."""
        if user.role == "supervisor":
            return None
        return [name for name, spec in self.router.queues.items() if spec.admits(user.skills)]

    def voicemails_for(self, user: User) -> list[dict[str, Any]]:
        """The voicemails `user` may see (open ones first, then newest), as their screen
        shows them: sensitive values scrubbed from the hand-off's texts as on a screen pop."""
        return [self._voicemail_view(user, row)
                for row in self.store.voicemails(self.voicemail_queues(user))]

    def voicemail_file(self, user: User, voicemail_id: int) -> Path:
        """The recording of a voicemail `user` may see: only a file the store knows, and only
        a WAV."""
        row = self._visible_voicemail(user, voicemail_id)
        path = Path(row["path"]).resolve()
        if not path.is_absolute() or path.suffix.lower() != ".wav" or not path.is_file():
            raise ServiceError(404, "The recording of this voicemail is no longer on the "
                               "server.")
        return path

    def mark_voicemail(self, user: User, voicemail_id: int, handled: bool) -> dict[str, Any]:
        """Handled by `user` (or open again): everyone who lists it sees the change."""
        row = self._visible_voicemail(user, voicemail_id)
        self.store.set_voicemail_handled(voicemail_id, user.id if handled else None,
                                         self.clock.now())
        self._voicemails_changed(row["queue"])
        changed = self.store.voicemail(voicemail_id)
        assert changed is not None
        return self._voicemail_view(user, changed)

    def _visible_voicemail(self, user: User, voicemail_id: int) -> dict[str, Any]:
        row = self.store.voicemail(voicemail_id)
        if row is None:
            raise ServiceError(404, "No such voicemail.")
        queues = self.voicemail_queues(user)
        if queues is not None and row["queue"] not in queues:
            raise ServiceError(403, "This voicemail was left in a queue you do not serve.")
        return row

    def _voicemail_view(self, user: User, row: dict[str, Any]) -> dict[str, Any]:
        stored = self.store.handoff(row["call_id"], reveal=True)
        pop = (screen_pop(stored, reveal=self.may_reveal(user), now=self.clock.now())
               if stored is not None else None)
        handler = self.users.get(row["handled_by"]) if row["handled_by"] else None
        return {
            "id": row["id"], "call_id": row["call_id"], "queue": row["queue"],
            "left_at": row["left_at"], "duration_s": row["duration_s"],
            "caller": {"number": row["caller_number"],
                       "name": pop["caller"]["name"] if pop else ""},
            "reason": pop["reason"] if pop else "", "summary": pop["summary"] if pop else "",
            "handled_at": row["handled_at"],
            "handled_by": ({"id": handler.id, "name": handler.name} if handler
                           else {"id": row["handled_by"], "name": row["handled_by"]}
                           if row["handled_by"] else None),
            "audio": f"/api/voicemails/{row['id']}/audio"}

    def _voicemails_changed(self, queue: str) -> None:
        message = {"type": "voicemails", "queue": queue}
        for conn in self.supervisors:
            conn.push(message)
        for desk in self.desks.values():
            if desk.connections and queue in (self.voicemail_queues(desk.user) or ()):
                self._push(desk, message)

    # --- supervisors ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Live queues (waiting, longest wait, staffing) with today's figures from the
        records, and every agent by state."""
        now = self.clock.now()
        start, end = day_window(now, self.config.timezone)
        threshold = self.config.service_level_s
        queues = []
        for name in self.router.queues:
            status = self.router.queue_status(name)
            queues.append({
                "name": name, "waiting": status.waiting, "callbacks": status.callbacks,
                # the router's "now" is its last event; the wallboard's is the clock's
                "longest_wait_s": status.longest_wait_s + (now - self.router.now
                                                           if status.waiting else 0.0),
                "staffed": status.staffed,
                "available": status.available,
                "today": _kpis(self.store.kpis(start, end, threshold, name))})
        router_states = self.router.agent_states()
        agents = []
        by_state: dict[str, int] = dict.fromkeys(_STATE_WORDS, 0)
        for user in self.users.all():
            if not user.takes_calls:
                continue
            desk = self.desks.get(user.id)
            state, reason = router_states.get(user.id, ("logged_out", ""))
            by_state[state] = by_state.get(state, 0) + 1
            current = (desk.call or desk.offer) if desk else None
            agents.append({
                "id": user.id, "name": user.name, "role": user.role, "state": state,
                "reason": reason, "since": desk.since if desk else None,
                "connected": bool(desk and desk.connections),
                "call_id": current["call_id"] if current else None,
                "queue": current["queue"] if current else None})
        return {"type": "snapshot", "now": now, "threshold_s": threshold,
                "day": {"start": start, "end": end, "timezone": self.config.timezone},
                "queues": queues, "agents": agents, "by_state": by_state,
                "today": _kpis(self.store.kpis(start, end, threshold))}

    def _snapshot_soon(self) -> None:
        if self._snapshot_pending:
            return
        self._snapshot_pending = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._snapshot_pending = False
            return
        loop.call_later(self.config.snapshot_interval_s, self._send_snapshot)

    def _send_snapshot(self) -> None:
        self._snapshot_pending = False
        if self.supervisors:
            snapshot = self.snapshot()
            for conn in self.supervisors:
                conn.push(snapshot)


_STATE_WORDS = {"available": "Available", "not_ready": "Not ready", "offered": "Offered",
                "on_call": "On call", "wrap_up": "Wrap-up", "logged_out": "Logged out"}


def _kpis(k: Kpis) -> dict[str, Any]:
    return {"waits_ended": k.waits_ended, "answered": k.answered,
            "answered_within": k.answered_within, "abandoned": k.abandoned,
            "max_wait_reached": k.max_wait_reached, "chose_callback": k.chose_callback,
            "handled": k.handled, "service_level": k.service_level, "asa_s": k.asa_s,
            "abandonment_rate": k.abandonment_rate, "aht_s": k.aht_s,
            "callbacks_kept": k.callbacks_kept, "callbacks_failed": k.callbacks_failed,
            "callbacks_kept_rate": k.callbacks_kept_rate}
