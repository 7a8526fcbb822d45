"""Queues from the bots' compiled IR, and a real handoff from the acme bot routed and stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import commands as C
from agents import events as E
from agents.queues import QueueSpec, specs_from_ir, specs_from_program
from agents.router import Router
from agents.store import Store
from dsl.compile import compile_file
from runtime import actions as A
from runtime import events as RE
from runtime.bot import Bot, load_bot
from runtime.program import load_program
from runtime.session import Session
from tests.agents.floor import T0, one


@pytest.fixture(scope="module")
def acme() -> Bot:
    return load_bot(Path("bots/acme"))


def test_queues_from_the_acme_flow(acme: Bot) -> None:
    specs = specs_from_program(acme.program)
    assert list(specs) == ["general", "billing", "complaints", "tech_support", "vip"]
    assert specs["billing"] == QueueSpec(
        name="billing", skills=(("billing", 1), ("payments", 2)), strategy="longest_idle",
        announce_position_s=45, callback_after_s=120, overflow_to="general",
        overflow_after_s=300, max_wait_s=600, max_wait_then="voicemail")
    assert specs["complaints"].strategy == "skills_based"
    assert specs["general"].priority_by is not None  # `priority by caller.tier`
    assert specs["general"].announce_wait_s == 60


def test_the_ir_json_gives_the_same_queues(acme: Bot) -> None:
    ir = json.loads(json.dumps(acme.ir))  # as `voxflow compile` writes it to build/ir
    assert specs_from_ir(ir) == specs_from_program(acme.program)
    bank = compile_file(Path("bots/bank/bank.flow")).ir()  # with a sub-flow (no queues)
    assert list(specs_from_ir(bank)) == ["fraud", "card_services", "general"]
    assert specs_from_ir(bank) == specs_from_program(load_program(bank))


def complaint_handoff(bot: Bot) -> A.Handoff:
    """Play a VIP caller through the acme bot to its complaint handoff."""
    session = Session(bot.program, intents=bot.intents)
    at = T0
    script = [RE.Speech(text="i want to make a complaint")]
    pending: list[RE.Event] = [RE.CallStarted(caller="+15550100", variables={
        "number": "+15550100", "name": "Dana", "vip": "true", "tier": "gold"})]
    while pending or script:
        event = pending.pop(0) if pending else script.pop(0)
        at += 1
        for action in session.handle(type(event)(**{**event.__dict__, "at": at})):
            if isinstance(action, A.Play):
                pending.append(RE.PlaybackFinished(playback_id=action.playback_id))
            if isinstance(action, A.Handoff):
                return action
    raise AssertionError("the bot did not hand off")


def test_a_real_handoff_is_routed_and_stored(acme: Bot, tmp_path: Path) -> None:
    handoff = complaint_handoff(acme)
    assert (handoff.queue, handoff.priority) == ("complaints", "high")
    router = Router(specs_from_program(acme.program))
    caller = {"number": "+15550100", "name": "Dana", "vip": True, "tier": "gold"}
    with Store(tmp_path / "agents.db") as store:
        def send(event: E.Event) -> list[C.Command]:
            out = router.handle(event)
            store.record(event, out)
            return out

        send(E.AgentLoggedIn(at=T0 + 10, agent="kim", skills={"complaints": 3}))
        send(E.AgentReady(at=T0 + 10, agent="kim"))
        out = send(E.CallQueued(at=T0 + 20, call_id="uuid-1", handoff=handoff, caller=caller,
                                number="+15550100"))
        assert one(out, C.Queued).priority == 8  # high
        offer = one(out, C.Offer)
        assert (offer.agent, offer.queue) == ("kim", "complaints")
        bridge = one(send(E.OfferAccepted(at=T0 + 25, offer_id=offer.offer_id)), C.Bridge)
        assert bridge.handoff_id == handoff.request_id
        stored = store.handoff("uuid-1")
        assert stored is not None
        assert stored["reason"] == "complaint" and stored["vip"] == 1
        assert stored["summary"].startswith("Dana called to complain")
        assert {"name": "caller_number", "type": "phone", "sensitive": False,
                "value": "+15550100"} in stored["context"]
        assert any("complaint" in str(turn) for turn in stored["transcript"])
