"""Markdown articles to blocks: headings, paragraphs and list items (speakable), tables and code
(indexed, never spoken). Covers what help centres write (CommonMark's common subset), not every
corner of the spec."""

from __future__ import annotations

import re

from knowledge.chunk import Block

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def inline(text: str) -> str:
    """Markdown inline syntax to plain text; link targets are dropped, link text kept."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", text)  # images say nothing on a phone
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)  # inline HTML tags
    text = re.sub(r"`+([^`]*)`+", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>])", r"\1", text)
    return " ".join(text.split())


def _cells(line: str) -> str:
    return ", ".join(inline(c) for c in line.strip().strip("|").split("|") if c.strip())


def read_markdown(text: str) -> tuple[list[Block], str]:
    """The blocks of a Markdown article, and its front-matter title ("" if none)."""
    lines = text.split("\n")
    title, start = _front_matter(lines)
    blocks: list[Block] = []
    para: list[str] = []
    para_line = 0
    fence = ""
    code: list[str] = []

    def flush() -> None:
        nonlocal para
        if para:
            blocks.append(Block("para", inline(" ".join(para)), para_line))
        para = []

    i = start
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        i += 1
        if fence:
            if raw.strip().startswith(fence):
                blocks.append(Block("extra", "\n".join(code), number))
                fence, code = "", []
            else:
                code.append(raw)
            continue
        m = _FENCE.match(raw)
        if m:
            flush()
            fence = m.group(1)[0] * 3
            continue
        if not raw.strip():
            flush()
            continue
        m = _ATX.match(raw)
        if m:
            flush()
            blocks.append(Block("heading", inline(m.group(2)), number, len(m.group(1))))
            continue
        if para and len(para) == 1 and _SETEXT.match(raw) and not _ITEM.match(para[0]):
            level = 1 if raw.strip()[0] == "=" else 2
            blocks.append(Block("heading", inline(para[0]), para_line, level))
            para = []
            continue
        if _RULE.match(raw):
            flush()
            continue
        if "|" in raw and i < len(lines) and _TABLE_SEP.match(lines[i]):
            flush()
            rows = [_cells(raw)]
            i += 1
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            blocks.append(Block("extra", "\n".join(rows), number))
            continue
        stripped = raw.strip()
        if stripped.startswith(">"):
            stripped = stripped.lstrip("> ").strip()
        item = _ITEM.match(raw)
        if item:  # each list item is its own sentence when spoken
            flush()
            para, para_line = [item.group(1)], number
            continue
        if not para:
            para_line = number
        para.append(stripped)
    if fence:
        blocks.append(Block("extra", "\n".join(code), len(lines)))
    flush()
    return blocks, title


def _front_matter(lines: list[str]) -> tuple[str, int]:
    """`---` / `title: ...` / `---` at the very top: only the title is used."""
    if not lines or lines[0].strip() != "---":
        return "", 0
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            title = next((ln.split(":", 1)[1].strip().strip("'\"") for ln in lines[1:n]
                          if ln.lower().startswith("title:")), "")
            return title, n + 1
    return "", 0
