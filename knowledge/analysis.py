"""Words to index terms: the one analysis that both ingest and queries use.

Stemming happens here, in Python, rather than in FTS5's porter tokenizer, so the search code knows
exactly which terms a query and a chunk share (the confidence needs that) and the index stores
plain space-separated terms that FTS5's simple tokenizer reads back unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Function words, plus what callers say around a question ("um, I wanted to ask, can you tell me
# if..."): none of them tells one help article from another.
_STOPWORD_TEXT = """
a about above after again against all am an and any are aren as at be because been before being
below between both but by can cannot cant could couldn did didn do does doesn doing don dont down
during each few for from further had hadn has hasn have haven having he her here hers herself him
himself his how i id if im in into is isn it its itself ive just let lets me more most mustn my
myself no nor not of off on once only or other ought our ours ourselves out over own same shan she
should shouldn so some such than that thats the their theirs them themselves then there theres
these they theyre this those through to too under until up very was wasn we were weren what whats
when where which while who whom why will with won would wouldn you youd youll youre youve your
yours yourself yourselves
um uh er erm hmm hi hello hey please thanks thank okay ok yeah yes well so like actually basically
really maybe wanted want wanna wondering wonder know tell question ask asking need needs get got
gonna also still anything something someone somebody guys sir madam
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[a-z0-9]+(?:[.,'-][a-z0-9]+)*")
_PUNCTUATION = re.compile(r"[.,]")
# Irregular forms the stemmer leaves apart, common in support questions ("I've lost my card",
# "forgotten PIN", "it was stolen").
_IRREGULAR = {"forgotten": "forget", "forgot": "forget", "lost": "lose", "stolen": "steal",
              "stole": "steal", "paid": "pay", "bought": "buy", "sent": "send", "took": "take",
              "taken": "take", "broken": "break", "broke": "break", "went": "go", "gone": "go",
              "gave": "give", "given": "give", "spent": "spend", "left": "leave", "kept": "keep",
              "won": "win", "ran": "run", "came": "come", "chose": "choose",
              "chosen": "choose", "got": "get", "gotten": "get", "made": "make",
              "children": "child", "people": "person", "men": "man", "women": "woman"}
_stemmer = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case words; "don't" -> "dont", "3,000" -> "3000", "7.50" stays one word."""
    text = text.lower().replace("’", "'")
    if not text.isascii():  # ASCII is its own NFKD form, with nothing to strip
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    out = []
    for w in _WORD.findall(text):
        w = w.replace("'", "")
        if "-" in w:  # "wi-fi" is also "wifi", "top-up" also "top" and "up"
            parts = [p for p in w.split("-") if p]
            out.extend(parts[:-1])
            if len(parts) > 1:
                out.append("".join(parts))
            w = parts[-1] if parts else ""
        if not w:
            continue
        if w[0].isdigit():
            w = w.replace(",", "")
        elif "." in w or "," in w:  # "acme.com" or "e.g": keep the pieces as separate words
            pieces = _PUNCTUATION.split(w)
            out.extend(p for p in pieces[:-1] if p)
            w = pieces[-1]
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(_IRREGULAR.get(word, word))


def terms(text: str) -> list[str]:
    """The index terms of `text`, in order, repeats kept (BM25 counts them)."""
    # Single letters ("e.g." -> e, g) carry no meaning; single digits can ("press 1").
    return [stem(w) for w in words(text)
            if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def term_string(text: str) -> str:
    """What goes into an FTS5 column: the terms, space-separated."""
    return " ".join(terms(text))
