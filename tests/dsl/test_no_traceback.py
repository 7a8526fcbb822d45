"""No input of any kind makes the compiler raise: it answers with diagnostics."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.compile import compile_text
from dsl.diagnostics import render_all

SEEDS = [p.read_text(encoding="utf-8") for p in sorted(Path("bots").rglob("*.flow"))]
TOKENS = ["step", "menu", "on", "go", "->", '"', "{", "}", "(", ")", "ask", "as", "digits(",
          "if", "else", "elif", "\t", "  ", "\n", "#", "pause", "5x", "99:99-10:00", "2026-02-30",
          "handoff", "context", ":", "=", "==", "not", "is set", "\\", "{x as", "pattern(\"[\")",
          "use \"x.flow\" as x", "call x.y", "return", "star", "pound", "1", "1..", "é", "\x00"]


def assert_answers(text: str) -> None:
    comp = compile_text(text, "fuzz.flow")
    lines = text.count("\n") + 2
    for d in comp.diagnostics:
        assert 1 <= d.span.line <= lines, d
        assert d.message and d.code.startswith("F")
        for forbidden in ("Token(", "__ANON", "$END", "_NL", "_INDENT", "_DEDENT", "Traceback"):
            if forbidden not in text:  # quoting the designer's own text back is fine
                assert forbidden not in d.message + d.label + d.help, d
    render_all(comp.diagnostics, comp.sources)
    if comp.ok:
        comp.ir()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    assert_answers(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEEDS)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "indent", "cut",
                                   "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            tok = draw(st.sampled_from(TOKENS))
            lines[i] = lines[i][:pos] + tok + lines[i][pos:]
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["", " ", "   ", "      "])) + lines[i].lstrip()
        elif op == "cut":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos]
        elif op == "truncate":
            lines = lines[: i + 1]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bot_flows_never_raise(text: str) -> None:
    assert_answers(text)
