"""`voxflow kb ingest|query|eval` on a bot folder, with the index in a temporary folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.cli import main


@pytest.fixture(autouse=True)
def own_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXFLOW_KB_DIR", str(tmp_path))


def test_ingest_then_again_is_up_to_date(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ingest", "bots/bank"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("bank-help: version 1, ") and "added" in first
    assert f"index: {tmp_path / 'bank.sqlite'}" in first
    assert main(["kb", "ingest", "bots/bank"]) == 0
    assert capsys.readouterr().out.startswith("bank-help: up to date (version 1, ")


def test_query_prints_answer_confidence_source_and_hits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "query", "bots/acme", "will my phone work in cancun", "--hits", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("answer:     Yes. Calls, texts and data work in Canada and Mexico just like "
                      "at home, at no extra cost.")
    assert re.fullmatch(r"confidence: [01]\.\d\d", out[1])
    assert out[2] == ("source:     acme-faq.yml#roaming-canada-mexico (Does my phone work in "
                      "Canada and Mexico?)")
    assert out[3] == "top hits:" and len(out) == 6


def test_eval_reports_recall_and_mrr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "eval", "bots/acme", "--queries",
                 "bots/acme/tests/knowledge-queries.yml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("42 answerable questions: recall@1 ")
    assert "MRR@10 0." in out and "10 unanswerable questions: declined" in out


def test_errors_are_one_line_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "query", "bots/acme", "hello?", "--collection", "nope"]) == 1
    assert "voxflow: no knowledge collection 'nope' in bots/acme/knowledge (collections: " \
           "acme-help)" in capsys.readouterr().err
    assert main(["kb", "ingest", "dsl"]) == 1
    assert "voxflow: dsl/knowledge has no collections" in capsys.readouterr().err
