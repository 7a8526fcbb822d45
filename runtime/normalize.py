"""Slot-value normalisers: what a caller said (ASR text) or keyed, turned into a typed slot value.

Pure and deterministic: no I/O, no locale, no clock (except `today=None` for dates, see below).
ASR text is lower case, unpunctuated, with number words and fillers, so every parser works on
tokens and ignores hesitations ("um", "uh"). Rules chosen where speech is ambiguous:

* Corrections: when a caller corrects themselves ("five no six", "friday sorry saturday", "one
  two three i mean one two four"), the value after the last correction word wins. Otherwise two
  different values in one utterance are ambiguous and give no match (value None): the runtime
  re-prompts rather than guess.
* digits: digit words, numerals, "oh"/"o" (as zero only next to another digit, so a leading
  interjection "oh it's ..." is not a zero), "double"/"triple", and grouped forms: "twenty five"
  -> "25", "nineteen hundred" -> "1900", "one hundred twenty" -> "120", "two thousand five" ->
  "2005". A bare digit after "hundred" starts a new digit ("one eight hundred five five five" is
  1-800-555...), but one after "thousand" is absorbed. Other words are ignored (the length check
  guards). Homophones "to/too", "for", "won", "ate", "tree" count only between two digits.
  Wrong lengths give None; `complete` is True when the length reached `max_digits` (or when no
  maximum is set).
* number: one number phrase; two adjacent ones ("five five", "nineteen eighty") are ambiguous.
* currency: "N M" with M a two-digit word ("twenty five fifty", "a buck fifty", "five oh five")
  is dollars and cents, the way prices are read; amounts are never negative; rounded to cents.
* date: ISO dates are year-month-day; slashed and dashed numeric dates are month/day/year for
  en-US (and every language not listed in `_DAY_FIRST`), day/month/year for en-GB and the like;
  there is no swapping of impossible values. Dates without a year, a bare weekday and "the
  fifth" are the next such day on or after today (future-looking: bookings, due dates). "this
  friday" = "friday"; "next friday" is the Friday of next calendar week (weeks start Monday);
  "last friday" is the most recent Friday before today. A weekday followed by an explicit date
  ("friday the twentieth") takes the explicit date. Two-digit numeric years are 20YY unless that
  is more than ten years ahead, then 19YY. `today=None` falls back to the machine's local date,
  the one non-deterministic input: the runtime passes the call's date.
* time: an explicit am/pm, "in the morning", "tonight", "afternoon", "evening" wins; 24-hour
  forms ("fifteen thirty", "oh nine hundred", "09:30", hour 0 or 13-23) are taken as they are;
  otherwise hours 1-7 are pm and 8-11 am (business hours), 12 is noon. "quarter to five" applies
  that rule to the spoken hour, five, so it is 16:45. When several times are heard, the one
  marked (am/pm, o'clock, "at ...", minutes) wins over a bare number.
* yes_no: strong words decide ("yes", "nope", "that's right"); weak ones ("okay", "please",
  "fine") only when nothing strong was said; a negation flips what follows ("not right");
  "not sure", "maybe", "i don't know" and mixed answers ("yes no") are None. Keys 1/2 are yes/no.
* choice: the whole utterance, then a choice named inside it (the longest one where choices
  overlap, ignoring ones negated by "not"/"except"), then an ordinal ("the second one", "number
  two", "the last one", or a lone "two" / "2").
* phone: the digits rules plus a leading "plus"; 7-15 digits (or min/max_digits when given).
  "00" is not turned into "+": dialling prefixes differ by country.
* pattern: the text with whitespace removed, upper-cased; then spoken letters and digits ("a b
  one two three", NATO words, "b as in boy", "double u"); then runs of typed words.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

__all__ = ["Parsed", "normalize", "say_as", "spoken_digits", "spoken_number"]


@dataclass(frozen=True)
class Parsed:
    """A normalised slot value. No match is Parsed(None, complete=False, text="")."""

    value: str | int | float | bool | None  # normalised value; None = no match
    complete: bool = True  # e.g. digits: the expected count was reached
    text: str = ""  # the part of the input that produced the value


NO_MATCH = Parsed(None, complete=False)

# --- words -------------------------------------------------------------------------------------

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_ZEROS = ("zero", "oh", "o", "nought", "naught")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
             "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
             "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
             "thirtieth": 30}
_ORD_UNITS = {w: v for w, v in _ORDINALS.items() if v < 10}

# Hesitations ASR passes through; dropped before parsing everything but yes/no ("uh huh").
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm"})
# Words after which a caller restates the value.
_CORRECTIONS = frozenset({"no", "sorry", "actually", "wait", "mean", "rather", "correction",
                          "scratch", "oops"})


class _Tok(NamedTuple):
    word: str  # lower case
    start: int  # character offsets into the original text, for Parsed.text
    end: int


_TOKEN_RE = re.compile(
    r"[0-9]+(?:st|nd|rd|th)\b"  # 3rd, 21st
    r"|[0-9]+(?:[.,:/\-][0-9]+)*"  # 25, 3.5, 1,200, 3:30, 3/4/2027, 2027-03-04, 555-0100
    r"|[^\W\d_]+(?:'[^\W\d_]+)*"  # words, keeping inner apostrophes: it's, o'clock
    r"|[$€£+#*]",
    re.IGNORECASE)


def _tokens(text: str, drop: frozenset[str] = _FILLERS) -> list[_Tok]:
    # Curly apostrophes are one character like the straight one, so offsets stay valid.
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return [_Tok(m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)
            if m.group().lower() not in drop]


def _span(text: str, toks: Sequence[_Tok], start: int, end: int) -> str:
    return text[toks[start].start:toks[end - 1].end] if end > start else ""


class _Match(NamedTuple):
    value: object
    start: int  # token indices, end exclusive
    end: int
    strong: bool = True  # for times: marked as a time, not just a number


def _pick(matches: Sequence[_Match], words: Sequence[str]) -> _Match | None:
    """One value out of several candidates, or None when they disagree (see module doc)."""
    if not matches:
        return None
    if len({m.value for m in matches}) == 1:
        return matches[0]
    marks = [i for i, w in enumerate(words) if w in _CORRECTIONS]
    if marks:
        later = [m for m in matches if m.start > marks[-1]]
        if later and len({m.value for m in later}) == 1:
            return later[0]
    strong = [m for m in matches if m.strong]
    if strong and len(strong) < len(matches) and len({m.value for m in strong}) == 1:
        return strong[0]
    return None


# --- numbers -----------------------------------------------------------------------------------

_NUMERAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _ascii_digits(word: str) -> bool:
    """str.isdigit() is also true of "²", which int() rejects: only 0-9 count."""
    return word.isascii() and word.isdigit()


def _numeral(word: str) -> float | None:
    if _NUMERAL_RE.fullmatch(word):
        return float(word.replace(",", ""))
    return None


def _parse_whole(words: Sequence[str]) -> float | None:
    """A whole number in words ("two thousand and twenty") or a numeral, maybe scaled."""
    if not words:
        return None
    first = _numeral(words[0])
    if first is not None:  # "25", "1.5 million", "5 hundred"
        value = first
        for w in words[1:]:
            scale = 100 if w == "hundred" else _SCALES.get(w)
            if scale is None:
                return None
            value *= scale
        return value
    if list(words) == ["zero"]:
        return 0
    total = hundreds = small = 0
    small_kind = ""  # "", "unit", "teen", "tens", "tensunit": what the group below 100 holds
    state = ""  # the last token's role, for where "and" may stand
    last_scale = 10**12
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "a" and i == 0 and (nxt == "hundred" or nxt in _SCALES):
            small, small_kind, state = 1, "unit", "num"
        elif w in _UNITS:
            if small_kind == "tens":
                small, small_kind = small + _UNITS[w], "tensunit"
            elif small_kind == "":
                small, small_kind = _UNITS[w], "unit"
            else:
                return None  # "five five" is two numbers, not one
            state = "num"
        elif w in _TEENS or w in _TENS:
            if small_kind:
                return None
            small = _TEENS.get(w) or _TENS[w]
            small_kind, state = ("teen" if w in _TEENS else "tens"), "num"
        elif w == "hundred":
            if not small_kind or hundreds:
                return None
            hundreds, small, small_kind, state = small * 100, 0, "", "hundred"
        elif w in _SCALES:
            scale = _SCALES[w]
            if hundreds + small == 0 or scale >= last_scale:
                return None
            total += (hundreds + small) * scale
            hundreds = small = 0
            small_kind, state, last_scale = "", "scale", scale
        elif w == "and" and state in ("hundred", "scale") and nxt:
            state = "and"
        else:
            return None
    return total + hundreds + small


_FRACTION_TAILS = ((("and", "a", "half"), 0.5), (("and", "one", "half"), 0.5),
                   (("and", "a", "quarter"), 0.25), (("and", "one", "quarter"), 0.25),
                   (("and", "three", "quarters"), 0.75))
_BARE_FRACTIONS = {("a", "half"): 0.5, ("one", "half"): 0.5, ("a", "quarter"): 0.25,
                   ("one", "quarter"): 0.25, ("three", "quarters"): 0.75}


def _decimal_digits(words: Sequence[str]) -> str | None:
    """The digits after "point": "five", "two five", "oh five", "twenty five", "25"."""
    if not words:
        return None
    if all(w in _UNITS or w in _ZEROS for w in words):
        return "".join(str(_UNITS.get(w, 0)) for w in words)
    if len(words) == 1 and _ascii_digits(words[0]):
        return words[0]
    whole = _parse_whole(words)
    if whole is not None and whole == int(whole) and 10 <= whole < 100:
        return str(int(whole))
    return None


def _parse_number(words: Sequence[str]) -> float | None:
    """The whole of `words` as one number, or None."""
    w = list(words)
    sign = 1
    if w and w[0] in ("minus", "negative"):
        sign, w = -1, w[1:]
    if not w:
        return None
    if tuple(w) in _BARE_FRACTIONS:
        return sign * _BARE_FRACTIONS[tuple(w)]
    fraction = 0.0
    for tail, part in _FRACTION_TAILS:
        if len(w) > len(tail) and tuple(w[-len(tail):]) == tail:
            w, fraction = w[:-len(tail)], part
            break
    if "point" in w:
        k = w.index("point")
        decimals = _decimal_digits(w[k + 1:])
        whole = _parse_whole(w[:k]) if k else 0
        if decimals is None or whole is None or whole != int(whole) or fraction:
            return None
        return sign * float(f"{int(whole)}.{decimals}")
    whole = _parse_whole(w)
    return None if whole is None else sign * (whole + fraction)


_NUMBERISH = frozenset({*_UNITS, *_TEENS, *_TENS, *_SCALES, *_ZEROS, "hundred", "and", "a",
                        "point", "half", "quarter", "quarters", "minus", "negative"})


def _starts_number(words: Sequence[str], i: int) -> bool:
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if w in _UNITS or w in _TEENS or w in _TENS or w == "zero" or _numeral(w) is not None:
        return True
    if w == "a":
        return nxt in ("hundred", "half", "quarter") or nxt in _SCALES
    if w in ("minus", "negative", "point"):
        return bool(nxt) and _starts_number(words, i + 1)
    return False


def _number_spans(words: Sequence[str]) -> list[_Match]:
    """Every maximal number phrase, left to right."""
    spans: list[_Match] = []
    i = 0
    while i < len(words):
        if _starts_number(words, i):
            j = i + 1
            while j < len(words) and j - i < 20 and (words[j] in _NUMBERISH
                                                    or _numeral(words[j]) is not None):
                j += 1
            for k in range(j, i, -1):  # longest first
                value = _parse_number(words[i:k])
                if value is not None:
                    spans.append(_Match(value, i, k))
                    i = k
                    break
            else:
                i += 1
        else:
            i += 1
    return spans


def _one_number(text: str) -> tuple[float, str] | None:
    toks = _tokens(text)
    words = [t.word for t in toks]
    spans = _number_spans(words)
    # Two numbers back to back ("five five", "nineteen eighty") are digits or a year, not one
    # number: refuse rather than pick either.
    if any(a.end == b.start for a, b in itertools.pairwise(spans)):
        return None
    found = _pick(spans, words)
    if found is None:
        return None
    return float(found.value), _span(text, toks, found.start, found.end)  # type: ignore[arg-type]


def spoken_number(text: str) -> float | None:
    """The one number said in `text`: "twenty five point five" -> 25.5, "1,200" -> 1200."""
    found = _one_number(text)
    return None if found is None else found[0]


def _as_int_if_whole(value: float) -> int | float:
    return int(value) if value == int(value) else value


# --- digits ------------------------------------------------------------------------------------

_HOMOPHONES = {"to": "2", "too": "2", "for": "4", "fore": "4", "won": "1", "ate": "8",
               "tree": "3"}
_REPEATS = {"double": 2, "triple": 3, "treble": 3}
_DIGIT_SEPARATED = re.compile(r"[0-9.,:/\-]*[0-9][0-9.,:/\-]*")


def _single_digit(word: str) -> str | None:
    if word in _UNITS:
        return str(_UNITS[word])
    if word in _ZEROS:
        return "0"
    if len(word) == 1 and _ascii_digits(word):
        return word
    return None


def _below_hundred(words: Sequence[str], j: int, units: bool) -> tuple[int, int]:
    """A tens(+unit) or teen word at j (and a unit if `units`): (value, next index)."""
    w = words[j] if j < len(words) else ""
    if w in _TENS:
        if j + 1 < len(words) and words[j + 1] in _UNITS:
            return _TENS[w] + _UNITS[words[j + 1]], j + 2
        return _TENS[w], j + 1
    if w in _TEENS:
        return _TEENS[w], j + 1
    if units and w in _UNITS:
        return _UNITS[w], j + 1
    return 0, j


def _digit_group(words: Sequence[str], i: int) -> tuple[str, int] | None:
    """Number words at i read as digits: "twenty five" -> "25", "nineteen hundred" -> "1900",
    "two thousand twenty" -> "2020": (digits, next index)."""
    w = words[i]
    if w == "a" and i + 1 < len(words) and words[i + 1] in ("hundred", "thousand"):
        value, j = 1, i + 1
    elif w in _UNITS:
        value, j = _UNITS[w], i + 1
    else:
        value, j = _below_hundred(words, i, units=False)
        if j == i:
            return None
    nxt = words[j] if j < len(words) else ""
    if nxt == "hundred":
        value, j = value * 100, j + 1
        if j + 1 < len(words) and words[j] == "and":
            rest, k = _below_hundred(words, j + 1, units=True)
            if k > j + 1:
                value, j = value + rest, k
        else:
            # A bare unit after "hundred" is the next digit: "one eight hundred five five five".
            rest, j = _below_hundred(words, j, units=False)
            value += rest
    elif nxt == "thousand":
        value, j = value * 1000, j + 1
        if j + 1 < len(words) and (words[j] in _UNITS or words[j] in _TEENS) \
                and words[j + 1] == "hundred":
            value, j = value + (_UNITS.get(words[j]) or _TEENS[words[j]]) * 100, j + 2
        if j < len(words) and words[j] == "and":
            j += 1
        rest, j = _below_hundred(words, j, units=True)
        value += rest
    return str(value), j


def numbers_as_digits(words: Sequence[str]) -> list[str]:
    """Lowercase words with each spoken number, cardinal or ordinal, as one digit string, so
    that transcripts writing numbers differently compare alike: "nineteen eighty five" ->
    ["19", "85"], "the fourth of" -> ["the", "4", "of"], "twenty first" -> ["21"]. Other words,
    and single digits like "oh", are left as they are."""
    out: list[str] = []
    i = 0
    while i < len(words):
        group = _digit_group(words, i)
        if group is not None:
            digits, j = group
            if words[j - 1] in _TENS and j < len(words) and words[j] in _ORD_UNITS:
                digits, j = str(int(digits) + _ORD_UNITS[words[j]]), j + 1
            out.append(digits)
            i = j
        else:
            out.append(str(_ORDINALS[words[i]]) if words[i] in _ORDINALS else words[i])
            i += 1
    return out


def _digit_pieces(words: Sequence[str]) -> list[_Match]:
    """Digit strings heard, in order, after the last correction (see module doc)."""
    pieces: list[_Match] = []
    marks: list[int] = []

    def digitish(k: int) -> bool:
        if not 0 <= k < len(words):
            return False
        w = words[k]
        return (w in _UNITS or w in _TEENS or w in _TENS or w in _REPEATS or w in _ZEROS
                or w == "hundred" or bool(_DIGIT_SEPARATED.fullmatch(w)))

    def after_piece(k: int) -> bool:
        return bool(pieces) and pieces[-1].end == k

    i = 0
    while i < len(words):
        w = words[i]
        if _DIGIT_SEPARATED.fullmatch(w):
            pieces.append(_Match(re.sub(r"[^0-9]", "", w), i, i + 1))
            i += 1
        elif w in _REPEATS and i + 1 < len(words) and _single_digit(words[i + 1]) is not None:
            pieces.append(_Match(_single_digit(words[i + 1]) * _REPEATS[w], i, i + 2))  # type: ignore[operator]
            i += 2
        elif w in ("oh", "o"):
            # A zero only next to other digits; otherwise the interjection "oh".
            if after_piece(i) or digitish(i + 1):
                pieces.append(_Match("0", i, i + 1))
            i += 1
        elif w in _ZEROS:
            pieces.append(_Match("0", i, i + 1))
            i += 1
        elif (group := _digit_group(words, i)) is not None:
            pieces.append(_Match(group[0], i, group[1]))
            i = group[1]
        elif w in _HOMOPHONES and after_piece(i) and digitish(i + 1):
            pieces.append(_Match(_HOMOPHONES[w], i, i + 1))
            i += 1
        else:
            if w in _CORRECTIONS:
                marks.append(i)
            i += 1
    if marks and any(p.start > marks[-1] for p in pieces):
        pieces = [p for p in pieces if p.start > marks[-1]]
    return pieces


def _digits_in(text: str) -> tuple[str, list[_Tok], list[_Match]]:
    toks = _tokens(text)
    pieces = _digit_pieces([t.word for t in toks])
    return "".join(str(p.value) for p in pieces), toks, pieces


def spoken_digits(text: str) -> str | None:
    """The digits said or keyed: "one two three double five oh" -> "123550"."""
    digits = _digits_in(text)[0]
    return digits or None


def _digits(text: str, min_digits: int | None, max_digits: int | None) -> Parsed:
    digits, toks, pieces = _digits_in(text)
    if not digits or len(digits) < (min_digits or 1):
        return NO_MATCH
    if max_digits is not None and len(digits) > max_digits:
        return NO_MATCH
    complete = max_digits is None or len(digits) == max_digits
    return Parsed(digits, complete, _span(text, toks, pieces[0].start, pieces[-1].end))


def _phone(text: str, min_digits: int | None, max_digits: int | None) -> Parsed:
    digits, toks, pieces = _digits_in(text)
    if not digits or not (min_digits or 7) <= len(digits) <= (max_digits or 15):
        return NO_MATCH
    start = pieces[0].start
    if start > 0 and toks[start - 1].word in ("plus", "+"):
        digits, start = "+" + digits, start - 1
    return Parsed(digits, True, _span(text, toks, start, pieces[-1].end))


# --- currency ----------------------------------------------------------------------------------

_MAJOR = frozenset({"dollar", "dollars", "buck", "bucks", "usd", "euro", "euros", "pound",
                    "pounds", "quid"})
# A float holds every cent below 2**53 cents; a larger "amount" (a long digit string read as
# one number) is no sum a caller says, and rounding it to the cent overflowed Decimal.
_MAX_AMOUNT = 2**53 / 100
_MINOR = frozenset({"cent", "cents", "penny", "pennies", "pence", "p"})


class _Elem(NamedTuple):
    kind: str  # "num", "major", "minor", "fix" (a correction)
    value: float
    start: int
    end: int
    two_digit: bool = False  # spoken like cents: "fifty", "ninety nine", "oh five", "50"


def _two_digit(words: Sequence[str]) -> bool:
    if len(words) == 1:
        return words[0] in _TEENS or words[0] in _TENS or (len(words[0]) == 2
                                                         and _ascii_digits(words[0]))
    return len(words) == 2 and words[0] in _TENS and words[1] in _UNITS


def _currency(text: str) -> Parsed:
    toks = _tokens(text)
    words = [t.word for t in toks]
    spans = {s.start: s for s in _number_spans(words)}
    elems: list[_Elem] = []
    dollar_sign: int | None = None  # index of a "$" waiting for its amount
    i = 0
    while i < len(words):
        w = words[i]
        if i in spans:
            s = spans[i]
            start = i if dollar_sign is None else dollar_sign
            elems.append(_Elem("num", float(s.value), start, s.end,  # type: ignore[arg-type]
                               _two_digit(words[i:s.end])))
            if dollar_sign is not None:  # "$25": the sign is read after the amount
                elems.append(_Elem("major", 0, i, s.end))
                dollar_sign = None
            i = s.end
            continue
        if w in ("oh", "o") and elems and elems[-1].kind == "num" and i + 1 < len(words) \
                and words[i + 1] in _UNITS:  # "five oh five": five dollars five cents
            elems.append(_Elem("num", _UNITS[words[i + 1]], i, i + 2, True))
            i += 2
            continue
        if w == "a" and i + 1 < len(words) and words[i + 1] in _MAJOR:  # "a buck fifty"
            elems.append(_Elem("num", 1, i, i + 1))
        elif w in _MAJOR:
            if elems and elems[-1].kind == "major" and elems[-1].end == i:
                elems[-1] = elems[-1]._replace(end=i + 1)  # "$10 dollars": one unit, said twice
            else:
                elems.append(_Elem("major", 0, i, i + 1))
        elif w in _MINOR and (w != "p" or (elems and elems[-1].kind == "num")):
            elems.append(_Elem("minor", 0, i, i + 1))
        elif w in ("$", "€", "£"):
            dollar_sign = i
        elif w in _CORRECTIONS:
            elems.append(_Elem("fix", 0, i, i + 1))
        i += 1
    fixes = [k for k, e in enumerate(elems) if e.kind == "fix"]
    if fixes and any(e.kind == "num" for e in elems[fixes[-1]:]):
        elems = elems[fixes[-1] + 1:]
    elems = [e for e in elems if e.kind != "fix"]
    if (len(elems) >= 2 and elems[0].kind == elems[1].kind == "num"
            and elems[1].start == elems[0].end + 1 and words[elems[0].end] == "and"
            and elems[0].value >= 100 and elems[0].value % 100 == 0 and elems[1].value < 100
            and (len(elems) == 2 or elems[2].kind == "major")):
        # "100 and 20": a hundred and twenty as Whisper writes it, not 100 dollars 20 cents
        merged = elems[0]._replace(value=elems[0].value + elems[1].value, end=elems[1].end)
        elems = [merged, *elems[2:]]
    amount = _amount(elems)
    if amount is None or not 0 <= amount < _MAX_AMOUNT:
        return NO_MATCH
    cents = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Parsed(float(cents), True, _span(text, toks, elems[0].start, elems[-1].end))


def _amount(elems: Sequence[_Elem]) -> float | None:
    kinds = tuple(e.kind for e in elems)
    if not elems or elems[0].kind != "num":
        return None
    first = elems[0].value
    whole = first == int(first)
    if kinds in (("num",), ("num", "major")):
        return first
    if kinds == ("num", "minor"):
        return first / 100 if whole else None
    if kinds in (("num", "major", "num"), ("num", "major", "num", "minor"),
                 ("num", "num", "minor")):
        cents = elems[2].value if kinds[1] == "major" else elems[1].value
    elif kinds == ("num", "num") and elems[1].two_digit:
        cents = elems[1].value  # "twenty five fifty": how prices are read
    else:
        return None
    if not whole or cents != int(cents) or not 0 <= cents < 100:
        return None
    return first + cents / 100


# --- dates -------------------------------------------------------------------------------------

_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
           "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
           "nov": 11, "december": 12, "dec": 12}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6}
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Languages whose numeric dates are day first (3/4/2027 is 3 April).
_DAY_FIRST = frozenset({"en-GB", "en-AU", "en-NZ", "en-IE", "en-IN", "en-ZA"})

_Date = datetime.date
_DateMatcher = Callable[[Sequence[str], int, _Date, str], tuple[_Date | None, int] | None]


def _valid(year: int, month: int, day: int) -> _Date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _upcoming(today: _Date, month: int, day: int) -> _Date | None:
    """The next month/day on or after today (several years ahead for 29 February)."""
    for year in range(today.year, today.year + 9):
        d = _valid(year, month, day)
        if d is not None and d >= today:
            return d
    return None


def _two_digit_year(yy: int, today: _Date) -> int:
    return 2000 + yy if 2000 + yy <= today.year + 10 else 1900 + yy


def _day_options(words: Sequence[str], i: int) -> list[tuple[int, int, bool]]:
    """Readings of a day of the month at i: (day, next index, said as an ordinal), longest
    first, so "march twenty five" is the 25th but "march twenty twenty six" can be the 20th."""
    if i >= len(words):
        return []
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    out: list[tuple[int, int, bool]] = []
    if m := re.fullmatch(r"([0-9]{1,2})(?:st|nd|rd|th)", w):
        out.append((int(m.group(1)), i + 1, True))
    elif _ascii_digits(w) and len(w) <= 2:
        out.append((int(w), i + 1, False))
    elif w in _TENS:
        if nxt in _ORD_UNITS:
            out.append((_TENS[w] + _ORD_UNITS[nxt], i + 2, True))
        elif nxt in _UNITS:
            out.append((_TENS[w] + _UNITS[nxt], i + 2, False))
        out.append((_TENS[w], i + 1, False))
    elif w in _ORDINALS:
        out.append((_ORDINALS[w], i + 1, True))
    elif w in _TEENS or w in _UNITS:
        out.append((_TEENS.get(w) or _UNITS[w], i + 1, False))
    return [o for o in out if 1 <= o[0] <= 31]


def _year_at(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """A year at i: "2027", "nineteen eighty", "twenty oh five", "two thousand and five"."""
    if i >= len(words):
        return None
    w = words[i]
    if re.fullmatch(r"[0-9]{4}", w):
        return (int(w), i + 1) if 1000 <= int(w) <= 2999 else None
    century = _TEENS.get(w) or (20 if w == "twenty" else None)
    if century and i + 1 < len(words):
        x = words[i + 1]
        after = words[i + 2] if i + 2 < len(words) else ""
        if x == "hundred":
            return century * 100, i + 2
        if x in _ZEROS and after in _UNITS:
            return century * 100 + _UNITS[after], i + 3
        if x in _TEENS:
            return century * 100 + _TEENS[x], i + 2
        if x in _TENS:
            if after in _UNITS:
                return century * 100 + _TENS[x] + _UNITS[after], i + 3
            return century * 100 + _TENS[x], i + 2
    for k in range(min(len(words), i + 6), i, -1):
        if "thousand" in words[i:k]:
            value = _parse_whole(words[i:k])
            if value is not None and value == int(value) and 1000 <= value <= 2999:
                return int(value), k
    return None


# Words a caller (or a recogniser's punctuation) puts between the day and the year.
_BEFORE_YEAR = frozenset({"in", "it's", "its", "of"})


def _with_year(words: Sequence[str], month: int, options: list[tuple[int, int, bool]],
               today: _Date) -> tuple[_Date | None, int] | None:
    """The first day reading that a year follows, else the longest reading without one."""
    for day, j, _ in options:
        year = _year_at(words, j)
        if year is None and j < len(words) and words[j] in _BEFORE_YEAR:
            year = _year_at(words, j + 1)  # "november thirtieth, it's nineteen seventy two"
        if year is not None:
            return _valid(year[0], month, day), year[1]
    if options:
        day, j, _ = options[0]
        return _upcoming(today, month, day), j
    return None


def _month_first(words: Sequence[str], i: int, today: _Date,
                 lang: str) -> tuple[_Date | None, int] | None:
    if words[i] not in _MONTHS:
        return None
    j = i + 1 + (i + 1 < len(words) and words[i + 1] == "the")
    return _with_year(words, _MONTHS[words[i]], _day_options(words, j), today)


def _day_first(words: Sequence[str], i: int, today: _Date,
               lang: str) -> tuple[_Date | None, int] | None:
    j = i + (words[i] == "the")
    for day, k, _ in _day_options(words, j):
        k += k < len(words) and words[k] == "of"
        if k < len(words) and words[k] in _MONTHS:
            return _with_year(words, _MONTHS[words[k]], [(day, k + 1, True)], today)
    return None


def _day_alone(words: Sequence[str], i: int, today: _Date,
               lang: str) -> tuple[_Date | None, int] | None:
    """"the fifth": this month if still ahead, else the next month that has that day. "The" is
    required so that "wait a second" is not a date."""
    if words[i] != "the":
        return None
    options = [o for o in _day_options(words, i + 1) if o[2]]
    if not options:
        return None
    day, j, _ = options[0]
    year, month = today.year, today.month
    for _ in range(13):
        d = _valid(year, month, day)
        if d is not None and d >= today:
            return d, j
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


_NUMERIC_DATE = re.compile(r"([0-9]{1,2})([/.\-])([0-9]{1,2})(?:\2([0-9]{4}|[0-9]{2}))?")


def _numeric(words: Sequence[str], i: int, today: _Date,
             lang: str) -> tuple[_Date | None, int] | None:
    w = words[i]
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", w):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))), i + 1
    m = _NUMERIC_DATE.fullmatch(w)
    if m is None or (m.group(4) is None and m.group(2) != "/"):  # "3.5" is a number
        return None
    a, b = int(m.group(1)), int(m.group(3))
    month, day = (b, a) if lang in _DAY_FIRST else (a, b)
    if m.group(4) is None:
        return (_upcoming(today, month, day) if _valid(2000, month, day) else None), i + 1
    year = int(m.group(4))
    if len(m.group(4)) == 2:
        year = _two_digit_year(year, today)
    return _valid(year, month, day), i + 1


_RELATIVE = {("today",): 0, ("tonight",): 0, ("tomorrow",): 1, ("yesterday",): -1,
             ("day", "after", "tomorrow"): 2, ("day", "before", "yesterday"): -2}


def _relative(words: Sequence[str], i: int, today: _Date,
              lang: str) -> tuple[_Date | None, int] | None:
    for phrase, days in sorted(_RELATIVE.items(), key=lambda p: -len(p[0])):
        if tuple(words[i:i + len(phrase)]) == phrase:
            return today + datetime.timedelta(days=days), i + len(phrase)
    return None


def _count_at(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """A small whole count at i: "a", "three", "2", "twenty one"."""
    if i < len(words) and words[i] == "a":
        return 1, i + 1
    for k in range(min(len(words), i + 3), i, -1):
        value = _parse_number(words[i:k])
        if value is not None and value == int(value) and 0 < value < 1000:
            return int(value), k
    return None


_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14}


def _offset(words: Sequence[str], i: int, today: _Date,
            lang: str) -> tuple[_Date | None, int] | None:
    """"in three days", "two weeks from today", "a week from now", "five days ago"."""
    ahead = words[i] == "in"
    count = _count_at(words, i + ahead)
    if count is None or count[1] >= len(words) or words[count[1]] not in _UNIT_DAYS:
        return None
    days = count[0] * _UNIT_DAYS[words[count[1]]]
    j = count[1] + 1
    rest = tuple(words[j:j + 2])
    if ahead:
        return today + datetime.timedelta(days=days), j
    if rest in (("from", "now"), ("from", "today")):
        return today + datetime.timedelta(days=days), j + 2
    if rest[:1] in (("later",), ("ago",)):
        sign = 1 if rest[0] == "later" else -1
        return today + datetime.timedelta(days=sign * days), j + 1
    return None


def _weekday(words: Sequence[str], i: int, today: _Date,
             lang: str) -> tuple[_Date | None, int] | None:
    j = i
    mod = ""
    if words[j] in ("this", "next", "last", "coming", "past"):
        mod, j = words[j], j + 1
        if mod == "this" and j < len(words) and words[j] == "coming":
            j += 1
    if j >= len(words) or words[j] not in _WEEKDAYS:
        return None
    wd = _WEEKDAYS[words[j]]
    j += 1
    tail = tuple(words[j:j + 2])
    if not mod and tail in (("next", "week"), ("this", "week")):  # "friday next week"
        mod, j = ("next" if tail[0] == "next" else "week"), j + 2
    # "friday the twentieth", "friday march 20th": the explicit date decides.
    for k in (j, j + 1):
        if k < len(words) and any(m(words, k, today, lang) for m in _EXPLICIT):
            return None
    monday = today - datetime.timedelta(days=today.weekday())
    if mod == "next":
        return monday + datetime.timedelta(days=7 + wd), j
    if mod == "week":
        return monday + datetime.timedelta(days=wd), j
    if mod in ("last", "past"):
        return today - datetime.timedelta(days=(today.weekday() - wd) % 7 or 7), j
    return today + datetime.timedelta(days=(wd - today.weekday()) % 7), j


_EXPLICIT: tuple[_DateMatcher, ...] = (_numeric, _month_first, _day_first, _day_alone)
_DATE_MATCHERS: tuple[_DateMatcher, ...] = (*_EXPLICIT, _relative, _offset, _weekday)


def _date(text: str, today: _Date | None, language: str) -> Parsed:
    if today is None:
        today = datetime.date.today()  # the runtime passes the call's date; see module doc
    elif isinstance(today, datetime.datetime):
        today = today.date()
    toks = _tokens(text)
    words = [t.word for t in toks]
    found: list[_Match] = []
    i = 0
    while i < len(words):
        best: tuple[_Date | None, int] | None = None
        for matcher in _DATE_MATCHERS:
            got = matcher(words, i, today, language)
            if got is not None and (best is None or got[1] > best[1]):
                best = got
        if best is None:
            i += 1
            continue
        found.append(_Match(best[0], i, best[1]))
        i = best[1]
    picked = _pick(found, words)
    if picked is None or picked.value is None:  # also "february thirtieth": no such day
        return NO_MATCH
    value = picked.value.isoformat()  # type: ignore[attr-defined]
    return Parsed(value, True, _span(text, toks, picked.start, picked.end))


# --- times -------------------------------------------------------------------------------------

_MERIDIEMS = {("am",): "am", ("a", "m"): "am", ("pm",): "pm", ("p", "m"): "pm",
              ("in", "the", "morning"): "am", ("in", "the", "afternoon"): "pm",
              ("in", "the", "evening"): "pm", ("at", "night"): "pm", ("tonight",): "pm",
              ("this", "morning"): "am", ("this", "afternoon"): "pm",
              ("this", "evening"): "pm", ("noon",): "noon", ("midnight",): "midnight"}
_CONTEXT_PM = frozenset({"tonight", "afternoon", "evening", "night"})
_TIME_CUES = frozenset({"at", "around", "by", "until", "till", "til", "from", "about"})


def _meridiem_at(words: Sequence[str], j: int) -> tuple[str, int]:
    for phrase, kind in _MERIDIEMS.items():
        if tuple(words[j:j + len(phrase)]) == phrase:
            return kind, j + len(phrase)
    return "", j


def _hour_at(words: Sequence[str], i: int) -> tuple[int, int, bool] | None:
    """An hour at i: (hour, next index, written in 24-hour form)."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if _ascii_digits(w) and len(w) <= 2:
        return (int(w), i + 1, w.startswith("0") and len(w) == 2) if int(w) < 24 else None
    if w in ("oh", "zero") and nxt in _UNITS:  # "oh nine hundred"
        return _UNITS[nxt], i + 2, True
    if w == "twenty" and nxt in ("one", "two", "three"):
        return 20 + _UNITS[nxt], i + 2, True
    if w in _UNITS or w in _TEENS or w == "twenty":
        return _UNITS.get(w) or _TEENS.get(w) or 20, i + 1, False
    if w in ("noon", "midday"):
        return 12, i + 1, True
    if w == "midnight":
        return 0, i + 1, True
    return None


