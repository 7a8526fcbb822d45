"""Incremental ingest into a real SQLite file: unchanged content does no work, changed content
replaces its chunks, versions go up, and bad input never breaks the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.errors import KnowledgeError

FAQ = "faq:\n  - id: fee\n    question: Is there a late fee?\n    answer: Yes, seven dollars.\n"
ARTICLE = "# Roaming\n\nRoaming works in Canada at no extra cost.\n"


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    help_ = tmp_path / "knowledge" / "help"
    help_.mkdir(parents=True)
    (help_ / "faq.yml").write_text(FAQ)
    (help_ / "roaming.md").write_text(ARTICLE)
    return KnowledgeBase(tmp_path / "knowledge", tmp_path / "index" / "bot.sqlite")


def refs(kb: KnowledgeBase) -> list[str]:
    return [r for (r,) in kb.db.execute("SELECT ref FROM chunks ORDER BY ref")]


def test_first_ingest_indexes_everything_at_version_1(kb: KnowledgeBase) -> None:
    [report] = kb.ingest()
    assert (report.version, sorted(report.added), report.chunks) == (
        1, ["faq.yml", "roaming.md"], 2)
    assert refs(kb) == ["faq.yml#fee", "roaming.md#intro"]
    assert kb.answer("help", "is there a fee for paying late").source == \
        "faq.yml#fee (Is there a late fee?)"


def test_unchanged_content_does_no_work(kb: KnowledgeBase) -> None:
    kb.ingest()
    writes = kb.db.total_changes
    [report] = kb.ingest()
    assert not report.did_work and report.unchanged == 2 and report.version == 1
    assert kb.db.total_changes == writes  # not a single row written


def test_changed_file_replaces_its_chunks_and_bumps_the_version(kb: KnowledgeBase) -> None:
    kb.ingest()
    (kb.folder / "help" / "roaming.md").write_text(
        "# Roaming\n\nRoaming works in Canada.\n\n## Europe\n\nTen dollars a day.\n")
    [report] = kb.ingest()
    assert (report.changed, report.unchanged, report.version) == (["roaming.md"], 1, 2)
    assert refs(kb) == ["faq.yml#fee", "roaming.md#europe", "roaming.md#intro"]
    assert kb.answer("help", "roaming in europe").text == "Ten dollars a day."
    count = kb.db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    assert count == 3  # the old chunk's terms left the full-text index too


def test_removed_file_removes_its_chunks(kb: KnowledgeBase) -> None:
    kb.ingest()
    (kb.folder / "help" / "faq.yml").unlink()
    [report] = kb.ingest()
    assert (report.removed, report.version) == (["faq.yml"], 2)
    assert refs(kb) == ["roaming.md#intro"]


def test_index_survives_reopening(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest()
    kb.close()
    again = KnowledgeBase(tmp_path / "knowledge", tmp_path / "index" / "bot.sqlite")
    [report] = again.ingest()
    assert not report.did_work and again.version("help") == 1


def test_a_bad_file_leaves_the_last_good_version_answering(kb: KnowledgeBase) -> None:
    kb.ingest()
    folder = kb.folder / "help"
    (folder / "roaming.md").write_text(ARTICLE.replace("Canada", "Canada and Mexico"))
    (folder / "faq.yml").write_text("faq:\n  - question: Broken?\n")
    (folder / "scan.md").write_bytes(b"%PDF\x00\x01")
    with pytest.raises(KnowledgeError) as info:
        kb.ingest()
    assert str(info.value) == (
        "knowledge collection 'help' was not updated (the index keeps version 1); fix these "
        "problems and ingest again:\n"
        f"  {folder}/faq.yml:2: entry 1 has no `answer:`\n"
        f"  {folder}/scan.md: is a binary file, not text (a NUL byte at offset 4); the knowledge "
        "base reads .csv, .htm, .html, .markdown, .md, .txt, .yaml, .yml files")
    assert kb.version("help") == 1
    assert refs(kb) == ["faq.yml#fee", "roaming.md#intro"]
    assert "Mexico" not in kb.answer("help", "roaming in canada").text


def test_huge_files_are_refused(kb: KnowledgeBase) -> None:
    (kb.folder / "help" / "dump.txt").write_text("word " * 500_000)
    with pytest.raises(KnowledgeError, match=r"dump.txt: is 2.4 MB, over the 2.0 MB limit for one "
                                             r"file: split it into several articles"):
        kb.ingest()


def test_empty_collections_and_missing_folders(tmp_path: Path) -> None:
    (tmp_path / "knowledge" / "empty").mkdir(parents=True)
    (tmp_path / "knowledge" / "empty" / ".DS_Store").write_bytes(b"\x00")
    kb = KnowledgeBase(tmp_path / "knowledge", ":memory:")
    with pytest.raises(KnowledgeError, match=r"empty: has no articles or FAQ files: put \.csv"):
        kb.ingest()
    with pytest.raises(KnowledgeError, match=r"has no collections: put articles and FAQ files in "
                                             r"a folder per collection"):
        KnowledgeBase(tmp_path / "nothing", ":memory:").ingest()


def test_good_collections_update_even_when_another_is_bad(kb: KnowledgeBase) -> None:
    (kb.folder / "broken").mkdir()
    (kb.folder / "broken" / "faq.csv").write_text("question\nQ?\n")
    with pytest.raises(KnowledgeError, match="'broken' was not updated"):
        kb.ingest()
    assert kb.version("help") == 1


def test_asking_an_unknown_collection_says_which_exist(kb: KnowledgeBase) -> None:
    kb.ingest()
    with pytest.raises(KnowledgeError, match=r"no knowledge collection 'faq' in .*knowledge "
                                             r"\(collections: help\)"):
        kb.answer("faq", "anything")
