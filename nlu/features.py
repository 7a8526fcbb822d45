"""Utterance -> sparse TF-IDF vector: word uni- and bigrams plus character 2- to 5-grams.

Tokens come from the runtime's normaliser (runtime/intents.py: case folding, contractions,
fillers, repetitions, the bot's regexes and synonyms), so examples and ASR output meet in the
same form. Number words become `<number>` like digits do ("two weeks" = "2 weeks"), as the
recogniser writes numbers one way and training data the other. Our own vectoriser rather than
scikit-learn's keeps the parse path in plain Python and NumPy: under 1 ms an utterance.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from runtime.intents import NUMBER_TOKEN, TrainingData, _Normaliser

_NUMBER_WORDS = frozenset({
    "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million",
})
_WITHIN_NUMBER = frozenset({"one", "and", "a", NUMBER_TOKEN}) | _NUMBER_WORDS
CHAR_NGRAMS = (2, 5)


def _numbers(tokens: list[str]) -> list[str]:
    """Runs of number words as one `<number>` ("one" alone stays a word: "this one")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        starts = tok in _NUMBER_WORDS or (
            tok == "one" and i + 1 < len(tokens) and tokens[i + 1] in _NUMBER_WORDS)
        if not starts:
            out.append(tok)
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and tokens[j] in _WITHIN_NUMBER:
            j += 1
        while j > i + 1 and tokens[j - 1] in ("and", "a"):  # "two and a" ends at "two"
            j -= 1
        out.append(NUMBER_TOKEN)
        i = j
    return out


class Tokeniser:
    def __init__(self, data: TrainingData) -> None:
        self.normaliser = _Normaliser(data.synonyms, data.regexes)

    def __call__(self, text: str) -> list[str]:
        return _numbers(self.normaliser.tokens(text))


def word_features(tokens: Sequence[str]) -> Counter[str]:
    feats = Counter(tokens)
    feats.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return feats


def char_features(tokens: Sequence[str]) -> Counter[str]:
    """Character n-grams inside each word padded with spaces; placeholders count as words."""
    feats: Counter[str] = Counter()
    lo, hi = CHAR_NGRAMS
    for token in tokens:
        if token.startswith("<"):
            continue
        padded = f" {token} "
        for n in range(lo, hi + 1):
            feats.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return feats


class _Group:
    """One feature group's vocabulary and IDF (smoothed, as scikit-learn computes it)."""

    def __init__(self, docs: list[Counter[str]], min_df: int, offset: int) -> None:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        n = len(docs)
        kept = sorted(f for f, d in df.items() if d >= min_df)
        self.index = {f: offset + i for i, f in enumerate(kept)}
        self.idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept])

    def weights(self, feats: Counter[str], offset: int) -> dict[int, float]:
        """Sublinear TF x IDF, L2-normalised; features not in the vocabulary are dropped."""
        out: dict[int, float] = {}
        for f, c in feats.items():
            i = self.index.get(f)
            if i is not None:
                out[i] = (1.0 + math.log(c)) * self.idf[i - offset]
        norm = math.sqrt(sum(w * w for w in out.values()))
        return {i: w / norm for i, w in out.items()} if norm else {}


Doc = tuple[Counter[str], Counter[str]]  # an utterance's word and character features


def featurise(tokens: Sequence[str]) -> Doc:
    return word_features(tokens), char_features(tokens)


class Vectoriser:
    """Fitted on the training utterances' features (computed once by the caller and shared
    by the held-out fits, which is most of the training time saved on large data)."""

    def __init__(self, docs: list[Doc]) -> None:
        # Character n-grams seen once are noise on large data; small bot data needs them all.
        self.words = _Group([w for w, _ in docs], 1, 0)
        self.word_size = len(self.words.index)
        self.chars = _Group([c for _, c in docs], 2 if len(docs) >= 1000 else 1, self.word_size)
        self.size = self.word_size + len(self.chars.index)

    def weights(self, doc: Doc) -> dict[int, float]:
        weights = self.words.weights(doc[0], 0)
        weights.update(self.chars.weights(doc[1], self.word_size))
        return weights

    def vector(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, weights) of one tokenised utterance."""
        weights = self.weights(featurise(tokens))
        return (np.fromiter(weights.keys(), dtype=np.int64, count=len(weights)),
                np.fromiter(weights.values(), dtype=np.float64, count=len(weights)))

    def matrix(self, docs: list[Doc]) -> csr_matrix:
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for doc in docs:
            weights = self.weights(doc)
            indices.extend(weights.keys())
            values.extend(weights.values())
            indptr.append(len(indices))
        return csr_matrix((np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64),
                           np.array(indptr)), shape=(len(docs), self.size))
