"""Source text -> AST. The one place where lark's errors become diagnostics in plain words."""

from __future__ import annotations

import difflib
import gc
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import ClassVar

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from dsl import comments as C
from dsl import tree as T
from dsl.build import Builder
from dsl.diagnostics import Reporter
from dsl.source import Source, Span

MAX_RECOVERIES = 50


class FlowIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types: ClassVar[list[str]] = ["LPAR"]
    CLOSE_PAREN_types: ClassVar[list[str]] = ["RPAR"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8


@cache
def lark_parser() -> Lark:
    grammar = resources.files("dsl").joinpath("flow.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", postlex=FlowIndenter(),
                start=["start", "interp"], propagate_positions=True, maybe_placeholders=False,
                cache=False)


# ---- readable names for what the parser expected ------------------------------------------------

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "INT": "a whole number",
    "KEYDIGITS": "a key (0-9, star or pound)",
    "STAR": "a key (0-9, star or pound)",
    "POUND": "a key (0-9, star or pound)",
    "DURATION": "a duration such as 5s",
    "TIMERANGE": "opening hours such as 08:00-20:00",
    "DATE": "a date such as 2026-12-25",
    "DAYS": "days such as mon-fri",
    "LANG": "a language tag such as es-US",
    "VOICE": "a voice name",
    "METHOD": "GET or POST",
    "ONOFF": "on or off",
    "COMP_OP": "a comparison such as ==",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}
STATEMENT_WORDS = ("say", "ask", "go", "if", "handoff", "fetch", "run", "answer", "set", "call",
                   "record", "pause", "return", "hangup")
TOP_LEVEL_WORDS = ("flow", "use", "hours", "queue", "on", "start", "step", "menu")


@cache
def _literal_terminals() -> dict[str, str]:
    from lark.lexer import PatternStr

    return {t.name: t.pattern.value for t in lark_parser().terminals
            if isinstance(t.pattern, PatternStr)}


def expected_words(names: set[str]) -> str:
    literals = _literal_terminals()
    words: list[str] = []
    keywords = {literals[n] for n in names if n in literals}
    if sum(1 for w in STATEMENT_WORDS if w in keywords) >= 5:
        words.append("a statement (say, ask, go, if, handoff, …)")
        keywords -= set(STATEMENT_WORDS)
    if sum(1 for w in TOP_LEVEL_WORDS if w in keywords) >= 5:
        words.append("a declaration (flow, hours, queue, on, start, step, menu)")
        keywords -= set(TOP_LEVEL_WORDS)
    for kw in sorted(keywords):
        words.append(f"`{kw}`")
    for n in sorted(names):
        if n not in literals:
            word = _TERMINAL_WORDS.get(n, n.lower())
            if word not in words:
                words.append(word)
    if len(words) > 7:
        words = [*words[:6], "…"]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# ---- parse results -------------------------------------------------------------------------------


@dataclass
class ParseResult:
    source: Source
    program: T.Program
    reporter: Reporter
    broken_names: set[str] = field(default_factory=set)  # steps/queues that failed to parse


_HEADER = re.compile(r"^(step|menu|queue|hours)\w*\s+([A-Za-z_][A-Za-z0-9_]*)")  # steps: a typo


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def _code_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def open_block(source: Source, line: int) -> tuple[int, str] | None:
    """The innermost block header enclosing `line`: (line number, its first words)."""
    target = source.line_text(line)
    depth = _indent(target) if _code_line(target) else None
    for n in range(min(line - 1, source.line_count), 0, -1):
        text = source.line_text(n)
        if not _code_line(text):
            continue
        if depth is None or _indent(text) < depth:
            words = " ".join(text.split()[:2])
            return n, words
    return None


# Lines that open a block, and how many of their words name it (`on` is handled apart).
_BLOCK_WORDS = {"flow": 2, "hours": 2, "queue": 2, "step": 2, "menu": 2, "start": 1, "if": 1,
                "elif": 1, "else": 1, "defaults": 1, "body": 1, "context": 1, "ask": 2,
                "fetch": 2, "record": 2, "run": 1, "handoff": 2, "answer": 1}
