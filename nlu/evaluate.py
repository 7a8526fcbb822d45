"""`voxflow nlu eval`: accuracy, macro-F1, out-of-scope precision/recall, confused pairs.

Bot data is scored by k-fold cross-validation (every example is predicted by an engine that
never saw it); a benchmark set by its own train/test split. Out-of-scope is measured by
leaving intents out: their utterances must come back with no intent. For bot data each group
of intents is left out in turn; for a benchmark set every tenth intent is left out of training
and its test utterances are the out-of-scope ones.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from nlu.engine import BuiltinEngine
from runtime.intents import OUT_OF_SCOPE_INTENTS, TrainingData

Engine = Callable[[TrainingData], BuiltinEngine]


@dataclass
class Scores:
    pairs: list[tuple[str, str | None, str]] = field(default_factory=list)  # truth, best, top
    oos_flags: list[tuple[bool, bool]] = field(default_factory=list)  # (truly oos, rejected)
    train_seconds: float = 0.0

    def accuracy(self) -> float:
        """Share whose top-ranked intent is right (threshold ignored: a classifier's score)."""
        return sum(t == top for t, _, top in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def macro_f1(self) -> float:
        labels = sorted({t for t, _, _ in self.pairs})
        f1s = []
        for label in labels:
            tp = sum(t == label and top == label for t, _, top in self.pairs)
            fp = sum(t != label and top == label for t, _, top in self.pairs)
            fn = sum(t == label and top != label for t, _, top in self.pairs)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return sum(f1s) / len(f1s) if f1s else 0.0

    def oos(self) -> tuple[float, float]:
        """(precision, recall) of rejecting as out of scope."""
        tp = sum(o and r for o, r in self.oos_flags)
        flagged = sum(r for _, r in self.oos_flags)
        truly = sum(o for o, _ in self.oos_flags)
        return (tp / flagged if flagged else 0.0, tp / truly if truly else 0.0)

    def confused(self, n: int = 5) -> list[tuple[str, str, int]]:
        pairs = Counter((t, top) for t, _, top in self.pairs if t != top)
        return [(t, p, c) for (t, p), c in sorted(pairs.items(), key=lambda x: (-x[1], x[0]))][:n]


def _predict(engine: BuiltinEngine, texts: list[tuple[str, str]], scores: Scores,
             out_of_scope: bool) -> None:
    for text, truth in texts:
        ranked = engine.rank(text)
        best = engine.best(text)
        # examples of an out-of-scope intent (Rasa's `out_of_scope`) are out-of-scope utterances
        oos = out_of_scope or truth in OUT_OF_SCOPE_INTENTS
        if not oos:
            scores.pairs.append((truth, best.intent if best else None,
                                 ranked[0].intent if ranked else ""))
        scores.oos_flags.append((oos, best is None))


def _timed(engine: Engine, data: TrainingData, scores: Scores) -> BuiltinEngine:
    started = time.perf_counter()
    trained = engine(data)
    scores.train_seconds += time.perf_counter() - started
    return trained


def cross_validate(data: TrainingData, k: int = 5, engine: Engine = BuiltinEngine) -> Scores:
    items = [(text, intent) for intent, texts in data.intents.items() for text in texts]
    intents = list(data.intents)
    scores = Scores()
    for f in range(k):
        train: dict[str, list[str]] = {}
        test: list[tuple[str, str]] = []
        for i, (text, intent) in enumerate(items):
            if i % k == f:
                test.append((text, intent))
            else:
                train.setdefault(intent, []).append(text)
        if len(train) < 2 or not test:
            continue
        trained = _timed(engine, _with(data, train), scores)
        _predict(trained, [(t, i) for t, i in test if i in train], scores, False)
    for f in range(min(k, len(intents))):  # each group of intents left out in turn
        left_out = set(intents[f::k]) - OUT_OF_SCOPE_INTENTS
        kept = {i: list(t) for i, t in data.intents.items() if i not in left_out}
        if len(kept) < 2:
            continue
        trained = _timed(engine, _with(data, kept), scores)
        _predict(trained, [(t, i) for i, ts in data.intents.items() if i in left_out
                           for t in ts], scores, True)
    return scores


def train_test(train: TrainingData, test: list[tuple[str, str]],
               engine: Engine = BuiltinEngine) -> tuple[Scores, BuiltinEngine]:
    scores = Scores()
    trained = _timed(engine, train, scores)
    _predict(trained, test, scores, False)
    left_out = set(list(train.intents)[::10])
    kept = {i: list(t) for i, t in train.intents.items() if i not in left_out}
    partial = engine(_with(train, kept))
    flags = Scores()
    _predict(partial, [(t, i) for t, i in test if i not in left_out], flags, False)
    _predict(partial, [(t, i) for t, i in test if i in left_out], flags, True)
    scores.oos_flags = flags.oos_flags
    return scores, trained


def _with(data: TrainingData, intents: dict[str, list[str]]) -> TrainingData:
    kept = {i: tuple(t) for i, t in intents.items()}
    return TrainingData(kept, data.synonyms, data.regexes, data.lookups,
                        tuple(e for e in data.examples if e.intent in kept), data.path)


def report(title: str, scores: Scores, threshold: float | None = None) -> str:
    precision, recall = scores.oos()
    lines = [
        title,
        f"  accuracy        {scores.accuracy():.3f}",
        f"  macro-F1        {scores.macro_f1():.3f}",
        f"  out of scope    precision {precision:.3f}  recall {recall:.3f}"
        + (f"  (threshold {threshold:.3f})" if threshold is not None else ""),
        f"  training        {scores.train_seconds:.1f} s in all",
        "  most confused (true -> predicted: count)",
    ]
    confused = scores.confused()
    lines += [f"    {t} -> {p}: {c}" for t, p, c in confused] or ["    none"]
    return "\n".join(lines)
