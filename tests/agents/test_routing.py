"""Routing scenarios: priority order, skills, strategies, overflow, no-answer re-offer, agents
who go away mid-offer, bridges to agents' phones that fail, callers who hang up, maximum wait,
wrap-up. Every step also passes the `Checker` and the router's audit (see floor.py)."""

from __future__ import annotations

import json
from pathlib import Path

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from dsl import tree as T
from runtime.actions import ContextField, Handoff
from tests.agents.floor import T0, Floor, one, only, spec


def offered_calls(commands: list[C.Command]) -> list[str]:
    return [c.call_id for c in only(commands, C.Offer)]


def serve_all(floor: Floor, agent: str, start: float) -> list[str]:
    """The agent takes each call offered, talks 10 s and wraps up, until none is left."""
    order: list[str] = []
    t = start
    offer = next((c for c in reversed(floor.log) if isinstance(c, C.Offer)
                  and c.agent == agent), None)
    while offer is not None and floor.router.call_state(offer.call_id) == "offered":
        order.append(offer.call_id)
        floor.accept(offer, at=t)
        floor.hang_up(offer.call_id, at=t + 10)
        out = floor.wrap(agent, at=t + 11)
        t += 12
        offers = only(out, C.Offer)
        offer = offers[0] if offers else None
    return order


# --- priority -------------------------------------------------------------------------------

def test_priority_then_vip_then_first_come() -> None:
    floor = Floor([spec("general")])
    floor.login("ann", at=0)
    floor.call("busy", at=1)
    floor.accept(floor.log[-1], at=1)  # ann is on a call; everyone else waits
    floor.call("low", at=2, priority="low")
    floor.call("normal-1", at=3)
    floor.call("urgent", at=4, priority="urgent")
    floor.call("high", at=5, priority="high")
    floor.call("normal-vip", at=6, vip=True)
    floor.call("normal-2", at=7)
    floor.call("seven", at=8, priority="7")
    assert floor.router.waiting("general") == [
        "urgent", "high", "seven", "normal-vip", "normal-1", "normal-2", "low"]
    assert floor.router.position("normal-1") == 5
    floor.hang_up("busy", at=20)
    floor.wrap("ann", at=21)
    assert serve_all(floor, "ann", 22) == [
        "urgent", "high", "seven", "normal-vip", "normal-1", "normal-2", "low"]


def test_priority_by_the_callers_tier() -> None:
    tiered = spec("general", priority_by=T.Ref(path=("caller", "tier")))
    floor = Floor([tiered])
    floor.call("basic", at=1, tier="")
    floor.call("silver", at=2, tier="silver")
    floor.call("gold", at=3, tier="Gold")
    floor.call("unknown", at=4, tier="diamond")  # not in the tier list: with the untiered
    floor.call("urgent-basic", at=5, priority="urgent")
    assert floor.router.waiting("general") == ["urgent-basic", "gold", "silver", "basic",
                                               "unknown"]


def test_priority_by_a_number_and_a_broken_expression() -> None:
    score = T.Binary(op="*", left=T.Ref(path=("caller", "score")), right=T.Num(value=2))
    by_score = spec("general", priority_by=score)
    floor = Floor([by_score])
    floor.call("low", at=1, score=1)
    floor.call("none", at=2)  # no score: the expression fails, the call ranks last
    floor.call("high", at=3, score=9)
    assert floor.router.waiting("general") == ["high", "low", "none"]


# --- skills and strategies ------------------------------------------------------------------

def test_skills_and_minimum_levels() -> None:
    floor = Floor([spec("billing", "billing payments:2")])
    floor.login("junior", "billing payments:1", at=0)
    floor.login("no-billing", "payments:5", at=0)
    out = floor.call("c1", "billing", at=1)
    assert not only(out, C.Offer)  # nobody qualified
    out = floor.login("senior", "billing:1 payments:3", at=2)
    assert one(out, C.Offer).agent == "senior"


def test_longest_idle() -> None:
    floor = Floor([spec("general")])
    for i, name in enumerate(["a", "b", "c"]):
        floor.login(name, at=i)
    out = floor.call("c1", at=10)
    assert one(out, C.Offer).agent == "a"
    out = floor.call("c2", at=11)
    assert one(out, C.Offer).agent == "b"