def _minutes_at(words: Sequence[str], j: int) -> tuple[int, int] | None:
    w = words[j] if j < len(words) else ""
    nxt = words[j + 1] if j + 1 < len(words) else ""
    if w in ("oh", "o", "zero") and nxt in _UNITS:  # "three oh five"
        return _UNITS[nxt], j + 2
    if w in ("oh", "o") and nxt in ("oh", "o", "zero"):
        return 0, j + 2
    if w in _TENS and _TENS[w] < 60:
        return _below_hundred(words, j, units=False)
    if w in _TEENS:
        return _TEENS[w], j + 1
    if len(w) == 2 and _ascii_digits(w) and int(w) < 60:
        return int(w), j + 1
    return None


def _to_24h(hour: int, meridiem: str, fixed: bool) -> int | None:
    if hour > 23:
        return None
    if hour > 12:  # already 24-hour: "fifteen thirty", even with a redundant "pm"
        return None if meridiem in ("am", "midnight") else hour
    if meridiem in ("am", "midnight"):
        return hour % 12
    if meridiem in ("pm", "noon"):
        return None if hour == 0 else hour % 12 + 12
    if fixed or hour == 0:
        return hour
    if hour == 12:
        return 12
    return hour + 12 if hour <= 7 else hour  # business hours: see module doc


