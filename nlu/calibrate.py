"""Calibrated confidences and the out-of-scope threshold, both chosen from the training data.

One round of held-out fits gives both (k fits, each on (k-1)/k of the examples of (k-1)/k of
the intents):

* the examples of fold f whose intent was trained are in-scope utterances never seen in
  training;
* the examples of the intents of group f, left out of training, are out-of-scope utterances,
  and hard ones, as they come from the bot's own domain.

A logistic fit over two signals of each of them gives P(the top intent is right), which is the
confidence (`Calibration`): the top intent's SVM score, and the utterance's coverage (the share
of its content words that training has seen; an off-topic question is mostly new words, and a
softmax over scores would be blind to it, as one intent always wins). Measured on the example
bots, coverage lifts the held-out balanced accuracy by 2.5-3 points. The threshold then
maximises the balanced accuracy of accepting in-scope utterances with the right intent and
rejecting out-of-scope ones (the rule of `runtime.intents.choose_threshold`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.preprocessing import normalize

from nlu.classifier import LinearModel
from runtime.intents import _STOPWORDS

MIN_HELD_OUT = 20  # held-out utterances needed for a fit


def coverage(tokens: Sequence[str], vocabulary: set[str] | dict[str, int]) -> float:
    """Share of the utterance's content words (not stop words or placeholders) seen in
    training; 1.0 when it has none."""
    content = [t for t in tokens if t not in _STOPWORDS and not t.startswith("<")]
    if not content:
        return 1.0
    return sum(t in vocabulary for t in content) / len(content)


@dataclass(frozen=True)
class Calibration:
    """confidence = sigmoid(score_weight x SVM score + coverage_weight x coverage + bias)."""

    score_weight: float = 5.0  # about what the example bots give; used when data is too small
    coverage_weight: float = 1.5
    bias: float = -1.2

    def __call__(self, scores: np.ndarray, cover: float) -> np.ndarray:
        z = self.score_weight * scores + self.coverage_weight * cover + self.bias
        return 1 / (1 + np.exp(-z))


@dataclass
class HeldOut:
    scores: list[np.ndarray] = field(default_factory=list)  # in-scope: scores over fold intents
    truth: list[int] = field(default_factory=list)  # index of the true intent in that row
    cover: list[float] = field(default_factory=list)
    oos_scores: list[np.ndarray] = field(default_factory=list)  # out-of-scope utterances
    oos_cover: list[float] = field(default_factory=list)


def folds_for(examples: int) -> int:
    # Large data needs fewer folds for a stable estimate, and each fit costs more.
    return 5 if examples <= 2000 else 3


def _as_parsed(rows: csr_matrix, seen: np.ndarray, word_size: int) -> csr_matrix:
    """Held-out rows as a parse would see them: features the fit never saw dropped, and each
    group (words, characters) normalised again. Without this, an utterance of mostly new
    words would keep their weight in its norm and score lower than it will when parsed."""
    rows = csr_matrix(rows.multiply(seen))
    words = normalize(rows[:, :word_size])
    chars = normalize(rows[:, word_size:])
    return csr_matrix(hstack([words, chars]))


def held_out(matrix: csr_matrix, word_size: int, tokens: list[list[str]], labels: list[str],
             k: int) -> HeldOut:
    """Scores of held-out fits. `matrix` holds every example's TF-IDF vector, computed once
    with the IDF of all the examples (computing the vectors once per fold would double the
    training time on 10,000 examples); held-out rows are then reduced to what each fit saw.
    Coverage uses each fit's own vocabulary."""
    intents = list(dict.fromkeys(labels))
    group = {intent: i % k for i, intent in enumerate(intents)}
    seen: dict[str, int] = {}
    fold: list[int] = []
    for label in labels:  # round robin within each intent, shifted per intent
        fold.append((seen.get(label, 0) + group[label]) % k)
        seen[label] = seen.get(label, 0) + 1
    out = HeldOut()
    for f in range(k):
        train = [i for i, y in enumerate(labels) if fold[i] != f and group[y] != f]
        classes = {labels[i] for i in train}
        if len(classes) < 2:
            continue
        model = LinearModel.fit(matrix[train], [labels[i] for i in train])
        seen = (matrix[train].getnnz(axis=0) > 0).astype(np.float64)
        vocabulary = {t for i in train for t in tokens[i]}
        inside = [i for i, y in enumerate(labels) if fold[i] == f and y in classes]
        outside = [i for i, y in enumerate(labels) if group[y] == f]
        if inside:
            out.scores.extend(model.score_matrix(_as_parsed(matrix[inside], seen, word_size)))
            out.truth.extend(model.intents.index(labels[i]) for i in inside)
            out.cover.extend(coverage(tokens[i], vocabulary) for i in inside)
        if outside:
            out.oos_scores.extend(
                model.score_matrix(_as_parsed(matrix[outside], seen, word_size)))
            out.oos_cover.extend(coverage(tokens[i], vocabulary) for i in outside)
    return out


