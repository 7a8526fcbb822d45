"""Expected wait: the model (position x mean handle time / staffed agents), the rules for what
may be announced, and a simulated queue where the model's figures meet the waits that follow."""

from __future__ import annotations

import random

import pytest

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.estimate import HandleTimes, WaitFigure, expected_wait_s, wait_figure
from agents.router import Router
from runtime.actions import Handoff
from tests.agents.floor import T0, Floor, only, spec


def test_the_model() -> None:
    assert expected_wait_s(position=1, mean_handle_s=300, staffed=5) == 60
    assert expected_wait_s(position=10, mean_handle_s=300, staffed=5) == 600
    assert expected_wait_s(position=3, mean_handle_s=200, staffed=1) == 600


def figure(position: int = 4, samples: int = 20, mean: float = 300, staffed: int = 5,
           cap: int = 30) -> WaitFigure:
    return wait_figure(position, samples, mean, staffed, min_samples=20, cap_minutes=cap)


def test_no_figure_before_enough_history_or_without_staff() -> None:
    assert figure(samples=19) == WaitFigure(None)
    assert figure(staffed=0) == WaitFigure(None)
    assert figure(position=0) == WaitFigure(None)
    assert figure(samples=20) == WaitFigure(4)


def test_minutes_round_up_and_are_capped() -> None:
    assert figure(position=1, mean=61, staffed=1) == WaitFigure(2)  # 61 s: "2 minutes"
    assert figure(position=1, mean=10, staffed=5) == WaitFigure(1)  # never "0 minutes"
    assert figure(position=1, mean=60, staffed=1) == WaitFigure(1)
    assert figure(position=100, mean=300, staffed=5) == WaitFigure(30, more_than=True)


def test_handle_times_keep_a_recent_window() -> None:
    times = HandleTimes(window=3, max_age_s=3600)
    for i, seconds in enumerate([100, 200, 300, 400]):
        times.add("q", T0 + i, seconds)
    assert times.stats("q", T0 + 10) == (3, 300.0)  # the oldest fell out of the window
    assert times.stats("q", T0 + 3603) == (1, 400.0)  # and older than an hour are forgotten
    assert times.stats("q", T0 + 9999) == (0, 0.0)
    assert times.stats("other", T0) == (0, 0.0)


# --- announcements --------------------------------------------------------------------------

def test_position_announced_on_entry_and_every_n_seconds() -> None:
    floor = Floor([spec("general", announce_position_s=45)])
    out = floor.call("c1", at=0)
    assert [(a.what, a.position) for a in only(out, C.Announce)] == [("position", 1)]
    floor.call("c2", at=10)
    floor.call("vip", at=20, priority="high")  # jumps ahead of both
    out = floor.tick(45)
    assert [(a.call_id, a.position) for a in only(out, C.Announce)] == [("c1", 2)]
    floor.tick(100)
    heard = {(a.call_id, a.at - T0, a.position) for a in only(floor.log, C.Announce)}
    assert heard == {("c1", 0, 1), ("c1", 45, 2), ("c1", 90, 2),
                     ("c2", 10, 2), ("c2", 55, 3), ("c2", 100, 3),
                     ("vip", 20, 1), ("vip", 65, 1)}


def test_wait_announced_only_once_the_data_supports_it() -> None:
    floor = Floor([spec("general", announce_wait_s=60)], RouterConfig(estimate_min_samples=3))
    floor.login("a", at=0)
    for i in range(3):  # three calls of 100 s talk + 20 s wrap-up: the history needed
        start = i * 200
        offer = only(floor.call(f"warm{i}", at=start), C.Offer)[0]
        floor.accept(offer, at=start)
        if i == 2:  # with two samples only, a waiting caller hears no figure
            out = floor.call("early", at=start + 1)
            assert [(a.what, a.wait_minutes) for a in only(out, C.Announce)] == [("wait", None)]
            floor.hang_up("early", at=start + 2)
        floor.hang_up(offer.call_id, at=start + 100)
        floor.wrap("a", at=start + 120)
    floor.accept(only(floor.call("busy", at=1000), C.Offer)[0], at=1000)
    floor.call("c1", at=1001)
    out = floor.call("c2", at=1002)
    announce = only(out, C.Announce)[0]
    # 2nd in line, 1 agent staffed, 120 s mean handle time: 240 s, "4 minutes"
    assert (announce.position, announce.wait_minutes, announce.more_than) == (2, 4, False)
    assert floor.router.expected_wait_s("c2") == 240
    assert floor.router.expected_wait("c2") == WaitFigure(4)