def _clock(words: Sequence[str], i: int, context: str) -> tuple[int | None, int, bool] | None:
    """A time at i: (minutes since midnight or None if impossible, next index, strong)."""
    w = words[i]
    cued = i > 0 and words[i - 1] in _TIME_CUES
    if w in ("noon", "midday", "midnight"):
        return (0 if w == "midnight" else 12 * 60), i + 1, True
    if m := re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", w):
        hour, minute, j, strong = int(m.group(1)), int(m.group(2)), i + 1, True
        fixed = m.group(1).startswith("0") or hour > 12
    elif re.fullmatch(r"[0-9]{3,4}", w) and (len(words) == 1 or _meridiem_at(words, i + 1)[0]
                                           or words[i + 1:i + 2] == ["hours"]):
        hour, minute, j, strong = int(w[:-2]), int(w[-2:]), i + 1, True
        fixed = len(w) == 4 and (w.startswith("0") or hour > 12)
    else:
        got = _relative_clock(words, i, context)
        if got is not None:
            return got
        hour_at = _hour_at(words, i)
        if hour_at is None:
            return None
        hour, j, fixed = hour_at
        minute, strong = 0, cued
        rest = tuple(words[j:j + 2])
        if rest[:1] in (("o'clock",), ("oclock",)) or rest == ("o", "clock"):
            j, strong = j + len(rest) if rest == ("o", "clock") else j + 1, True
        elif rest[:1] == ("hundred",):  # military: "fifteen hundred (hours)"
            j, fixed, strong = j + 1, True, True
        elif (mins := _minutes_at(words, j)) is not None:
            minute, j = mins
            strong = strong or fixed
    if j < len(words) and words[j] == "hours":
        j, fixed, strong = j + 1, True, True
    meridiem, j2 = _meridiem_at(words, j)
    strong = strong or bool(meridiem)
    if meridiem in ("noon", "midnight") and hour != 12:
        meridiem, j2 = "", j
    hour24 = _to_24h(hour, meridiem or ("" if fixed else context), fixed)
    if hour24 is None or minute > 59:
        return None, j2, strong
    return hour24 * 60 + minute, j2, strong


