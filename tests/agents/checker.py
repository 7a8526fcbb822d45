"""An independent model of the floor, rebuilt from the router's commands alone.

It knows nothing of the router's internals: it follows `Queued`, `Offer`, `Bridge`,
`RescindOffer`, `AgentStateChanged`... and fails on the first command that breaks a rule:
a call offered to two agents at once, an agent holding two calls, a call served before an
equal caller who waited longer, a waiting call left beside an available agent who could take
it, an impossible agent state change, a call that vanishes without an outcome, a failed bridge
that leaves the call with its agent or counts as answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents import commands as C
from agents import events as E
from agents.queues import QueueSpec

ALLOWED = {  # agent state -> states it may go to
    "logged_out": {"not_ready"},
    "not_ready": {"available", "not_ready", "logged_out"},
    "available": {"offered", "not_ready", "logged_out"},
    "offered": {"on_call", "available", "not_ready", "logged_out"},
    # all but wrap_up: only after ConnectFailed (available: the caller hung up while it rang)
    "on_call": {"wrap_up", "not_ready", "logged_out", "available"},
    "wrap_up": {"available", "not_ready", "logged_out"},
}
OUTCOMES = ("abandoned", "to_voicemail", "disconnect", "completed", "callback_failed")


@dataclass
class CallView:
    queue: str
    since: float
    order: int
    group: tuple[Any, ...]  # calls of one group have equal rank in any queue
    state: str = "waiting"  # waiting | ringing | held | connected
    kind: str = "live"
    agent: str = ""
    offer: str = ""


@dataclass
class AgentView:
    skills: dict[str, int] = field(default_factory=dict)
    state: str = "logged_out"
    offer: str = ""
    call: str = ""


@dataclass
class Tally:
    """What the KPIs must agree with, counted from the commands."""

    answered: dict[str, float] = field(default_factory=dict)  # call id -> wait, if connected
    abandoned: int = 0
    max_wait: int = 0
    chose_callback: int = 0
    chose_voicemail: int = 0
    callbacks_kept: int = 0
    callbacks_failed: int = 0
    handled: int = 0

    @property
    def answered_waits(self) -> list[float]:
        return list(self.answered.values())


class Checker:
    def __init__(self, specs: Mapping[str, QueueSpec]) -> None:
        self.specs = specs
        self.calls: dict[str, CallView] = {}
        self.agents: dict[str, AgentView] = {}
        self.offers: dict[str, tuple[str, str]] = {}  # offer id -> (call, agent)
        self.outcomes: dict[str, str] = {}  # call id -> how it left
        self.queued: list[str] = []
        self.tally = Tally()
        self._order = 0

    def observe(self, event: E.Event, commands: Iterable[C.Command]) -> None:
        if isinstance(event, E.AgentLoggedIn):
            view = self.agents.setdefault(event.agent, AgentView())
            if view.state == "logged_out":
                view.skills = dict(event.skills)
        for command in commands:
            self.command(event, command)
        self.check_work_conserving()

    def command(self, event: E.Event, c: C.Command) -> None:
        if isinstance(c, C.AgentStateChanged):
            agent = self.agents.setdefault(c.agent, AgentView())
            assert c.state in ALLOWED[agent.state], f"{c.agent}: {agent.state} -> {c.state}"
            if c.state in ("available", "not_ready", "logged_out"):
                assert (not agent.offer and not agent.call) or agent.state == "wrap_up", c
            if agent.state == "wrap_up":
                agent.call = ""
            agent.state = c.state
        elif isinstance(c, C.Queued):
            assert isinstance(event, E.CallQueued) and c.call_id not in self.calls
            assert c.call_id not in self.outcomes, f"{c.call_id} queued twice"
            self._order += 1
            group = (c.priority, bool(event.caller.get("vip")),
                     tuple(sorted(event.caller.items())))
            self.calls[c.call_id] = CallView(c.queue, c.at, self._order, group)
            self.queued.append(c.call_id)
        elif isinstance(c, C.Moved):
            call = self.calls[c.call_id]
            assert call.queue == c.from_queue and call.state != "connected"
            call.queue = c.to_queue
        elif isinstance(c, C.Offer):
            self.offer(c)
        elif isinstance(c, C.RescindOffer):
            call_id, agent_id = self.offers.pop(c.offer_id)
            call, agent = self.calls[call_id], self.agents[agent_id]
            assert call.offer == c.offer_id and agent.offer == c.offer_id
            call.offer = agent.offer = ""
            # A callback the customer did not answer waits out its retry delay off the list.
            call.state = "held" if c.reason == "customer_no_answer" else "waiting"
        elif isinstance(c, C.Bridge) or (isinstance(c, C.CallbackFinished) and c.kept):
            call = self.calls[c.call_id]
            call_id, agent_id = self.offers.pop(call.offer)
            agent = self.agents[agent_id]
            assert agent.state == "on_call" and not agent.call, f"{agent_id} holds two calls"
            call.state, call.offer, call.agent = "connected", "", agent_id
            agent.offer, agent.call = "", call_id
            if isinstance(c, C.Bridge):
                assert c.call_id not in self.tally.answered, f"{c.call_id} answered twice"
                self.tally.answered[c.call_id] = c.at - call.since
            else:
                self.tally.callbacks_kept += 1
        elif isinstance(c, C.ConnectFailed):
            call, agent = self.calls[c.call_id], self.agents[c.agent]
            assert call.state == "connected" and call.agent == c.agent and call.kind == "live"
            assert agent.state == "on_call" and agent.call == c.call_id
            # back to waiting with its place (the FIFO check of later offers sees to that);
            # the failed bridge is no answer
            call.state, call.agent = "waiting", ""
            agent.call = ""
            del self.tally.answered[c.call_id]
        elif isinstance(c, C.CallbackScheduled):
            call = self.calls[c.call_id]
            assert call.kind == "live" and call.state != "connected"
            call.kind, call.state = "callback", "waiting"
            if c.reason == "max_wait":
                self.tally.max_wait += 1
            else:
                self.tally.chose_callback += 1
        elif isinstance(c, C.Completed):
            call = self.calls[c.call_id]
            assert call.state == "connected" and call.agent == c.agent
            self.leave(c.call_id, "completed")
        elif isinstance(c, C.WrapUpEnded):
            self.tally.handled += 1
        elif isinstance(c, C.Abandoned | C.ToVoicemail | C.Disconnect | C.CallbackFinished):
            call = self.calls[c.call_id]
            assert call.state in ("waiting", "held") and not call.offer, (c, call)
            if isinstance(c, C.Abandoned):
                self.tally.abandoned += 1
            elif isinstance(c, C.CallbackFinished):
                self.tally.callbacks_failed += 1
            elif isinstance(c, C.ToVoicemail) and c.reason == "caller":
                self.tally.chose_voicemail += 1
            else:
                self.tally.max_wait += 1
            self.leave(c.call_id, c.type if not isinstance(c, C.CallbackFinished)
                       else "callback_failed")

    def offer(self, c: C.Offer) -> None:
        call, agent = self.calls[c.call_id], self.agents[c.agent]
        # a held callback comes back to its list silently when its retry is due
        assert call.state in ("waiting", "held") and not call.offer, \
            f"{c.call_id} offered twice at once"
        assert agent.state == "offered" and not agent.offer and not agent.call, \
            f"{c.agent} would hold two calls"
        assert c.queue == call.queue
        assert self.specs[c.queue].admits(agent.skills), f"{c.agent} lacks skills for {c.queue}"
        assert (c.kind == "callback") == (call.kind == "callback")
        for other_id, other in self.calls.items():
            if (other_id != c.call_id and other.queue == call.queue and other.group == call.group
                    and other.state == "waiting" and other.order < call.order):
                raise AssertionError(f"{c.call_id} served before {other_id}, equal and earlier")
        call.state, call.offer = "ringing", c.offer_id
        agent.offer = c.offer_id
        self.offers[c.offer_id] = (c.call_id, c.agent)

    def leave(self, call_id: str, how: str) -> None:
        assert call_id not in self.outcomes
        self.outcomes[call_id] = how
        del self.calls[call_id]

    def check_work_conserving(self) -> None:
        for call_id, call in self.calls.items():
            if call.state != "waiting":
                continue
            for agent_id, agent in self.agents.items():
                if agent.state == "available" and self.specs[call.queue].admits(agent.skills):
                    raise AssertionError(f"{call_id} waits in {call.queue} while {agent_id} "
                                         "is available for it")
