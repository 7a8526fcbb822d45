"""The built-in NLU engine: trains in about a second on a bot's data, parses in under 1 ms.

Pipeline: normalised tokens (features.py) -> TF-IDF vector -> linear SVM scores
(classifier.py) -> confidences fitted on held-out examples (score and word coverage) -> the
intents ranked; the top one is accepted when it reaches a threshold chosen from held-out
examples and left-out intents (calibrate.py). Entities come from entities.py. Deterministic:
the same data gives the same model, and no randomness or clock is involved in a parse.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from nlu.calibrate import Calibration, coverage, fit_calibration, folds_for, held_out, threshold_for
from nlu.classifier import LinearModel
from nlu.entities import EntityExtractor
from nlu.features import Tokeniser, Vectoriser, featurise
from nlu.result import NLUResult
from runtime.intents import OUT_OF_SCOPE_INTENTS, IntentScore, TrainingData

NO_HELD_OUT_THRESHOLD = 0.5  # when the data is too small to hold anything out


@dataclass(frozen=True)
class TrainReport:
    examples: int
    intents: int
    features: int
    calibration: Calibration
    threshold: float
    seconds: float


class BuiltinEngine:
    name = "builtin"

    def __init__(self, data: TrainingData, *, calibrate: bool = True) -> None:
        started = time.perf_counter()
        self.data = data
        self.tokenise = Tokeniser(data)
        self.entities = EntityExtractor(data)
        labels = [intent for intent, examples in data.intents.items() for _ in examples]
        tokens = [self.tokenise(e) for examples in data.intents.values() for e in examples]
        docs = [featurise(t) for t in tokens]
        self.vocabulary = {t for ts in tokens for t in ts}
        self.vectoriser = Vectoriser(docs)
        matrix = self.vectoriser.matrix(docs)
        self.model = LinearModel.fit(matrix, labels) if labels else None
        self.calibration, self.threshold = Calibration(), NO_HELD_OUT_THRESHOLD
        if calibrate and len(set(labels)) >= 2:
            held = held_out(matrix, self.vectoriser.word_size, tokens, labels,
                            folds_for(len(labels)))
            self.calibration = fit_calibration(held)
            if held.scores and held.oos_scores:
                self.threshold = threshold_for(held, self.calibration)
        self.report = TrainReport(len(labels), len(data.intents), self.vectoriser.size,
                                  self.calibration, self.threshold,
                                  time.perf_counter() - started)

    def probabilities(self, text: str) -> np.ndarray | None:
        """Calibrated confidences over `self.model.intents`; None when `text` has no words."""
        tokens = self.tokenise(text)
        if self.model is None or not tokens:
            return None
        scores = self.model.scores(self.vectoriser.vector(tokens))
        return self.calibration(scores, coverage(tokens, self.vocabulary))

    def rank(self, text: str, candidates: Iterable[str] | None = None) -> list[IntentScore]:
        """Intents best first (ties by name); `candidates` limits them (unknown ones are
        ignored); [] when none is known or `text` has no words. Confidences are not
        renormalised over the candidates: an utterance meant for an intent the step does not
        offer leaves every candidate low, which is what sends it down the no-match path."""
        return self._rank(self.probabilities(text), candidates)

    def _rank(self, probs: np.ndarray | None,
              candidates: Iterable[str] | None) -> list[IntentScore]:
        if probs is None or self.model is None:
            return []
        wanted = None if candidates is None else set(candidates)
        ranked = [IntentScore(intent, round(float(p), 6))
                  for intent, p in zip(self.model.intents, probs, strict=True)
                  if intent not in OUT_OF_SCOPE_INTENTS and (wanted is None or intent in wanted)]
        ranked.sort(key=lambda s: (-s.confidence, s.intent))
        return ranked

    def _accept(self, probs: np.ndarray | None, ranked: list[IntentScore]) -> IntentScore | None:
        if not ranked or ranked[0].confidence < self.threshold or probs is None:
            return None
        assert self.model is not None
        oos = max((float(p) for i, p in zip(self.model.intents, probs, strict=True)
                   if i in OUT_OF_SCOPE_INTENTS), default=0.0)
        return ranked[0] if ranked[0].confidence > oos else None

    def best(self, text: str, candidates: Iterable[str] | None = None) -> IntentScore | None:
        """The top intent, or None when it is below the threshold (out of scope)."""
        probs = self.probabilities(text)
        return self._accept(probs, self._rank(probs, candidates))

    def parse(self, text: str, candidates: Iterable[str] | None = None, *,
              slot_type: str | None = None,
              today: datetime.date | None = None) -> NLUResult:
        probs = self.probabilities(text)
        ranked = self._rank(probs, candidates)
        return NLUResult(text, tuple(ranked), self._accept(probs, ranked),
                         tuple(self.entities.extract(text, slot_type, today)), self.name)
