"""Benchmark: routing decisions per second with 1,000 agents and 10,000 waiting callers.

Run: .venv/bin/python bench/routing.py [--agents 1000] [--waiting 10000] [--cycles 20000]

Three measurements, each with a same-run baseline a tenth the size:
- "agent frees up": the steady state of a busy floor. 20 queues (all four strategies, position
  announcements every 60 s), agents with three skills each, all on calls, `--waiting` callers
  queued. One cycle: a call ends, the agent wraps up, becomes available and is offered the best
  waiting call across their queues (the decision), accepts; a new caller joins so the queue
  stays full. The clock moves 0.3 s a cycle, so the announcement deadlines of 10,000 callers
  fall due as they would (about 50 per cycle): their cost is in the figure.
- the same with every step recorded in the SQLite store (a real file, WAL).
- "caller arrives": every agent available in one queue, per strategy: the cost of choosing
  among 1,000 agents (longest idle reads the first; the others scan), and the time from the
  handoff event to the offer command.
A decision is one `Offer` command. Time is CPU time spent in `Router.handle` (and
`Store.record`), not the driver loop around it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.queues import STRATEGIES, QueueSpec
from agents.router import Router
from agents.store import Store
from bench.stats import pct
from runtime.actions import Handoff

T0 = 1_795_006_800.0
QUEUES = 20
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
CYCLE_S = 0.3  # simulated time per cycle: 1,000 agents with 5-minute calls free up this often


def queued_count(router: Router) -> int:
    """Callers in the lists (on the line or as callbacks), not counting those ringing."""
    return sum(len(wl) for wl in router.core.lists.values())


def floor_queues(announce: bool) -> dict[str, QueueSpec]:
    return {f"q{i}": QueueSpec(name=f"q{i}", skills=((f"s{i}", 1 + i % 3),),
                               strategy=STRATEGIES[i % 4],
                               announce_position_s=60.0 if announce else None)
            for i in range(QUEUES)}


class BusyFloor:
    """Every agent on a call, `waiting` callers queued; `cycle()` is one decision."""

    def __init__(self, agents: int, waiting: int, seed: int, store: Store | None,
                 announce: bool = True) -> None:
        self.rng = random.Random(seed)
        self.router = Router(floor_queues(announce), RouterConfig(wrap_up_s=120.0))
        self.store = store
        self.t = T0
        self.calls = 0
        self.cpu = 0.0
        self.offers = 0
        self.commands = 0
        self.latencies: list[float] = []
        self.connected: list[str] = []
        for i in range(agents):
            skills = {f"s{q}": 3 for q in self.rng.sample(range(QUEUES), 3)}
            self.send(E.AgentLoggedIn(at=self.t, agent=f"a{i}", skills=skills))
            self.send(E.AgentReady(at=self.t, agent=f"a{i}"))
        while queued_count(self.router) < waiting:
            self.new_caller()

    def send(self, event: E.Event) -> list[C.Command]:
        start = time.process_time()
        out = self.router.handle(event)
        if self.store is not None:
            self.store.record(event, out)
        spent = time.process_time() - start
        self.cpu += spent
        self.commands += len(out)
        for offer in out:
            if isinstance(offer, C.Offer):
                self.offers += 1
                self.accept(offer)
        return out

    def accept(self, offer: C.Offer) -> None:
        self.send(E.OfferAccepted(at=self.t, offer_id=offer.offer_id))
        self.connected.append(offer.call_id)

    def new_caller(self) -> None:
        self.calls += 1
        queue = f"q{self.rng.randrange(QUEUES)}"
        handoff = Handoff(request_id=f"h{self.calls}", queue=queue,
                          priority=self.rng.choice(PRIORITIES))
        self.send(E.CallQueued(at=self.t, call_id=f"c{self.calls}", handoff=handoff,
                               caller={"vip": self.rng.random() < 0.05}, number="+1555"))

    def cycle(self) -> None:
        self.t += CYCLE_S
        i = self.rng.randrange(len(self.connected))
        self.connected[i], self.connected[-1] = self.connected[-1], self.connected[i]
        call_id = self.connected.pop()
        agent = self.router.core.calls[call_id].agent or ""
        self.send(E.HungUp(at=self.t, call_id=call_id))
        before = self.cpu
        self.send(E.WrapUpDone(at=self.t, agent=agent, disposition="done"))
        self.latencies.append(self.cpu - before)  # wrap-up done -> offer -> accepted
        self.new_caller()


def bench_busy(agents: int, waiting: int, cycles: int, record: bool,
               announce: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "agents.db") if record else None
        floor = BusyFloor(agents, waiting, seed=1, store=store, announce=announce)
        floor.cpu = floor.offers = floor.commands = 0
        floor.latencies = []
        for _ in range(cycles):
            floor.cycle()
        if store is not None:
            store.close()
    lat = floor.latencies
    return {"decisions": floor.offers, "cpu": floor.cpu, "per_s": floor.offers / floor.cpu,
            "real_time_x": cycles * CYCLE_S / floor.cpu,
            "commands_per_s": floor.commands / floor.cpu,
            "waiting": queued_count(floor.router),
            "p50_ms": 1000 * pct(lat, 0.5), "p99_ms": 1000 * pct(lat, 0.99)}


def bench_arrivals(agents: int, strategy: str, calls: int) -> dict[str, float]:
    """All agents available in one queue; each caller is offered at once and accepted, the
    call ends and the agent comes back, so the choice is always among `agents`."""
    spec = QueueSpec(name="q", skills=(("s", 1),), strategy=strategy)
    router = Router({"q": spec}, RouterConfig(wrap_up_s=0.0))
    rng = random.Random(2)
    t = T0
    for i in range(agents):
        router.handle(E.AgentLoggedIn(at=t, agent=f"a{i}", skills={"s": rng.randint(1, 9)}))
        router.handle(E.AgentReady(at=t, agent=f"a{i}"))
    cpu, latencies = 0.0, []
    for n in range(calls):
        t += 0.01
        start = time.process_time()
        out = router.handle(E.CallQueued(at=t, call_id=f"c{n}", handoff=Handoff(queue="q")))
        spent = time.process_time() - start
        offer = next(c for c in out if isinstance(c, C.Offer))
        start = time.process_time()
        router.handle(E.OfferAccepted(at=t, offer_id=offer.offer_id))
        router.handle(E.HungUp(at=t, call_id=offer.call_id))  # wrap-up of 0 s: back at once
        cpu += spent + time.process_time() - start
        latencies.append(spent)
    return {"per_s": calls / cpu, "p50_us": 1e6 * pct(latencies, 0.5),
            "p99_us": 1e6 * pct(latencies, 0.99)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--waiting", type=int, default=10_000)
    ap.add_argument("--cycles", type=int, default=20_000)
    args = ap.parse_args()
    sizes = [(args.agents // 10, args.waiting // 10), (args.agents, args.waiting)]
    print("agent frees up (busy floor; decision = offer of the best waiting call):")
    runs = [("router, no announcements", False, False), ("router, announcements", False, True),
            ("router + SQLite store", True, True)]
    for label, record, announce in runs:
        for agents, waiting in sizes:
            cycles = args.cycles if not record else args.cycles // 4
            r = bench_busy(agents, waiting, cycles, record, announce)
            print(f"  {label:25} {agents:>5} agents {r['waiting']:>6,} waiting: "
                  f"{r['decisions']:,} decisions in {r['cpu']:.2f} s CPU -> "
                  f"{r['per_s']:,.0f} decisions/s ({r['commands_per_s']:,.0f} commands/s, "
                  f"{r['real_time_x']:,.0f}x real time); "
                  f"wrap-up done -> offer -> accepted p50 {r['p50_ms']:.3f} ms, "
                  f"p99 {r['p99_ms']:.3f} ms")
    print("caller arrives (every agent available in its queue; decision = choice of agent):")
    for strategy in STRATEGIES:
        for agents in (args.agents // 10, args.agents):
            r = bench_arrivals(agents, strategy, calls=5_000)
            print(f"  {strategy:13} {agents:>5} available: {r['per_s']:,.0f} decisions/s; "
                  f"handoff event to offer p50 {r['p50_us']:.0f} us, p99 {r['p99_us']:.0f} us")


if __name__ == "__main__":
    main()