def test_round_robin_goes_around() -> None:
    floor = Floor([spec("general", strategy="round_robin")])
    for name in ["a", "b", "c"]:
        floor.login(name, at=0)
    agents = []
    for i in range(5):
        offer = one(floor.call(f"c{i}", at=1 + i), C.Offer)
        agents.append(offer.agent)
        floor.accept(offer, at=1 + i)
        floor.hang_up(offer.call_id, at=1 + i)
        floor.wrap(offer.agent, at=1 + i)
    assert agents == ["a", "b", "c", "a", "b"]


def test_fewest_calls() -> None:
    floor = Floor([spec("general", strategy="fewest_calls")])
    floor.login("busy-bee", at=0)
    for i in range(2):  # busy-bee takes two calls
        offer = one(floor.call(f"warm{i}", at=1 + i), C.Offer)
        floor.accept(offer, at=1 + i)
        floor.hang_up(offer.call_id, at=1 + i)
        floor.wrap("busy-bee", at=1 + i)
    floor.login("fresh", at=10)  # idle for less time, but has taken no call
    assert one(floor.call("c", at=11), C.Offer).agent == "fresh"


def test_skills_based_prefers_the_most_proficient() -> None:
    floor = Floor([spec("tech", "networking tv:2", strategy="skills_based")])
    floor.login("ok", "networking:1 tv:2", at=0)
    floor.login("expert", "networking:5 tv:4", at=1)
    floor.login("good", "networking:3 tv:2", at=2)
    assert one(floor.call("c", "tech", at=3), C.Offer).agent == "expert"


def test_an_agent_free_takes_the_best_call_across_their_queues() -> None:
    floor = Floor([spec("billing"), spec("general")])
    floor.call("g-early", "general", at=1)
    floor.call("b-urgent", "billing", at=2, priority="urgent")
    floor.call("b-late", "billing", at=3)
    out = floor.login("ann", "billing general", at=4)
    assert one(out, C.Offer).call_id == "b-urgent"
    floor.accept(floor.log[-1], at=4)
    floor.hang_up("b-urgent", at=5)
    out = floor.wrap("ann", at=6)
    assert one(out, C.Offer).call_id == "g-early"  # waited longest of the equal ones


# --- overflow -------------------------------------------------------------------------------

def test_overflow_keeps_the_waiting_time() -> None:
    floor = Floor([spec("billing", overflow_to="general", overflow_after_s=300),
                   spec("general")])
    floor.login("gail", "general", at=0)
    floor.accept(one(floor.call("g0", "general", at=0), C.Offer), at=0)  # gail is busy
    floor.call("b1", "billing", at=10)
    floor.call("g1", "general", at=100)
    out = floor.tick(309)
    assert not only(out, C.Moved)
    out = floor.tick(310)
    moved = one(out, C.Moved)
    assert (moved.call_id, moved.from_queue, moved.to_queue) == ("b1", "billing", "general")
    assert moved.at == T0 + 310
    # b1 waited since 10 s, g1 since 100 s: b1 is ahead in general
    assert floor.router.waiting("general") == ["b1", "g1"]
    floor.hang_up("g0", at=320)
    assert one(floor.wrap("gail", at=321), C.Offer).call_id == "b1"


def test_overflow_never_loops_back() -> None:
    floor = Floor([spec("a", overflow_to="b", overflow_after_s=10),
                   spec("b", overflow_to="a", overflow_after_s=10)])
    floor.call("c", "a", at=0)
    floor.tick(100)
    moves = [(m.from_queue, m.to_queue) for m in only(floor.log, C.Moved)]
    assert moves == [("a", "b")]
    assert floor.router.call_state("c") == "waiting"


def test_a_ringing_call_overflows_when_the_offer_fails() -> None:
    floor = Floor([spec("billing", overflow_to="general", overflow_after_s=15),
                   spec("general")], RouterConfig(offer_timeout_s=20))
    floor.login("bob", "billing", at=0)
    floor.call("c", "billing", at=1)  # rings bob from 1 s to 21 s; overflow is due at 16 s
    out = floor.tick(21)
    assert [type(c).__name__ for c in out if not isinstance(c, C.AgentStateChanged)] == [
        "RescindOffer", "Moved"]


# --- offers that are not answered -----------------------------------------------------------

