"""Property tests: random sequences of events on a small floor (four queues with overflow,
maximum waits and callbacks; five agents coming and going; callers arriving, hanging up,
taking callbacks; bridges to agents' phones that fail), then a drain where one agent with
every skill serves whatever is left.

After every step the `Checker` (an independent model built from the commands) and the
router's audit must hold: no call offered to two agents at once, no agent holding two calls,
FIFO among equal callers, no waiting call beside an available agent who could take it, only
legal agent state changes. After the drain every call must have left with exactly one
outcome (no call lost), the KPIs computed from the SQLite records must agree with the
checker's count of the commands, and replaying the events (through JSON) must give the same
commands.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import commands as C
from agents import events as E
from agents.config import RouterConfig
from agents.router import Router
from dsl import tree as T
from runtime.actions import Handoff
from tests.agents.floor import T0, Floor, spec

QUEUES = [
    spec("sales", announce_position_s=30, callback_after_s=60, overflow_to="general",
         overflow_after_s=90),
    spec("tech", "tech:2", strategy="skills_based", priority_by=T.Ref(path=("caller", "tier")),
         max_wait_s=200, max_wait_then="callback"),
    spec("general", strategy="round_robin", max_wait_s=300, max_wait_then="voicemail",
         announce_wait_s=45),
    spec("vip", "vip general", strategy="fewest_calls", max_wait_s=150, max_wait_then="hangup",
         overflow_to="sales", overflow_after_s=60),
]
CONFIG = RouterConfig(offer_timeout_s=10, max_missed_offers=2, wrap_up_s=30,
                      callback_attempts=2, callback_retry_s=40, originate_timeout_s=20,
                      estimate_min_samples=2)
AGENTS = ["a0", "a1", "a2", "a3", "a4"]
SKILL_SETS = [{"sales": 1}, {"tech": 2}, {"tech": 1, "general": 1}, {"general": 1, "vip": 1},
              {"sales": 1, "general": 2, "tech": 3, "vip": 1}]
PRIORITIES = ["low", "normal", "normal", "high", "urgent", "7"]
TIERS = ["", "gold", "silver"]
DRAIN = "zed"

agent = st.integers(0, len(AGENTS) - 1)
pick = st.integers(0, 50)
# the switch cannot connect an accepted call: back to the queue (or abandoned, the caller gone
# too, or the caller hung up while the phone rang), or a report about an earlier attempt that
# must change nothing
bridge_failed = st.tuples(st.just("bridge_failed"), pick,
                          st.sampled_from(["requeue", "requeue", "gone", "cancel", "stale"]))
# Repeated entries weigh the draw: offers must exist for accept, decline and the agents'
# mid-offer changes to be tested, so logging in ready and queueing come up often.
login = st.tuples(st.just("login"), agent, st.integers(0, len(SKILL_SETS) - 1), st.booleans())
step = st.one_of(
    login, login,
    st.tuples(st.sampled_from(["ready", "not_ready", "logout", "disconnect", "wrap"]), agent),
    st.tuples(st.just("queue"), st.integers(0, len(QUEUES) - 1),
              st.integers(0, len(PRIORITIES) - 1), st.booleans(),
              st.integers(0, len(TIERS) - 1), st.booleans()),
    st.tuples(st.just("queue"), st.integers(0, len(QUEUES) - 1), st.just(1), st.just(False),
              st.just(0), st.just(True)),  # plain callers often: equal ones test FIFO
    st.tuples(st.sampled_from(["hangup", "callback", "voicemail"]), pick),
    st.tuples(st.sampled_from(["accept", "accept", "decline"]), pick),
    st.tuples(st.sampled_from(["accept", "accept", "decline"]), pick),
    st.tuples(st.just("originate"), pick, st.booleans()),
    bridge_failed, bridge_failed,
    # what happens to either side of an offer while it rings
    st.tuples(st.just("ringing"), pick, st.sampled_from(
        ["disconnect", "not_ready", "logout", "hangup", "callback", "voicemail"])),
    st.tuples(st.just("tick")),
)
steps = st.lists(st.tuples(step, st.sampled_from([0, 0, 1, 3, 10, 25, 61])), min_size=10,
                 max_size=80)


def play(floor: Floor, script: list[tuple[tuple[Any, ...], int]]) -> list[E.Event]:
    """Turn drawn steps into events against the floor's current state; returns the events."""
    sent: list[E.Event] = []
    calls: list[str] = []
    t = 0.0

    def send(event: E.Event) -> None:
        sent.append(event)
        floor.send(event)

    for (op, *args), dt in script:
        t += dt
        at = T0 + t
        offers = list(floor.checker.offers)
        if op == "login":
            send(E.AgentLoggedIn(at=at, agent=AGENTS[args[0]], skills=SKILL_SETS[args[1]]))
            if args[2]:
                send(E.AgentReady(at=at, agent=AGENTS[args[0]]))
        elif op == "ready":
            send(E.AgentReady(at=at, agent=AGENTS[args[0]]))
        elif op == "not_ready":
            send(E.AgentNotReady(at=at, agent=AGENTS[args[0]], reason="break"))
        elif op == "logout":
            send(E.AgentLoggedOut(at=at, agent=AGENTS[args[0]]))
        elif op == "disconnect":
            send(E.AgentDisconnected(at=at, agent=AGENTS[args[0]]))
        elif op == "wrap":
            send(E.WrapUpDone(at=at, agent=AGENTS[args[0]], disposition="done"))
        elif op == "queue":
            queue, priority, vip, tier, has_number = args
            call_id = f"c{len(calls)}"
            calls.append(call_id)
            number = "+1555" if has_number else ""
            send(E.CallQueued(at=at, call_id=call_id, number=number,
                              handoff=Handoff(request_id=f"h{call_id}",
                                              queue=QUEUES[queue].name,
                                              priority=PRIORITIES[priority]),
                              caller={"vip": vip, "tier": TIERS[tier]}))
        elif op in ("hangup", "callback", "voicemail") and calls:
            call_id = calls[args[0] % len(calls)]
            send({"hangup": E.HungUp, "callback": E.CallbackAccepted,
                  "voicemail": E.VoicemailChosen}[op](at=at, call_id=call_id))
        elif op in ("accept", "decline") and offers:
            offer_id = offers[args[0] % len(offers)]
            kind = E.OfferAccepted if op == "accept" else E.OfferDeclined
            send(kind(at=at, offer_id=offer_id))
        elif op == "ringing" and offers:
            call_id, name = floor.checker.offers[offers[args[0] % len(offers)]]
            send({"disconnect": E.AgentDisconnected(at=at, agent=name),
                  "not_ready": E.AgentNotReady(at=at, agent=name, reason="break"),
                  "logout": E.AgentLoggedOut(at=at, agent=name),
                  "hangup": E.HungUp(at=at, call_id=call_id),
                  "callback": E.CallbackAccepted(at=at, call_id=call_id),
                  "voicemail": E.VoicemailChosen(at=at, call_id=call_id)}[args[1]])
        elif op == "bridge_failed" and (connected := [
                call_id for call_id, view in floor.checker.calls.items()
                if view.state == "connected" and view.kind == "live"]):
            cancel = args[1] == "cancel"
            send(E.BridgeFailed(at=at, call_id=connected[args[0] % len(connected)],
                                offer_id="offer-0" if args[1] == "stale" else "",
                                cause=E.CALLER_HUNG_UP if cancel else "NO_ANSWER",
                                reason="" if cancel else "Phone did not answer",
                                caller_gone=args[1] in ("gone", "cancel")))
        elif op == "originate" and offers:
            callbacks = [o for o in offers if floor.checker.calls[
                floor.checker.offers[o][0]].kind == "callback"] or offers
            send(E.OriginateResult(at=at, offer_id=callbacks[args[0] % len(callbacks)],
                                   answered=args[1]))
        else:
            send(E.Tick(at=at))
    drain(floor, T0 + t, send)
    return sent


