"""The `voxflow` command as a designer uses it: check, compile, fmt, graph."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

from dsl.ir import shipped_schema

BOTS = ["bots/acme", "bots/bank"]


def voxflow(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dsl.cli", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_example_bots_check_clean_without_warnings() -> None:
    result = voxflow("check", *BOTS)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "checked 3 flows: no problems"


def test_check_reports_errors_with_location_caret_and_hint(tmp_path: Path) -> None:
    flow = tmp_path / "bad.flow"
    flow.write_text('flow bad\n\nstart\n  say "Hi."\n  go main_mnu\n\nstep main_menu\n'
                    "  hangup\n", encoding="utf-8")
    result = voxflow("check", str(flow))
    assert result.returncode == 1
    assert "error[F0201]: unknown step `main_mnu`" in result.stderr
    assert f"--> {flow}:5:6" in result.stderr
    assert "5 |   go main_mnu\n  |      ^^^^^^^^" in result.stderr
    assert "= help: a step with a similar name exists: `main_menu`" in result.stderr
    # The misspelt jump also leaves main_menu unreached: the checker says so as a warning.
    assert "warning[F0403]: step `main_menu` is never reached" in result.stderr
    assert result.stdout.strip() == "checked 1 flow: 1 error, 1 warning"


def test_compile_writes_schema_valid_ir_with_sub_flows(tmp_path: Path) -> None:
    out = tmp_path / "bank.ir.json"
    result = voxflow("compile", "bots/bank/bank.flow", "-o", str(out))
    assert result.returncode == 0, result.stderr
    ir = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(ir, shipped_schema())
    assert ir["ir_version"] == 1
    assert ir["source"] == "bots/bank/bank.flow"
    assert ir["imports"]["identity"]["source"] == "bots/bank/identity.flow"


def test_compile_folder_writes_one_ir_per_entry_flow(tmp_path: Path) -> None:
    result = voxflow("compile", "bots", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.ir.json", "bank.ir.json"]


def test_compile_refuses_a_flow_with_errors(tmp_path: Path) -> None:
    flow = tmp_path / "bad.flow"
    flow.write_text("flow bad\n\nstart\n  go nowhere\n", encoding="utf-8")
    out = tmp_path / "bad.ir.json"
    result = voxflow("compile", str(flow), "-o", str(out))
    assert result.returncode == 1
    assert "not compiled" in result.stderr
    assert not out.exists()


def test_fmt_check_then_fmt_rewrites_to_canonical_form(tmp_path: Path) -> None:
    flow = tmp_path / "messy.flow"
    flow.write_text('flow messy\n\nstart\n    # hello\n    say   "Hi."     pause 1000ms\n'
                    "    hangup\n", encoding="utf-8")
    check = voxflow("fmt", "--check", str(flow))
    assert check.returncode == 1 and f"would reformat {flow}" in check.stdout
    assert voxflow("fmt", str(flow)).returncode == 0
    assert flow.read_text(encoding="utf-8") == ('flow messy\n\nstart\n  # hello\n'
                                                '  say "Hi." pause 1s\n  hangup\n')
    assert voxflow("fmt", "--check", str(flow)).returncode == 0


def test_fmt_leaves_a_file_with_syntax_errors_alone(tmp_path: Path) -> None:
    flow = tmp_path / "broken.flow"
    text = 'flow broken\n\nstart\n  say "Hi.\n'
    flow.write_text(text, encoding="utf-8")
    result = voxflow("fmt", str(flow))
    assert result.returncode == 1
    assert "error[F0104]: this string is never closed" in result.stderr
    assert flow.read_text(encoding="utf-8") == text


def test_graph_draws_menu_choices_and_jumps() -> None:
    mermaid = voxflow("graph", "bots/acme/acme.flow", "--format", "mermaid")
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart TD\n")
    assert 'n_main_menu -- "1 / balance / intent check_balance" --> n_balance' in mermaid.stdout
    dot = voxflow("graph", "bots/acme/acme.flow", "--format", "dot")
    assert dot.stdout.startswith('digraph "acme" {')
    assert '"start" -> "main_menu"' in dot.stdout


def test_check_finds_flows_in_a_copied_bot_folder(tmp_path: Path) -> None:
    shutil.copytree("bots/bank", tmp_path / "bank")
    (tmp_path / "bank" / "hooks.py").write_text("def unrelated():\n    pass\n", encoding="utf-8")
    result = voxflow("check", str(tmp_path / "bank"))
    assert result.returncode == 1
    assert "error[F0205]: unknown hook" in result.stderr