def test_no_answer_goes_to_the_next_agent_and_the_caller_keeps_their_place() -> None:
    floor = Floor([spec("general")], RouterConfig(offer_timeout_s=20))
    floor.login("a", at=0)
    floor.login("b", at=1)
    floor.call("first", at=2)  # to a (longest idle)
    floor.accept(floor.log[-1], at=2)
    floor.call("c1", at=3)  # to b
    floor.call("c2", at=4)  # waits behind c1 if c1 comes back
    assert floor.router.call_state("c1") == "offered"
    out = floor.tick(23)  # b let c1 ring out at 23 s
    rescind = one(out, C.RescindOffer)
    assert (rescind.call_id, rescind.agent, rescind.reason) == ("c1", "b", "no_answer")
    # b is the only agent free, so c1 rings b again rather than wait; c2 stays behind it
    assert one(out, C.Offer).call_id == "c1"
    assert floor.router.waiting("general") == ["c2"]
    floor.hang_up("first", at=30)
    out = floor.wrap("a", at=31)  # a frees up while c1 rings b: a takes the next, c2
    assert one(out, C.Offer).call_id == "c2"


def test_the_next_agent_gets_the_call_not_the_one_who_missed_it() -> None:
    floor = Floor([spec("general")], RouterConfig(offer_timeout_s=20))
    floor.login("a", at=0)
    floor.login("b", at=5)
    floor.call("c", at=10)
    out = floor.tick(30)
    assert one(out, C.RescindOffer).agent == "a"
    assert one(out, C.Offer).agent == "b"


def test_missed_offers_put_the_agent_not_ready() -> None:
    floor = Floor([spec("general")], RouterConfig(offer_timeout_s=10, max_missed_offers=2))
    floor.login("sleepy", at=0)
    floor.call("c", at=1)
    floor.tick(11)  # missed 1: available again, offered c again (nobody else)
    assert floor.router.agent_state("sleepy") == ("offered", "")
    out = floor.tick(21)  # missed 2
    assert floor.router.agent_state("sleepy") == ("not_ready", "missed offers")
    assert not only(out, C.Offer)
    assert floor.router.position("c") == 1
    out = floor.ready("sleepy", at=30)  # back: the count starts again
    offer = one(out, C.Offer)
    floor.accept(offer, at=31)
    assert floor.router.call_state("c") == "connected"


def test_declined_offer_goes_to_the_next_agent() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.login("b", at=1)
    offer = one(floor.call("c", at=2), C.Offer)
    out = floor.send(E.OfferDeclined(at=floor.at(3), offer_id=offer.offer_id))
    assert one(out, C.RescindOffer).reason == "declined"
    assert one(out, C.Offer).agent == "b"
    assert floor.router.agent_state("a") == ("available", "")


def test_accepting_at_the_second_the_offer_expires_counts() -> None:
    floor = Floor([spec("general")], RouterConfig(offer_timeout_s=20))
    floor.login("a", at=0)
    offer = one(floor.call("c", at=1), C.Offer)
    out = floor.accept(offer, at=21)
    assert one(out, C.Bridge).agent == "a"


def test_a_late_accept_is_ignored() -> None:
    floor = Floor([spec("general")], RouterConfig(offer_timeout_s=20, max_missed_offers=1))
    floor.login("a", at=0)
    offer = one(floor.call("c", at=1), C.Offer)
    out = floor.accept(offer, at=22)  # expired at 21 s: rescinded first, then ignored
    assert one(out, C.RescindOffer).reason == "no_answer"
    assert not only(out, C.Bridge)
    assert floor.router.call_state("c") == "waiting"


def test_agent_disconnects_mid_offer() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.login("b", at=1)
    floor.call("c0", at=2)
    floor.accept(floor.log[-1], at=2)  # a on a call
    floor.call("c1", at=3)  # rings b
    floor.call("c2", at=4)  # waits behind c1
    out = floor.send(E.AgentDisconnected(at=floor.at(5), agent="b"))
    assert one(out, C.RescindOffer).reason == "agent_disconnected"
    assert floor.router.agent_state("b") == ("not_ready", "disconnected")
    assert floor.router.waiting("general") == ["c1", "c2"]  # c1 kept its place
    floor.hang_up("c0", at=6)
    assert one(floor.wrap("a", at=7), C.Offer).call_id == "c1"