# Headers that must have an indented block under them.
_NEEDS_BLOCK = re.compile(r"(step|menu|hours|queue)\s+\w+|start|else|defaults|body|context"
                          r"|(if|elif)\s.*|on\s+(intent\s+\w+|key\s+\w+|(noinput|nomatch)(\s+\d+)?"
                          r"|hangup|error|failure|no_answer)")


# What the name missing at the end of a line stands for, by the word before it.
_NAME_AFTER = {"->": "the step to go to after `->`", "go": "the step to go to",
               "call": "the sub-flow to call", "handoff": "the queue to hand the call to",
               "step": "a name for the step", "menu": "a name for the menu",
               "ask": "a name for the slot", "set": "the name of a variable"}


def _header_name(text: str) -> str:
    """How a block header line is named in messages (`step billing`, `on key 0`), or ""."""
    words = text.split("#")[0].split()
    if not words:
        return ""
    if words[0] == "on" and len(words) > 1:
        counted = words[1] in ("key", "intent", "noinput", "nomatch") and len(words) > 2
        return " ".join(words[: 3 if counted else 2])
    n = _BLOCK_WORDS.get(words[0], 0)
    return " ".join(words[:n])


def _block_phrase(source: Source, line: int) -> str:
    found = open_block(source, line)
    if not found:
        return ""
    n, _ = found
    name = _header_name(source.line_text(n))
    return f" in the `{name}` block that starts on line {n}" if name else ""


def _empty_block(src: Source, line: int) -> int | None:
    """The header line just before `line` that should have a block but has none under it."""
    prev = line - 1
    while prev >= 1 and not _code_line(src.line_text(prev)):
        prev -= 1
    if prev < 1 or prev == line:
        return None
    header = src.line_text(prev)
    if not _NEEDS_BLOCK.fullmatch(header.split("#")[0].strip()):
        return None
    text = src.line_text(line)
    if line <= src.line_count and _code_line(text) and _indent(text) > _indent(header):
        return None
    return prev


def _last_code_line(src: Source) -> int:
    n = src.line_count
    while n > 1 and not _code_line(src.line_text(n)):
        n -= 1
    return n


def _unclosed_paren(exc: Exception, line: int) -> Token | None:
    """A `(` still open on an earlier line than the error (line breaks inside parens are joined)."""
    stack = getattr(getattr(exc, "state", None), "value_stack", None) or []
    opened = [v for v in stack if isinstance(v, Token) and v.type == "LPAR"]
    if opened and (opened[-1].line or 0) < line:
        return opened[-1]
    return None


