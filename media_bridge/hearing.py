"""What a test caller heard: the bot's audio as transcribed words, and matching a conversation
test's `bot says "..."` against them.

Recognisers write "12345678", "1 2 3", "one two three" or "Acme's" for the same speech, and
"the 4th of July, 1985", "4 July 1985" or "the fourth of July nineteen eighty five" for the
same date, so both sides are normalised to lowercase words with every number, ordinals too,
spelled as single digits, and an expectation matches when most of its words appear, in order,
in a short stretch of what was heard after the last match (`MIN_RECALL`): a word the
recogniser misheard does not fail a test, a different sentence does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runtime.normalize import numbers_as_digits

MIN_RECALL = 0.7
LETTER_RATIO = 0.8
# A line in another language, heard by the English-only ear, is compared by its sounds: the
# line as the English voice says it against the ear's words as English (`sounds`, espeak
# phonemes). Whisper tiny.en writes "Gracias por llamar a Acme Telecom" as "grasses pour lamour
# atmitellacom" or "grass-ass poor lammer Acne Telecom": letters alike 0.47-0.75, sounds
# 0.69-0.89 over the bots' three Spanish lines, 8 syntheses each; the English line in their
# place sounds 0.36-0.64 alike.
FOREIGN_SOUND_RATIO = 0.66
# numbers_as_digits reads "one" to "nine" and every larger number; zero's words are left to us.
ZERO_WORDS = {"zero": "0", "oh": "0"}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_ORDINAL_SUFFIX = re.compile(r"(\d)(?:st|nd|rd|th)\b")


def words(text: str, *, stem: bool = True) -> list[str]:
    """Lowercase words, numbers (words or digits, cardinal or ordinal) as single digits,
    apostrophes kept, and a plural's "s" dropped ("digits" and "digit" are heard alike on a
    phone line) unless not `stem` (words compared by their sounds)."""
    text = _ORDINAL_SUFFIX.sub(r"\1", text.lower().replace("’", "'"))
    found = [d for w in numbers_as_digits(_WORD.findall(text))
             for d in (w if w.isdigit() else [ZERO_WORDS.get(w, w)])]
    return [_stem(w) for w in found] if stem else found


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


@dataclass
class Match:
    start: int  # word index where the expectation was found
    end: int  # one past its last matched word
    recall: float


def find(expected: list[str], heard: list[str], start: int = 0, *,
         letter_ratio: float = LETTER_RATIO,
         sounds: Callable[[str], str] | None = None) -> Match | None:
    """The earliest stretch of `heard[start:]` holding at least MIN_RECALL of `expected` in
    order (longest common subsequence), no longer than twice the expectation plus slack.
    With `sounds` (words -> how they sound), a stretch whose sounds are `letter_ratio` alike
    matches too (a line in another language: see FOREIGN_SOUND_RATIO)."""
    if not expected:
        return Match(start, start, 1.0)
    need = max(1, int(len(expected) * MIN_RECALL + 0.999))
    span = len(expected) * 3 // 2 + 2
    best: Match | None = None
    # Names come out as other words ("Acme Telecom" -> "that me tell a com"): compare the
    # letters of a stretch of about the same length too. By sounds, a word may come out as
    # three ("acme" -> "at me tell"): a longer stretch.
    if sounds is None:
        alike, reach = _spelled_alike("".join(expected)), len(expected) + 2
    else:
        alike, reach = _sounding_alike(sounds(" ".join(expected)), sounds), 2 * len(expected) + 4
    for i in range(start, len(heard)):
        stretch = heard[i:i + reach]
        if stretch and heard[i][:1] == expected[0][:1]:
            n = _most_alike(stretch, letter_ratio, alike)
            if n:
                return Match(i, i + n, 1.0)
        if heard[i] not in expected:
            continue
        window = heard[i:i + span]
        common, last = _lcs(expected, window)
        if common >= need:
            match = Match(i, i + last + 1, common / len(expected))
            if best is None or match.recall > best.recall:
                best = match
            if match.recall == 1.0 or best.start < i - span:
                break
    return best


def _most_alike(stretch: list[str], least: float,
                alike: Callable[[list[str]], float]) -> int:
    """How many words of `stretch` are most `alike` the expectation (ratio >= least), or 0."""
    best, best_n = 0.0, 0
    for n in range(1, len(stretch) + 1):
        ratio = alike(stretch[:n])
        if ratio > best:
            best, best_n = ratio, n
    return best_n if best >= least else 0


def _spelled_alike(letters: str) -> Callable[[list[str]], float]:
    """Words -> how alike their letters are to `letters` (difflib's ratio)."""
    from difflib import SequenceMatcher

    return lambda words: SequenceMatcher(None, letters, "".join(words)).ratio()


def _sounding_alike(said: str, sounds: Callable[[str], str]) -> Callable[[list[str]], float]:
    """Words -> how alike they sound to `said`: 2 x the longest common subsequence of the two
    sound strings over their total length."""
    def alike(words: list[str]) -> float:
        heard = sounds(" ".join(words))
        return 2 * _lcs(said, heard)[0] / max(1, len(said) + len(heard))
    return alike


def _lcs(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """Length of the longest common subsequence, and the smallest index in `b` at which a
    subsequence that long can end (so a match does not swallow a later repeat)."""
    # Each cell holds (length, -end): max() prefers longer, then earlier-ending.
    prev: list[tuple[int, int]] = [(0, 1)] * (len(b) + 1)
    for x in a:
        row: list[tuple[int, int]] = [(0, 1)] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            best = max(prev[j], row[j - 1])
            if x == y:
                best = max(best, (prev[j - 1][0] + 1, -(j - 1)))
            row[j] = best
        prev = row
    length, neg_end = prev[-1]
    return length, -neg_end