def _relative_clock(words: Sequence[str], i: int,
                    context: str) -> tuple[int | None, int, bool] | None:
    """"half past two", "a quarter to five", "ten after three", "twenty minutes to six"."""
    j = i + (words[i] == "a")
    if j >= len(words):
        return None
    if words[j] in ("quarter", "half"):
        minutes, j = (15 if words[j] == "quarter" else 30), j + 1
    else:
        count = _count_at(words, j)
        if count is None or count[0] >= 60 or words[j] == "a":
            return None
        minutes, j = count
        if j < len(words) and words[j] in ("minute", "minutes", "mins"):
            j += 1
    if j >= len(words) or words[j] not in ("past", "after", "to", "till", "til", "before", "of"):
        return None
    before = words[j] in ("to", "till", "til", "before", "of")
    if before and minutes == 30:
        return None  # "half to five" is not a time
    hour_at = _hour_at(words, j + 1) if j + 1 < len(words) else None
    if hour_at is None:
        return None
    hour, k, fixed = hour_at
    meridiem, k2 = _meridiem_at(words, k)
    if meridiem in ("noon", "midnight"):
        meridiem, k2 = "", k
    hour24 = _to_24h(hour, meridiem or ("" if fixed else context), fixed)
    if hour24 is None:
        return None, k2, True
    total = (hour24 * 60 + (-minutes if before else minutes)) % (24 * 60)
    return total, k2, True


