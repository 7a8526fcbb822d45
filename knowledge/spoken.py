"""Answers made for the ear: the FAQ answer, or the one or two sentences of an article that best
match the question; about 40 words; no markdown, links or tables; numbers, money, dates, times
and phone numbers written the way the speech engine reads them well (runtime.normalize.say_as).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.search import Hit, Ranking
from runtime.normalize import say_as

MAX_WORDS = 40
MIN_CLAUSE_WORDS = 8  # a long sentence is cut at a comma no earlier than this

_ABBREVIATIONS = {"e.g.": "for example", "i.e.": "that is", "etc.": "and so on",
                  "vs.": "versus", "approx.": "about", "incl.": "including", "min.": "minimum",
                  "max.": "maximum"}
_UNITS = {"gb": "gigabytes", "mb": "megabytes", "kb": "kilobytes", "tb": "terabytes",
          "mbps": "megabits per second", "gbps": "gigabits per second", "km": "kilometers",
          "kg": "kilograms", "mph": "miles per hour"}
_TLD = r"(?:com|org|net|io|co|us|uk|gov|edu|info|biz|app|help|support)"
_URL = re.compile(
    r"(?:\b(?:at|on|from|via|visit|see|go to|using|email|e-mail|write to)\s+)?"
    r"(?:https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
    rf"\b[\w-]+(?:\.[\w-]+)*\.{_TLD}\b(?:/[^\s,;)]*)?)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(]?[A-Z0-9])")


# ---- sentences ---------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """Lines are paragraphs or list items; each is one or more sentences."""
    out: list[str] = []
    for line in text.split("\n"):
        protected = line
        for abbr in _ABBREVIATIONS:  # "e.g. Visa" must not end a sentence
            protected = re.sub(re.escape(abbr), abbr.replace(".", "\x00"), protected,
                               flags=re.IGNORECASE)
        out += [s.replace("\x00", ".").strip() for s in _SENTENCE_END.split(protected)
                if s.strip()]
    return out


def shape_answer(hit: Hit, ranking: Ranking) -> str:
    """The spoken answer for the best hit."""
    # A sentence that is mostly a web address ("Ask at acme.com/free.") says nothing once the
    # address is dropped.
    parts = [s for s in sentences(hit.text)
             if not (_URL.search(s) and _words(speakable(s)) < 4)]
    if not parts:
        return ""
    chosen = _leading(parts) if hit.kind == "faq" else _best(parts, ranking)
    return _fit(" ".join(speakable(s) for s in chosen))


def _leading(parts: list[str]) -> list[str]:
    """An FAQ answer is written to be read whole: as many of its sentences as fit."""
    chosen = [parts[0]]
    count = _words(speakable(parts[0]))
    for s in parts[1:]:
        n = _words(speakable(s))
        if count + n > MAX_WORDS:
            break
        chosen.append(s)
        count += n
    return chosen


def _best(parts: list[str], ranking: Ranking) -> list[str]:
    """The sentence that shares the most (by rarity) with the question, and a second one if it
    also matches and both fit. A sentence that only introduces a list (ends with a colon) or only
    points to a web address says little when read alone, so it ranks last."""
    total = sum(ranking.idf.values())
    said: dict[int, str] = {}

    def spoken(i: int) -> str:  # each sentence at most once, and only when needed: it is slow
        if i not in said:
            said[i] = speakable(parts[i])
        return said[i]

    def rate(i: int) -> float:
        s = parts[i]
        # The rarity-weighted part of the question the sentence shares.
        value = ranking.covered(set(ranking.analyse(s))) * total
        if not value:
            pass  # nothing to scale down
        elif s.rstrip().endswith(":") or _words(spoken(i)) < 3:
            value *= 0.3
        elif _URL.search(s):
            value *= 0.6  # what is left once the address is dropped often reads oddly
        return value - i * 1e-3  # ties go to the earlier sentence

    scores = [rate(i) for i in range(len(parts))]
    order = sorted(range(len(parts)), key=scores.__getitem__, reverse=True)
    first = order[0]
    if scores[first] <= 0:
        first = 0  # nothing in common word for word (the title matched): start at the top
    chosen = [first]
    used = _words(spoken(first))
    for i in order[1:]:
        if scores[i] > 0 and used + _words(spoken(i)) <= MAX_WORDS:
            chosen.append(i)
            break
    if len(chosen) == 1 and parts[first].rstrip().endswith(":") and first + 1 < len(parts):
        chosen.append(first + 1)  # "It can be declined because:" needs its first reason
    return [parts[i] for i in sorted(chosen)]


def _words(text: str) -> int:
    return len(text.split())


def _fit(text: str) -> str:
    """At most MAX_WORDS words, cut at a clause boundary where possible."""
    words = text.split()
    if len(words) <= MAX_WORDS:
        return text
    cut = " ".join(words[:MAX_WORDS])
    boundary = max(cut.rfind(". "), cut.rfind("; "), cut.rfind(", "), cut.rfind(": "))
    if boundary >= 0 and _words(cut[:boundary]) >= MIN_CLAUSE_WORDS:
        cut = cut[:boundary]
    return cut.rstrip(",;: ") + ("" if cut.endswith((".", "!", "?")) else ".")


# ---- one sentence, for the ear -------------------------------------------------------------------


def speakable(sentence: str) -> str:
    text = sentence
    text = _URL.sub("", text)
    text = re.sub(r"\*\*|__|`|~~|#+\s|[|<>\[\]{}^]", " ", text)
    text = re.sub(r"(?<!\w)[*_]|[*_](?!\w)", " ", text)
    text = re.sub(r"[\"“”]", "", text)
    text = re.sub(r"\s*\(([^)]*)\)", r", \1,", text)  # asides become commas
    if "." in text:
        for abbr, spoken in _ABBREVIATIONS.items():
            text = re.sub(rf"(?<!\w){re.escape(abbr)}", spoken, text, flags=re.IGNORECASE)
    # Only the rules that can match: most sentences have no digit, "&" or "/" (the rules are
    # most of the time an answer takes).
    digits = any(c.isdigit() for c in text)
    for pattern, replace, needs in _NUMBER_RULES:
        if needs in text if needs else digits:
            text = pattern.sub(replace, text)
    return _tidy(text)


def _money(m: re.Match[str]) -> str:
    return say_as("currency", m.group(1).replace(",", ""))


def _phone(m: re.Match[str]) -> str:
    groups = [g for g in re.split(r"[\s.()-]+", m.group(0).lstrip("+")) if g]
    return ", ".join(say_as("digits", g) for g in groups)


def _date(m: re.Match[str]) -> str:
    try:
        return say_as("date", m.group(0))
    except ValueError:
        return m.group(0)


def _clock(value: str) -> str:
    try:
        return say_as("time", value)
    except ValueError:
        return value


def _time_range(m: re.Match[str]) -> str:
    return f"{_clock(m.group(1))} to {_clock(m.group(2))}"


def _unit(m: re.Match[str]) -> str:
    return f"{m.group(1)} {_UNITS[m.group(2).lower()]}"


# (pattern, replacement, what the text must contain: "" for a digit)
_NUMBER_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str], str]] = [
    (re.compile(r"\+?\b1?[\s.-]?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"), _phone, ""),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), _date, ""),
    (re.compile(r"\b(\d{1,2}:\d{2})\s*(?:-|–|to)\s*(\d{1,2}:\d{2})\b"), _time_range, ""),
    (re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b"), lambda m: _clock(m.group(0)), ""),
    (re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)"), _money, ""),
    (re.compile(r"(\d+(?:\.\d+)?)\s?%"), r"\1 percent", ""),
    (re.compile(r"\b24/7\b"), "24 hours a day, 7 days a week", ""),
    (re.compile(r"\b(\d+)\s?(?:-|–)\s?(\d+)\b(?!\s*-)"), r"\1 to \2", ""),
    (re.compile(r"(\d),(\d{3})\b"), r"\1\2", ""),  # "3,000": one number, not two
    (re.compile(r"\b(\d+(?:\.\d+)?)\s?(" + "|".join(_UNITS) + r")\b", re.IGNORECASE), _unit, ""),
    (re.compile(r"\s&\s"), " and ", "&"),
    (re.compile(r"\band/or\b"), "or", "/"),
    (re.compile(r"(?<=[a-zA-Z])/(?=[a-zA-Z])"), " or ", "/"),
]


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)  # ", ," left by removed links
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"^[\s,;:.-]+", "", text).strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and not text.endswith((".", "!", "?")):
        text = text.rstrip(",;:") + "."
    return text
