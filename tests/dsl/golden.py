"""Golden cases: tests/dsl/cases/ok (expected IR) and tests/dsl/cases/err (expected diagnostics).

A case is either `NAME.flow` or a folder `NAME/` holding `main.flow` (and whatever sits next to
it: hooks.py, nlu.yml, knowledge/, sub-flows). Expected output sits beside it as `NAME.ir.json`
or `NAME.expected`. Run `UPDATE_GOLDEN=1 pytest tests/dsl` to rewrite them, then read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dsl.compile import Compilation, compile_file
from dsl.diagnostics import render_all

CASES = Path("tests/dsl/cases")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def cases(kind: str) -> list[Path]:
    folder = CASES / kind
    found = [p for p in folder.iterdir() if p.suffix == ".flow" or (p.is_dir() and
                                                                     (p / "main.flow").exists())]
    return sorted(found)


def flow_path(case: Path) -> Path:
    return case / "main.flow" if case.is_dir() else case


def expected_path(case: Path, suffix: str) -> Path:
    if case.suffix == ".flow":
        return case.with_suffix(suffix)
    return case.parent / (case.name + suffix)


def compile_case(case: Path) -> Compilation:
    return compile_file(flow_path(case))


def rendered(comp: Compilation) -> str:
    return render_all(comp.diagnostics, comp.sources) + "\n"


def ir_text(comp: Compilation) -> str:
    return json.dumps(comp.ir(), indent=1, sort_keys=True) + "\n"


def compare(actual: str, expected_file: Path) -> None:
    if UPDATE or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8"), f"differs from {expected_file}"