def _time(text: str) -> Parsed:
    toks = _tokens(text)
    words = [t.word for t in toks]
    context = ("am" if "morning" in words else
               "pm" if _CONTEXT_PM.intersection(words) else "")
    found: list[_Match] = []
    i = 0
    while i < len(words):
        got = _clock(words, i, context)
        if got is None:
            i += 1
            continue
        found.append(_Match(got[0], i, got[1], got[2]))
        i = got[1]
    picked = _pick(found, words)
    if picked is None or picked.value is None:
        return NO_MATCH
    hour, minute = divmod(picked.value, 60)  # type: ignore[call-overload]
    return Parsed(f"{hour:02d}:{minute:02d}", True, _span(text, toks, picked.start, picked.end))


# --- yes / no ----------------------------------------------------------------------------------

def _phrases(*items: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split()) for p in items)


# Written without apostrophes: tokens are compared with apostrophes removed ("that's" "thats").
_YES = _phrases(
    "yes", "yeah", "yea", "ya", "yah", "yep", "yup", "yes please", "aye", "sure", "sure thing",
    "certainly", "definitely", "absolutely", "correct", "thats correct", "affirmative",
    "indeed", "exactly", "right", "thats right", "that is right", "you got it", "of course",
    "please do", "go ahead", "do it", "sounds good", "uh huh", "mhm", "mm hmm", "i do", "it is",
    "thats it", "true", "you bet", "why not", "by all means", "no problem", "no worries",
    "not a problem", "confirm", "confirmed", "i think so", "i believe so", "dont mind",
    "do not mind", "perfect", "great", "yes sir", "yes maam")
