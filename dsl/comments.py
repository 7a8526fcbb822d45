"""Designers' comments: found in the source, then attached to the node they describe.

A comment on its own line belongs to the next node; a comment after code belongs to the node
that starts on that line. Comments that precede nothing are kept on the program.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dsl import tree as T


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str  # without the leading "#" and surrounding spaces
    own_line: bool


def scan(text: str) -> list[Comment]:
    """Every `#` comment outside a string, in order."""
    out: list[Comment] = []
    line, in_string, code_on_line = 1, False, False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
            elif ch == "\n":
                line += 1
        elif ch == '"':
            in_string, code_on_line = True, True
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(Comment(line, text[i + 1 : end].strip(), not code_on_line))
            i = end
            continue
        elif ch == "\n":
            line += 1
            code_on_line = False
        elif ch not in " \t\r\f":
            code_on_line = True
        i += 1
    return out


Pending = dict[tuple[int, int], tuple[tuple[str, ...], str]]


def plan(text: str, comments: list[Comment]
         ) -> tuple[Pending, dict[tuple[int, int], list[Comment]], list[Comment]]:
    """Where each comment goes: the (line, column) of the code it describes.

    A comment on its own line describes the next line of code; a comment after code describes
    the code that starts that line. Returns what the builder hands to the node starting at each
    place, the comments behind each place, and the comments with no code after them. What no
    node takes is attached afterwards by `attach`.
    """
    lines = text.split("\n")
    comment_lines = {c.line for c in comments if c.own_line}
    owners: dict[tuple[int, int], list[Comment]] = {}
    unplanned: list[Comment] = []
    for c in comments:
        n = c.line
        if c.own_line:
            n += 1
            while n <= len(lines) and (not lines[n - 1].strip() or n in comment_lines):
                n += 1
            if n > len(lines):
                unplanned.append(c)
                continue
        line = lines[n - 1]
        owners.setdefault((n, len(line) - len(line.lstrip()) + 1), []).append(c)
    pending = {
        key: (tuple(c.text for c in cs if c.own_line),
              " ".join(c.text for c in cs if not c.own_line))
        for key, cs in owners.items()
    }
    return pending, owners, unplanned


# Nodes that stand for a line of source and can carry comments.
ANCHORS = (
    T.FlowHeader, T.Use, T.Hours, T.WeeklyRule, T.Queue, T.Announce, T.Overflow, T.MaxWait,
    T.Handler, T.Step, T.Menu, T.Choice, T.Prompt, T.Variant, T.Field, T.Header, T.Validate,
    T.Say, T.PauseStmt, T.Ask, T.Fetch, T.Run, T.Answer, T.Handoff, T.Record, T.Set, T.If,
    T.Branch, T.Go, T.Call, T.Return, T.Hangup,
)


def _anchors(node: object, out: list[tuple[int, int, int, object]], depth: int = 0) -> None:
    if isinstance(node, tuple):
        for item in node:
            _anchors(item, out, depth)
        return
    if not isinstance(node, T.Node):
        return
    if isinstance(node, ANCHORS) and node.span.line > 0:
        out.append((node.span.line, node.span.column, depth, node))
    for f in dataclasses.fields(node):
        if f.name not in ("span", "comments", "note"):
            _anchors(getattr(node, f.name), out, depth + 1)


def attach(program: T.Program, comments: list[Comment]) -> T.Program:
    if not comments:
        return program
    found: list[tuple[int, int, int, object]] = []
    _anchors(program, found)
    found.sort(key=lambda a: (a[0], a[1], a[2]))
    leading: dict[int, list[str]] = {}
    notes: dict[int, str] = {}
    first_on_line: dict[int, object] = {}
    for line, _col, _depth, node in found:
        first_on_line.setdefault(line, node)
    trailing: list[str] = []
    pos = 0
    for c in comments:
        owner = first_on_line.get(c.line) if not c.own_line else None
        if owner is not None:
            key = id(owner)
            notes[key] = f"{notes[key]} {c.text}".strip() if key in notes else c.text
            continue
        while pos < len(found) and found[pos][0] <= c.line:
            pos += 1
        if pos < len(found):
            leading.setdefault(id(found[pos][3]), []).append(c.text)
        else:
            trailing.append(c.text)
    rebuilt = _rebuild(program, leading, notes)
    return dataclasses.replace(rebuilt, trailing_comments=tuple(trailing))


def _rebuild(node: object, leading: dict[int, list[str]], notes: dict[int, str]) -> object:
    if isinstance(node, tuple):
        return tuple(_rebuild(item, leading, notes) for item in node)
    if not isinstance(node, T.Node):
        return node
    changes: dict[str, object] = {}
    for f in dataclasses.fields(node):
        if f.name in ("span", "comments", "note"):
            continue
        value = getattr(node, f.name)
        new = _rebuild(value, leading, notes)
        if new is not value:
            changes[f.name] = new
    key = id(node)
    if key in leading:
        changes["comments"] = tuple(leading[key])
    if key in notes:
        changes["note"] = notes[key]
    return dataclasses.replace(node, **changes) if changes else node
