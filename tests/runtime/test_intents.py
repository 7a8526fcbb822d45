"""The example-based intent matcher: loading nlu.yml, ranking caller utterances, thresholds."""

from __future__ import annotations

import timeit
from functools import cache
from pathlib import Path

import pytest

from runtime.intents import (
    DEFAULT_THRESHOLD,
    ExampleMatcher,
    HeldOutScores,
    IntentMatcher,
    IntentScore,
    TrainingData,
    TrainingDataError,
    choose_threshold,
    held_out_scores,
    load_training_data,
    training_data_from_text,
)

BOTS = ("acme", "bank")


@cache
def data(bot: str) -> TrainingData:
    return load_training_data(Path(f"bots/{bot}/nlu.yml"))


@cache
def matcher(bot: str) -> ExampleMatcher:
    return ExampleMatcher(data(bot))


# Utterances written the way a recogniser returns speech, none of them in the training data.
PARAPHRASES = {
    "acme": [
        ("uh yeah i wanna speak to an actual human", "agent_request"),
        ("can i get a live person on the line", "agent_request"),
        ("my wifi has been dead since yesterday", "report_outage"),
        ("the internet keeps cutting out", "report_outage"),
        ("theres no internet on my whole street", "report_outage"),
        ("how much money do i owe you", "check_balance"),
        ("whats the balance on my account", "check_balance"),
        ("i'd like to make a payment today", "pay_bill"),
        ("can i pay my bill with a credit card", "pay_bill"),
        ("um i wanna complain about the service i got", "complaint"),
        ("im not happy at all with you guys", "complaint"),
        ("ok that's all thank you goodbye", "goodbye"),
        ("no thanks that's everything bye", "goodbye"),
    ],
    "bank": [
        ("someone nicked my wallet with my card in it", "stolen_card"),
        ("my purse was stolen this morning", "stolen_card"),
        ("i cant find my visa anywhere", "lost_card"),
        ("i must have dropped my card on the bus", "lost_card"),
        ("i don't recognise a payment on my account", "suspicious_transaction"),
        ("somebody has been making purchases with my card", "suspicious_transaction"),
        ("my new debit card just arrived in the post", "activate_card"),
        ("how do i activate the card you sent me", "activate_card"),
        ("let me talk to a real human being", "agent_request"),
        ("that's everything thanks bye", "goodbye"),
    ],
}

OUT_OF_SCOPE = [
    "what's the weather like in paris",
    "bananas",
    "play some music",
    "what time is it",
    "tell me a joke",
    "how tall is mount everest",
    "i'd like to order a pizza",
    "the cat sat on the mat",
]


# --- loading the shipped bots -----------------------------------------------------------------


def test_loads_acme() -> None:
    acme = data("acme")
    assert list(acme.intents) == ["agent_request", "check_balance", "pay_bill", "report_outage",
                                  "complaint", "goodbye", "out_of_scope"]
    assert all(len(examples) >= 10 for examples in acme.intents.values())
    assert "how much is due on account 12345678" in acme.intents["check_balance"]
    assert "i'd like to pay forty five dollars and twenty cents please" in acme.intents["pay_bill"]
    assert not any("[" in e or "](" in e for es in acme.intents.values() for e in es)
    assert acme.synonyms["wi-fi"] == "internet"
    assert acme.synonyms["cell phone"] == "mobile"
    assert acme.regexes == {"account_number": (r"\b\d{8}\b",), "zip_code": (r"\b\d{5}\b",)}


def test_loads_bank() -> None:
    bank = data("bank")
    assert set(bank.intents) == {"lost_card", "stolen_card", "suspicious_transaction",
                                 "activate_card", "agent_request", "goodbye"}
    assert "um my purse got stolen with my debit card in it" in bank.intents["stolen_card"]
    assert bank.synonyms["atm card"] == "debit card"
    assert bank.synonyms["visa"] == "credit card"
    assert bank.regexes == {"card_last4": (r"\b\d{4}\b",)}


@pytest.mark.parametrize("bot", BOTS)
def test_paraphrases_are_not_training_examples(bot: str) -> None:
    known = {e for es in data(bot).intents.values() for e in es}
    assert not known & {text for text, _ in PARAPHRASES[bot]}


# --- ranking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bot", "text", "intent"),
                         [(bot, text, intent) for bot in BOTS for text, intent in PARAPHRASES[bot]])
def test_paraphrase_ranks_its_intent_first(bot: str, text: str, intent: str) -> None:
    ranked = matcher(bot).rank(text)
    assert ranked[0].intent == intent, ranked[:3]


@pytest.mark.parametrize("bot", BOTS)
@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope_gives_no_intent(bot: str, text: str) -> None:
    assert matcher(bot).best(text) is None, matcher(bot).rank(text)[:2]


