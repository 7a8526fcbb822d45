"""Matching waiting calls with available agents, after every event and every deadline.

Between two events no queue has both a waiting call and an available agent who may take it.
An event can only add callers or agents to some queues (`Core.touched`), so only those need
looking at. Among them, the best waiting call of all goes first (priority, then the longest
wait), to the agent its queue's strategy picks; repeat until no touched queue has both.
"""

from __future__ import annotations

from agents import offers
from agents.core import Core
from agents.priority import SortKey
from agents.state import Agent, Call
from agents.strategies import choose


def dispatch(core: Core) -> None:
    touched, lists, available = core.touched, core.lists, core.available
    while touched:
        best: SortKey | None = None
        best_queue = ""
        for queue in list(touched):
            head = lists[queue].head()
            if head is None or not available[queue]:
                del touched[queue]
                continue
            if best is None or head < best:
                best, best_queue = head, queue
        if best is None:
            return
        call = core.calls[best[5]]
        agent = pick_agent(core, best_queue, call)
        core.round_robin[best_queue] = agent.order
        offers.assign(core, call, agent)


def pick_agent(core: Core, queue: str, call: Call) -> Agent:
    """The strategy's choice among the queue's available agents, leaving out those who let
    this call go before as long as anyone else is there (the call "goes to the next agent";
    with nobody else it comes back to them rather than wait)."""
    available = core.available[queue]
    spec = core.specs[queue]
    if spec.strategy == "longest_idle":  # the common case, without building a list
        for agent in available.values():
            if agent.id not in call.tried:
                return agent
        return next(iter(available.values()))
    everyone = list(available.values())
    fresh = [a for a in everyone if a.id not in call.tried] if call.tried else everyone
    return choose(spec, fresh or everyone, core.round_robin[queue])
