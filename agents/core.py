"""The router's state and the few operations every part of it needs.

`agent_side`, `call_side`, `offers` and `matching` are functions over a `Core`, the way the
runtime's step handlers are functions over a `Session`; `Router` ties them to events. Agent
state changes go through `set_agent_state` only, because it keeps the indexes the matching
reads (who is available for which queue, how many staff each queue) in step with the agents.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents import commands as C
from agents.commands import AgentStateName
from agents.config import RouterConfig
from agents.estimate import HandleTimes
from agents.queues import QueueSpec
from agents.state import STAFFED, Agent, Call, OpenOffer
from agents.timers import Timers
from agents.waitlist import WaitingList


class Core:
    def __init__(self, queues: Mapping[str, QueueSpec], config: RouterConfig) -> None:
        self.specs = dict(queues)
        self.config = config
        self.now = 0.0
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}  # only calls still in the router's hands
        self.offers: dict[str, OpenOffer] = {}
        self.lists = {name: WaitingList() for name in self.specs}
        # queue -> its available agents, in the order they became available (longest idle
        # first); a dict because it is ordered and deletes in O(1)
        self.available: dict[str, dict[str, Agent]] = {name: {} for name in self.specs}
        self.staffed = dict.fromkeys(self.specs, 0)
        # The expected-wait model's staff: an agent who serves k queues counts 1/k in each,
        # so a figure never assumes the same person answers in two queues at once.
        self.capacity = dict.fromkeys(self.specs, 0.0)
        self.round_robin = dict.fromkeys(self.specs, -1)  # last agent's order, per queue
        # queues where a caller or an agent was added since the last matching; a dict as an
        # ordered set, so iteration order never depends on string hashing
        self.touched: dict[str, None] = {}
        self.fresh: list[str] = []  # calls that just entered a queue: announce if they wait
        self.timers = Timers()
        self.handle_times = HandleTimes(config.estimate_window, config.estimate_max_age_s)
        self.out: list[C.Command] = []
        self._seq = 0
        self._offer_seq = 0
        self._agent_seq = 0

    def emit(self, command: C.Command) -> None:
        self.out.append(command)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def next_offer_id(self) -> str:
        self._offer_seq += 1
        return f"offer-{self._offer_seq}"

    def next_agent_order(self) -> int:
        self._agent_seq += 1
        return self._agent_seq

    def touch(self, queue: str) -> None:
        self.touched[queue] = None

    def set_agent_state(self, agent: Agent, state: AgentStateName, reason: str = "") -> None:
        old = agent.state
        if old == "available":
            for q in agent.queues:
                del self.available[q][agent.id]
        if state == "available":
            for q in agent.queues:
                self.available[q][agent.id] = agent
                self.touched[q] = None
        if (old in STAFFED) != (state in STAFFED) and agent.queues:
            step = 1 if state in STAFFED else -1
            share = step / len(agent.queues)
            for q in agent.queues:
                self.staffed[q] += step
                # back to exactly 0 when nobody is left: no float residue from the sums
                self.capacity[q] = self.capacity[q] + share if self.staffed[q] else 0.0
        agent.state, agent.reason = state, reason
        self.emit(C.AgentStateChanged(at=self.now, agent=agent.id, state=state, reason=reason))
