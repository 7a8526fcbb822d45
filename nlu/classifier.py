"""The intent classifier: a one-vs-rest linear SVM over TF-IDF features.

Chosen by measurement on banking77 (docs/benchmarks.md, "NLU"): logistic regression on the
same features scored the same within 0.3 point but trained 7-10x slower (40-60 s); a
Crammer-Singer SVM gained 0.3 point for 3x the training time; sentence embeddings
(all-MiniLM-L6-v2 with logistic regression) gained 1.3 points but cost 14 ms a parse (p50) and
48 s to embed the training set on this 2-core CPU, plus PyTorch. Scores are a dense (features x
intents) matrix, so a parse is one small gather and sum.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

SVM_C = 0.5  # regularisation; 0.3-1.0 score within 0.2 point on banking77 and the example bots


class LinearModel:
    def __init__(self, intents: list[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.intents = intents
        self.weights = weights  # (features, intents), float32
        self.bias = bias  # (intents,)

    @classmethod
    def fit(cls, matrix: csr_matrix, labels: list[str]) -> LinearModel:
        intents = list(dict.fromkeys(labels))
        if len(intents) == 1:  # nothing to tell apart: a constant score
            return cls(intents, np.zeros((matrix.shape[1], 1), np.float32), np.ones(1))
        from sklearn.svm import LinearSVC  # imported here: parsing needs only NumPy

        svm = LinearSVC(C=SVM_C, random_state=0)
        svm.fit(matrix, labels)
        classes = [str(c) for c in svm.classes_]
        coef, bias = svm.coef_, svm.intercept_
        if len(classes) == 2:  # scikit-learn keeps one row for two classes: make it two
            coef = np.vstack([-coef[0], coef[0]])
            bias = np.array([-bias[0], bias[0]])
        order = [classes.index(i) for i in intents]
        return cls(intents, np.ascontiguousarray(coef[order].T, dtype=np.float32),
                   np.asarray(bias[order], dtype=np.float64))

    def scores(self, vector: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        idx, val = vector
        return val @ self.weights[idx] + self.bias if len(idx) else self.bias.copy()

    def score_matrix(self, matrix: csr_matrix) -> np.ndarray:
        return np.asarray(matrix @ self.weights) + self.bias

