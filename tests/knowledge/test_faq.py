"""FAQ files: YAML and CSV entries become chunks; malformed files get errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.errors import SourceError
from knowledge.sources import fingerprint, read_chunks


def read(tmp_path: Path, name: str, text: str | bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return read_chunks(fingerprint(path, tmp_path))


def error(tmp_path: Path, name: str, text: str | bytes) -> tuple[str, int | None]:
    with pytest.raises(SourceError) as info:
        read(tmp_path, name, text)
    return info.value.message, info.value.line


def test_yaml_faq_entries_with_alternatives_and_ids(tmp_path: Path) -> None:
    chunks = read(tmp_path, "faq.yml", """faq:
  - id: Keep Number
    question: Can I keep my number?
    alternatives:
      - I'm moving, what happens to my number
    answer: Yes. It moves
      with you.
  - question: Is there a fee?
    answer: No.
""")
    assert [c.ref for c in chunks] == ["faq.yml#keep-number", "faq.yml#2"]
    first = chunks[0]
    assert first.kind == "faq" and first.title == "Can I keep my number?"
    assert first.questions == ("Can I keep my number?", "I'm moving, what happens to my number")
    assert first.text == "Yes. It moves with you."


def test_yaml_faq_as_a_plain_list(tmp_path: Path) -> None:
    [chunk] = read(tmp_path, "faq.yaml", "- question: Q?\n  answer: A.\n")
    assert chunk.ref == "faq.yaml#1"


def test_csv_faq_with_alternatives_separated_by_bars(tmp_path: Path) -> None:
    chunks = read(tmp_path, "fees.csv",
                  'id,question,alternatives,answer\n'
                  'atm,ATM fees?,cash machine fee|atm charge,"Free, at ours."\n'
                  ',Late fee?,,"$30."\n')
    assert [c.ref for c in chunks] == ["fees.csv#atm", "fees.csv#2"]
    assert chunks[0].questions == ("ATM fees?", "cash machine fee", "atm charge")
    assert chunks[0].text == "Free, at ours."


@pytest.mark.parametrize(("text", "message", "line"), [
    ("faq:\n  - question: Q?\n    answer: [unclosed\n", "is not valid YAML: "
     "expected ',' or ']', but got '<stream end>'", 4),
    ("faq:\n  - question: Q?\n", "entry 1 has no `answer:`", 2),
    ("faq:\n  - question: Q?\n    anwser: A.\n", "entry 1 has an unknown key `anwser`; the keys "
     "are id, question, alternatives, answer", 3),
    ("faq:\n  - question: Q?\n    answer: ''\n", "entry 1: `answer` is empty", 3),
    ("faq:\n  - question: Q?\n    answer: A.\n    alternatives: one\n",
     "entry 1: `alternatives` must be a list (lines starting with `- `)", 4),
    ("questions:\n  - question: Q?\n", "expected a list of entries, or a list under `faq:`", 1),
    ("faq:\n  - id: a\n    question: Q?\n    answer: A.\n  - id: a\n    question: R?\n"
     "    answer: B.\n", "entry id 'a' is used twice (first on line 2); ids must be unique in a "
     "file", 5),
    ("faq: []\n", "has no FAQ entries", None),
])
def test_malformed_yaml_is_reported_with_its_line(tmp_path: Path, text: str, message: str,
                                                 line: int | None) -> None:
    assert error(tmp_path, "faq.yml", text) == (message, line)


@pytest.mark.parametrize(("text", "message", "line"), [
    ("question,answer\nQ?,A.,extra\n", "this row has 3 fields but the header has 2 (is a comma "
     "inside an unquoted answer?)", 2),
    ("question,reply\nQ?,A.\n", "the header row needs a `answer` column (found: question, reply)",
     1),
    ('question,answer\nQ?,"A.\n', "is not valid CSV: unexpected end of data", 2),
    ("question,answer\nQ?,\n", "the answer is empty", 2),
    ("question,answer,notes\nQ?,A.,x\n", "unknown column `notes`; the columns are id, question, "
     "alternatives, answer", 1),
])
def test_malformed_csv_is_reported_with_its_line(tmp_path: Path, text: str, message: str,
                                                line: int | None) -> None:
    assert error(tmp_path, "faq.csv", text) == (message, line)


def test_binary_and_non_utf8_files_are_refused_with_where(tmp_path: Path) -> None:
    message, _line = error(tmp_path, "logo.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert message.startswith("is a binary file, not text (a NUL byte at offset 8)")
    assert error(tmp_path, "old.md", b"# Title\n\ncaf" + b"\xe9\n") == (
        "is not UTF-8 text (byte 0xe9 at column 4); save it as UTF-8", 3)


def test_unsupported_and_empty_files(tmp_path: Path) -> None:
    assert error(tmp_path, "guide.pdf", "text")[0].startswith(
        "is not a type the knowledge base reads (.pdf); use .csv, .htm, .html")
    assert error(tmp_path, "empty.md", "\n  \n") == ("is empty", None)
    assert error(tmp_path, "headings.md", "# Only\n## Headings\n") == (
        "has no text to answer from (only headings?)", None)
