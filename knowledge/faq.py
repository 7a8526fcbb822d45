"""FAQ files: each entry is a question, other ways callers ask it, and the answer to read out.

YAML (a list, or a list under `faq:`):

    faq:
      - id: keep-number            # optional; the entry's number otherwise
        question: Can I keep my number when I move?
        alternatives:              # optional
          - I'm moving house, what happens to my phone number
        answer: Yes. Tell us your moving date two weeks ahead and your number moves with you.

CSV with a header row naming the columns `question`, `answer` and optionally `alternatives`
(several phrasings separated by `|`) and `id`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import yaml

from knowledge.chunk import Chunk, slug
from knowledge.errors import SourceError

KEYS = ("id", "question", "alternatives", "answer")


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    alternatives: tuple[str, ...]
    answer: str
    line: int


def to_chunks(path: str, entries: list[Entry]) -> list[Chunk]:
    return [Chunk(ref=f"{path}#{e.id}", kind="faq", title=e.question, text=e.answer,
                  questions=(e.question, *e.alternatives)) for e in entries]


def _check_ids(entries: list[Entry]) -> None:
    seen: dict[str, int] = {}
    for e in entries:
        if e.id in seen:
            raise SourceError(f"entry id {e.id!r} is used twice (first on line {seen[e.id]}); "
                              "ids must be unique in a file", e.line)
        seen[e.id] = e.line
    if not entries:
        raise SourceError("has no FAQ entries")


# ---- YAML ------------------------------------------------------------------------------------


def read_yaml_faq(text: str) -> list[Entry]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "not valid YAML"
        raise SourceError(f"is not valid YAML: {problem}", mark.line + 1 if mark else None)\
            from None
    except yaml.YAMLError as exc:
        raise SourceError(f"is not valid YAML: {exc}") from None
    if root is None:
        raise SourceError("has no FAQ entries")
    items = root
    if isinstance(root, yaml.MappingNode):
        found = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if "faq" not in found:
            raise SourceError("expected a list of entries, or a list under `faq:`",
                              root.start_mark.line + 1)
        items = found["faq"]
    if not isinstance(items, yaml.SequenceNode):
        raise SourceError("`faq` must be a list of entries (each starting with `- question:`)",
                          items.start_mark.line + 1)
    entries = [_yaml_entry(node, n) for n, node in enumerate(items.value, start=1)]
    _check_ids(entries)
    return entries


def _yaml_entry(node: yaml.Node, number: int) -> Entry:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise SourceError(f"entry {number} should have `question:` and `answer:` keys", line)
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else "?"
        if name not in KEYS:
            raise SourceError(f"entry {number} has an unknown key `{name}`; the keys are "
                              f"{', '.join(KEYS)}", key.start_mark.line + 1)
        fields[name] = value
    for required in ("question", "answer"):
        if required not in fields:
            raise SourceError(f"entry {number} has no `{required}:`", line)
    question = _scalar(fields["question"], number, "question")
    answer = _scalar(fields["answer"], number, "answer")
    alternatives: tuple[str, ...] = ()
    alt = fields.get("alternatives")
    if isinstance(alt, yaml.SequenceNode):
        alternatives = tuple(_scalar(a, number, "alternatives") for a in alt.value)
    elif alt is not None:
        raise SourceError(f"entry {number}: `alternatives` must be a list (lines starting "
                          "with `- `)", alt.start_mark.line + 1)
    ident = _scalar(fields["id"], number, "id") if "id" in fields else str(number)
    return Entry(slug(ident) if "id" in fields else ident, question, alternatives, answer, line)


def _scalar(node: yaml.Node, number: int, key: str) -> str:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode):
        raise SourceError(f"entry {number}: `{key}` must be text", line)
    text = " ".join(str(node.value).split())
    if not text:
        raise SourceError(f"entry {number}: `{key}` is empty", line)
    return text


# ---- CSV -------------------------------------------------------------------------------------


def read_csv_faq(text: str) -> list[Entry]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SourceError("has no FAQ entries")
        columns = [h.strip().lower() for h in header]
        for required in ("question", "answer"):
            if required not in columns:
                raise SourceError(f"the header row needs a `{required}` column (found: "
                                  f"{', '.join(c for c in columns if c) or 'nothing'})", 1)
        unknown = [c for c in columns if c not in KEYS]
        if unknown:
            raise SourceError(f"unknown column `{unknown[0]}`; the columns are {', '.join(KEYS)}",
                              1)
        entries = []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                entries.append(_csv_entry(dict(zip(columns, row, strict=False)), row, columns,
                                          start, len(entries) + 1))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError(f"is not valid CSV: {exc}", reader.line_num or None) from None
    _check_ids(entries)
    return entries


def _csv_entry(cells: dict[str, str], row: list[str], columns: list[str], line: int,
               number: int) -> Entry:
    if len(row) != len(columns):
        raise SourceError(f"this row has {len(row)} fields but the header has {len(columns)} "
                          "(is a comma inside an unquoted answer?)", line)
    question = " ".join(cells["question"].split())
    answer = " ".join(cells["answer"].split())
    if not question:
        raise SourceError("the question is empty", line)
    if not answer:
        raise SourceError("the answer is empty", line)
    alternatives = tuple(" ".join(a.split()) for a in cells.get("alternatives", "").split("|")
                         if a.strip())
    ident = cells.get("id", "").strip()
    return Entry(slug(ident) if ident else str(number), question, alternatives, answer, line)