def test_an_agent_shared_with_another_queue_counts_as_a_share() -> None:
    floor = Floor([spec("general"), spec("billing")], RouterConfig(estimate_min_samples=3))
    floor.login("shared", "general billing", at=0)
    for i in range(3):  # history: three general calls of 120 s
        offer = only(floor.call(f"warm{i}", at=i * 200), C.Offer)[0]
        floor.accept(offer, at=i * 200)
        floor.hang_up(offer.call_id, at=i * 200 + 100)
        floor.wrap("shared", at=i * 200 + 120)
    floor.accept(only(floor.call("busy", at=1000), C.Offer)[0], at=1000)
    floor.call("c1", at=1001)
    # 1st in line; the only agent also serves billing, so counts 1/2: 120 / 0.5 = 240 s
    assert floor.router.expected_wait_s("c1") == 240
    floor.login("solo", "general", ready=False, at=1002)
    floor.send(E.AgentNotReady(at=floor.at(1002), agent="solo", reason="break"))
    assert floor.router.expected_wait_s("c1") == 240  # on a break: not staffed
    floor.login("billing-only", "billing", at=1003)  # staffs billing, not general
    assert floor.router.expected_wait_s("c1") == 240
    floor.ready("solo", at=1004)  # takes c1 at once
    assert floor.router.call_state("c1") == "offered"
    floor.call("c2", at=1005)
    assert floor.router.expected_wait_s("c2") == 80  # 1 + 1/2 agents: 120 / 1.5


# --- the model against a simulated queue ----------------------------------------------------

def simulate(agents: int, load: float, mean_handle_s: float, calls: int,
             seed: int) -> tuple[list[float], list[float]]:
    """An M/M/n queue run through the router: Poisson arrivals, exponential handle times,
    offers accepted at once, no wrap-up. Returns (predicted, actual) waits of the callers who
    had to wait, predicted by the model the moment they joined the queue."""
    rng = random.Random(seed)
    config = RouterConfig(wrap_up_s=0, offer_timeout_s=1e9, estimate_min_samples=20)
    router = Router({"q": spec("q")}, config)
    for i in range(agents):
        router.handle(E.AgentLoggedIn(at=T0, agent=f"a{i}", skills={"q": 1}))
        router.handle(E.AgentReady(at=T0, agent=f"a{i}"))
    arrival_rate = load * agents / mean_handle_s
    next_arrival, ends = T0, {}  # connected call -> when it ends
    joined: dict[str, float] = {}
    predicted: dict[str, float] = {}
    actual: dict[str, float] = {}
    arrived = 0

    def accept_offers(out: list[C.Command], at: float) -> None:
        for offer in only(out, C.Offer):
            router.handle(E.OfferAccepted(at=at, offer_id=offer.offer_id))
            actual[offer.call_id] = at - joined[offer.call_id]
            ends[offer.call_id] = at + rng.expovariate(1 / mean_handle_s)

    while arrived < calls or ends:
        ending = min(ends, key=ends.__getitem__) if ends else None
        if arrived < calls and (ending is None or next_arrival <= ends[ending]):
            t, call_id = next_arrival, f"c{arrived}"
            arrived += 1
            next_arrival += rng.expovariate(arrival_rate)
            joined[call_id] = t
            out = router.handle(E.CallQueued(at=t, call_id=call_id,
                                             handoff=Handoff(queue="q")))
            estimate = router.expected_wait_s(call_id)
            if router.call_state(call_id) == "waiting" and estimate is not None:
                predicted[call_id] = estimate
            accept_offers(out, t)
        else:
            assert ending is not None
            t = ends.pop(ending)
            accept_offers(router.handle(E.HungUp(at=t, call_id=ending)), t)
    waited = sorted(predicted)
    return [predicted[c] for c in waited], [actual[c] for c in waited]


@pytest.mark.parametrize(("agents", "load"), [(5, 0.9), (20, 0.95)])
def test_the_model_meets_the_waits_that_follow(agents: int, load: float) -> None:
    predicted, actual = simulate(agents, load, mean_handle_s=300, calls=4000, seed=7)
    assert len(predicted) > 1000  # enough callers waited to judge
    mean_predicted = sum(predicted) / len(predicted)
    mean_actual = sum(actual) / len(actual)
    assert abs(mean_predicted - mean_actual) / mean_actual < 0.10
    # and caller by caller: most figures are within a factor of two of the wait that followed
    close = sum(1 for p, a in zip(predicted, actual, strict=True) if a / 2 <= p <= a * 2)
    assert close / len(predicted) > 0.8