_NO = _phrases(
    "no", "nope", "nah", "naw", "nay", "no thanks", "no thank you", "negative", "incorrect",
    "wrong", "thats wrong", "not really", "not at all", "no way", "never", "uh uh", "nuh uh",
    "false", "of course not", "i dont think so", "dont", "do not", "not", "isnt", "wasnt",
    "aint", "arent", "cancel that", "no no", "not now", "i do not", "i dont", "it is not",
    "absolutely not", "definitely not", "certainly not", "sure not")
_UNSURE = _phrases(
    "not sure", "im not sure", "dont know", "do not know", "no idea", "maybe", "perhaps",
    "dunno", "unsure", "depends", "it depends", "not certain", "possibly")
_WEAK_YES = _phrases("ok", "okay", "alright", "all right", "fine", "please", "i guess",
                     "guess so", "i guess so", "go on")
_NEGATORS = frozenset({"not", "dont", "never", "isnt", "wasnt", "aint", "arent", "do"})
_YES_NO_TABLES = ((_NO, "no"), (_YES, "yes"), (_WEAK_YES, "weak"))
_LONGEST_PHRASE = max(len(p) for table, _ in _YES_NO_TABLES for p in table)


def _yes_no(text: str) -> Parsed:
    stripped = text.strip()
    if stripped in ("1", "2"):  # "press 1 for yes, 2 for no"
        return Parsed(stripped == "1", True, stripped)
    toks = _tokens(text, drop=frozenset())
    words = [t.word.replace("'", "") for t in toks]
    if words and words[0] == "know":  # a recogniser's spelling of a first "no" ("Know.")
        words[0] = "no"
    # Doubt anywhere decides, before longer phrases can claim its words ("i don't know" holds
    # the no-phrase "i dont").
    if any(tuple(words[i:i + len(p)]) == p for p in _UNSURE for i in range(len(words))):
        return NO_MATCH
    hits: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + n])
            kind = next((k for table, k in _YES_NO_TABLES if phrase in table), "")
            if kind:
                break
        else:
            i += 1
            continue
        # "not right", "don't think that's correct": a yes within two words of a negation.
        if kind in ("yes", "weak") and any(h[0] == "no" and h[2] >= i - 2 and words[h[1]]
                                           in _NEGATORS for h in hits):
            kind = "no"
        hits.append((kind, i, i + n))
        i += n
    strong = [h for h in hits if h[0] in ("yes", "no")]
    if not strong:
        strong = [h for h in hits if h[0] == "weak"]
        if not strong:
            return NO_MATCH
    if len({h[0] for h in strong}) > 1:  # "yes no", "yeah no": ask again
        return NO_MATCH
    return Parsed(strong[0][0] != "no", True, _span(text, toks, strong[0][1], strong[-1][2]))


