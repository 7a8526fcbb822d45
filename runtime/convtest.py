"""Conversation tests (`tests/*.test.flow` in a bot folder): the format and its parser.

    test "balance by keypad"
      given caller.number = "+15550100" and env.crm_url = mock "acme-crm"
      given time = "2026-11-23T10:00:00-05:00"
      bot says "Thanks for calling"
      caller presses 1
      bot asks "account number"
      caller says "one two three four five six seven eight"
      caller is silent
      bot hands off to billing
        reason "billing system unavailable"
        context account = "12345678"
        context account is sensitive
      log does not contain "12345678"
      bot hangs up
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class TestFormatError(ValueError):
    """A .test.flow line that cannot be read; the message starts with file:line."""

    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class Line:
    kind: str  # given | says | asks | hands_off | hangs_up | caller_says | presses | silent
    #            | caller_hangs_up | log_excludes
    line: int
    text: str = ""  # the line as written, for reports
    value: Any = None
    details: tuple[tuple[str, Any], ...] = ()  # hand-off expectations


@dataclass
class ConversationTest:
    name: str
    path: str
    line: int
    givens: dict[str, Any] = field(default_factory=dict)  # caller.x / env.x / time / language
    mocks_down: set[str] = field(default_factory=set)
    steps: list[Line] = field(default_factory=list)


_KEY_WORDS = {"star": "star", "pound": "pound", "hash": "pound", "*": "star", "#": "pound"}


def parse_tests(text: str, path: str) -> list[ConversationTest]:
    tests: list[ConversationTest] = []
    current: ConversationTest | None = None
    last: Line | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        where = f"{path}:{number}"
        if indent == 0:
            m = re.fullmatch(r'test\s+"([^"]+)"', stripped)
            if not m:
                raise TestFormatError(f'{where}: expected `test "name"` to start a test, '
                                      f"found `{stripped}`")
            current = ConversationTest(m.group(1), path, number)
            tests.append(current)
            last = None
            continue
        if current is None:
            raise TestFormatError(f'{where}: this line is outside any `test "name"` block')
        if indent >= 4 and last is not None and last.kind == "hands_off":
            detail = _handoff_detail(stripped, where)
            current.steps[-1] = last = Line(last.kind, last.line, last.text, last.value,
                                            (*last.details, detail))
            continue
        line = _parse_line(stripped, number, where, current)
        if line is not None:
            current.steps.append(line)
            last = line
    if not tests:
        raise TestFormatError(f'{path}:1: no `test "name"` block in this file')
    return tests


def _words(text: str, where: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise TestFormatError(f"{where}: {exc} (is a quote missing?)") from None


def _parse_line(text: str, number: int, where: str, test: ConversationTest) -> Line | None:
    if text.startswith("given "):
        for clause in re.split(r'\s+and\s+(?=(?:[^"]*"[^"]*")*[^"]*$)', text[6:]):
            _given(clause.strip(), where, test)
        return None
    words = _words(text, where)
    head = " ".join(words[:2])
    if head in ("bot says", "bot asks") and len(words) == 3:
        return Line("says" if words[1] == "says" else "asks", number, text, words[2])
    if words[:4] == ["bot", "hands", "off", "to"] and len(words) == 5:
        return Line("hands_off", number, text, words[4])
    if words == ["bot", "hangs", "up"]:
        return Line("hangs_up", number, text)
    if head == "caller says" and len(words) == 3:
        return Line("caller_says", number, text, words[2])
    if head == "caller presses" and len(words) >= 3:
        return Line("presses", number, text, _keys(words[2:], where))
    if words == ["caller", "is", "silent"]:
        return Line("silent", number, text)
    if words == ["caller", "hangs", "up"]:
        return Line("caller_hangs_up", number, text)
    if words[:4] == ["log", "does", "not", "contain"] and len(words) == 5:
        return Line("log_excludes", number, text, words[4])
    raise TestFormatError(
        f"{where}: cannot read `{text}`; expected one of: bot says \"…\", bot asks \"…\", "
        "bot hands off to QUEUE, bot hangs up, caller says \"…\", caller presses KEYS, "
        'caller is silent, caller hangs up, log does not contain "…", given …')


def _keys(words: list[str], where: str) -> tuple[str, ...]:
    keys: list[str] = []
    for word in words:
        if word.lower() in _KEY_WORDS:
            keys.append(_KEY_WORDS[word.lower()])
        elif word.isdigit():
            keys.extend(word)
        else:
            raise TestFormatError(f"{where}: `{word}` is not a key; keys are 0-9, star, pound")
    return tuple(keys)


def _given(clause: str, where: str, test: ConversationTest) -> None:
    m = re.fullmatch(r'mock\s+"([\w.-]+)"\s+is\s+down', clause)
    if m:
        test.mocks_down.add(m.group(1))
        return
    m = re.fullmatch(r"([\w.]+)\s*=\s*(.+)", clause)
    if not m:
        raise TestFormatError(f"{where}: expected `given NAME = VALUE`, found `{clause}`")
    name, raw = m.group(1), m.group(2).strip()
    if not (name.startswith(("caller.", "env.")) or name in ("time", "language")):
        raise TestFormatError(f"{where}: `{name}` cannot be given; use caller.*, env.*, time "
                              "or language")
    mock = re.fullmatch(r'mock\s+"([\w.-]+)"', raw)
    if mock:
        test.givens[name] = ("mock", mock.group(1))
        return
    try:
        test.givens[name] = json.loads(raw)
    except json.JSONDecodeError:
        raise TestFormatError(f'{where}: `{raw}` is not a value; write "text", 42, true or '
                              'mock "name"') from None


def _handoff_detail(text: str, where: str) -> tuple[str, Any]:
    m = re.fullmatch(r'(reason|summary)\s+"(.*)"', text)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"priority\s+(\w+)", text)
    if m:
        return "priority", m.group(1)
    m = re.fullmatch(r"context\s+(\w+)\s+is\s+sensitive", text)
    if m:
        return "sensitive", m.group(1)
    m = re.fullmatch(r"context\s+(\w+)\s*=\s*(.+)", text)
    if m:
        try:
            return "context", (m.group(1), json.loads(m.group(2)))
        except json.JSONDecodeError:
            raise TestFormatError(f"{where}: `{m.group(2)}` is not a value") from None
    raise TestFormatError(f'{where}: under `bot hands off to`, expected reason "…", priority P, '
                          f'context NAME = VALUE or context NAME is sensitive; found `{text}`')


def load_tests(folder: Path) -> list[ConversationTest]:
    out: list[ConversationTest] = []
    for path in sorted((folder / "tests").glob("*.test.flow")):
        out += parse_tests(path.read_text(encoding="utf-8"), str(path))
    return out
