"""A router on a test floor: every step checked by the `Checker`, the router's own audit and,
when given a file, recorded in a real SQLite store. Short helpers say what happens."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.queues import QueueSpec
from agents.router import Router
from agents.store import Store
from runtime.actions import ContextField, Handoff
from tests.agents.checker import Checker

T0 = 1_795_006_800.0  # 2026-11-18 13:00 UTC, as the runtime's tests

Cmd = TypeVar("Cmd")


def spec(name: str, skills: str = "", **kw: Any) -> QueueSpec:
    """`spec("billing", "billing payments:2", strategy="round_robin")`"""
    parsed = []
    for word in skills.split() or [name]:
        skill, _, level = word.partition(":")
        parsed.append((skill, int(level or 1)))
    return QueueSpec(name=name, skills=tuple(parsed), **kw)


class Floor:
    def __init__(self, queues: Mapping[str, QueueSpec] | list[QueueSpec],
                 config: RouterConfig | None = None, db: Path | None = None) -> None:
        specs = {q.name: q for q in queues} if isinstance(queues, list) else dict(queues)
        self.router = Router(specs, config)
        self.checker = Checker(specs)
        self.store = Store(db) if db is not None else None
        self.log: list[C.Command] = []
        self.t = T0

    def send(self, event: E.Event) -> list[C.Command]:
        out = self.router.handle(event)
        self.checker.observe(event, out)
        assert self.router.audit() == []
        if self.store is not None:
            self.store.record(event, out)
        self.log.extend(out)
        return out

    def at(self, seconds: float) -> float:
        """T0 + seconds, and the floor's clock moves there."""
        self.t = T0 + seconds
        return self.t

    # --- agents ---------------------------------------------------------------------------

    def login(self, agent: str, skills: str = "general", at: float | None = None,
              ready: bool = True) -> list[C.Command]:
        levels = {}
        for word in skills.split():
            skill, _, level = word.partition(":")
            levels[skill] = int(level or 1)
        t = self.t if at is None else self.at(at)
        out = self.send(E.AgentLoggedIn(at=t, agent=agent, skills=levels))
        return out + (self.send(E.AgentReady(at=t, agent=agent)) if ready else [])

    def ready(self, agent: str, at: float | None = None) -> list[C.Command]:
        return self.send(E.AgentReady(at=self._t(at), agent=agent))

    def accept(self, offer: C.Offer | str, at: float | None = None) -> list[C.Command]:
        offer_id = offer if isinstance(offer, str) else offer.offer_id
        return self.send(E.OfferAccepted(at=self._t(at), offer_id=offer_id))

    def hang_up(self, call_id: str, at: float | None = None) -> list[C.Command]:
        return self.send(E.HungUp(at=self._t(at), call_id=call_id))

    def wrap(self, agent: str, at: float | None = None, disposition: str = "resolved",
             notes: str = "") -> list[C.Command]:
        return self.send(E.WrapUpDone(at=self._t(at), agent=agent, disposition=disposition,
                                      notes=notes))

    def tick(self, at: float) -> list[C.Command]:
        return self.send(E.Tick(at=self.at(at)))

    # --- callers --------------------------------------------------------------------------

    def call(self, call_id: str, queue: str = "general", at: float | None = None,
             priority: str = "normal", number: str = "+15550100", **caller: Any
             ) -> list[C.Command]:
        handoff = Handoff(request_id=f"h-{call_id}", queue=queue, reason="test",
                          priority=priority,
                          context=(ContextField(name="account", value="12345678",
                                                type="digits", sensitive=True),
                                   ContextField(name="reason", value="bill", type="text")))
        return self.send(E.CallQueued(at=self._t(at), call_id=call_id, handoff=handoff,
                                      caller={"number": number, **caller}, number=number))

    def _t(self, at: float | None) -> float:
        return self.t if at is None else self.at(at)


def only(commands: list[Any], kind: type[Cmd]) -> list[Cmd]:
    return [c for c in commands if isinstance(c, kind)]


def one(commands: list[Any], kind: type[Cmd]) -> Cmd:
    found = only(commands, kind)
    assert len(found) == 1, f"expected one {kind.__name__} in {commands}"
    return found[0]
