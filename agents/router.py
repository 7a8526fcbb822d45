"""The routing core: `Router.handle(event) -> [Command, ...]`, deterministic and free of I/O.

Like the runtime's `Session`, the router never reads a clock: "now" is the latest event's
`at`. Deadlines (offer timeouts, wrap-ups, overflow, maximum wait, announcements, callback
retries) that fall due before an event are handled first, each at its own moment, so the
commands carry the times things really happened; a driver that wants them on time sends a
`Tick` at `next_due()`. The same events in the same order give the same commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents import agent_side, call_side, matching, offers
from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.core import Core
from agents.estimate import NO_FIGURE, WaitFigure
from agents.queues import QueueSpec, specs_from_ir, specs_from_program
from agents.state import STAFFED
from agents.timers import Deadline

_EVENTS: dict[str, Callable[[Core, Any], None]] = {
    "agent_logged_in": agent_side.logged_in,
    "agent_ready": agent_side.ready,
    "agent_not_ready": agent_side.not_ready,
    "agent_logged_out": agent_side.logged_out,
    "agent_disconnected": agent_side.disconnected,
    "wrap_up_done": agent_side.wrap_up_done,
    "offer_accepted": offers.accepted,
    "offer_declined": offers.declined,
    "originate_result": offers.originate_result,
    "bridge_failed": offers.bridge_failed,
    "call_queued": call_side.queue_call,
    "hung_up": call_side.hung_up,
    "callback_accepted": call_side.callback_accepted,
    "voicemail_chosen": call_side.voicemail_chosen,
}

_DEADLINES: dict[str, Callable[[Core, Deadline], None]] = {
    "offer": offers.on_deadline,
    "wrap": agent_side.on_deadline,
    **dict.fromkeys(("overflow", "max_wait", "callback_offer", "callback_retry",
                     "announce_position", "announce_wait"), call_side.on_deadline),
}


@dataclass(frozen=True)
class QueueStatus:
    """What a supervisor's wallboard shows for one queue, right now."""

    waiting: int  # callers on the line
    callbacks: int  # callers waiting to be called back, keeping their place
    longest_wait_s: float
    staffed: int
    available: int


