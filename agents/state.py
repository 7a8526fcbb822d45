"""The router's working state as plain data: agents, calls in the router's hands, open offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agents.commands import AgentStateName
from agents.priority import SortKey
from runtime.actions import Handoff

# Agents who count as staffing a queue for the expected-wait model: at work, not on a break.
STAFFED = frozenset({"available", "offered", "on_call", "wrap_up"})

CallState = Literal["waiting", "held", "offered", "connected"]


@dataclass(eq=False)
class Agent:
    id: str
    skills: dict[str, int]
    order: int  # first sign-in order: round robin's circle, and a stable tie-break
    queues: tuple[str, ...] = ()  # the queues whose skills this agent has
    proficiency: dict[str, int] = field(default_factory=dict)  # queue -> sum of skill levels
    state: AgentStateName = "logged_out"
    reason: str = ""
    offer_id: str | None = None
    call_id: str | None = None  # the connected call, then the one being wrapped up
    missed: int = 0  # offers let ring out in a row
    handled: int = 0  # calls taken since sign-in (`fewest_calls`)
    after: tuple[AgentStateName, str] | None = None  # (state, reason) to take once the call is done
    talk_s: float = 0.0  # of the call being wrapped up
    wrap_started: float = 0.0
    wrap_queue: str = ""
    wraps: int = 0  # wrap-ups started: the token that tells a stale wrap-up deadline apart


@dataclass(eq=False)
class Call:
    """A call the router is responsible for; it leaves the router with an outcome command."""

    id: str
    handoff: Handoff
    caller: dict[str, Any]
    number: str
    priority: int
    vip: bool
    seq: int
    since: float  # first queued: kept across overflow and callbacks
    queue: str
    key: SortKey
    entered: float  # when it entered `queue`
    # waiting: in the queue's list; held: a callback between attempts; offered: ringing an
    # agent, or a callback being originated; connected: talking to an agent
    state: CallState = "waiting"
    kind: Literal["live", "callback"] = "live"
    epoch: int = 0  # bumped on every queue entry or kind change: older deadlines are stale
    offer_id: str | None = None
    agent: str | None = None
    connected_offer: str = ""  # the accepted offer while connected: tells a stale failure apart
    tried: set[str] = field(default_factory=set)  # agents who let an offer of it go
    visited: list[str] = field(default_factory=list)  # queues, so overflow never loops
    callback_offered: bool = False
    attempts: int = 0  # callback attempts made
    answered_at: float = 0.0


@dataclass(eq=False)
class OpenOffer:
    id: str
    call_id: str
    agent: str
    kind: Literal["call", "callback"]
    expires_at: float
