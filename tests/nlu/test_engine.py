"""The built-in engine on the example bots' data: paraphrases in ASR form, out-of-scope,
candidates, calibration, determinism and speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.engine import BuiltinEngine
from runtime.intents import IntentMatcher, load_training_data, training_data_from_text

# Written the way a recogniser returns speech (lower case, no punctuation, fillers, number
# words), none of them a training example.
ACME = [
    ("uh yeah i wanna speak to an actual human", "agent_request"),
    ("my wifi has been dead since yesterday", "report_outage"),
    ("theres no internet on my whole street", "report_outage"),
    ("how much money do i owe you", "check_balance"),
    ("whats the balance on my account", "check_balance"),
    ("id like to make a payment today", "pay_bill"),
    ("i need to pay forty five dollars", "pay_bill"),
    ("um i wanna complain about the service i got", "complaint"),
    ("ok thats all thank you goodbye", "goodbye"),
]
BANK = [
    ("someone nicked my wallet with my card in it", "stolen_card"),
    ("my purse was stolen this morning", "stolen_card"),
    ("i cant find my visa anywhere", "lost_card"),
    ("i dont recognise a payment on my account", "suspicious_transaction"),
    ("theres a charge of two hundred dollars i never made", "suspicious_transaction"),
    ("my new debit card just arrived in the post", "activate_card"),
    ("let me talk to a real human being", "agent_request"),
]
OUT_OF_SCOPE = ["bananas", "play some music", "tell me a joke", "how tall is mount everest",
                "the cat sat on the mat", "what time is it"]


def test_is_the_runtimes_intent_matcher(acme: BuiltinEngine) -> None:
    matcher: IntentMatcher = acme  # the protocol the session calls
    assert matcher.best("representative") is not None


@pytest.mark.parametrize(("text", "intent"), ACME)
def test_acme_paraphrases(acme: BuiltinEngine, text: str, intent: str) -> None:
    best = acme.best(text)
    assert best is not None and best.intent == intent, acme.rank(text)[:2]


@pytest.mark.parametrize(("text", "intent"), BANK)
def test_bank_paraphrases_rank_first(bank: BuiltinEngine, text: str, intent: str) -> None:
    assert bank.rank(text)[0].intent == intent, bank.rank(text)[:2]


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope(acme: BuiltinEngine, bank: BuiltinEngine, text: str) -> None:
    assert acme.best(text) is None, acme.rank(text)[:1]
    assert bank.best(text) is None, bank.rank(text)[:1]


def test_asr_forms_agree_with_written_ones(acme: BuiltinEngine) -> None:
    written = acme.rank("I'd like to pay $45 on account 12345678, please.")[0]
    spoken = acme.rank("um id like to pay forty five dollars on account one two three four "
                       "five six seven eight please")[0]
    assert written.intent == spoken.intent == "pay_bill"


def test_candidates_limit_the_ranking_without_renormalising(acme: BuiltinEngine) -> None:
    full = {s.intent: s.confidence for s in acme.rank("i want to pay my bill")}
    limited = acme.rank("i want to pay my bill", ["check_balance", "report_outage", "nope"])
    assert [s.intent for s in limited] == sorted(
        ["check_balance", "report_outage"], key=lambda i: -full[i])
    assert all(s.confidence == full[s.intent] for s in limited)
    # said to a step that does not offer it: no intent, so the no-match path
    assert acme.best("i want to pay my bill", ["check_balance", "report_outage"]) is None
    assert acme.rank("i want to pay my bill", ["unknown"]) == []


def test_no_words_no_intents(acme: BuiltinEngine) -> None:
    assert acme.rank("") == [] and acme.rank("um uh") == [] and acme.best("...") is None


def test_confidences_are_calibrated_probabilities(acme: BuiltinEngine) -> None:
    report = acme.report
    assert 0.0 < report.threshold < 1.0
    ranked = acme.rank("my internet is down")
    assert all(0.0 <= s.confidence <= 1.0 for s in ranked)
    assert ranked[0].confidence > 0.8 > ranked[1].confidence


def test_parse_returns_intents_and_entities(acme: BuiltinEngine) -> None:
    result = acme.parse("um the wi fi is down in one zero zero zero one since yesterday")
    assert result.intent is not None and result.intent.intent == "report_outage"
    assert not result.out_of_scope and result.engine == "builtin"
    assert ("service", "internet") in [(e.entity, e.value) for e in result.entities]
    assert result.to_json()["intent"] == "report_outage"


def test_training_is_deterministic() -> None:
    data = load_training_data(Path("bots/bank/nlu.yml"))
    a, b = BuiltinEngine(data), BuiltinEngine(data)
    assert (a.report.calibration, a.report.threshold) == (
        b.report.calibration, b.report.threshold)
    assert a.rank("my card was stolen") == b.rank("my card was stolen")


def test_an_out_of_scope_intent_in_the_data_means_no_intent() -> None:
    data = training_data_from_text("""
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: bye
  examples: |
    - goodbye
    - see you later
    - bye bye
- intent: out_of_scope
  examples: |
    - what is the weather
    - tell me a joke
    - order a pizza
""")
    engine = BuiltinEngine(data)
    assert all(s.intent != "out_of_scope" for s in engine.rank("tell me a joke please"))
    assert engine.best("tell me a joke please") is None
    assert engine.best("hi there") is not None


def test_one_intent_is_enough_to_run() -> None:
    data = training_data_from_text("nlu:\n- intent: agent\n  examples: |\n    - agent\n")
    assert [s.intent for s in BuiltinEngine(data).rank("agent please")] == ["agent"]