def drain(floor: Floor, at: float, send: Any) -> None:
    """One agent with every skill serves what is left; every call must find its way out."""
    send(E.AgentLoggedIn(at=at, agent=DRAIN, skills={q.name: 5 for q in QUEUES}))
    send(E.AgentReady(at=at, agent=DRAIN))
    for _ in range(500):
        if not floor.router.core.calls:
            return
        at += 5
        checker = floor.checker
        for offer_id, (call_id, _agent) in list(checker.offers.items()):
            if checker.calls[call_id].kind == "callback":
                send(E.OriginateResult(at=at, offer_id=offer_id, answered=True))
            else:
                send(E.OfferAccepted(at=at, offer_id=offer_id))
        for call_id, call in list(checker.calls.items()):
            if call.state == "connected":
                send(E.HungUp(at=at, call_id=call_id))
        for name, view in list(checker.agents.items()):
            if view.state == "wrap_up":
                send(E.WrapUpDone(at=at, agent=name))
        send(E.Tick(at=at))
    raise AssertionError(f"calls still in the router: {list(floor.router.core.calls)}")


@settings(max_examples=200, deadline=None)
@given(steps)
def test_routing_invariants(script: list[tuple[tuple[Any, ...], int]]) -> None:
    floor = Floor(QUEUES, CONFIG)
    events = play(floor, script)
    checker = floor.checker
    # no call lost: every call queued left with exactly one outcome
    assert sorted(checker.outcomes) == sorted(checker.queued)
    assert not checker.calls and not floor.router.core.offers
    # deterministic: the same events, written to JSON and read back, give the same commands
    again = Router({q.name: q for q in QUEUES}, CONFIG)
    replayed = [E.event_from_json(json.loads(json.dumps(E.event_to_json(e)))) for e in events]
    assert replayed == events
    assert [c for e in replayed for c in again.handle(e)] == floor.log


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_kpis_agree_with_the_commands(script: list[tuple[tuple[Any, ...], int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        floor = Floor(QUEUES, CONFIG, db=Path(folder) / "agents.db")
        play(floor, script)
        assert floor.store is not None
        k = floor.store.kpis(T0 - 1, T0 + 10**6, threshold_s=20)
        floor.store.close()
    tally = floor.checker.tally
    waits = tally.answered_waits
    assert k.answered == len(waits)
    assert k.answered_within == sum(1 for w in waits if w <= 20)
    assert (k.abandoned, k.max_wait_reached) == (tally.abandoned, tally.max_wait)
    assert (k.chose_callback, k.chose_voicemail) == (tally.chose_callback, tally.chose_voicemail)
    assert k.waits_ended == (len(waits) + tally.abandoned + tally.max_wait
                             + tally.chose_callback + tally.chose_voicemail)
    assert (k.callbacks_kept, k.callbacks_failed) == (tally.callbacks_kept,
                                                      tally.callbacks_failed)
    assert k.handled == tally.handled
    if waits:
        assert k.asa_s is not None and abs(k.asa_s - sum(waits) / len(waits)) < 1e-6
    measured = len(waits) + tally.abandoned + tally.max_wait
    if measured:
        assert k.service_level == k.answered_within / measured
    completed = [c for c in floor.log if isinstance(c, C.Completed)]
    assert len(completed) == k.handled  # every call talked to was wrapped up in the drain
