"""Articles to chunks: Markdown, HTML and plain text split at headings, speakable text apart from
tables and code."""

from __future__ import annotations

from pathlib import Path

from knowledge.sources import fingerprint, read_chunks


def chunks_of(tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_chunks(fingerprint(path, tmp_path))


def test_markdown_splits_at_headings_and_titles_carry_the_article(tmp_path: Path) -> None:
    chunks = chunks_of(tmp_path, "roaming.md", """# Using your phone abroad

Roaming is on for every plan.

## Canada and Mexico

Calls and data work **just like at home**, see [rates](https://acme.com/roaming).

## Everywhere else

- Calls cost $2 a minute.
- Texts cost 50 cents.

| zone | price |
|---|---|
| A | $2 |

```
dial 011
```
""")
    assert [c.ref for c in chunks] == ["roaming.md#intro", "roaming.md#canada-and-mexico",
                                       "roaming.md#everywhere-else"]
    intro, canada, rest = chunks
    assert intro.title == "Using your phone abroad"
    assert canada.title == "Using your phone abroad: Canada and Mexico"
    assert canada.text == "Calls and data work just like at home, see rates."
    assert rest.text == "Calls cost $2 a minute.\nTexts cost 50 cents."  # one item per line
    assert "zone, price" in rest.extra and "dial 011" in rest.extra
    assert "zone" not in rest.text


def test_markdown_front_matter_title_and_setext_headings(tmp_path: Path) -> None:
    chunks = chunks_of(tmp_path, "a.md", "---\ntitle: Store hours\n---\nOpen daily.\n\n"
                                         "Sundays\n-------\nNoon to five.\n")
    assert [(c.title, c.text) for c in chunks] == [("Store hours", "Open daily."),
                                                   ("Store hours: Sundays", "Noon to five.")]


def test_long_sections_are_split_at_paragraphs(tmp_path: Path) -> None:
    paragraph = " ".join(["word"] * 100)
    chunks = chunks_of(tmp_path, "long.md", "# Long\n\n" + "\n\n".join([paragraph] * 4))
    assert [c.ref for c in chunks] == ["long.md#intro", "long.md#intro-2"]


def test_html_skips_navigation_and_keeps_tables_out_of_speech(tmp_path: Path) -> None:
    chunks = chunks_of(tmp_path, "tv.html", """<html><head><title>TV help</title>
<script>var x = 1;</script></head><body><nav>Home &gt; TV</nav>
<h1>No signal</h1><p>Check the <b>input</b> first.</p>
<ul><li>Press Source.</li><li>Check the cable.</li></ul>
<h2>Lights</h2><p>Red means no network.</p>
<table><tr><th>Light</th><th>Meaning</th></tr><tr><td>Red</td><td>No network</td></tr></table>
<footer>Copyright</footer></body></html>""")
    assert [c.title for c in chunks] == ["No signal", "No signal: Lights"]
    assert chunks[0].text == "Check the input first.\nPress Source.\nCheck the cable."
    assert chunks[1].text == "Red means no network."
    # The article title goes with the extras of later sections (indexed lightly, never spoken).
    assert chunks[1].extra.splitlines() == ["No signal", "Light, Meaning", "Red, No network"]
    assert not any("Copyright" in c.text or "var x" in c.text or "Home" in c.text
                   for c in chunks)


def test_html_without_h1_uses_its_title(tmp_path: Path) -> None:
    [chunk] = chunks_of(tmp_path, "x.htm", "<title>Fees</title><p>No fees.</p>")
    assert chunk.title == "Fees"


def test_plain_text_short_first_line_is_the_title(tmp_path: Path) -> None:
    [chunk] = chunks_of(tmp_path, "hours.txt",
                        "Store hours\n\nWe open at ten.\nWe close at seven.\n\n- Sundays too.\n")
    assert chunk.title == "Store hours"
    assert chunk.text == "We open at ten. We close at seven.\nSundays too."


def test_plain_text_without_a_title_is_named_after_the_file(tmp_path: Path) -> None:
    [chunk] = chunks_of(tmp_path, "late-fees.txt", "A late payment costs seven dollars.\n")
    assert chunk.title == "Late fees"
