"""The language reference stays true: its flow examples parse, and it documents every code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.codes import CODES
from dsl.parser import parse_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "flow-language.md"
TEXT = DOC.read_text(encoding="utf-8")
# ```flow blocks are examples that must parse; mistakes shown on purpose are fenced as ```text.
FLOW_BLOCK = re.compile(r"^```flow\n(.*?)^```$", re.S | re.M)


def flow_blocks() -> list[tuple[int, str]]:
    """(line of the opening fence, block text) for every ```flow block in the reference."""
    return [(TEXT.count("\n", 0, m.start()) + 1, m.group(1)) for m in FLOW_BLOCK.finditer(TEXT)]


BLOCKS = flow_blocks()


def test_the_reference_has_flow_examples() -> None:
    assert len(BLOCKS) >= 50


@pytest.mark.parametrize(("line", "block"), BLOCKS, ids=[f"line{n}" for n, _ in BLOCKS])
def test_flow_example_parses_without_syntax_errors(line: int, block: str) -> None:
    result = parse_text(block, f"docs/flow-language.md:{line}")
    syntax = [d for d in result.reporter.items if d.code.startswith("F01")]
    shown = "\n".join(f"  line {line + d.span.line}: {d.code} {d.message}" for d in syntax)
    assert not syntax, f"the ```flow block at line {line} does not parse:\n{shown}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_diagnostic_code_is_documented(code: str) -> None:
    assert code in TEXT, f"{code} ({CODES[code]}) is missing from {DOC.name}"
    heading = f"#### {code} · {CODES[code]}"
    assert heading in TEXT, f"{DOC.name} has no section `{heading}` (title as in dsl/codes.py)"


def test_no_unknown_code_is_documented() -> None:
    mentioned = set(re.findall(r"\bF0\d{3}\b", TEXT))
    unknown = sorted(mentioned - set(CODES))
    assert not unknown, f"{DOC.name} mentions codes that dsl/codes.py does not have: {unknown}"
