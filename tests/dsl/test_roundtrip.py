"""The formatter and the IR round trip: fmt is idempotent and compile(format(ir)) == ir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from bench.flowgen import generate_flow
from dsl.compile import compile_file, compile_text
from dsl.format import format_program
from dsl.ir import from_json, load_document
from dsl.parser import parse_text
from tests.dsl.flows import flows

BOT_FLOWS = sorted(p for p in Path("bots").rglob("*.flow") if not p.name.endswith(".test.flow"))
OK_CASES = sorted(Path("tests/dsl/cases/ok").rglob("*.flow"))


def without_spans(value: object) -> object:
    if isinstance(value, dict):
        return {k: without_spans(v) for k, v in value.items() if k != "span" and k != "else_span"}
    if isinstance(value, list):
        return [without_spans(v) for v in value]
    return value


def assert_round_trip(text: str, path: str = "flow.flow") -> None:
    first = compile_text(text, path)
    assert first.ok, [d.message for d in first.diagnostics]
    ir = first.ir()
    printed = format_program(load_document(json.loads(json.dumps(ir))))
    again = compile_text(printed, path)
    assert again.ok, [d.message for d in again.diagnostics]
    # Same program; spans may move only where the input was not canonical text.
    assert without_spans(again.ir()) == without_spans(ir)
    # From canonical text, the round trip is exact, spans included, and fmt is idempotent.
    assert format_program(parse_text(printed, path).program) == printed
    assert compile_text(format_program(load_document(again.ir())), path).ir() == again.ir()


@pytest.mark.parametrize("path", BOT_FLOWS + OK_CASES, ids=str)
def test_formatting_a_bot_flow_is_idempotent_and_keeps_its_ir(path: Path) -> None:
    comp = compile_file(path)
    ir = comp.ir()
    printed = format_program(from_json(ir["program"]))
    assert printed == path.read_text(encoding="utf-8"), "file is not in canonical form"
    reparsed = parse_text(printed, comp.root.path).program
    assert format_program(reparsed) == printed


@pytest.mark.parametrize("steps", [1, 7, 40])
def test_generated_chain_flows_round_trip(steps: int) -> None:
    assert_round_trip(generate_flow(steps, seed=steps))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_generated_flows_round_trip(text: str) -> None:
    assert_round_trip(text)


def test_comments_survive_formatting_and_the_ir() -> None:
    text = (
        "# The hotline\n"
        'flow demo "Demo"\n\n'
        "# Our only queue\n"
        "queue general\n"
        "  skills general\n\n"
        "start\n"
        "  # greet first\n"
        '  say "Hi."  # short on purpose\n'
        "  handoff general\n\n"
        "# end of file\n"
    )
    ir = compile_text(text, "demo.flow").ir()
    assert ir["program"]["header"]["comments"] == ["The hotline"]
    assert ir["program"]["queues"][0]["comments"] == ["Our only queue"]
    say = ir["program"]["steps"][0]["body"][0]
    assert say["comments"] == ["greet first"] and say["note"] == "short on purpose"
    assert ir["program"]["trailing_comments"] == ["end of file"]
    printed = format_program(load_document(ir))
    for line in ("# The hotline", "# Our only queue", "  # greet first",
                 '  say "Hi."  # short on purpose', "# end of file"):
        assert line in printed.splitlines()


def test_long_prompts_wrap_and_read_back_as_one_line() -> None:
    words = " ".join(f"word{i}" for i in range(40))
    text = f'flow w\n\nstart\n  say "{words}"\n  hangup\n'
    printed = format_program(parse_text(text).program)
    assert max(len(line) for line in printed.splitlines()) <= 100
    say = parse_text(printed).program.steps[0].body[0]
    assert say.prompt.parts[0].text == words
