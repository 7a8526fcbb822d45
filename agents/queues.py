"""Queues as the router uses them, built from the compiled IR's `queue` declarations.

The IR keeps durations in milliseconds; the router's clock is in seconds (the drivers' `at`),
so a `QueueSpec` holds seconds. A queue without `strategy` routes to the longest-idle agent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dsl import tree as T
from dsl.ir import load_document

STRATEGIES = ("longest_idle", "round_robin", "fewest_calls", "skills_based")
DEFAULT_STRATEGY = "longest_idle"


@dataclass(frozen=True, kw_only=True)
class QueueSpec:
    name: str
    skills: tuple[tuple[str, int], ...] = ()  # skill, minimum level (1 when none was written)
    strategy: str = DEFAULT_STRATEGY
    priority_by: T.Expr | None = None
    announce_position_s: float | None = None
    announce_wait_s: float | None = None
    callback_after_s: float | None = None
    overflow_to: str | None = None
    overflow_after_s: float | None = None
    max_wait_s: float | None = None
    max_wait_then: str = ""  # voicemail | callback | hangup

    def admits(self, skills: Mapping[str, int]) -> bool:
        """Whether an agent with these skills may take this queue's calls."""
        return all(skills.get(name, 0) >= level for name, level in self.skills)

    def proficiency(self, skills: Mapping[str, int]) -> int:
        """How well an agent fits (for `skills_based`): the sum of their levels in our skills."""
        return sum(skills.get(name, 0) for name, _ in self.skills)


def spec_from_node(q: T.Queue) -> QueueSpec:
    announce = {a.what: a.every_ms / 1000 for a in q.announce}
    return QueueSpec(
        name=q.name,
        skills=tuple((s.name, s.level or 1) for s in q.skills),
        strategy=q.strategy or DEFAULT_STRATEGY,
        priority_by=q.priority_by,
        announce_position_s=announce.get("position"),
        announce_wait_s=announce.get("wait"),
        callback_after_s=None if q.callback_after_ms is None else q.callback_after_ms / 1000,
        overflow_to=q.overflow.queue if q.overflow else None,
        overflow_after_s=q.overflow.after_ms / 1000 if q.overflow else None,
        max_wait_s=q.max_wait.after_ms / 1000 if q.max_wait else None,
        max_wait_then=q.max_wait.then if q.max_wait else "",
    )


def specs_from_nodes(nodes: Iterable[T.Queue]) -> dict[str, QueueSpec]:
    """Queues by name. A handoff names a queue by name only, so two different declarations
    with one name (a sub-flow's and the main flow's) cannot both be routed to."""
    out: dict[str, QueueSpec] = {}
    for node in nodes:
        spec = spec_from_node(node)
        if node.name in out and out[node.name] != spec:
            raise ValueError(f"queue `{node.name}` is declared twice, differently; a handoff "
                             "names a queue by name only, so rename one of them")
        out[node.name] = spec
    return out


def specs_from_ir(ir: dict[str, Any]) -> dict[str, QueueSpec]:
    """Every queue of a compiled bot (`voxflow compile` output), sub-flows included."""
    nodes: list[T.Queue] = []

    def collect(doc: dict[str, Any]) -> None:
        nodes.extend(load_document(doc).queues)
        for sub in doc.get("imports", {}).values():
            collect(sub)

    collect(ir)
    return specs_from_nodes(nodes)


def specs_from_program(program: Any) -> dict[str, QueueSpec]:
    """From a loaded bot: `specs_from_program(load_bot(path).program)`."""
    return specs_from_nodes(q for flow in program.flows.values() for q in flow.queues.values())
