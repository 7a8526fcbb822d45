"""Combining rankings: reciprocal rank fusion, and the hook a second ranker plugs into."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from knowledge.search import Ranking

# (index, collection, question, lexical ranking) -> the ranking to answer from
Reranker = Callable[[sqlite3.Connection, str, str, Ranking], Ranking]

RRF_K = 60  # the constant of Cormack et al. (2009): damps the weight of the very top ranks


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]],
                           weights: Sequence[float] | None = None, k: int = RRF_K) -> list[int]:
    """Ids ordered by the sum of weight / (k + rank) over the rankings that contain them."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda i: (-scores[i], i))
