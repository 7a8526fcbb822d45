"""Golden tests: valid flows compile to the expected IR, invalid ones to the exact diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from dsl.codes import CODES
from dsl.ir import shipped_schema
from tests.dsl.golden import cases, compare, compile_case, expected_path, ir_text, rendered

OK_CASES = cases("ok")
ERR_CASES = cases("err")


@pytest.mark.parametrize("case", OK_CASES, ids=[c.stem for c in OK_CASES])
def test_ok_case_compiles_to_expected_ir(case: Path) -> None:
    comp = compile_case(case)
    assert comp.diagnostics == [], rendered(comp)
    ir = comp.ir()
    jsonschema.validate(ir, shipped_schema())
    compare(ir_text(comp), expected_path(case, ".ir.json"))


@pytest.mark.parametrize("case", ERR_CASES, ids=[c.stem for c in ERR_CASES])
def test_err_case_reports_expected_diagnostics(case: Path) -> None:
    comp = compile_case(case)
    assert comp.diagnostics, f"{case} compiled without any diagnostic"
    compare(rendered(comp), expected_path(case, ".expected"))


def test_every_diagnostic_code_has_an_err_case() -> None:
    seen: set[str] = set()
    for case in ERR_CASES:
        text = expected_path(case, ".expected").read_text(encoding="utf-8")
        seen.update(re.findall(r"^(?:error|warning)\[(F\d{4})\]", text, re.M))
    missing = sorted(set(CODES) - seen)
    assert not missing, f"no err case shows {missing}"
    unknown = sorted(seen - set(CODES))
    assert not unknown, f"codes missing from dsl/codes.py: {unknown}"
