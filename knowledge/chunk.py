"""The unit the index stores and search returns: an FAQ entry or one section of an article."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sections longer than this are split at paragraph boundaries: BM25 favours short fields, and a
# spoken answer comes from one or two sentences anyway.
MAX_CHUNK_WORDS = 250


@dataclass(frozen=True)
class Chunk:
    ref: str  # stable within the collection: "keeping-your-number.md#moving-abroad", "faq.yml#3"
    kind: str  # "faq" | "section"
    title: str  # the FAQ question, or "Article title: Section heading"
    text: str  # what may be spoken: paragraphs and list items, one per line, plain text
    questions: tuple[str, ...] = ()  # FAQ question and its alternative phrasings
    extra: str = ""  # indexed but never spoken: tables, code
    heading: str = ""  # what the title field indexes, when not the whole title (see sections)

    @property
    def is_faq(self) -> bool:
        return self.kind == "faq"


@dataclass(frozen=True)
class Block:
    """What an article reader produces: headings, speakable paragraphs, unspeakable extras."""

    kind: str  # "heading" | "para" | "extra"
    text: str
    line: int
    level: int = 0  # heading level, 1-6


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def sections(path: str, blocks: list[Block], fallback_title: str) -> list[Chunk]:
    """Split an article at its headings. The first level-1 heading (or the fallback) names the
    article; every section's title carries it, so "Roaming: Canada and Mexico" is findable by
    either half."""
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), fallback_title)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading = ""
    paras: list[str] = []
    extras: list[str] = []

    def close() -> None:
        if not paras and not extras:
            return
        name = heading if heading and heading != title else ""
        base = slug(name) if name else "intro"
        for n, (text, extra) in enumerate(_split_long(paras, extras)):
            ref = base if n == 0 else f"{base}-{n + 1}"
            seen[ref] = seen.get(ref, 0) + 1
            if seen[ref] > 1:
                ref = f"{ref}-{seen[ref]}"
            # The article's title weighs fully only on its intro; on the other sections it goes
            # with the low-weight extras, or every section would tie on it and the shortest win.
            chunks.append(Chunk(ref=f"{path}#{ref}", kind="section",
                                title=f"{title}: {name}" if name else title, text=text,
                                extra=f"{title}\n{extra}" if name else extra,
                                heading=name or title))

    for block in blocks:
        if block.kind == "heading":
            close()
            heading, paras, extras = block.text, [], []
        elif block.kind == "para":
            paras.append(block.text)
        else:
            extras.append(block.text)
    close()
    return chunks


def _split_long(paras: list[str], extras: list[str]) -> list[tuple[str, str]]:
    parts: list[list[str]] = [[]]
    count = 0
    for para in paras:
        n = len(para.split())
        if parts[-1] and count + n > MAX_CHUNK_WORDS:
            parts.append([])
            count = 0
        parts[-1].append(para)
        count += n
    out = [("\n".join(p), "") for p in parts]
    # Tables and code stay with the first part, which names the section.
    out[0] = (out[0][0], "\n".join(extras))
    return out