def test_not_ready_or_logout_mid_offer_keeps_the_callers_place() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.call("c", at=1)
    floor.send(E.AgentNotReady(at=floor.at(2), agent="a", reason="lunch"))
    assert floor.router.agent_state("a") == ("not_ready", "lunch")
    assert floor.router.position("c") == 1
    out = floor.ready("a", at=3)
    floor.send(E.AgentLoggedOut(at=floor.at(4), agent="a"))
    assert floor.router.agent_state("a") == ("logged_out", "")
    assert one(out, C.Offer).call_id == "c" and floor.router.position("c") == 1


# --- a bridge to the agent's phone that fails -----------------------------------------------

def failed(floor: Floor, call_id: str, at: float, **kw: object) -> list[C.Command]:
    """The switch reports that the accepted call never reached the agent's phone."""
    return floor.send(E.BridgeFailed(at=floor.at(at), call_id=call_id, cause="NO_ANSWER",
                                     reason="Phone did not answer", **kw))  # type: ignore[arg-type]


def test_a_failed_bridge_puts_the_caller_back_in_their_place_for_the_next_agent(
        tmp_path: Path) -> None:
    floor = Floor([spec("general", announce_position_s=30)], db=tmp_path / "agents.db")
    floor.login("a", at=0)
    offer = one(floor.call("c1", at=1), C.Offer)
    accepted = floor.accept(offer, at=2)
    assert one(accepted, C.Bridge).agent == "a"
    floor.call("c2", at=3)
    floor.call("c3", at=4)
    assert floor.router.waiting("general") == ["c2", "c3"]
    out = failed(floor, "c1", at=40)
    gone = one(out, C.ConnectFailed)
    assert (gone.call_id, gone.agent, gone.queue, gone.offer_id, gone.cause, gone.reason) == (
        "c1", "a", "general", offer.offer_id, "NO_ANSWER", "Phone did not answer")
    # first the call leaves the agent, then the agent goes not ready with the reason
    state = one(out, C.AgentStateChanged)
    assert out.index(gone) < out.index(state)
    assert floor.router.agent_state("a") == ("not_ready", "Phone did not answer")
    # the caller is first again: the key they had, ahead of those who came later
    assert floor.router.waiting("general") == ["c1", "c2", "c3"]
    # told where they stand, as on entering
    assert [(a.call_id, a.position) for a in only(out, C.Announce) if a.at == T0 + 40] == [
        ("c1", 1)]
    assert floor.router.call_state("c1") == "waiting"
    # the next agent gets c1, not c2
    out = floor.login("b", at=41)
    assert one(out, C.Offer).call_id == "c1"
    floor.accept(floor.log[-1], at=42)
    floor.hang_up("c1", at=100)
    floor.wrap("b", at=110)
    assert floor.store is not None
    kinds = [kind for _, kind, _, _ in floor.store.path("c1")]
    assert kinds == ["queued", "answered", "bridge_failed", "answered", "completed"]
    k = floor.store.kpis(T0, T0 + 3600, threshold_s=20)
    # answered once, by b, after waiting from 1 s to 42 s; handled once, from b's answer
    assert (k.answered, k.answered_within, k.waits_ended) == (1, 0, 1)
    assert k.asa_s == 41.0
    assert (k.handled, k.aht_s) == (1, 68.0)
    offers = floor.store.conn.execute(
        "SELECT agent_id, outcome FROM offers WHERE call_id = 'c1' ORDER BY id").fetchall()
    assert offers == [("a", "bridge_failed"), ("b", "accepted")]
    floor.store.close()


def test_a_failed_bridge_goes_straight_to_an_agent_who_is_free(tmp_path: Path) -> None:
    floor = Floor([spec("general")], db=tmp_path / "agents.db")
    floor.login("a", at=0)
    floor.login("b", at=1)
    floor.accept(one(floor.call("c", at=2), C.Offer), at=3)  # to a, the longest idle
    out = failed(floor, "c", at=10)
    offer = one(out, C.Offer)
    assert (offer.call_id, offer.agent) == ("c", "b")
    assert floor.router.agent_state("a") == ("not_ready", "Phone did not answer")
    # still waiting: the failed answer is no answer, and nothing ended the wait yet
    assert floor.store is not None
    k = floor.store.kpis(T0, T0 + 3600)
    assert (k.answered, k.waits_ended, k.asa_s) == (0, 0, None)
    floor.store.close()