# --- choice ------------------------------------------------------------------------------------

_INDEX_WORDS = {**{w: v for w, v in _ORDINALS.items() if v <= 10}, "last": -1}
_CARDINALS = {**_UNITS, "ten": 10}
_POLITE = frozenset({"please", "thanks", "thank", "you", "the", "i'd", "id", "like", "want",
                     "take", "i'll", "ill", "i", "go", "with", "it's", "its", "um", "uh",
                     "that", "is", "a", "just", "choose", "pick"})
_CHOICE_NEGATORS = frozenset({"not", "except", "without", "dont", "don't", "never"})


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


def _choice_words(text: str) -> tuple[list[_Tok], list[str]]:
    toks = _tokens(text.replace("&", " and "))
    return toks, [_stem(t.word) for t in toks]


def _choice(text: str, choices: Sequence[str]) -> Parsed:
    if not choices:
        return NO_MATCH
    stripped = text.strip()
    if _ascii_digits(stripped) and 1 <= int(stripped) <= len(choices):  # keyed
        return Parsed(choices[int(stripped) - 1], True, stripped)
    toks, words = _choice_words(text)
    wanted = [_choice_words(c)[1] for c in choices]
    for k, cw in enumerate(wanted):
        if cw and cw == words:
            return Parsed(choices[k], True, stripped)
    hits = [_Match(k, s, s + len(cw)) for k, cw in enumerate(wanted) if cw
            for s in range(len(words) - len(cw) + 1) if words[s:s + len(cw)] == cw]
    # "credit card" over "card"; drop a choice the caller rules out ("not the red one").
    hits = [h for h in hits if not any(o.start <= h.start and h.end <= o.end
                                       and o.end - o.start > h.end - h.start for o in hits)]
    hits = [h for h in hits if not _CHOICE_NEGATORS.intersection(words[max(0, h.start - 3):
                                                                       h.start])]
    if not hits:
        hits = _distinctive_hits(words, wanted)
    hits.sort(key=lambda h: h.start)
    named = _pick(hits, words)
    ordinal = _ordinal_choice(words, len(choices))
    if named is not None and ordinal is not None and named.value != ordinal.value:
        return NO_MATCH
    found = named or ordinal
    if found is None:
        return NO_MATCH
    return Parsed(choices[found.value], True,  # type: ignore[index]
                  _span(text, toks, found.start, found.end))


_STOPWORDS = frozenset({"the", "a", "an", "and", "or", "of", "to", "for", "my", "one", "in", "on"})


def _distinctive_hits(words: Sequence[str], wanted: Sequence[list[str]]) -> list[_Match]:
    """Choices named by a word no other choice has: "savings" for "Savings account"."""
    hits = []
    for k, cw in enumerate(wanted):
        others = {w for j, other in enumerate(wanted) if j != k for w in other}
        own = {w for w in cw if w not in others and w not in _STOPWORDS}
        hits += [_Match(k, s, s + 1) for s, w in enumerate(words) if w in own]
    return [h for h in hits
            if not _CHOICE_NEGATORS.intersection(words[max(0, h.start - 3):h.start])]


def _ordinal_choice(words: Sequence[str], count: int) -> _Match | None:
    """"the second one", "number two", "option 2", "the last one", a lone "two"."""
    rest = [w for w in words if w not in _POLITE and w not in ("one", "option", "choice")]
    found: list[_Match] = []
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in _INDEX_WORDS and (prev == "the" or nxt in ("one", "option", "choice")
                                  or rest == [w]):
            index = _INDEX_WORDS[w]
            found.append(_Match(count - 1 if index == -1 else index - 1, i,
                                i + 1 + (nxt in ("one", "option", "choice"))))
        elif w in ("number", "option", "choice", "press", "item") and (
                nxt in _CARDINALS or _ascii_digits(nxt)):
            found.append(_Match((_CARDINALS.get(nxt) or int(nxt)) - 1, i, i + 2))
    if not found:
        lone = [w for w in words if w not in _POLITE]
        if len(lone) == 1 and (lone[0] in _CARDINALS or _ascii_digits(lone[0])):
            i = list(words).index(lone[0])
            found.append(_Match((_CARDINALS.get(lone[0]) or int(lone[0])) - 1, i, i + 1))
    picked = _pick(found, words)
    if picked is None or not 0 <= picked.value < count:  # type: ignore[operator]
        return None
    return picked


# --- pattern -----------------------------------------------------------------------------------

_LETTER_NAMES = {
    "bee": "B", "be": "B", "cee": "C", "see": "C", "sea": "C", "dee": "D", "ee": "E",
    "ef": "F", "eff": "F", "gee": "G", "aitch": "H", "haitch": "H", "eye": "I", "jay": "J",
    "kay": "K", "el": "L", "ell": "L", "em": "M", "en": "N", "pee": "P", "pea": "P", "cue": "Q",
    "queue": "Q", "ar": "R", "are": "R", "ess": "S", "tee": "T", "tea": "T", "you": "U",
    "vee": "V", "ex": "X", "why": "Y", "wye": "Y", "zee": "Z", "zed": "Z",
    # NATO spelling alphabet
    "alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E",
    "foxtrot": "F", "golf": "G", "hotel": "H", "india": "I", "juliet": "J", "juliett": "J",
    "kilo": "K", "lima": "L", "mike": "M", "november": "N", "oscar": "O", "papa": "P",
    "quebec": "Q", "romeo": "R", "sierra": "S", "tango": "T", "uniform": "U", "victor": "V",
    "whiskey": "W", "whisky": "W", "xray": "X", "yankee": "Y", "zulu": "Z"}
_MAX_SPELLINGS = 512  # alternatives tried per window: "oh" is O or 0, a dash may be dropped
_MAX_CHUNKS = 12  # typed words joined into one value, at most
_MAX_ITEMS = 32  # spelled items in one value, at most
_MAX_TRIES = 5_000  # regex attempts per utterance: bounds the time on long runs of letters


