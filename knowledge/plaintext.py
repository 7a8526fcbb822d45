"""Plain-text articles: paragraphs split at blank lines; a short first line is the title."""

from __future__ import annotations

import re

from knowledge.chunk import Block

_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+")


def read_text(text: str) -> tuple[list[Block], str]:
    lines = text.split("\n")
    title = ""
    first = next((n for n, ln in enumerate(lines) if ln.strip()), None)
    if first is not None:
        head = lines[first].strip()
        after_blank = first + 1 >= len(lines) or not lines[first + 1].strip()
        # A title is short, stands alone and does not read like a sentence.
        if after_blank and len(head.split()) <= 12 and not head.endswith((".", ":", ";", ",")):
            title = head
            lines[first] = ""
    blocks: list[Block] = []
    para: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or _BULLET.match(raw):
            if para:
                blocks.append(Block("para", " ".join(para), start))
            para = []
            if not raw.strip():
                continue
            raw = _BULLET.sub("", raw)
        if not para:
            start = number
        para.append(raw.strip())
    if para:
        blocks.append(Block("para", " ".join(para), start))
    return blocks, title
