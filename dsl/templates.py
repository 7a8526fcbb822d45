"""Quoted strings: plain text, and templates with `{expression as format}` interpolations."""

from __future__ import annotations

import re

from lark import Token

_NEWLINE_RUN = re.compile(r"[ \t]*\r?\n[ \t]*")


def fold_lines(text: str) -> str:
    """A string written over several lines reads as one line: the line breaks become spaces."""
    return _NEWLINE_RUN.sub(" ", text)


def plain(tok: Token) -> str:
    """The text of a string that takes no interpolation (phrases, paths, patterns)."""
    raw = fold_lines(tok.value[1:-1])
    return raw.replace('\\"', '"')


def quote_plain(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


Piece = tuple[str, str, int]  # (kind "text"|"interp", content, offset in source)


def split_template(tok: Token) -> tuple[str, list[Piece], list[tuple[int, int, str]]]:
    """Split a template token into literal text and interpolation sources.

    Returns the canonical text (lines folded), the pieces with their source offsets, and the
    problems found as (start offset, end offset, message).
    """
    raw = tok.value[1:-1]
    base = (tok.start_pos or 0) + 1
    pieces: list[Piece] = []
    problems: list[tuple[int, int, str]] = []
    literal: list[str] = []
    i = 0

    def flush() -> None:
        if literal:
            pieces.append(("text", fold_lines("".join(literal)), base))
            literal.clear()

    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            literal.append({"n": " "}.get(nxt, nxt) if nxt in '"\\{}n' else "\\" + nxt)
            i += 2
        elif ch == "{":
            end = raw.find("}", i + 1)
            if end < 0:
                problems.append((base + i, base + i + 1,
                                 "this `{` opens an expression that is never closed"))
                literal.append(raw[i:])
                break
            flush()
            pieces.append(("interp", raw[i + 1 : end], base + i + 1))
            i = end + 1
        elif ch == "}":
            problems.append((base + i, base + i + 1, "a `}` with no `{` before it"))
            i += 1
        else:
            literal.append(ch)
            i += 1
    flush()
    return fold_lines(raw), pieces, problems
