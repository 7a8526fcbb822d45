"""Diagnostics: what went wrong, where, and how to fix it; rendered like rustc."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from dsl.source import Source, Span

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # stable, documented in docs/flow-language.md
    severity: str
    message: str
    span: Span
    path: str
    label: str = ""  # short text under the caret
    help: str = ""

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


class Reporter:
    """Collects diagnostics for one source file; passes append, never raise."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.items: list[Diagnostic] = []

    def error(self, code: str, span: Span, message: str, label: str = "", help: str = "") -> None:
        self.items.append(Diagnostic(code, ERROR, message, span, self.source.path, label, help))

    def warning(self, code: str, span: Span, message: str, label: str = "", help: str = "") -> None:
        self.items.append(Diagnostic(code, WARNING, message, span, self.source.path, label, help))


def did_you_mean(name: str, candidates: Iterable[str], what: str) -> str:
    """A hint naming the closest candidate, or listing what exists."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.65)
    if close:
        article = "an" if what[:1] in "aeiou" or what.startswith("hour") else "a"
        return f"{article} {what} with a similar name exists: `{close[0]}`"
    if not pool:
        return f"this flow declares no {what}s"
    shown = ", ".join(f"`{c}`" for c in pool[:8])
    more = f" and {len(pool) - 8} more" if len(pool) > 8 else ""
    return f"known {what}s: {shown}{more}"


def render(diag: Diagnostic, source: Source | None) -> str:
    """Human rendering: header, location, source line, caret underline, help."""
    sp = diag.span
    out = [f"{diag.severity}[{diag.code}]: {diag.message}"]
    out.append(f"  --> {diag.path}:{sp.line}:{sp.column}")
    line_text = source.line_text(sp.line) if source is not None else ""
    if line_text or (source is not None and sp.line >= 1):
        gutter = " " * len(str(sp.line))
        shown = line_text.expandtabs(1)
        same_line = sp.end_line == sp.line
        width = (sp.end_column - sp.column) if same_line else len(shown) - sp.column + 1
        width = max(1, width)
        caret = " " * (sp.column - 1) + "^" * width
        out.append(f"{gutter} |")
        out.append(f"{sp.line} | {shown}")
        out.append(f"{gutter} | {caret}{(' ' + diag.label) if diag.label else ''}")
        if diag.help:
            out.append(f"{gutter} |")
    if diag.help:
        pad = " " * len(str(sp.line))
        out.append(f"{pad} = help: {diag.help}")
    return "\n".join(out)


def render_all(diags: Iterable[Diagnostic], sources: dict[str, Source]) -> str:
    return "\n\n".join(render(d, sources.get(d.path)) for d in diags)


def summary(diags: list[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.severity == ERROR)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "no problems"