@pytest.mark.parametrize(("bot", "text", "intent"), [
    ("acme", "i want to talk to a real person", "agent_request"),
    ("acme", "what's my balance please", "check_balance"),
    ("acme", "my internet is down again", "report_outage"),
    ("bank", "my card was stolen yesterday", "stolen_card"),
    ("bank", "i want to activate my card", "activate_card"),
    ("bank", "agent", "agent_request"),
])
def test_clear_requests_pass_the_threshold(bot: str, text: str, intent: str) -> None:
    best = matcher(bot).best(text)
    assert best is not None and best.intent == intent
    assert best.confidence >= DEFAULT_THRESHOLD


def test_rank_lists_every_intent_best_first_with_confidences_in_range() -> None:
    ranked = matcher("acme").rank("i need to pay my bill")
    assert ranked[0].intent == "pay_bill"
    assert sorted(s.intent for s in ranked) == sorted(set(data("acme").intents) - {"out_of_scope"})
    assert all(0.0 <= s.confidence <= 1.0 for s in ranked)
    assert [s.confidence for s in ranked] == sorted((s.confidence for s in ranked), reverse=True)
    assert all(isinstance(s, IntentScore) for s in ranked)


def test_asr_variants_score_like_the_clean_sentence() -> None:
    acme = matcher("acme")
    clean = acme.rank("what is my balance")
    for variant in ["whats my balance", "What's my BALANCE?", "um, what’s uh my balance",
                    "what's like my balance you know", "what what's my my balance"]:
        assert acme.rank(variant) == clean, variant
    assert acme.rank("i wanna pay") == acme.rank("i want to pay")
    assert acme.rank("i cant get online") == acme.rank("i can't get online")


def test_synonyms_and_regexes_apply_to_utterances() -> None:
    acme = matcher("acme")
    assert acme.rank("my wi-fi is down") == acme.rank("my internet is down")
    assert acme.rank("pay on account 11223344") == acme.rank("pay on account 99887766")
    assert acme.rank("pay on account 11223344")[0].intent == "pay_bill"


def test_candidates_limit_the_intents_considered() -> None:
    acme = matcher("acme")
    text = "can i talk to a real person"
    assert acme.best(text).intent == "agent_request"  # type: ignore[union-attr]
    ranked = acme.rank(text, ["goodbye", "complaint"])
    assert {s.intent for s in ranked} == {"goodbye", "complaint"}
    assert acme.best(text, ("check_balance", "pay_bill")) is None
    best = acme.best(text, iter(["agent_request", "goodbye"]))
    assert best is not None and best.intent == "agent_request"
    assert acme.rank(text, []) == []
    assert acme.rank(text, ["no_such_intent"]) == []
    assert [s.intent for s in acme.rank(text, ["no_such_intent", "goodbye"])] == ["goodbye"]


def test_nothing_to_match() -> None:
    acme = matcher("acme")
    assert acme.rank("") == []
    assert acme.rank("  um... uh?  ") == []
    assert acme.best("") is None


def test_deterministic_and_a_matcher_protocol() -> None:
    again = ExampleMatcher(load_training_data(Path("bots/bank/nlu.yml")))
    for text, _ in PARAPHRASES["bank"]:
        assert again.rank(text) == matcher("bank").rank(text)
    implementation: IntentMatcher = again
    assert implementation.rank("lost card")[0].intent == "lost_card"


def test_threshold_is_adjustable() -> None:
    strict = ExampleMatcher(data("acme"), threshold=0.99)
    assert strict.best("i want to talk to a real person") is None
    lenient = ExampleMatcher(data("acme"), threshold=0.0)
    assert lenient.best("bananas") is not None


# --- leave-one-out, threshold, latency ---------------------------------------------------------


@cache
def held_out(bot: str) -> HeldOutScores:
    return held_out_scores(data(bot))


@pytest.mark.parametrize("bot", BOTS)
def test_leave_one_out_accuracy(bot: str) -> None:
    scores = held_out(bot)
    assert len(scores.in_scope) == sum(len(es) for i, es in data(bot).intents.items()
                                       if i != "out_of_scope")
    assert scores.top1_accuracy() >= 0.85
    assert scores.balanced_accuracy(DEFAULT_THRESHOLD) >= 0.72


def test_default_threshold_is_the_one_leave_one_out_picks() -> None:
    pooled = held_out("acme") + held_out("bank")
    chosen = choose_threshold(pooled)
    assert abs(chosen - DEFAULT_THRESHOLD) < 0.02
    assert pooled.balanced_accuracy(DEFAULT_THRESHOLD) >= pooled.balanced_accuracy(chosen) - 0.01


def test_ranking_takes_well_under_5_ms() -> None:
    acme = matcher("acme")
    assert sum(len(es) for es in data("acme").intents.values()) >= 100
    long = ("um so i was wondering if you know i could maybe talk to somebody about the charges "
            "on my last bill because i think they are wrong and i have been overcharged twice")
    for text in [PARAPHRASES["acme"][0][0], long]:
        seconds = min(timeit.repeat(lambda t=text: acme.rank(t), number=20, repeat=5)) / 20
        assert seconds < 0.005, f"{seconds * 1000:.2f} ms for {text!r}"


