"""A collection folder's files: which ones count, reading them safely, and turning each into
chunks with the reader its type needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from knowledge import faq
from knowledge.chunk import Chunk, sections
from knowledge.errors import SourceError
from knowledge.html import read_html
from knowledge.markdown import read_markdown
from knowledge.plaintext import read_text
from knowledge.synonyms import Group, read_synonyms

MAX_FILE_BYTES = 2 * 1024 * 1024  # help articles are kilobytes; megabytes means a wrong file
ARTICLE_TYPES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                 ".txt": "text"}
FAQ_TYPES = {".yml": "yaml", ".yaml": "yaml", ".csv": "csv"}
SUPPORTED = ", ".join(sorted({*ARTICLE_TYPES, *FAQ_TYPES}))


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str  # relative to the collection folder, with forward slashes
    digest: str  # sha256 of the bytes: unchanged files are not read again


def list_files(folder: Path) -> list[Path]:
    """Every file under the collection folder, sorted, without hidden ones (.DS_Store, .git)."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        out.append(p)
    return out


def fingerprint(path: Path, folder: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceFile:
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(f"is {_size(size)}, over the {_size(max_bytes)} limit for one file: "
                          "split it into several articles")
    data = path.read_bytes()
    return SourceFile(path, path.relative_to(folder).as_posix(), hashlib.sha256(data).hexdigest())


def read_chunks(source: SourceFile) -> list[Chunk]:
    """The chunks of one file; SourceError says what is wrong with it."""
    suffix = source.path.suffix.lower()
    if suffix not in ARTICLE_TYPES and suffix not in FAQ_TYPES:
        raise SourceError(f"is not a type the knowledge base reads ({suffix or 'no extension'}); "
                          f"use {SUPPORTED}")
    text = decode(source.path.read_bytes())
    if not text.strip():
        raise SourceError("is empty")
    kind = ARTICLE_TYPES.get(suffix) or FAQ_TYPES[suffix]
    if kind == "yaml":
        return faq.to_chunks(source.rel, faq.read_yaml_faq(text))
    if kind == "csv":
        return faq.to_chunks(source.rel, faq.read_csv_faq(text))
    reader = {"markdown": read_markdown, "html": read_html, "text": read_text}[kind]
    blocks, title = reader(text)
    chunks = sections(source.rel, blocks, title or _title_from_name(source.path))
    if not chunks:
        raise SourceError("has no text to answer from (only headings?)")
    return chunks


def read_synonyms_file(source: SourceFile) -> list[Group]:
    """The groups of a collection's synonyms file; SourceError says what is wrong with it."""
    text = decode(source.path.read_bytes())
    if not text.strip():
        raise SourceError("is empty")
    return read_synonyms(text)


def decode(data: bytes) -> str:
    """UTF-8 text or a SourceError that says where it stops being text."""
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise SourceError(f"is a binary file, not text (a NUL byte at offset {nul}); "
                          f"the knowledge base reads {SUPPORTED} files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                          "save it as UTF-8", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
