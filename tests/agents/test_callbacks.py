"""Callbacks: offered after a while, accepted, the place kept virtually, an agent reserved and
the call placed when the turn comes; retried when nobody answers; given up after N tries."""

from __future__ import annotations

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from tests.agents.floor import T0, Floor, one, only, spec

CONFIG = RouterConfig(callback_attempts=2, callback_retry_s=120, originate_timeout_s=45)


def busy_floor() -> Floor:
    """One agent, on a call; callers c1, c2, c3 wait in that order."""
    floor = Floor([spec("general", callback_after_s=60)], CONFIG)
    floor.login("ann", at=0)
    floor.accept(one(floor.call("c0", at=0), C.Offer), at=0)
    for i in (1, 2, 3):
        floor.call(f"c{i}", at=i)
    return floor


def free_ann(floor: Floor, at: float) -> list[C.Command]:
    floor.hang_up("c0", at=at)
    return floor.wrap("ann", at=at)


def test_callback_is_offered_after_the_declared_wait() -> None:
    floor = busy_floor()
    assert not only(floor.tick(60), C.OfferCallback)
    out = floor.tick(61)
    assert [c.call_id for c in only(out, C.OfferCallback)] == ["c1"]
    floor.tick(100)
    assert [c.call_id for c in only(floor.log, C.OfferCallback)] == ["c1", "c2", "c3"]
    floor.tick(500)  # offered once, not again and again
    assert len(only(floor.log, C.OfferCallback)) == 3


def test_no_callback_offer_without_a_number() -> None:
    floor = Floor([spec("general", callback_after_s=60)], CONFIG)
    floor.call("anonymous", at=0, number="")
    assert not only(floor.tick(100), C.OfferCallback)
    out = floor.send(E.CallbackAccepted(at=floor.at(101), call_id="anonymous"))
    assert out == [] and floor.router.call_state("anonymous") == "waiting"
    # ...unless the caller keys in a number when they accept
    out = floor.send(E.CallbackAccepted(at=floor.at(102), call_id="anonymous",
                                        number="+15550199"))
    assert one(out, C.CallbackScheduled).number == "+15550199"


def test_callback_kept_and_placed_in_the_callers_turn() -> None:
    floor = busy_floor()
    floor.tick(62)
    out = floor.send(E.CallbackAccepted(at=floor.at(62), call_id="c2"))
    scheduled = one(out, C.CallbackScheduled)
    assert (scheduled.call_id, scheduled.number, scheduled.reason) == ("c2", "+15550100",
                                                                      "caller")
    out = floor.hang_up("c2", at=63)  # the caller's leg ends, as agreed: not abandoned
    assert not only(out, C.Abandoned) and floor.router.call_state("c2") == "waiting"
    assert floor.router.waiting("general") == ["c1", "c2", "c3"]  # the place is kept
    assert floor.router.queue_status("general").callbacks == 1
    # c1 first; then c2's turn: ann is reserved and the call is placed
    out = free_ann(floor, 100)
    assert one(out, C.Offer).call_id == "c1"
    floor.accept(floor.log[-1], at=100)
    floor.hang_up("c1", at=200)
    out = floor.wrap("ann", at=201)
    offer, originate = one(out, C.Offer), one(out, C.Originate)
    assert (offer.call_id, offer.kind, offer.agent) == ("c2", "callback", "ann")
    assert (originate.call_id, originate.agent, originate.number, originate.attempt) == (
        "c2", "ann", "+15550100", 1)
    assert originate.handoff_id == "h-c2"
    assert floor.router.agent_state("ann") == ("offered", "")
    out = floor.send(E.OriginateResult(at=floor.at(210), offer_id=offer.offer_id,
                                       answered=True))
    assert one(out, C.CallbackFinished).kept
    assert floor.router.agent_state("ann") == ("on_call", "")
    out = floor.hang_up("c2", at=300)  # the callback call ends: wrap-up
    assert one(out, C.Completed).call_id == "c2"
    assert floor.checker.outcomes["c2"] == "completed"


def test_callback_retried_then_given_up() -> None:
    floor = Floor([spec("general")], CONFIG)
    floor.call("c", at=0)
    floor.send(E.CallbackAccepted(at=floor.at(1), call_id="c"))
    out = floor.login("ann", at=10)
    first = one(out, C.Originate)
    out = floor.send(E.OriginateResult(at=floor.at(30), offer_id=first.offer_id,
                                       answered=False))
    assert one(out, C.RescindOffer).reason == "customer_no_answer"
    assert not only(out, C.CancelOriginate)  # the switch already gave up on it
    assert floor.router.call_state("c") == "held"
    assert floor.router.agent_state("ann") == ("available", "")
    assert not only(floor.tick(149), C.Originate)
    second = one(floor.tick(150), C.Originate)  # retried 120 s later, same agent free
    assert second.attempt == 2
    out = floor.tick(150 + 45)  # the switch never answers: the attempt times out
    assert one(out, C.CancelOriginate).call_id == "c"
    finished = one(out, C.CallbackFinished)
    assert not finished.kept and finished.attempts == 2
    assert floor.checker.outcomes["c"] == "callback_failed"


def test_agent_gone_while_reserved_for_a_callback() -> None:
    floor = Floor([spec("general")], CONFIG)
    floor.call("c", at=0)
    floor.send(E.CallbackAccepted(at=floor.at(1), call_id="c"))
    floor.login("ann", at=10)
    out = floor.send(E.AgentDisconnected(at=floor.at(11), agent="ann"))
    assert one(out, C.CancelOriginate).reason == "agent_disconnected"
    assert floor.router.position("c") == 1
    out = floor.login("bob", at=12)
    assert one(out, C.Originate).attempt == 1  # a cancelled try does not count


def test_callback_accepted_while_an_agent_rings() -> None:
    floor = Floor([spec("general")], CONFIG)
    floor.login("ann", at=0)
    floor.call("c", at=1)  # rings ann
    out = floor.send(E.CallbackAccepted(at=floor.at(2), call_id="c"))
    assert one(out, C.RescindOffer).reason == "callback_accepted"
    assert one(out, C.CallbackScheduled).call_id == "c"
    # its turn has come at once: ann is reserved and the call placed
    assert one(out, C.Originate).agent == "ann"


def test_callbacks_overflow_but_never_time_out() -> None:
    floor = Floor([spec("a", overflow_to="b", overflow_after_s=100, max_wait_s=50,
                        max_wait_then="voicemail"), spec("b")], CONFIG)
    floor.call("c", "a", at=0)
    floor.send(E.CallbackAccepted(at=floor.at(10), call_id="c"))
    out = floor.tick(100)
    assert one(out, C.Moved).to_queue == "b"
    assert not only(floor.log, C.ToVoicemail)
    assert floor.router.call_state("c") == "waiting"
    assert floor.router.queue_status("b").callbacks == 1
    assert floor.log[-1].at == T0 + 100
