"""Entities: the bot's regexes, lookup tables and annotated values, and typed values.

* `regex:` entries extract their own name (`[12345678](account_number)` with a regex
  `account_number`), as Rasa's RegexEntityExtractor does.
* `lookup:` tables, and every value annotated in the examples together with the synonyms that
  map to it, extract their entity on whole words, longest first; ASR's "wi fi" matches "wi-fi".
* Synonyms map what was matched to its canonical value ("atm card" -> "debit card").
* Typed values reuse the runtime's slot normalisers (runtime/normalize.py), so an entity has
  the value an `ask` of that type would get. The slot type the step expects is tried first; the
  others are reported only with a cue that they are meant ("dollars", a month or weekday, "am",
  "at five"), since every number would otherwise also be a time, a date and an amount.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from nlu.result import Entity
from runtime.intents import TYPED_ENTITIES, TrainingData
from runtime.normalize import (
    _MONTHS,
    _ORDINALS,
    _SCALES,
    _TEENS,
    _TENS,
    _UNITS,
    _WEEKDAYS,
    normalize,
)

_CURRENCY_CUES = frozenset({"dollar", "dollars", "buck", "bucks", "cent", "cents", "euro",
                            "euros", "pound", "pounds", "quid", "pence", "penny", "usd", "$",
                            "€", "£"})
_DATE_CUES = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "today", "tomorrow", "yesterday", "tonight", "week", "weeks", "days",
    "fortnight", "the"})
_TIME_CUES = frozenset({"am", "pm", "a m", "p m", "o'clock", "oclock", "noon", "midnight",
                        "morning", "afternoon", "evening", "tonight", "quarter", "half", "past"})
_TIME_BEFORE = frozenset({"at", "around", "by", "until", "till", "from", "about"})
_WORD = re.compile(r"[\w$€£':]+")
# Words without which no typed value can be heard (the normalisers' own vocabulary): an
# utterance with none of them and no digit skips the six normalisers, a third of a parse.
_VALUE_WORDS = frozenset({
    *_UNITS, *_TEENS, *_TENS, *_SCALES, *_ORDINALS, *_MONTHS, *_WEEKDAYS, "zero", "nought",
    "hundred", "half", "quarter", "today", "tonight", "tomorrow", "yesterday", "noon",
    "midnight", "week", "weeks", "fortnight", "dozen",
})


def _key(surface: str) -> str:
    """Synonym lookups ignore case, hyphens and spacing: ASR writes "wi-fi" as "wi fi"."""
    return " ".join(surface.casefold().replace("-", " ").split())


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


class EntityExtractor:
    def __init__(self, data: TrainingData) -> None:
        self.synonyms = {_key(k): v for k, v in data.synonyms.items()}
        self.regexes = [(name, re.compile(p, re.IGNORECASE)) for name, ps in data.regexes.items()
                        for p in ps]
        tables: dict[str, set[str]] = {name: set(entries)
                                       for name, entries in data.lookups.items()}
        for example in data.examples:
            for a in example.entities:
                if a.entity in TYPED_ENTITIES or a.entity in data.regexes:
                    continue
                values = tables.setdefault(a.entity, set())
                values.add(example.text[a.start : a.end])
                values.add(a.value)
        for values in tables.values():  # the synonyms that name a known value
            canon = {_key(v) for v in values} | {_key(self.canonical(v)) for v in values}
            values.update(s for s, v in data.synonyms.items() if _key(v) in canon)
        self.tables = [(entity, self._pattern(values)) for entity, values in sorted(tables.items())
                       if values]

    @staticmethod
    def _pattern(values: Iterable[str]) -> re.Pattern[str]:
        # Longest first, so "cell phone" wins over "phone"; spaces and hyphens are one gap.
        parts = [r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", v.strip()))
                 for v in sorted(values, key=lambda v: (-len(v), v)) if v.strip()]
        return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.IGNORECASE)

    def canonical(self, surface: str) -> str:
        return self.synonyms.get(_key(surface), surface)

    def extract(self, text: str, slot_type: str | None = None,
                today: datetime.date | None = None) -> list[Entity]:
        found: list[Entity] = []

        def add(entity: Entity) -> None:
            if all(entity.end <= e.start or entity.start >= e.end for e in found):
                found.append(entity)

        if slot_type in TYPED_ENTITIES:
            typed = self._typed(text, slot_type, today, cue=False)
            if typed is not None:
                add(typed)
        for name, pattern in self.regexes:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    add(Entity(name, self.canonical(m.group()), m.start(), m.end(), m.group(),
                               "regex"))
        for name, pattern in self.tables:
            for m in pattern.finditer(text):
                add(Entity(name, self.canonical(m.group()), m.start(), m.end(), m.group(),
                           "lookup"))
        if not _may_hold_value(text):
            return sorted(found, key=lambda e: (e.start, e.end))
        for kind in ("currency", "date", "time", "phone", "number", "digits"):
            if kind != slot_type:
                typed = self._typed(text, kind, today, cue=True)
                if typed is not None:
                    add(typed)
        return sorted(found, key=lambda e: (e.start, e.end))

    @staticmethod
    def _typed(text: str, kind: str, today: datetime.date | None, cue: bool) -> Entity | None:
        parsed = normalize(kind, text, today=today)
        if parsed.value is None or not parsed.text:
            return None
        start = text.replace("\u2019", "'").find(parsed.text)
        if start < 0:
            return None
        end = start + len(parsed.text)
        if cue and not _cued(kind, text, start, end, parsed.value):
            return None
        return Entity(kind, parsed.value, start, end, parsed.text, "typed")


def _may_hold_value(text: str) -> bool:
    return any(ch.isdigit() for ch in text) or not _VALUE_WORDS.isdisjoint(_words(text))


def _cued(kind: str, text: str, start: int, end: int, value: object) -> bool:
    """Whether an untyped utterance means this kind of value (see the module docstring)."""
    words = _words(text[start:end])
    before = _words(text[:start])[-1:]
    if kind == "currency":
        return bool(_CURRENCY_CUES.intersection(words))
    if kind == "date":
        numeric = re.search(r"\d[/\-]\d", text[start:end]) is not None
        return numeric or bool(_DATE_CUES.intersection(words))
    if kind == "time":
        return (bool(_TIME_CUES.intersection(words)) or ":" in text[start:end]
                or bool(_TIME_BEFORE.intersection(before)))
    if kind == "phone":
        return len(str(value).lstrip("+")) >= 10 or str(value).startswith("+")
    if kind == "digits":
        return len(str(value)) >= 3
    return True  # number: one number phrase is always a number
