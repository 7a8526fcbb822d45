"""`voxflow nlu train|eval|parse` on the shipped bots and on a small benchmark folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["nlu", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_reports_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "train", "bots/acme")
    assert code == 0
    assert out.startswith("bots/acme/nlu.yml: ") and " 7 intents" in out
    assert "out-of-scope below 0." in out and "(chosen from held-out data)" in out


def test_eval_a_bot_by_cross_validation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "eval", "bots/bank")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("6 intents, 5-fold cross-validation")
    assert lines[1].startswith("  accuracy        0.") and lines[2].startswith("  macro-F1")
    assert lines[3].startswith("  out of scope    precision 0.")
    assert "most confused (true -> predicted: count)" in out
    accuracy = float(lines[1].split()[-1])
    assert accuracy >= 0.85  # held-out bank examples: 0.90 when this was written


def test_eval_a_benchmark_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = {
        "card_arrival": ["when will my card arrive", "my card has not come yet",
                         "how long does delivery of a card take", "still waiting on my card"],
        "exchange_rate": ["what exchange rate do you use", "how are rates calculated",
                          "is the exchange rate good", "what rate will i get for euros"],
        "top_up": ["how do i top up", "my top up failed", "can i add money by card",
                   "top up my account"],
    }
    for name, take in (("train.csv", slice(0, 3)), ("test.csv", slice(3, 4))):
        lines = ["text,category"] + [f"{t},{i}" for i, ts in rows.items() for t in ts[take]]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "eval", str(tmp_path))
    assert code == 0
    assert "trained on train.csv (9 examples, 3 intents), scored on test.csv (3)" in out
    assert "  accuracy        1.000" in out


def test_parse_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parse", "bots/acme", "um i need to pay fifty dollars",
                       "--intent", "pay_bill", "--intent", "check_balance")
    assert code == 0
    result = json.loads(out)
    assert result["intent"] == "pay_bill" and result["engine"] == "builtin"
    assert {i["intent"] for i in result["intents"]} == {"pay_bill", "check_balance"}
    assert result["entities"][0]["entity"] == "currency" and result["entities"][0]["value"] == 50


def test_bad_data_is_a_message_not_a_traceback(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    nlu = tmp_path / "nlu.yml"
    nlu.write_text("nlu:\n- intent: a\n  examples: |\n    - hello\n- intent: b\n"
                   "  examples: |\n    - Hello!\n")
    code, _, err = run(capsys, "train", str(nlu))
    assert code == 1
    assert err == (f"voxflow: {nlu}:7: example 'Hello!' is under intent 'b' here and under "
                   "intent 'a' at line 4; an example must belong to one intent\n")