# --- training data errors ------------------------------------------------------------------------

GOOD = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: bye
  examples: |
    - goodbye
"""


def error(text: str, tmp_path: Path) -> str:
    path = tmp_path / "nlu.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrainingDataError) as info:
        load_training_data(path)
    return str(info.value).replace(str(tmp_path), "BOT")


def test_good_text_parses() -> None:
    parsed = training_data_from_text(GOOD)
    assert parsed.intents == {"greet": ("hello", "hi there"), "bye": ("goodbye",)}
    assert parsed.synonyms == {} and parsed.regexes == {}


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    broken = GOOD.replace("- intent: bye", "  - intent: bye\n bad: [")
    message = error(broken, tmp_path)
    assert message.startswith("BOT/nlu.yml:7: not valid YAML"), message


def test_bad_indentation_names_the_line(tmp_path: Path) -> None:
    message = error(GOOD.replace("  examples: |\n    - goodbye", "    examples: |\n    - goodbye"),
                    tmp_path)
    assert message.startswith("BOT/nlu.yml:8: not valid YAML"), message


def test_missing_nlu_list(tmp_path: Path) -> None:
    assert error('version: "3.1"\nresponses: {}\n', tmp_path).startswith(
        "BOT/nlu.yml:1: no `nlu:` list")
    assert error("", tmp_path).startswith("BOT/nlu.yml:1: no `nlu:` list")
    assert error("nlu: hello\n", tmp_path).startswith("BOT/nlu.yml:1: `nlu:` must be a list")


def test_intent_without_examples(tmp_path: Path) -> None:
    text = GOOD + "- intent: silent\n- intent: blank\n  examples: |\n\n"
    assert error(text, tmp_path) == ("BOT/nlu.yml:10: intent 'silent' has no examples (add "
                                     "`examples: |` with one `- example` per line)")
    text = GOOD + "- intent: blank\n  examples: |\n    \n"
    assert error(text, tmp_path).startswith("BOT/nlu.yml:10: intent 'blank' has no examples")


def test_same_example_under_two_intents_names_both(tmp_path: Path) -> None:
    text = GOOD + "- intent: farewell\n  examples: |\n    - see you\n    - Goodbye!\n"
    assert error(text, tmp_path) == (
        "BOT/nlu.yml:13: example 'Goodbye!' is under intent 'farewell' here and under intent "
        "'bye' at line 9; an example must belong to one intent")


def test_duplicate_within_one_intent_is_kept_once() -> None:
    parsed = training_data_from_text(GOOD + "    - hello\n".replace("hello", "goodbye"))
    assert parsed.intents["bye"] == ("goodbye",)


def test_other_mistakes_name_the_line(tmp_path: Path) -> None:
    assert error(GOOD.replace("    - hi there", "    hi there"), tmp_path).startswith(
        "BOT/nlu.yml:6: an example line must start with `- `")
    assert error(GOOD + "- regex: code\n  examples: |\n    - ([0-9]\n", tmp_path).startswith(
        "BOT/nlu.yml:12: regex 'code': `([0-9]` is not a valid regular expression")
    assert error(GOOD + "- examples: |\n    - hey\n", tmp_path).startswith(
        "BOT/nlu.yml:10: each entry needs exactly one of `intent:`")
    assert error(GOOD + "- synonym: yes\n  examples: |\n    - yep\n- synonym: no\n"
                 "  examples: |\n    - yep\n", tmp_path) == (
        "BOT/nlu.yml:15: 'yep' is a synonym of 'no' here and of 'yes' at line 12")
    assert error(GOOD.replace("- hello", '- [hello]{"entity": oops}'), tmp_path).startswith(
        "BOT/nlu.yml:5: entity annotation")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"nlu\.yml: cannot be read"):
        load_training_data(tmp_path / "nlu.yml")


def test_default_path_in_messages() -> None:
    with pytest.raises(TrainingDataError, match=r"^<nlu>:3: not valid YAML"):
        training_data_from_text("nlu:\n- intent: a\n  examples: [\n")


def test_rasa_annotations_and_listed_examples() -> None:
    parsed = training_data_from_text("""\
nlu:
- intent: order
  examples: |
    - two [large]{"entity": "size", "value": "big"} pizzas
    - a [medium](size) one
- intent: cancel
  examples:
  - text: |
      cancel my order
    metadata:
      sentiment: neutral
  - text: stop it
- lookup: size
  examples: |
    - small
""")
    assert parsed.intents == {"order": ("two large pizzas", "a medium one"),
                              "cancel": ("cancel my order", "stop it")}
    assert parsed.synonyms == {"large": "big"}
    assert ExampleMatcher(parsed).rank("cancel the order please")[0].intent == "cancel"
