"""Entities from ASR-style text: the bots' regexes, lookups and synonyms, and typed values
shared with the runtime's slot normalisers."""

from __future__ import annotations

import datetime

import pytest

from nlu.engine import BuiltinEngine
from runtime.normalize import normalize

TODAY = datetime.date(2026, 11, 18)  # a Wednesday


def found(engine: BuiltinEngine, text: str, slot_type: str | None = None) -> list[tuple]:
    return [(e.entity, e.value, e.text)
            for e in engine.entities.extract(text, slot_type, today=TODAY)]


def test_offsets_point_at_the_words(acme: BuiltinEngine) -> None:
    text = "uh my cell phone has no signal"
    (entity,) = acme.entities.extract(text)
    assert text[entity.start : entity.end] == entity.text == "cell phone"
    assert (entity.entity, entity.value, entity.extractor) == ("service", "mobile", "lookup")


@pytest.mark.parametrize(("text", "expected"), [
    # lookups and annotated values, with the synonyms that map to them
    ("the wi fi is down again", [("service", "internet", "wi fi")]),
    ("my broadband keeps dropping", [("service", "internet", "broadband")]),
    ("no picture on the tv", [("service", "tv", "tv")]),
    # the regex, on digits as a recogniser writes them
    ("how much is due on account 12345678", [("account_number", "12345678", "12345678")]),
    ("is there an outage in 10001", [("zip_code", "10001", "10001")]),
])
def test_acme_entities(acme: BuiltinEngine, text: str, expected: list[tuple]) -> None:
    assert found(acme, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("i lost my atm card", [("card_type", "debit card", "atm card")]),
    ("someone took my visa", [("card_type", "credit card", "visa")]),
    ("uh my master card is gone", []),  # not a listed form: no guess
    ("my debit card ending in four two four two", [("card_type", "debit card", "debit card"),
                                                  ("digits", "4242", "four two four two")]),
])
def test_bank_entities(bank: BuiltinEngine, text: str, expected: list[tuple]) -> None:
    assert found(bank, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("i want to pay forty five dollars and twenty cents", ("currency", 45.2)),
    ("pay a hundred bucks", ("currency", 100.0)),
    ("it stopped working next friday", ("date", "2026-11-27")),
    ("since march third", ("date", "2027-03-03")),
    ("can someone call me at half past three", ("time", "15:30")),
    ("call me back at nine thirty am", ("time", "09:30")),
    ("my number is five five five oh one two three four five six", ("phone", "5550123456")),
    ("i was charged twice for three items", ("number", 3)),
])
def test_typed_values_in_asr_text(acme: BuiltinEngine, text: str,
                                  expected: tuple[str, object]) -> None:
    assert [(e, v) for e, v, _ in found(acme, text)] == [expected]


def test_typed_values_match_the_slot_normaliser(acme: BuiltinEngine) -> None:
    text = "um twenty five fifty"
    (entity,) = acme.entities.extract(text, "currency")
    assert entity.value == normalize("currency", text).value == 25.5


def test_the_expected_slot_type_comes_first(acme: BuiltinEngine) -> None:
    # A bare number is not a time or an amount unless the step asks for one.
    assert found(acme, "five") == [("number", 5, "five")]
    assert found(acme, "five", "time") == [("time", "17:00", "five")]
    assert found(acme, "one two three four", "digits") == [("digits", "1234",
                                                            "one two three four")]


def test_no_entities_in_plain_requests(acme: BuiltinEngine) -> None:
    assert found(acme, "i want to talk to someone about my bill") == []