def syntax_diagnostic(rep: Reporter, exc: Exception) -> int:
    """Report one syntax error in plain words; returns the line it is on."""
    src = rep.source
    if isinstance(exc, DedentError):
        m = re.search(r"Unexpected dedent to column (\d+)", str(exc))
        line = _dedent_line(src, int(m.group(1)) if m else 0)
        text = src.line_text(line)
        col = len(text) - len(text.lstrip()) + 1
        depths: list[int] = []  # the indentation of each block this line could belong to
        for n in range(line - 1, 0, -1):
            above = src.line_text(n)
            if _code_line(above) and (not depths or _indent(above) < depths[-1]):
                depths.append(_indent(above))
        shown = ", ".join(str(d) for d in sorted(depths)[:-1]) + " or " + str(max(depths)) \
            if len(depths) > 1 else str(depths[0]) if depths else "0"
        rep.error("F0103", Span(line, col, line, col + 1),
                  "this line's indentation does not match any block above it",
                  label=f"{_indent(text)} spaces here; the lines above use {shown}",
                  help="line it up with the block it belongs to (use the same spaces as the "
                  "lines above)")
        return line
    if isinstance(exc, UnexpectedCharacters):
        line, col = exc.line, exc.column
        char = src.line_text(line)[col - 1 : col] or " "
        span = Span(line, col, line, col + 1)
        if char == '"':
            rep.error("F0104", span, "this string is never closed",
                      label="the string starts here",
                      help='end the text with a closing `"`; write \\" for a quote inside it')
        else:
            allowed = getattr(exc, "allowed", None) or set()
            label = f"expected {expected_words(allowed)}" if allowed else ""
            help = _help_for(allowed)
            if {"ADD_OP", "MUL_OP"} & set(allowed):
                label = f"`{char}` is not an operator"
                help = "operators are + - * / == != < <= > >= and the words and, or, not"
            rep.error("F0105", span, f"unexpected character `{char}`{_block_phrase(src, line)}",
                      label=label, help=help)
        return line
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        token = getattr(exc, "token", None)
        expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
        interactive = getattr(exc, "interactive_parser", None)
        if interactive is not None:  # what really fits: LALR's table lists merged states' tokens
            expected = set(interactive.accepts()) or expected
        if token is None or token.type == "$END" or isinstance(exc, UnexpectedEOF):
            last = _last_code_line(src)
            end = len(src.line_text(last)) + 1
            span = Span(last, end, last, end + 1)
            header = _empty_block(src, src.line_count + 1)
            if header is not None:
                code = src.line_text(header).split("#")[0].rstrip()
                span = Span(header, len(code) + 1, header, len(code) + 2)
                name = _header_name(code) or "this line"
                rep.error("F0102", span, "the file ended before anything was indented under "
                          f"`{name}`",
                          label="expected an indented block under this line",
                          help=_help_for({"_INDENT"}))
                return span.line
            block = _block_phrase(src, src.line_count + 1)
            rep.error("F0102", span, f"the file ended too early{block}",
                      label=f"expected {expected_words(expected)}" if expected else "",
                      help="finish the block, or remove its unfinished last line")
            return span.line
        line, col = token.line or 1, token.column or 1
        paren = _unclosed_paren(exc, line)
        if paren is not None:
            pline, pcol = paren.line or line, paren.column or 1
            rep.error("F0101", Span(pline, pcol, pline, pcol + 1), "this `(` is never closed",
                      label="opened here",
                      help="add the missing `)`; inside parentheses a line break does not end "
                      "the line")
            return pline
        probe = _next_code_line(src, line + 1) if token.type == "_DEDENT" else line
        header = _empty_block(src, probe) if token.type not in ("_NL", "_INDENT") else None
        if header is not None:
            text = src.line_text(header)
            c = len(text) - len(text.lstrip()) + 1
            name = _header_name(text) or text.strip()
            rep.error("F0103", Span(header, c, header, c + len(text.split("#")[0].strip())),
                      f"nothing is indented under `{name}`",
                      label="expected an indented block under this line",
                      help=_help_for({"_INDENT"}))
            return header
        if token.type == "_NL":
            end = len(src.line_text(line)) + 1
            span = Span(line, end, line, end + 1)
            before = src.line_text(line).split("#")[0].rstrip()
            words = expected_words(expected)
            last = before.split()[-1] if before.split() else ""
            if last in _NAME_AFTER and expected == {"NAME"}:
                words = _NAME_AFTER[last]
            code, message = "F0101", f"this line ends too early{_block_phrase(src, line)}"
            if not src.text[token.start_pos :].strip():
                code, message = "F0102", f"the file ended in the middle of a line" \
                    f"{_block_phrase(src, line)}"
            rep.error(code, span, message, label=f"expected {words}",
                      help=_help_for(expected | ({"->"} if "->" in before else set())))
            return line
        if token.type == "_INDENT":  # placed at the end of the line before the indented one
            nline = _next_code_line(src, line + 1)
            text = src.line_text(nline)
            c = len(text) - len(text.lstrip()) + 1
            rep.error("F0103", Span(nline, c, nline, c + 1), "unexpected indentation",
                      label="this line is indented more than the one before",
                      help="indent only the lines inside a block such as `step`, `menu`, `if` "
                      "or `on …`")
            return nline
        if token.type == "_DEDENT":
            nline = _next_code_line(src, line + 1)
            text = src.line_text(max(1, nline))
            c = len(text) - len(text.lstrip()) + 1
            what = expected_words(expected)
            rep.error("F0101", Span(nline, c, nline, c + max(1, len(text.strip()))),
                      f"the block ended too early{_block_phrase(src, nline)}",
                      label=f"expected {what} before this line", help=_help_for(expected))
            return nline
        span = Span(line, col, token.end_line or line,
                    token.end_column or col + max(1, len(str(token))))
        literals = _literal_terminals()
        if "NAME" in expected and token.type in literals and re.fullmatch(r"[a-z_]+", str(token)):
            rep.error("F0107", span, f"`{token}` is a keyword and cannot be used as a name",
                      help=f"choose another name, such as `{token}_step`")
            return line
        stack = getattr(getattr(exc, "state", None), "value_stack", None) or [None]
        after_indent = isinstance(stack[-1], Token) and stack[-1].type == "_INDENT"
        if after_indent and "LANG" in expected and token.type in literals:
            c = len(src.line_text(line)) - len(src.line_text(line).lstrip()) + 1
            rep.error("F0103", Span(line, c, line, c + 1), "unexpected indentation",
                      label="this line is indented more than the one before",
                      help='only translations such as `es-US "Hola."` go indented under `say` '
                      "or `prompt`; line this statement up with the one above")
            return line
        glued = [t for t in stack[-3:] if isinstance(t, Token)]
        for a, b in itertools.pairwise(glued):
            # A keyword is matched even at the start of a longer word: `steps` is `step` + `s`.
            if a.type in literals and a.end_pos == b.start_pos and b.type == "NAME" and \
                    re.fullmatch(r"[a-z_]+", str(a)):
                word = f"{a}{b}"
                rep.error("F0101", Span(a.line or line, a.column or col, b.end_line or line,
                                        b.end_column or col), f"unexpected `{word}`"
                          f"{_block_phrase(src, a.line or line)}", label="not a keyword",
                          help=f"did you mean `{a}`?")
                return a.line or line
        shown = str(token).split("\n")[0]
        help = _help_for(expected)
        prev = stack[-1] if isinstance(stack[-1], Token) else None
        keywords = {literals[n] for n in expected if n in literals}
        close = difflib.get_close_matches(shown, sorted(keywords), n=1, cutoff=0.6)
        if close and re.fullmatch(r"[a-z_]+", shown):
            help = f"did you mean `{close[0]}`?"
        elif re.fullmatch(r"(ms|s|m|h|sec(ond)?s?|min(ute)?s?|hours?)", shown) and \
                src.line_text(line)[: col - 1].rstrip()[-1:].isdigit():
            help = "write a duration as one word, with no space: 500ms, 5s, 2m or 1h"
        elif token.type == "STRING" and "NAME" in expected:
            help = f"names are written without quotes, like {shown.strip(chr(34))}"
        elif shown == "=" and "COMP_OP" in expected:
            help = "to compare two values, write `==`"
        elif "STRING" in expected and re.fullmatch(r"\w+", shown) and "NAME" not in expected:
            help = 'text to speak goes in double quotes, like "Hello there"'
        elif prev is not None and prev.type == "NAME" and re.fullmatch(r"\w+", shown) and \
                prev.line == line and expected <= {"_NL", "DOT"}:
            help = f"a name is one word: write `{prev}_{shown}`"
        rep.error("F0101", span, f"unexpected `{shown}`{_block_phrase(src, line)}",
                  label=f"expected {expected_words(expected)}", help=help)
        return line
    raise exc


