"""The FTS5 query: the posting budget (rarer terms decide which rows are scored, every term counts
in their score), collections kept apart inside one index, and indexes made by an older version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.search import search
from knowledge.store import ANALYSIS_VERSION


def faq(entries: list[tuple[str, str]]) -> str:
    lines = ["faq:"]
    for n, (question, answer) in enumerate(entries, start=1):
        lines += [f"  - id: e{n}", f"    question: {question}", f"    answer: {answer}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    """Forty entries about a card (a common word), a few about fees, one about the ATM."""
    entries = [(f"Card question number {n}?", f"The card answer {n}, about the card.")
               for n in range(36)]
    entries += [("Is there a fee for a new card?", "No fee for a card by mail."),
                ("What are the fees abroad?", "A 3% fee on card payments abroad."),
                ("What does the ATM charge?", "Other banks' ATMs charge a fee for cash."),
                ("Can I pay a fee by card?", "Yes, any fee can be paid by card.")]
    folder = tmp_path / "knowledge" / "help"
    folder.mkdir(parents=True)
    (folder / "faq.yml").write_text(faq(entries))
    kb = KnowledgeBase(tmp_path / "knowledge", tmp_path / "index.sqlite")
    kb.ingest()
    return kb


def test_over_the_budget_the_rarer_terms_decide_and_all_terms_score(kb: KnowledgeBase) -> None:
    full = search(kb.db, "help", "atm fee for my card", limit=50, budget=None)
    limited = search(kb.db, "help", "atm fee for my card", limit=50, budget=5)
    assert not full.unmatched and full.bound == 0.0
    assert limited.unmatched == ["card"]  # in all 40 rows: it no longer decides
    assert limited.bound > 0
    # Every row with "atm" or "fee" is scored, and scored exactly as with no budget.
    scores = {h.id: h.score for h in full.hits}
    assert {h.id: h.score for h in limited.hits} == pytest.approx(
        {h.id: scores[h.id] for h in limited.hits})
    assert len(limited.hits) == 4 < len(full.hits)
    assert limited.hits[0].ref == full.hits[0].ref == "faq.yml#e39"
    assert limited.hits[0].score >= limited.bound  # so no unscored row could have beaten it


def test_under_the_budget_nothing_changes(kb: KnowledgeBase) -> None:
    a = search(kb.db, "help", "atm fee", budget=None)
    b = search(kb.db, "help", "atm fee")
    assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits]
    assert not b.unmatched


def test_collections_in_one_index_stay_apart(kb: KnowledgeBase) -> None:
    other = kb.folder / "other"
    other.mkdir()
    (other / "atm.md").write_text("# ATM fees\n\nThe ATM fee for a card is $2.50.\n")
    kb.ingest()
    for budget in (None, 5):
        ranking = search(kb.db, "other", "atm fee for my card", budget=budget)
        assert [h.ref for h in ranking.hits] == ["atm.md#intro"]
        ranking = search(kb.db, "help", "atm fee for my card", budget=budget)
        assert "atm.md#intro" not in [h.ref for h in ranking.hits]


def test_an_index_from_an_older_version_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge" / "help"
    folder.mkdir(parents=True)
    (folder / "faq.yml").write_text(faq([("Is there a late fee?", "Yes, seven dollars.")]))
    index = tmp_path / "index.sqlite"
    old = sqlite3.connect(index)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('analysis', '1');
        CREATE TABLE collections (name TEXT PRIMARY KEY, version INTEGER NOT NULL,
                                  folder TEXT NOT NULL);
        INSERT INTO collections VALUES ('help', 3, 'x');
        CREATE TABLE documents (collection TEXT NOT NULL, path TEXT NOT NULL,
                                digest TEXT NOT NULL, PRIMARY KEY (collection, path));
        INSERT INTO documents VALUES ('help', 'faq.yml', 'old digest');
        CREATE VIRTUAL TABLE chunks_fts USING fts5(collection UNINDEXED, title, questions, body,
                                                    extra, tokenize = 'unicode61');
        INSERT INTO chunks_fts VALUES ('help', '', 'late fee', 'yes seven dollar', '');
    """)
    old.commit()
    old.close()
    kb = KnowledgeBase(tmp_path / "knowledge", index)
    [report] = kb.ingest()
    assert (report.added, report.version) == (["faq.yml"], 4)
    assert kb.db.execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone() == (
        ANALYSIS_VERSION,)
    assert kb.answer("help", "do you charge for paying late").source == \
        "faq.yml#e1 (Is there a late fee?)"
