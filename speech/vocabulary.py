"""Words a caller is likely to use at a step, taken from the bot's own NLU training data.

An open-vocabulary recogniser on a phone line mishears words it was not told about ("my wifi"
-> "my wife"); the intents a step accepts say what the caller will talk about, and their
training examples say in which words. The most telling words per intent (frequent in its
examples, rare in the others') become the step's recognition hints.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from runtime.actions import Listen
from runtime.intents import TrainingData

PER_INTENT = 10
MAX_HINTS = 60
MAX_ENTITIES = 20
_WORD = re.compile(r"[a-z][a-z'-]+")
# Words that tell intents apart by accident of phrasing, never by topic.
_COMMON = frozenset({
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "but", "by", "can", "can't", "could", "did", "do", "does", "don't",
    "for", "from", "get", "got", "had", "has", "have", "having", "he", "her", "here", "hi", "him",
    "his", "how", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "it", "it's",
    "its", "just", "know", "let", "like", "me", "mine", "more", "my", "need", "no", "not", "now",
    "of", "off", "oh", "ok", "okay", "on", "one", "or", "our", "out", "please", "right", "so",
    "some", "still", "that", "that's", "the", "their", "them", "then", "there", "they", "this",
    "to", "too", "uh", "um", "up", "us", "wanna", "want", "was", "we", "we'd", "we're", "what",
    "what's", "when", "where", "which", "who", "why", "will", "with", "would", "yeah", "yes",
    "you", "you're", "your",
})


class Vocabulary:
    def __init__(self, data: TrainingData) -> None:
        counts = {intent: Counter(w for text in examples for w in _words(text))
                  for intent, examples in data.intents.items()}
        spread = Counter(w for c in counts.values() for w in c)  # intents using each word
        n = max(1, len(counts))
        self.by_intent: dict[str, tuple[str, ...]] = {}
        for intent, c in counts.items():
            scored = sorted(c, key=lambda w: (-c[w] * math.log(1 + n / spread[w]), w))
            self.by_intent[intent] = tuple(scored[:PER_INTENT])
        # Entity values (lookup tables, synonyms): the names of things callers talk about.
        names: list[str] = []
        for values in data.lookups.values():
            names += [v for v in values if v not in names]
        names += [v for v in data.synonyms if v not in names]
        self.entities = tuple(names[:MAX_ENTITIES])

    def hints(self, listen: Listen) -> tuple[str, ...]:
        out: list[str] = []
        for intent in listen.intents:
            for word in self.by_intent.get(intent, ()):
                if word not in out:
                    out.append(word)
        if listen.intents:
            out += [w for w in self.entities if w not in out]
        return tuple(out[:MAX_HINTS])


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _COMMON]