def _help_for(expected: set[str]) -> str:
    literals = _literal_terminals()
    words = {literals.get(n, n) for n in expected}
    if "->" in words:
        return 'menu choices look like: 1 "balance", "how much do I owe" -> balance'
    if "_INDENT" in expected:
        return "indent the lines that belong to this block under it"
    if "DURATION" in expected:
        return "write durations like 500ms, 5s, 2m or 1h"
    if "say" in words and "go" in words:
        return "see docs/flow-language.md for the statements a step can hold"
    if "=" in words:
        return "write it as NAME = value"
    return "see docs/flow-language.md for the syntax of this construct"


def _next_code_line(src: Source, line: int) -> int:
    n = max(1, line)
    while n <= src.line_count and not _code_line(src.line_text(n)):
        n += 1
    return min(n, src.line_count)


def _dedent_line(src: Source, column: int) -> int:
    prev = 0
    for n in range(1, src.line_count + 1):
        text = src.line_text(n)
        if not _code_line(text):
            continue
        if prev and _indent(text) == column and _indent(text) < prev:
            depths = set()
            for m in range(n - 1, 0, -1):
                t = src.line_text(m)
                if _code_line(t):
                    depths.add(_indent(t))
                    if _indent(t) == 0:
                        break
            if column not in depths:
                return n
        prev = _indent(text)
    return src.line_count


