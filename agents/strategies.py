"""Which available agent gets a call: the queue's `strategy`.

`candidates` are the queue's available agents in the order they became available (so the
first is the longest idle), already narrowed to those who have not let this call go when there
are any. Every strategy breaks ties by longest idle. The loops are written out because they run
over up to every agent of a queue for each decision: no key tuples, no lambdas.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.queues import QueueSpec
from agents.state import Agent


def choose(spec: QueueSpec, candidates: Sequence[Agent], last_order: int) -> Agent:
    """`last_order` is the sign-in order of the agent this queue's round robin served last."""
    if spec.strategy == "fewest_calls":
        return fewest_calls(candidates)
    if spec.strategy == "skills_based":
        return most_proficient(candidates, spec.name)
    if spec.strategy == "round_robin":
        return next_around(candidates, last_order)
    return candidates[0]  # longest_idle


def fewest_calls(candidates: Sequence[Agent]) -> Agent:
    best = candidates[0]
    for agent in candidates:
        if agent.handled < best.handled:
            best = agent
    return best


def most_proficient(candidates: Sequence[Agent], queue: str) -> Agent:
    best = candidates[0]
    level = best.proficiency[queue]
    for agent in candidates:
        if agent.proficiency[queue] > level:
            best, level = agent, agent.proficiency[queue]
    return best


def next_around(candidates: Sequence[Agent], last_order: int) -> Agent:
    """The next agent around the circle of sign-in order after the last one served."""
    after: Agent | None = None  # the smallest order above `last_order`
    first = candidates[0]  # the smallest order overall: where the circle starts again
    for agent in candidates:
        if agent.order > last_order and (after is None or agent.order < after.order):
            after = agent
        if agent.order < first.order:
            first = agent
    return after or first
