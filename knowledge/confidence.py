"""How sure the knowledge base is that its best hit answers the question: a probability in 0..1.

BM25 scores have no scale (they grow with the question's length and the collection), so the
confidence is a logistic model over features that do: how much of the question, weighted by term
rarity, the best hit contains (in all its text, and in its title or FAQ phrasings), how far it
is ahead of the runner-up, and how many content words the question had. The coefficients were
fitted by `bench/knowledge_stackfaq.py --fit-confidence` on StackFAQ, half of the cases with the
right entry present and half with it removed (so the best hit is necessarily wrong): a flow's
`min_confidence 0.6` then means "right at least 6 times in 10" under that 50/50 mix.
docs/benchmarks.md shows how well it is calibrated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.search import Hit, Ranking

# intercept, coverage, heading coverage, margin x coverage², log(1 + question terms)
COEFFICIENTS = (-7.02, -3.4, 6.95, 12.83, 2.49)


@dataclass(frozen=True)
class Features:
    coverage: float
    heading_coverage: float
    margin: float
    length: float

    def vector(self) -> tuple[float, ...]:
        # The margin counts only as far as the hit covers the question: in a small collection a
        # one-word match is often the only hit, far "ahead" of nothing.
        support = max(self.coverage, self.heading_coverage)
        return (1.0, self.coverage, self.heading_coverage, self.margin * support ** 2,
                self.length)


def features(ranking: Ranking, best: Hit) -> Features:
    others = [h.score for h in ranking.hits if h.id != best.id]
    runner_up = max(others, default=0.0)
    margin = max(0.0, (best.score - runner_up) / best.score) if best.score > 0 else 0.0
    return Features(ranking.coverage(best), ranking.coverage(best, heading_only=True), margin,
                    math.log1p(len(ranking.query)))


def confidence(f: Features, coefficients: tuple[float, ...] = COEFFICIENTS) -> float:
    z = sum(c * x for c, x in zip(coefficients, f.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
