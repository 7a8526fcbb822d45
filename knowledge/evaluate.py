"""Measuring retrieval: recall@k and MRR@10 on questions whose answering chunk is known, and
what happens at a flow's confidence threshold (answered right, answered wrong, declined).

A queries file (YAML):

    collection: acme-help
    queries:
      - {question: "if I move do I lose my number", expect: keeping-your-number.md#intro}
      - {question: "is it better to freeze or block", expect: [faq.yml#block, freeze.md#intro]}
      - {question: "are you hiring", expect: none}     # the content cannot answer it
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError


@dataclass(frozen=True)
class Query:
    question: str
    expect: frozenset[str]  # empty: nothing in the collection answers it
    collection: str


@dataclass
class Outcome:
    query: Query
    ranked: list[str]  # chunk refs, best first
    confidence: float


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    threshold: float = 0.6

    @property
    def answerable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.query.expect]

    @property
    def unanswerable(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.query.expect]

    def recall(self, k: int) -> float:
        return recall_at(self.answerable, k)

    def mrr(self, k: int = 10) -> float:
        return mrr_at(self.answerable, k)

    def at_threshold(self) -> dict[str, float]:
        """Shares at the threshold: answerable questions answered right / answered wrong /
        declined, and unanswerable ones declined (the rest got a wrong answer)."""
        t = self.threshold
        ans, una = self.answerable, self.unanswerable
        right = sum(o.confidence >= t and o.ranked[:1] and o.ranked[0] in o.query.expect
                    for o in ans)
        wrong = sum(o.confidence >= t and not (o.ranked[:1] and o.ranked[0] in o.query.expect)
                    for o in ans)
        return {"answered_right": right / len(ans) if ans else 0.0,
                "answered_wrong": wrong / len(ans) if ans else 0.0,
                "declined": (len(ans) - right - wrong) / len(ans) if ans else 0.0,
                "unanswerable_declined": (sum(o.confidence < t for o in una) / len(una)
                                          if una else 1.0)}

    def render(self) -> str:
        ans, una = self.answerable, self.unanswerable
        lines = [f"{len(ans)} answerable questions: recall@1 {self.recall(1):.1%}, "
                 f"recall@5 {self.recall(5):.1%}, MRR@10 {self.mrr(10):.3f}"]
        shares = self.at_threshold()
        lines.append(f"at min_confidence {self.threshold:g}: answered right "
                     f"{shares['answered_right']:.1%}, answered wrong "
                     f"{shares['answered_wrong']:.1%}, declined {shares['declined']:.1%}")
        if una:
            lines.append(f"{len(una)} unanswerable questions: declined "
                         f"{shares['unanswerable_declined']:.1%}")
        lines.append("(right: the top hit is one of the question's `expect` chunks; the spoken "
                     "words are not checked)")
        misses = [o for o in ans if not (o.ranked[:1] and o.ranked[0] in o.query.expect)]
        wrongly = [o for o in una if o.confidence >= self.threshold]
        for o in misses:
            got = o.ranked[0] if o.ranked else "nothing"
            lines.append(f"  miss: {o.query.question!r} -> {got} ({o.confidence:.2f}); "
                         f"expected {' or '.join(sorted(o.query.expect))}")
        for o in wrongly:
            lines.append(f"  answered but should not: {o.query.question!r} -> {o.ranked[0]} "
                         f"({o.confidence:.2f})")
        return "\n".join(lines)


def recall_at(outcomes: Sequence[Outcome], k: int) -> float:
    if not outcomes:
        return 0.0
    return sum(bool(set(o.ranked[:k]) & o.query.expect) for o in outcomes) / len(outcomes)


def mrr_at(outcomes: Sequence[Outcome], k: int = 10) -> float:
    if not outcomes:
        return 0.0
    total = 0.0
    for o in outcomes:
        rank = next((n for n, ref in enumerate(o.ranked[:k], start=1) if ref in o.query.expect),
                    0)
        total += 1 / rank if rank else 0.0
    return total / len(outcomes)


def load_queries(path: Path, collection: str = "") -> list[Query]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: is not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("queries"), list):
        raise KnowledgeError(f"{path}: expected `collection:` and a `queries:` list")
    default = collection or str(data.get("collection") or "")
    out = []
    for n, item in enumerate(data["queries"], start=1):
        if not isinstance(item, dict) or not item.get("question") or "expect" not in item:
            raise KnowledgeError(f"{path}: query {n} needs `question` and `expect`")
        expect = item["expect"]
        refs = [] if expect in (None, "none") else expect if isinstance(expect, list) else [expect]
        name = str(item.get("collection") or default)
        if not name:
            raise KnowledgeError(f"{path}: query {n} has no collection (set `collection:` at "
                                 "the top)")
        out.append(Query(str(item["question"]), frozenset(map(str, refs)), name))
    return out


Answerer = Callable[[str, str], tuple[list[str], float]]  # (collection, question) -> refs, conf


def evaluate(queries: Sequence[Query], answer: Answerer, threshold: float = 0.6) -> Report:
    report = Report(threshold=threshold)
    for q in queries:
        ranked, conf = answer(q.collection, q.question)
        report.outcomes.append(Outcome(q, ranked, conf))
    return report