class Router:
    def __init__(self, queues: Mapping[str, QueueSpec],
                 config: RouterConfig | None = None) -> None:
        self.core = Core(queues, config or RouterConfig())

    @classmethod
    def from_ir(cls, ir: dict[str, Any], config: RouterConfig | None = None) -> Router:
        return cls(specs_from_ir(ir), config)

    @classmethod
    def from_bot(cls, folder: Path, config: RouterConfig | None = None) -> Router:
        from runtime.bot import load_bot  # compiles the bot: only when asked for

        return cls(specs_from_program(load_bot(folder).program), config)

    @property
    def now(self) -> float:
        return self.core.now

    @property
    def queues(self) -> dict[str, QueueSpec]:
        return dict(self.core.specs)

    def handle(self, event: E.Event) -> list[C.Command]:
        core = self.core
        core.out = out = []
        at = max(event.at, core.now)  # the clock never goes back
        self._run_deadlines(at, inclusive=False)
        core.now = at
        handler = _EVENTS.get(event.type)
        if handler is not None:
            handler(core, event)
        self._settle()
        # Deadlines at exactly `at` come after the event: an offer accepted at the second it
        # expires is accepted.
        self._run_deadlines(at, inclusive=True)
        return out

    def next_due(self) -> float | None:
        """When the earliest deadline falls due (it may turn out stale: a harmless tick)."""
        return self.core.timers.next_due()

    def _run_deadlines(self, until: float, inclusive: bool) -> None:
        core = self.core
        while (deadline := core.timers.pop_due(until, inclusive)) is not None:
            core.now = max(core.now, deadline.due)
            _DEADLINES[deadline.kind](core, deadline)
            self._settle()

    def _settle(self) -> None:
        matching.dispatch(self.core)
        call_side.announce_fresh(self.core)

    # --- what the desktop and the supervisor ask -------------------------------------------

    def agent_state(self, agent: str) -> tuple[str, str]:
        """(state, reason); an agent never seen is logged out."""
        a = self.core.agents.get(agent)
        return (a.state, a.reason) if a else ("logged_out", "")

    def agent_states(self) -> dict[str, tuple[str, str]]:
        """Every agent the router has seen (since it started): id -> (state, reason)."""
        return {a.id: (a.state, a.reason) for a in self.core.agents.values()}

    def call_state(self, call_id: str) -> str | None:
        """waiting | held | offered | connected, or None once the call left the router."""
        call = self.core.calls.get(call_id)
        return call.state if call else None

    def waiting(self, queue: str) -> list[str]:
        """Call ids in the order they will be served (ringing and held calls not included)."""
        return [key[5] for key in self.core.lists[queue]]

    def position(self, call_id: str) -> int:
        call = self.core.calls.get(call_id)
        return self.core.lists[call.queue].position(call.key) if call else 0

    def expected_wait(self, call_id: str) -> WaitFigure:
        call = self.core.calls.get(call_id)
        if call is None:
            return NO_FIGURE
        return call_side.wait_for(self.core, call.queue, self.position(call_id))

    def expected_wait_s(self, call_id: str) -> float | None:
        """The model's figure before any rounding (`estimate.py`); None when it has none."""
        call = self.core.calls.get(call_id)
        return call_side.expected_s(self.core, call.queue, self.position(call_id)) if call else None

    def queue_status(self, queue: str) -> QueueStatus:
        core = self.core
        listed = [core.calls[key[5]] for key in core.lists[queue]]
        live = [c for c in listed if c.kind == "live"]
        return QueueStatus(
            waiting=len(live), callbacks=len(listed) - len(live),
            longest_wait_s=max((core.now - c.since for c in live), default=0.0),
            staffed=core.staffed[queue], available=len(core.available[queue]))

    def audit(self) -> list[str]:
        """Every way the state could disagree with itself; empty when it is sound. For tests,
        and for a supervisor's health check: it walks everything."""
        return audit(self.core)


def audit(core: Core) -> list[str]:
    problems: list[str] = []
    listed = {key[5]: queue for queue, wl in core.lists.items() for key in wl}
    for call in core.calls.values():
        in_list = listed.get(call.id)
        if (call.state == "waiting") != (in_list == call.queue):
            problems.append(f"call {call.id} is {call.state} but listed in {in_list}")
        if call.state == "offered":
            offer = core.offers.get(call.offer_id or "")
            if offer is None or offer.call_id != call.id:
                problems.append(f"call {call.id} is offered with no open offer")
            elif core.agents[offer.agent].offer_id != offer.id:
                problems.append(f"offer {offer.id}'s agent does not hold it")
        if call.state == "connected":
            agent = core.agents.get(call.agent or "")
            if agent is None or agent.state != "on_call" or agent.call_id != call.id:
                problems.append(f"call {call.id} is connected to no agent on it")
    if len(listed) != sum(len(wl) for wl in core.lists.values()):
        problems.append("a call is listed twice")
    for offer in core.offers.values():
        if core.calls.get(offer.call_id) is None:
            problems.append(f"offer {offer.id} is for a call that left")
    for agent in core.agents.values():
        holds = (agent.offer_id is not None) + (agent.state == "on_call")
        if holds > 1 or (agent.state == "offered") != (agent.offer_id is not None):
            problems.append(f"agent {agent.id} is {agent.state} holding offer {agent.offer_id}")
        for queue in agent.queues:
            if (agent.state == "available") != (agent.id in core.available[queue]):
                problems.append(f"agent {agent.id} is {agent.state}; index of {queue} differs")
    for queue, wl in core.lists.items():
        if len(wl) and core.available[queue]:
            problems.append(f"queue {queue} has a waiting call and an available agent")
        staff = [a for a in core.agents.values() if queue in a.queues and a.state in STAFFED]
        capacity = sum(1 / len(a.queues) for a in staff)
        if len(staff) != core.staffed[queue] or abs(capacity - core.capacity[queue]) > 1e-6:
            problems.append(f"queue {queue} counts {core.staffed[queue]} staffed, not "
                            f"{len(staff)}")
    return problems
