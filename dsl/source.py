"""Source files and spans: where every node and diagnostic points."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """1-based line and column of the first character; end is exclusive (like lark's meta)."""

    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> list[int]:
        return [self.line, self.column, self.end_line, self.end_column]

    @classmethod
    def from_json(cls, data: list[int]) -> Span:
        return cls(*data)


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, path: str, text: str) -> Source:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
        return cls(path, text, tuple(starts))

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(line, col, end_line, end_col)

    def end_span(self) -> Span:
        line = self.line_count
        col = len(self.line_text(line)) + 1
        return Span(line, col, line, col + 1)