def _blank_item(text: str, line: int, broken: set[str]) -> str | None:
    """Blank out the top-level item holding `line`, keeping offsets; None if nothing changes."""
    lines = text.split("\n")
    line = min(max(line, 1), len(lines))
    start = line - 1
    while start > 0 and not (lines[start][:1].strip() and _code_line(lines[start])):
        start -= 1
    end = line
    while end < len(lines) and not (lines[end][:1].strip() and _code_line(lines[end])):
        end += 1
    changed = False
    for i in range(start, end):
        m = _HEADER.match(lines[i])
        if m:
            broken.add(m.group(2))
        elif re.match(r"(start|flow)\b", lines[i]):
            broken.add(lines[i].split()[0])  # so the checker does not also say it is missing
        if lines[i].strip():
            lines[i] = " " * len(lines[i])
            changed = True
    return "\n".join(lines) if changed else None


def parse(source: Source) -> ParseResult:
    """Parse a whole file, reporting every syntax error (one per top-level item)."""
    with gc_paused():
        return _parse(source)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing builds many objects and no cycles; CPython's collector would rescan them all."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(source: Source) -> ParseResult:
    rep = Reporter(source)
    broken: set[str] = set()
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    tab_line = 0
    if "\t" in text:
        for n in range(1, source.line_count + 1):
            line = source.line_text(n)
            lead = line[: len(line) - len(line.lstrip())]
            if "\t" in lead:
                rep.error("F0103", Span(n, 1, n, len(lead) + 1), "indentation uses a tab",
                          label="a tab",
                          help="indent with spaces only (two per level is the convention)")
                tab_line = n
                break
    parser = lark_parser()
    tree = None
    for _ in range(MAX_RECOVERIES):
        try:
            tree = parser.parse(text, start="start")
            break
        except (UnexpectedInput, DedentError) as exc:
            reported = len(rep.items)
            line = syntax_diagnostic(rep, exc)
            if line == tab_line:  # the tab is the cause: one message is enough
                del rep.items[reported:]
            blanked = _blank_item(text, line, broken)
            if blanked is None:
                break
            text = blanked
    if tree is None:
        return ParseResult(source, T.Program(), rep, broken)
    comments = C.scan(source.text)
    pending, owners, unplanned = C.plan(source.text, comments)
    program = Builder(rep, parser, pending=pending).transform(tree)
    left = [c for key in pending for c in owners[key]] + unplanned
    if left:
        program = C.attach(program, sorted(left, key=lambda c: c.line))
    return ParseResult(source, program, rep, broken)


def parse_text(text: str, path: str = "<text>") -> ParseResult:
    return parse(Source.of(path, text))