def fit_calibration(held: HeldOut) -> Calibration:
    """Logistic regression (Newton's method) of 'the top intent is right' on the top score
    and the coverage; in-scope rows are right when their own intent ranks first, out-of-scope
    rows never are."""
    x = [(float(r.max()), c) for r, c in zip(held.scores, held.cover, strict=True)]
    x += [(float(r.max()), c) for r, c in zip(held.oos_scores, held.oos_cover, strict=True)]
    y = [float(int(r.argmax()) == t) for r, t in zip(held.scores, held.truth, strict=True)]
    y += [0.0] * len(held.oos_scores)
    if len(x) < MIN_HELD_OUT or len(set(y)) < 2:
        return Calibration()
    features = np.hstack([np.array(x), np.ones((len(x), 1))])
    target = np.array(y)
    # Platt's targets: a little off 0 and 1, so a separable set does not run to infinity.
    positives = target.sum()
    target = np.where(target > 0, (positives + 1) / (positives + 2),
                      1 / (len(target) - positives + 2))
    w = np.zeros(3)
    for _ in range(100):
        p = 1 / (1 + np.exp(-features @ w))
        hessian = (features * np.maximum(p * (1 - p), 1e-12)[:, None]).T @ features
        step = np.linalg.solve(hessian + np.eye(3) * 1e-9, features.T @ (p - target))
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    if w[0] <= 0:  # higher scores less often right: too little data to say; keep the default
        return Calibration()
    return Calibration(round(float(w[0]), 4), round(float(w[1]), 4), round(float(w[2]), 4))


def threshold_for(held: HeldOut, calibration: Calibration) -> float:
    """The cut with the best balanced accuracy (accepted with the right intent among in-scope,
    rejected among out-of-scope), the middle of the best interval as in
    `runtime.intents.choose_threshold`, found by one sweep over the sorted confidences rather
    than by trying every cut (which is quadratic: minutes on 10,000 examples)."""
    ins = [(float(calibration(r.max(), c)), int(r.argmax()) == t)
           for r, t, c in zip(held.scores, held.truth, held.cover, strict=True)]
    oos = [float(calibration(r.max(), c))
           for r, c in zip(held.oos_scores, held.oos_cover, strict=True)]
    if not ins or not oos:
        return 0.5
    values = sorted({c for c, _ in ins} | set(oos))
    cuts = np.array([values[0] / 2] + [(x + y) / 2 for x, y in itertools.pairwise(values)]
                    + [(values[-1] + 1.0) / 2])
    right = np.sort([c for c, ok in ins if ok])
    accepted = len(right) - np.searchsorted(right, cuts, side="left")  # right and >= cut
    rejected = np.searchsorted(np.sort(oos), cuts, side="left")  # out of scope and < cut
    balanced = (accepted / len(ins) + rejected / len(oos)) / 2
    best = np.flatnonzero(balanced == balanced.max())
    return round(float(cuts[best[len(best) // 2]]), 4)
