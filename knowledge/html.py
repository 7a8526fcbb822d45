"""HTML articles to blocks, with the standard library's forgiving parser: help centres export
HTML that is rarely valid, and a stray tag must not lose an article."""

from __future__ import annotations

from html.parser import HTMLParser

from knowledge.chunk import Block

_SKIP = {"script", "style", "noscript", "template", "nav", "footer", "svg", "head", "button",
         "form", "iframe"}
_EXTRA = {"table", "pre"}  # indexed, never read aloud
_BLOCK = {"p", "div", "li", "dt", "dd", "br", "tr", "section", "article", "blockquote", "ul", "ol",
          "dl", "main", "header", "aside", "figure", "figcaption", "hr", "td", "th", "summary",
          "details", "caption"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "base", "col"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._in_title = False
        self._skip = 0
        self._extra = 0
        self._heading = 0
        self._text: list[str] = []
        self._line = 1

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        self._text = []
        if not text:
            return
        if self._heading:
            self.blocks.append(Block("heading", text, self._line, self._heading))
        elif self._extra:
            self.blocks.append(Block("extra", text.strip(", "), self._line))
        else:
            self.blocks.append(Block("para", text, self._line))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP and tag not in _VOID:
            self._skip += 1
            return
        if self._skip:
            return
        if tag in ("td", "th") and self._extra:
            self._text.append(", ")  # the cells of a row stay one line of the table
            return
        if tag in _HEADINGS or tag in _BLOCK or tag in _EXTRA:
            self._flush()
            self._line = self.getpos()[0]
        if tag in _HEADINGS:
            self._heading = _HEADINGS[tag]
        elif tag in _EXTRA:
            self._extra += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP and tag not in _VOID:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip or (tag in ("td", "th") and self._extra):
            return
        if tag in _HEADINGS or tag in _BLOCK or tag in _EXTRA:
            self._flush()
        if tag in _HEADINGS:
            self._heading = 0
        elif tag in _EXTRA:
            self._extra = max(0, self._extra - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        if not self._text:
            self._line = self.getpos()[0]
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def read_html(text: str) -> tuple[list[Block], str]:
    """The blocks of an HTML article, and its <title> ("" if none)."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.blocks, " ".join(reader.title.split())
