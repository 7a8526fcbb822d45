"""How sure the knowledge base is that its best hit answers the question: a probability in 0..1.

BM25 scores have no scale (they grow with the question's length and the collection), so the
confidence is a logistic model over features that do: how much of the question, weighted by term
rarity, the best hit contains (in all its text; in its title or FAQ phrasings; in its title
with its one best-matching sentence), how far it is ahead of the runner-up, and how many content
words the question had. Article sections get
their own weight on coverage: their titles are short, so a right section often covers the
question in its body, where a long FAQ answer covering it says little.

The coefficients are fitted by `bench/knowledge_stackfaq.py --fit-confidence` on StackFAQ
(FAQ entries, written questions) and on the bots' fitting sets (`bots/*/tests/knowledge-fit.yml`:
phone-style questions against FAQs and articles, some that the content cannot answer), each
answerable question twice: with the right chunk present, and with it removed so the best hit
is necessarily wrong. A flow's `min_confidence 0.6` then means "right at least 6 times in 10"
under that mix, in which half the questions have no answer in the content. The bots'
`knowledge-queries.yml` sets are not used to fit; docs/benchmarks.md shows the calibration on
them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.search import Hit, Ranking
from knowledge.spoken import sentences

# intercept, coverage, heading coverage, margin x support², log(1 + question terms), passage
# coverage, coverage of an article section
COEFFICIENTS = (-8.07, -5.29, 5.51, 11.65, 2.88, 3.73, 2.36)


@dataclass(frozen=True)
class Features:
    coverage: float
    heading_coverage: float
    margin: float
    length: float
    passage: float = 0.0  # title or FAQ phrasings plus the hit's best sentence
    section: bool = False  # an article section rather than an FAQ entry

    def vector(self) -> tuple[float, ...]:
        # The margin counts only as far as the hit covers the question: in a small collection a
        # one-word match is often the only hit, far "ahead" of nothing.
        support = max(self.coverage, self.heading_coverage)
        return (1.0, self.coverage, self.heading_coverage, self.margin * support ** 2,
                self.length, self.passage, self.coverage * self.section)


def features(ranking: Ranking, best: Hit) -> Features:
    others = [h.score for h in ranking.hits if h.id != best.id]
    runner_up = max(others, default=0.0)
    margin = max(0.0, (best.score - runner_up) / best.score) if best.score > 0 else 0.0
    coverage, heading = ranking.coverage(best), ranking.coverage(best, heading_only=True)
    return Features(coverage, heading, margin, math.log1p(len(ranking.query)),
                    _passage(ranking, best, heading, coverage), best.kind == "section")


def _passage(ranking: Ranking, best: Hit, heading: float, coverage: float) -> float:
    """The most of the question the hit's title (or FAQ phrasings) and one of its sentences
    cover together; never more than the whole hit covers, so it stops there."""
    passage = heading
    for sentence in sentences(best.text):
        if passage >= coverage:
            break
        passage = max(passage, ranking.covered(best.heading_terms |
                                               set(ranking.analyse(sentence))))
    return passage


def confidence(f: Features, coefficients: tuple[float, ...] = COEFFICIENTS) -> float:
    z = sum(c * x for c, x in zip(coefficients, f.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