def test_a_failed_bridge_with_the_caller_gone_is_abandoned_not_answered(tmp_path: Path) -> None:
    floor = Floor([spec("general")], db=tmp_path / "agents.db")
    floor.login("a", at=0)
    floor.accept(one(floor.call("c", at=1), C.Offer), at=2)
    out = failed(floor, "c", at=20, caller_gone=True)
    assert [type(c).__name__ for c in out] == ["ConnectFailed", "AgentStateChanged",
                                               "Abandoned"]
    assert floor.router.call_state("c") is None
    assert floor.checker.outcomes == {"c": "abandoned"}
    assert floor.store is not None
    k = floor.store.kpis(T0, T0 + 3600)
    assert (k.answered, k.abandoned, k.handled) == (0, 1, 0)
    floor.store.close()


def test_an_agent_who_asked_to_log_out_is_logged_out_after_a_failed_bridge() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.accept(one(floor.call("c", at=1), C.Offer), at=2)
    floor.send(E.AgentLoggedOut(at=floor.at(3), agent="a"))  # after this call
    failed(floor, "c", at=4)
    assert floor.router.agent_state("a") == ("logged_out", "")
    assert floor.router.position("c") == 1


def test_a_failed_bridge_of_another_attempt_or_call_changes_nothing() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.login("b", at=0)
    first = one(floor.call("c", at=1), C.Offer)
    floor.accept(first, at=2)
    failed(floor, "c", at=3)
    second = one(floor.log[-5:], C.Offer)
    assert second.agent == "b"
    floor.accept(second, at=4)
    # a late report about a's attempt: b's connection stands
    assert failed(floor, "c", at=5, offer_id=first.offer_id) == []
    assert floor.router.agent_state("b") == ("on_call", "")
    # not connected (waiting) or unknown calls: nothing to undo
    floor.call("w", at=6)
    assert failed(floor, "w", at=7) == []
    assert failed(floor, "nobody", at=8) == []
    # it is b's connection that fails when it names b's offer
    assert one(failed(floor, "c", at=9, offer_id=second.offer_id), C.ConnectFailed).agent == "b"


def test_a_failed_bridge_after_the_maximum_wait_ends_the_wait_as_the_queue_says() -> None:
    floor = Floor([spec("general", max_wait_s=60, max_wait_then="voicemail")])
    floor.login("a", at=0)
    floor.accept(one(floor.call("c", at=1), C.Offer), at=2)
    out = failed(floor, "c", at=90)  # rang a's phone past the 61 s mark
    assert one(out, C.ToVoicemail).reason == "max_wait"
    assert floor.checker.outcomes == {"c": "to_voicemail"}


# --- callers who leave ----------------------------------------------------------------------

def test_caller_hangs_up_in_queue_is_abandoned() -> None:
    floor = Floor([spec("general")])
    floor.call("c1", at=0)
    floor.call("c2", at=1)
    out = floor.hang_up("c1", at=30)
    assert one(out, C.Abandoned).call_id == "c1"
    assert floor.router.call_state("c1") is None
    assert floor.router.position("c2") == 1
    assert floor.checker.outcomes == {"c1": "abandoned"}


def test_caller_hangs_up_while_the_agent_is_ringing() -> None:
    floor = Floor([spec("general")], RouterConfig(max_missed_offers=1))
    floor.login("a", at=0)
    floor.call("c", at=1)
    out = floor.hang_up("c", at=2)
    assert one(out, C.RescindOffer).reason == "caller_hung_up"
    assert one(out, C.Abandoned).call_id == "c"
    assert floor.router.agent_state("a") == ("available", "")  # not the agent's fault


def test_voicemail_chosen_while_waiting() -> None:
    floor = Floor([spec("general")])
    floor.call("c", at=0)
    out = floor.send(E.VoicemailChosen(at=floor.at(5), call_id="c"))
    assert one(out, C.ToVoicemail).reason == "caller"
    assert floor.router.call_state("c") is None


# --- maximum wait ---------------------------------------------------------------------------