def _spell_item(words: Sequence[str], i: int) -> tuple[tuple[str, ...], int] | None:
    """One spelled item at i: (alternative spellings, next index)."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if w == "double" and nxt in ("u", "you"):
        return ("W",), i + 2
    if w == "x" and nxt == "ray":
        return ("X",), i + 2
    if w in _REPEATS and i + 1 < len(words):
        inner = _spell_item(words, i + 1)
        if inner is not None and all(len(a) == 1 for a in inner[0]):
            return tuple(a * _REPEATS[w] for a in inner[0]), inner[1]
    if w in ("oh", "o"):
        alts: tuple[str, ...] = ("0", "O")
    elif len(w) == 1 and w.isalpha():
        alts = (w.upper(),)
    elif w in _LETTER_NAMES:
        alts = (_LETTER_NAMES[w],)
    elif w in ("dash", "hyphen"):
        alts = ("-", "")
    elif w in _ZEROS:
        alts = ("0",)
    elif _DIGIT_SEPARATED.fullmatch(w):  # "123", "555-0100" (with or without the dash)
        alts = tuple(dict.fromkeys((re.sub(r"[^0-9]", "", w), w)))
    elif (group := _digit_group(words, i)) is not None:
        return (group[0],), group[1]
    else:
        return None
    j = i + 1
    if words[j:j + 2] == ["as", "in"] and j + 2 < len(words):  # "b as in boy"
        j += 3
    return alts, j


def _pattern(text: str, pattern: str) -> Parsed:
    rx = re.compile(pattern)
    compact = re.sub(r"\s+", "", text).upper()
    if compact and rx.fullmatch(compact):
        return Parsed(compact, True, text.strip())
    toks = _tokens(text)
    words = [t.word for t in toks]
    # Spoken letters and digits: the longest run of items that matches, earliest first.
    items: list[tuple[tuple[str, ...], int, int]] = []
    i = 0
    while i < len(words):
        item = _spell_item(words, i)
        if item is None:
            items.append(((), i, i + 1))  # a plain word breaks a run
            i += 1
        else:
            items.append((item[0], i, item[1]))
            i = item[1]
    windows: list[tuple[int, int]] = []
    for is_run, run in itertools.groupby(range(len(items)), key=lambda k: bool(items[k][0])):
        run_items = list(run)
        if is_run:
            lo, hi = run_items[0], run_items[-1] + 1
            windows += [(a, b) for a in range(lo, hi)
                        for b in range(a + 1, min(hi, a + _MAX_ITEMS) + 1)]
    windows.sort(key=lambda w: (w[0] - w[1], w[0]))
    tries = 0
    for a, b in windows:
        choices = [alts for alts, _, _ in items[a:b]]
        spellings = _spellings(choices)
        if spellings > _MAX_SPELLINGS:
            continue
        tries += spellings
        if tries > _MAX_TRIES:
            break
        for combo in itertools.product(*choices):
            value = "".join(combo)
            if value and rx.fullmatch(value):
                return Parsed(value, True, _span(text, toks, items[a][1], items[b - 1][2]))
    # Typed or run-together words ("my code is ab 123"): whitespace chunks, longest first.
    chunks = list(re.finditer(r"\S+", text))
    for size in range(min(len(chunks), _MAX_CHUNKS), 0, -1):
        for a in range(len(chunks) - size + 1):
            part = chunks[a:a + size]
            value = "".join(re.sub(r"^\W+|\W+$", "", c.group()) for c in part).upper()
            if value and rx.fullmatch(value):
                return Parsed(value, True, text[part[0].start():part[-1].end()])
    return NO_MATCH


def _spellings(choices: Sequence[tuple[str, ...]]) -> int:
    count = 1
    for alts in choices:
        count *= len(alts)
    return count


# --- entry points ------------------------------------------------------------------------------

def normalize(slot_type: str, text: str, *, min_digits: int | None = None,
              max_digits: int | None = None, choices: tuple[str, ...] = (), pattern: str = "",
              today: datetime.date | None = None, language: str = "en-US") -> Parsed:
    """The value of a `slot_type` slot in what the caller said or keyed; value None if none.

    Raises ValueError for an unknown slot type and re.error for an invalid `pattern` (the
    compiler rejects both, so either is a bug in the caller).
    """
    if slot_type == "digits":
        return _digits(text, min_digits, max_digits)
    if slot_type == "number":
        found = _one_number(text)
        return NO_MATCH if found is None else Parsed(_as_int_if_whole(found[0]), True, found[1])
    if slot_type == "currency":
        return _currency(text)
    if slot_type == "date":
        return _date(text, today, language)
    if slot_type == "time":
        return _time(text)
    if slot_type == "yes_no":
        return _yes_no(text)
    if slot_type == "phone":
        return _phone(text, min_digits, max_digits)
    if slot_type == "choice":
        return _choice(text, choices)
    if slot_type == "text":
        stripped = text.strip()
        return Parsed(stripped, True, stripped) if stripped else NO_MATCH
    if slot_type == "pattern":
        return _pattern(text, pattern)
    raise ValueError(f"unknown slot type {slot_type!r}")


_SPELL_NAMES = {"+": "plus", "-": "dash", ".": "dot", "@": "at", "_": "underscore",
                "/": "slash", "#": "pound", "*": "star", "&": "and"}


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def say_as(format: str, value: object) -> str:
    """Text for the speech engine to read `value` as `format`.

    digits "1 2 3 4"; number "25" / "25.5"; currency in words with numerals, "25 dollars and 50
    cents", "1 dollar", "50 cents" (plain numbers are what every engine, espeak-based Piper
    included, reads reliably; "$25.50" is read inconsistently); date "Wednesday, March 4, 2027";
    time "3:30 PM", "3 PM", "noon", "midnight"; spell "A B 1 2" (capitals, so "a" is not read
    as the article). Raises ValueError for an unknown format or a value it cannot render.
    """
    if format == "digits":
        return " ".join(_SPELL_NAMES.get(c, c) if c == "+" else c for c in str(value)
                        if c.isalnum() or c == "+")
    if format == "spell":
        return " ".join(_SPELL_NAMES.get(c, c.upper()) for c in str(value) if not c.isspace())
    if format == "number":
        return _plain(_decimal(value))
    if format == "currency":
        return _say_currency(_decimal(value))
    if format == "date":
        return _say_date(value)
    if format == "time":
        return _say_time(value)
    raise ValueError(f"unknown spoken format {format!r}")


def _say_currency(amount: Decimal) -> str:
    cents_total = int(abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    dollars, cents = divmod(cents_total, 100)
    parts = []
    if dollars or not cents:
        parts.append(f"{dollars} dollar{'' if dollars == 1 else 's'}")
    if cents:
        parts.append(f"{cents} cent{'' if cents == 1 else 's'}")
    spoken = " and ".join(parts)
    return f"minus {spoken}" if amount < 0 and cents_total else spoken


def _say_date(value: object) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a date: {value!r}") from None
    if not isinstance(value, datetime.date):
        raise ValueError(f"not a date: {value!r}")
    # Own name tables, not strftime: %A and %B follow the process locale.
    return (f"{_WEEKDAY_NAMES[value.weekday()]}, {_MONTH_NAMES[value.month - 1]} {value.day}, "
            f"{value.year}")


def _say_time(value: object) -> str:
    if isinstance(value, datetime.datetime):
        value = value.time()
    if isinstance(value, datetime.time):
        hour, minute = value.hour, value.minute
    else:
        m = re.fullmatch(r"\s*([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?\s*", str(value))
        if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"not a time: {value!r}")
        hour, minute = int(m.group(1)), int(m.group(2))
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    clock = f"{hour % 12 or 12}" + (f":{minute:02d}" if minute else "")
    return f"{clock} {'AM' if hour < 12 else 'PM'}"
