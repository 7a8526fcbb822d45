"""Text on both sides of recognition: phrases as spoken words (for grammars and prompts) and
recognised digits as a plain digit string (for runtime/normalize.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from runtime.normalize import spoken_digits

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ONES = ("", *DIGIT_WORDS[1:], "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
         "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# Words that only say a number ("oh four two", "double six", "twenty five", "a hundred and
# five"): a transcript of nothing else holds no request.
NUMBER_WORDS = frozenset((*DIGIT_WORDS, *_ONES[10:], *_TENS[2:], "oh", "o", "double", "triple",
                          "a", "hundred", "thousand", "and"))
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "#": " number ",
            "$": " dollars "}


def number_words(n: int) -> str:
    """0 <= n < 10000 in words ("twenty five", "one thousand two hundred"); longer numbers are
    read digit by digit, as callers read account numbers."""
    if n < 0 or n >= 10000:
        return " ".join(DIGIT_WORDS[int(c)] for c in str(abs(n)))
    if n == 0:
        return "zero"
    words: list[str] = []
    if n >= 1000:
        words += [_ONES[n // 1000], "thousand"]
        n %= 1000
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
    if n:
        words.append(_ONES[n])
    return " ".join(words)


def spoken_words(phrase: str) -> list[str]:
    """A phrase as the words a caller says: lower case, numbers spelled, symbols named,
    punctuation dropped, inner apostrophes kept ("I can't" -> ["i", "can't"]); letters of any
    script count ("네" is a word for a Korean model)."""
    text = phrase.replace("\u2019", "'").replace("\u2018", "'").lower()
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    text = re.sub(r"[0-9]+", lambda m: f" {_say_number(m.group())} ", text)
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", text)


def _say_number(digits: str) -> str:
    if len(digits) > 4 or digits.startswith("0"):
        return " ".join(DIGIT_WORDS[int(c)] for c in digits)
    return number_words(int(digits))


def words_key(text: str) -> str:
    """Text compared the way the runtime matches menu phrases (lower case words)."""
    return " ".join(spoken_words(text))


def digit_string(text: str) -> str:
    """Recognised text as a plain digit string: "2, 2, 1" -> "221", "4.5 double 6.7" ->
    "45667", "oh four two" -> "042", "twenty five" -> "25"; "" when there are no digits."""
    # Numerals one digit at a time, so "double 6.7" doubles the 6 and "2,2" is two digits.
    spaced = re.sub(r"[0-9]", lambda m: f" {m.group()} ", text.lower())
    spaced = re.sub(r"(?<=[0-9] )[.,:/\-](?= [0-9])", " ", spaced)
    return spoken_digits(spaced) or ""


def prompt_list(items: Iterable[str], limit: int = 60) -> str:
    """Expected words as a short comma list for a recognizer's prompt ("Balance, pay my bill.")."""
    seen: list[str] = []
    for item in items:
        item = " ".join(item.split())
        if item and item.lower() not in (s.lower() for s in seen):
            seen.append(item)
    text = ", ".join(s[:1].upper() + s[1:] for s in seen[:limit])
    return text + "." if text else ""
