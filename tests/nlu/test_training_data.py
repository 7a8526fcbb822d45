"""The Rasa-format loader's additions for the NLU: lookups, entity annotations with offsets,
entity names checked, and the wording of the errors for bad data (pinned)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runtime.intents import (
    EntityAnnotation,
    TrainingDataError,
    load_training_data,
    training_data_from_text,
)

DATA = """\
version: "3.1"
nlu:
- intent: pay_bill
  examples: |
    - pay [fifty dollars](currency) please
    - pay on [12345678]{"entity": "account_number"}
    - my  [wi-fi](service:internet)   bill
- regex: account_number
  examples: |
    - \\b\\d{8}\\b
- lookup: service
  examples: |
    - internet
    - tv
"""


def test_annotations_keep_offsets_into_the_cleaned_text() -> None:
    data = training_data_from_text(DATA, "nlu.yml")
    first, second, third = data.examples
    assert first.text == "pay fifty dollars please" and first.line == 5
    assert first.entities == (EntityAnnotation("currency", 4, 17, "fifty dollars"),)
    assert second.entities == (EntityAnnotation("account_number", 7, 15, "12345678"),)
    # whitespace collapsed around the annotation, the offsets follow
    assert third.text == "my wi-fi bill"
    (wifi,) = third.entities
    assert third.text[wifi.start : wifi.end] == "wi-fi" and wifi.value == "internet"
    assert data.synonyms["wi-fi"] == "internet"


def test_lookups_are_read() -> None:
    data = training_data_from_text(DATA, "nlu.yml")
    assert data.lookups == {"service": ("internet", "tv")}
    assert data.path == "nlu.yml"


@pytest.mark.parametrize("bot", ["acme", "bank"])
def test_shipped_bots_annotate_only_known_entities(bot: str) -> None:
    data = load_training_data(Path(f"bots/{bot}/nlu.yml"))
    assert data.examples and any(e.entities for e in data.examples)
    for example in data.examples:
        for a in example.entities:
            assert 0 <= a.start < a.end <= len(example.text)


def error(text: str) -> str:
    with pytest.raises(TrainingDataError) as info:
        training_data_from_text(text, "bots/x/nlu.yml")
    return str(info.value)


def test_unknown_entity_names_the_line_and_a_likely_name() -> None:
    text = DATA.replace("- tv\n", "- tv\n- intent: outage\n  examples: |\n"
                        "    - my [tv](servce) is down\n")
    assert error(text) == (
        "bots/x/nlu.yml:17: unknown entity 'servce' in `[tv](servce)`; did you mean "
        "'service'? (an annotation names a `regex:` or `lookup:` of this file, an entity "
        "listed in domain.yml, or a built-in type: digits, number, currency, date, time, "
        "phone)")


def test_duplicate_example_across_intents() -> None:
    text = DATA + "- intent: check_balance\n  examples: |\n    - Pay fifty dollars, please\n"
    assert error(text) == (
        "bots/x/nlu.yml:17: example 'Pay fifty dollars, please' is under intent "
        "'check_balance' here and under intent 'pay_bill' at line 5; an example must belong "
        "to one intent")


@pytest.mark.parametrize(("broken", "message"), [
    (("  examples: |\n    - internet", "   examples: |\n    - internet"),
     "bots/x/nlu.yml:12: not valid YAML: a `:` where none is expected (put text that holds a "
     "colon in quotes)"),
    (("    - tv", "\t- tv"), "bots/x/nlu.yml:14: not valid YAML: a tab (indent with spaces)"),
])
def test_broken_yaml(broken: tuple[str, str], message: str) -> None:
    assert error(DATA.replace(*broken)) == message


def test_annotation_without_an_entity_name() -> None:
    assert error(DATA.replace("(currency)", "()")) == (
        "bots/x/nlu.yml:5: entity annotation `[fifty dollars]()` has no entity name")


def test_entities_declared_in_a_domain_file(tmp_path: Path) -> None:
    text = DATA.replace("(currency)", "(amount)")
    (tmp_path / "nlu.yml").write_text(text)
    with pytest.raises(TrainingDataError, match="unknown entity 'amount'"):
        load_training_data(tmp_path / "nlu.yml")
    (tmp_path / "domain.yml").write_text('version: "3.1"\nentities:\n  - amount\n')
    data = load_training_data(tmp_path / "nlu.yml")
    assert data.examples[0].entities[0].entity == "amount"


def test_bad_data_stops_a_bot_with_file_and_line(tmp_path: Path) -> None:
    from runtime.bot import BotError, load_bot

    bot = tmp_path / "acme"
    shutil.copytree("bots/acme", bot, ignore=shutil.ignore_patterns("tests"))
    nlu = (bot / "nlu.yml").read_text()
    assert "](currency)" in nlu
    (bot / "nlu.yml").write_text(nlu.replace("](currency)", "](curency)", 1))
    with pytest.raises(BotError, match=r"nlu\.yml:\d+: unknown entity 'curency'.*'currency'"):
        load_bot(bot)
