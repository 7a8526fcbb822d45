"""The wording of the most common diagnostics, pinned: designers read these, so changes are
deliberate. The golden cases in tests/dsl/cases/err show the full rendering of every code."""

from __future__ import annotations

from pathlib import Path

from dsl.compile import compile_file, compile_text
from dsl.diagnostics import Diagnostic
from dsl.source import Span


def only(text: str, code: str) -> Diagnostic:
    """The one diagnostic with `code` that compiling `text` reports."""
    diags = compile_text(text, "main.flow").diagnostics
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diags]
    return found[0]


HEADER = 'flow acme "Acme Telecom hotline"\n\n'


def test_unknown_step_suggests_the_closest_name() -> None:
    d = only(HEADER + "start\n  go paymnet\n\nstep payment\n  hangup\n", "F0201")
    assert d.message == "unknown step `paymnet`"
    assert d.label == "no step with this name in this flow"
    assert d.help == "a step with a similar name exists: `payment`"
    assert d.span == Span(4, 6, 4, 13)


def test_duplicate_menu_key() -> None:
    d = only(HEADER + "on failure hangup\n\nstart\n  go main_menu\n\nmenu main_menu\n"
             '  prompt "Press 1 or 2."\n  1 "balance" -> done\n  1 "pay" -> done\n\n'
             "step done\n  hangup\n", "F0301")
    assert d.message == "key 1 is used twice in menu `main_menu`"
    assert d.label == "already leads to `done` on line 10"
    assert d.help == "give each choice its own key"
    assert d.span == Span(11, 3, 11, 4)


def test_slot_that_may_not_be_set() -> None:
    d = only(HEADER + "on failure hangup\n\nstart\n  if caller.vip\n    ask account as digits(8)\n"
             '  say "Account {account as digits}."\n  hangup\n', "F0401")
    assert d.message == "`account` may not be set here"
    assert d.label == "read here"
    assert d.help == ("it is set on line 7, but not on every path that reaches this line; guard "
                      "the read with `if account is set`")


def test_input_step_with_no_way_out() -> None:
    d = only(HEADER + 'start\n  ask account as digits(8)\n    prompt "Your account number?"\n'
             "  hangup\n", "F0402")
    assert d.message == "`ask account` has no way out after its last attempt"
    assert d.label == "after 3 attempts nothing says where the call goes"
    assert d.help == ("add `on failure` with a `go`, `handoff` or `hangup` (here, or once at the "
                      "top level for every input)")


def test_step_that_falls_off_its_end() -> None:
    d = only(HEADER + 'start\n  go billing\n\nstep billing\n  say "Your bill is due soon."\n',
             "F0404")
    assert d.message == "step `billing` can reach its end without going anywhere"
    assert d.label == "a path through this step ends without a destination"
    assert d.help == "end every path with `go`, `handoff` or `hangup`"


def test_type_mismatch_between_digits_and_a_number() -> None:
    d = only(HEADER + "on failure hangup\n\nstart\n  ask account as digits(8)\n"
             "  if account == 12345678\n    hangup\n  hangup\n", "F0501")
    assert d.message == "cannot compare a digits value with a number value"
    assert d.label == "digits == number"
    assert d.help == 'digits are compared as text: put the number in quotes, "12345678"'


def test_menu_choice_without_an_arrow() -> None:
    d = only(HEADER + "on failure hangup\n\nstart\n  go main_menu\n\nmenu main_menu\n"
             '  prompt "For billing, press 1."\n  1 "billing" billing\n', "F0101")
    assert d.message == "unexpected `billing` in the `menu main_menu` block that starts on line 8"
    assert d.label == "expected `,`, `->` or `intent`"
    assert d.help == 'menu choices look like: 1 "balance", "how much do I owe" -> balance'
    assert d.span == Span(10, 15, 10, 22)


def test_misspelled_statement_keyword() -> None:
    d = only(HEADER + 'start\n  sya "Hello."\n  hangup\n', "F0101")
    assert d.message == "unexpected `sya` in the `start` block that starts on line 3"
    assert d.help == "did you mean `say`?"


def test_unterminated_string() -> None:
    d = only(HEADER + 'start\n  say "Thanks for calling.\n  hangup\n', "F0104")
    assert d.message == "this string is never closed"
    assert d.label == "the string starts here"
    assert d.help == 'end the text with a closing `"`; write \\" for a quote inside it'
    assert d.span == Span(4, 7, 4, 8)


def test_keyword_used_as_a_step_name() -> None:
    d = only(HEADER + "step start\n  hangup\n", "F0107")
    assert d.message == "`start` is a keyword and cannot be a step name"
    assert d.help == ("write `start` alone on the line (no `step` before it) for the entry, or "
                      "give this step another name")


def test_keyword_used_as_a_variable_name() -> None:
    d = only(HEADER + "on failure hangup\n\nstart\n  ask not as yes_no\n  hangup\n", "F0107")
    assert d.message == "`not` is a keyword of expressions and cannot be a variable name"
    assert d.span == Span(6, 7, 6, 10)


def test_circular_import(tmp_path: Path) -> None:
    (tmp_path / "main.flow").write_text(HEADER + 'use "identity.flow" as identity\n\n'
                                        "start\n  call identity\n  hangup\n")
    (tmp_path / "identity.flow").write_text('flow identity "Identity"\n\n'
                                            'use "main.flow" as hotline\n\nstart\n  return\n')
    diags = [d for d in compile_file(tmp_path / "main.flow").diagnostics if d.code == "F0701"]
    assert len(diags) == 1
    assert diags[0].message == "circular import: main.flow -> identity.flow -> main.flow"
    assert diags[0].label == "this file is already being imported"
    assert diags[0].help == ("a sub-flow cannot use the flow that uses it; move the shared steps "
                             "into a third file")
    assert diags[0].path.endswith("identity.flow")


def test_return_outside_a_sub_flow() -> None:
    d = only(HEADER + "start\n  return\n", "F0406")
    assert d.message == "`return` outside a sub-flow"
    assert d.label == "no flow calls this one, so there is nowhere to return to"