def test_max_wait_then_voicemail_hangup_callback() -> None:
    floor = Floor([spec("vm", max_wait_s=60, max_wait_then="voicemail"),
                   spec("hu", max_wait_s=60, max_wait_then="hangup"),
                   spec("cb", max_wait_s=60, max_wait_then="callback")])
    floor.call("a", "vm", at=0)
    floor.call("b", "hu", at=0)
    floor.call("c", "cb", at=0)
    floor.call("d", "cb", at=0, number="")  # no number to call back: voicemail
    out = floor.tick(60)
    assert {c.call_id for c in only(out, C.ToVoicemail)} == {"a", "d"}
    assert one(out, C.Disconnect).call_id == "b"
    assert one(out, C.CallbackScheduled).reason == "max_wait"
    assert floor.router.call_state("c") == "waiting"  # as a callback, in its place


def test_max_wait_counts_the_whole_wait_across_overflow() -> None:
    floor = Floor([spec("a", overflow_to="b", overflow_after_s=100),
                   spec("b", max_wait_s=150, max_wait_then="voicemail")])
    floor.call("c", "a", at=0)
    floor.tick(100)
    out = floor.tick(150)
    assert one(out, C.ToVoicemail).at == T0 + 150


# --- wrap-up --------------------------------------------------------------------------------

def test_wrap_up_is_timed_and_not_ready_waits_for_it() -> None:
    floor = Floor([spec("general")], RouterConfig(wrap_up_s=30))
    floor.login("a", at=0)
    floor.accept(one(floor.call("c", at=0), C.Offer), at=1)
    floor.send(E.AgentNotReady(at=floor.at(2), agent="a", reason="break"))
    assert floor.router.agent_state("a") == ("on_call", "")  # the call is not cut
    out = floor.hang_up("c", at=61)
    assert one(out, C.WrapUpStarted).until == T0 + 91
    out = floor.tick(91)
    ended = one(out, C.WrapUpEnded)
    assert ended.timed_out and ended.handle_s == 90
    assert floor.router.agent_state("a") == ("not_ready", "break")


def test_wrap_up_done_with_a_disposition() -> None:
    floor = Floor([spec("general")])
    floor.login("a", at=0)
    floor.accept(one(floor.call("c", at=0), C.Offer), at=0)
    floor.hang_up("c", at=100)
    out = floor.wrap("a", at=110, disposition="billing-fixed", notes="refund issued")
    ended = one(out, C.WrapUpEnded)
    assert (ended.disposition, ended.notes, ended.timed_out) == (
        "billing-fixed", "refund issued", False)
    assert floor.router.agent_state("a") == ("available", "")


# --- input the router cannot use ------------------------------------------------------------

def test_unknown_queue_and_duplicate_call_are_rejected_not_dropped() -> None:
    floor = Floor([spec("general")])
    assert one(floor.call("c", "nowhere", at=0), C.Rejected).reason == "unknown queue"
    floor.call("d", at=1)
    assert one(floor.call("d", at=2), C.Rejected).reason == "call id already queued"


def test_events_for_unknown_things_change_nothing() -> None:
    floor = Floor([spec("general")])
    for event in (E.AgentReady(agent="x"), E.OfferAccepted(offer_id="o"), E.HungUp(call_id="c"),
                  E.WrapUpDone(agent="x"), E.OriginateResult(offer_id="o"),
                  E.CallbackAccepted(call_id="c"), E.AgentDisconnected(agent="x"),
                  E.BridgeFailed(call_id="c")):
        assert floor.send(event) == []


def test_the_clock_never_goes_back() -> None:
    floor = Floor([spec("general", max_wait_s=60, max_wait_then="hangup")])
    floor.call("c", at=100)
    out = floor.call("late", at=50)  # an event stamped earlier is taken as "now"
    assert one(out, C.Queued).at == T0 + 100
    assert floor.router.next_due() == T0 + 160


def test_events_read_back_from_json() -> None:
    handoff = Handoff(request_id="h1", queue="general", priority="high",
                      context=(ContextField(name="account", value="1234", type="digits",
                                            sensitive=True),),
                      transcript=({"bot": "Hello", "step": "start"},))
    event = E.CallQueued(at=T0, call_id="c", handoff=handoff, caller={"vip": True})
    assert E.event_from_json(json.loads(json.dumps(E.event_to_json(event)))) == event
    tick = E.Tick(at=T0)
    assert E.event_from_json(E.event_to_json(tick)) == tick
    failure = E.BridgeFailed(at=T0, call_id="c", offer_id="offer-3", cause="USER_BUSY",
                             reason="Phone was busy", caller_gone=True)
    assert E.event_from_json(json.loads(json.dumps(E.event_to_json(failure)))) == failure
