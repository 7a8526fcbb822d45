"""Errors for people who write help content: each names the file, and the line where it can."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # as the author knows it: relative to the bot folder when possible
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge base cannot do what was asked; the message says why in plain words."""


class SourceError(KnowledgeError):
    """One source file cannot be read; raised by the readers, collected by ingest."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class IngestError(KnowledgeError):
    """A collection was not updated because some of its files are bad. The index is untouched:
    callers keep getting answers from the last good version."""

    def __init__(self, collection: str, problems: list[Problem], kept_version: int) -> None:
        self.collection = collection
        self.problems = problems
        self.kept_version = kept_version
        kept = (f"the index keeps version {kept_version}" if kept_version
                else "it is not in the index yet")
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"knowledge collection {collection!r} was not updated ({kept}); "
                         f"fix {'this' if len(problems) == 1 else 'these'} {noun} and ingest "
                         f"again:\n{lines}")
