"""A collection's synonyms file: every member of a group is indexed and searched as the first,
errors name the file and line, and a change re-reads the collection (or, when bad, changes
nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.errors import KnowledgeError, SourceError
from knowledge.synonyms import Synonyms, read_synonyms

ATM = ("# Problems at an ATM\n\n## The ATM kept my card\n\nIf an ATM keeps your card, block the "
       "card in the app.\n\n## ATM fees\n\nOther banks' ATMs cost $2.50 per withdrawal.\n")
FAQ = ("faq:\n  - id: limit\n    question: How much cash can I take out in a day?\n"
       "    answer: Up to $500 a day.\n")
SYNONYMS = "synonyms:\n  - [atm, cash machine, cashpoint]\n  - kept my card, swallowed my card\n"


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    help_ = tmp_path / "knowledge" / "help"
    help_.mkdir(parents=True)
    (help_ / "atm.md").write_text(ATM)
    (help_ / "faq.yml").write_text(FAQ)
    return KnowledgeBase(tmp_path / "knowledge", tmp_path / "index.sqlite")


def test_both_forms_of_a_group_and_how_members_are_analysed() -> None:
    [atm, kept] = read_synonyms(SYNONYMS)
    assert atm.phrases == (("atm",), ("cash", "machin"), ("cashpoint",))
    assert kept.phrases == (("keep", "card"), ("swallow", "card"))  # "my" is a stop word
    assert (atm.line, kept.line) == (2, 3)
    mapping = Synonyms([atm.phrases, kept.phrases])
    assert mapping.apply(["cash", "machin", "swallow", "card"]) == ["atm", "keep", "card"]
    assert mapping.apply(["cash", "back"]) == ["cash", "back"]  # only whole phrases


@pytest.mark.parametrize(("text", "message", "line"), [
    ("synonyms: [atm, cash machine\n", "is not valid YAML", 2),
    ("words:\n  - [atm, cashpoint]\n", "expected a `synonyms:` list of groups", 1),
    ("synonyms: atm\n", "`synonyms` must be a list of groups", 1),
    ("synonyms:\n  - [atm]\n", "group 1 needs at least two different words or phrases", 2),
    ("synonyms:\n  - atm, ATMs\n", "group 1 needs at least two different", 2),
    ("synonyms:\n  - atm,, cashpoint\n", "group 1 has an empty member", 2),
    ("synonyms:\n  - [atm, {a: b}]\n", "group 1: each member must be a word or phrase", 2),
    ("synonyms:\n  - {atm: cashpoint}\n", "group 1 must be a list", 2),
    ("synonyms:\n  - [atm, cashpoint]\n  - [card, the]\n",
     "group 2: 'the' has no words the search can use", 3),
    ("synonyms:\n  - [atm, cashpoint]\n  - [cash machine, cashpoints]\n",
     "group 2: 'cashpoint' is already in group 1", 3),
    ("synonyms: []\n", "has no synonym groups", 1),
])
def test_bad_files_say_what_and_where(text: str, message: str, line: int) -> None:
    with pytest.raises(SourceError) as info:
        read_synonyms(text)
    assert message in info.value.message
    assert info.value.line == line


def test_a_caller_word_finds_the_content_word(kb: KnowledgeBase) -> None:
    kb.ingest()
    before = kb.answer("help", "the cash machine swallowed my card")
    (kb.folder / "help" / "synonyms.yml").write_text(SYNONYMS)
    [report] = kb.ingest()
    after = kb.answer("help", "the cash machine swallowed my card")
    assert not before.source.startswith("atm.md#the-atm-kept-my-card")
    assert after.source.startswith("atm.md#the-atm-kept-my-card (")
    assert after.text == "If an ATM keeps your card, block the card in the app."
    assert after.features is not None and after.features.coverage == 1.0  # "atm", "keep", "card"
    assert after.confidence > before.confidence
    # The synonyms change how every file is indexed, so every file was read again.
    assert (sorted(report.changed), report.added, report.version) == (
        ["atm.md", "faq.yml"], ["synonyms.yml"], 2)
    assert report.chunks == 3  # the synonyms file adds no chunk


def test_unchanged_synonyms_do_no_work_and_a_removed_file_unmaps(kb: KnowledgeBase) -> None:
    (kb.folder / "help" / "synonyms.yml").write_text(SYNONYMS)
    kb.ingest()
    writes = kb.db.total_changes
    [report] = kb.ingest()
    assert not report.did_work and kb.db.total_changes == writes
    (kb.folder / "help" / "faq.yml").write_text(FAQ.replace("$500", "$600"))
    [report] = kb.ingest()  # one changed file is read with the stored synonyms
    assert report.changed == ["faq.yml"]
    assert kb.answer("help", "cash machine withdrawal limit per day").text == \
        "Up to 600 dollars a day."
    assert kb.answer("help", "the cash machine swallowed my card").source.startswith(
        "atm.md#the-atm-kept-my-card")
    (kb.folder / "help" / "synonyms.yml").unlink()
    [report] = kb.ingest()
    assert (report.removed, sorted(report.changed)) == (["synonyms.yml"], ["atm.md", "faq.yml"])
    assert kb.db.execute("SELECT count(*) FROM synonyms").fetchone()[0] == 0
    assert not kb.answer("help", "the cash machine swallowed my card").source.startswith(
        "atm.md#the-atm-kept-my-card")


def test_a_bad_synonyms_file_leaves_the_collection_answering(kb: KnowledgeBase) -> None:
    (kb.folder / "help" / "synonyms.yml").write_text(SYNONYMS)
    kb.ingest()
    (kb.folder / "help" / "synonyms.yml").write_text(SYNONYMS + "  - [atm]\n")
    with pytest.raises(KnowledgeError) as info:
        kb.ingest()
    assert str(info.value) == (
        "knowledge collection 'help' was not updated (the index keeps version 1); fix this "
        "problem and ingest again:\n"
        f"  {kb.folder / 'help'}/synonyms.yml:4: group 3 needs at least two different words "
        "or phrases")
    assert kb.version("help") == 1
    assert kb.answer("help", "the cash machine swallowed my card").source.startswith(
        "atm.md#the-atm-kept-my-card")


def test_one_synonyms_file_per_collection_and_not_alone(tmp_path: Path) -> None:
    help_ = tmp_path / "knowledge" / "help"
    help_.mkdir(parents=True)
    (help_ / "synonyms.yml").write_text(SYNONYMS)
    kb = KnowledgeBase(tmp_path / "knowledge", ":memory:")
    with pytest.raises(KnowledgeError, match=r"help: has no articles or FAQ files"):
        kb.ingest()
    (help_ / "atm.md").write_text(ATM)
    (help_ / "synonyms.yaml").write_text(SYNONYMS)
    with pytest.raises(KnowledgeError, match=r"help/synonyms.yml: a collection has one synonyms "
                                             r"file, and synonyms.yaml is there too"):
        kb.ingest()
    (help_ / "synonyms.yaml").unlink()
    assert kb.ingest()[0].chunks == 2


def test_synonyms_belong_to_their_collection(kb: KnowledgeBase) -> None:
    other = kb.folder / "other"
    other.mkdir()
    (other / "atm.md").write_text(ATM)
    (kb.folder / "help" / "synonyms.yml").write_text(SYNONYMS)
    kb.ingest()
    assert kb.answer("help", "cashpoint kept my card").source.startswith("atm.md#the-atm-kept")
    assert kb.answer("other", "cashpoint kept my card").features.coverage < 1.0  # type: ignore[union-attr]
