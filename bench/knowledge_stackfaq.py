"""The knowledge base on StackFAQ (queries -> FAQ entry) against a plain BM25 baseline.

    .venv/bin/python bench/knowledge_stackfaq.py [--data ../shared/data/stackfaq] [--chunks 10000]
    .venv/bin/python bench/knowledge_stackfaq.py --fit-confidence

Reports recall@1, recall@5, MRR@10 and query latency p50/p95 for (a) voxflow's index (SQLite
FTS5, BM25 over stemmed, weighted fields, through KnowledgeBase.answer: ranking, confidence and
spoken answer), (b) rank-bm25's BM25Okapi over the same entries (question + answers, lower-cased
words), and, when the `dense` extra is installed, (c) MiniLM alone and (d) fused with (a). Then
the latency of (a) on a synthetic collection of --chunks article sections made from the data:
the answer, the search alone, and the search with every matching row scored (no posting budget),
timed in turn for each query, and how often the posting budget changes the top hit.
--fit-confidence fits knowledge/confidence.py's coefficients on StackFAQ and the bots' fitting
sets (bots/*/tests/knowledge-fit.yml) and prints how well they calibrate there and on the bots'
held-out paraphrase sets (bots/*/tests/knowledge-queries.yml).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402
from knowledge import confidence as C  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.evaluate import Outcome, Query, evaluate, load_queries, mrr_at, recall_at  # noqa: E402
from knowledge.search import POSTING_BUDGET, search  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "stackfaq"


def load(data: Path) -> tuple[list[dict], list[dict]]:
    faqs = [json.loads(line) for line in (data / "faq.jsonl").read_text().splitlines() if line]
    queries = [json.loads(line) for line in (data / "queries.jsonl").read_text().splitlines()
               if line]
    return faqs, queries


def write_collection(folder: Path, faqs: list[dict]) -> None:
    folder.mkdir(parents=True)
    entries = [{"id": str(f["faq_id"]), "question": f["question"],
                "answer": " ".join(" ".join(f["answers"]).split())} for f in faqs]
    (folder / "stackfaq.yml").write_text(yaml.safe_dump({"faq": entries}, sort_keys=False))


def timed(fn: Callable[[str, str], tuple[list[str], float]]) -> tuple[
        Callable[[str, str], tuple[list[str], float]], list[float]]:
    latencies: list[float] = []

    def run(collection: str, question: str) -> tuple[list[str], float]:
        start = time.perf_counter()
        out = fn(collection, question)
        latencies.append((time.perf_counter() - start) * 1000)
        return out

    return run, latencies


def row(name: str, outcomes: list[Outcome], latencies: list[float]) -> str:
    return (f"| {name} | {recall_at(outcomes, 1):.1%} | {recall_at(outcomes, 5):.1%} | "
            f"{mrr_at(outcomes, 10):.3f} | {pct(latencies, 0.5):.1f} ms | "
            f"{pct(latencies, 0.95):.1f} ms |")


def baseline(faqs: list[dict]) -> Callable[[str, str], tuple[list[str], float]]:
    import numpy as np
    from rank_bm25 import BM25Okapi

    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    bm25 = BM25Okapi([tokens(f["question"] + " " + " ".join(f["answers"])) for f in faqs])
    ids = [f"stackfaq.yml#{f['faq_id']}" for f in faqs]

    def answer(collection: str, question: str) -> tuple[list[str], float]:
        scores = bm25.get_scores(tokens(question))
        return [ids[i] for i in np.argsort(-scores)[:10]], 0.0

    return answer


def synthetic_collection(folder: Path, faqs: list[dict], chunks: int, seed: int = 7) -> None:
    """Markdown articles of five sections each, made of shuffled sentences from the answers, until
    there are `chunks` sections: realistic words and lengths, no server, no download."""
    rng = random.Random(seed)
    sentences = [s for f in faqs for a in f["answers"]
                 for s in re.split(r"(?<=[.!?])\s+", " ".join(a.split())) if len(s.split()) > 3]
    titles = [f["question"] for f in faqs]
    folder.mkdir(parents=True)
    for n in range(math.ceil(chunks / 5)):
        parts = [f"# {rng.choice(titles)} ({n})\n"]
        for s in range(5):
            body = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
            parts.append(f"## {' '.join(rng.choice(titles).split()[:6])} {s}\n\n{body}\n")
        (folder / f"article-{n:05d}.md").write_text("\n".join(parts))


def confidence_cases(kb: KnowledgeBase, collection: str, queries: list[Query],
                     remove: bool) -> tuple[list[tuple[float, ...]], list[float]]:
    """(features of the best hit, was it right) for each question; with `remove`, answerable
    questions count twice: with the right chunk present and with it removed from the hits (then
    the best hit is wrong, as for a question the content cannot answer)."""
    xs, ys = [], []
    for q in queries:
        ranking = kb.ranking(collection, q.question)
        for drop in (False, True) if q.expect and remove else (False,):
            hits = [h for h in ranking.hits
                    if h.text.strip() and not (drop and h.ref in q.expect)]
            if not hits:
                continue
            view = dataclasses.replace(ranking, hits=hits)
            xs.append(C.features(view, hits[0]).vector())
            ys.append(float(hits[0].ref in q.expect))
    return xs, ys


def fit_confidence(kb: KnowledgeBase, queries: list[Query], natural: bool = False) -> None:
    """Logistic regression on StackFAQ and the bots' fitting sets (phone-style questions against
    FAQs and articles, a quarter of them with no answer in the content), every answerable
    question with its answer present and removed: a confidence for a traffic in which half the
    questions have no answer, as cautious as a spoken wrong answer calls for. Fitting the bots'
    sets as they are instead answers more but also answers questions the content cannot
    (docs/benchmarks.md compares the two)."""
    import numpy as np

    xs, ys = confidence_cases(kb, "stackfaq", queries, remove=True)
    n = len(xs)
    for bot in ("acme", "bank"):
        bot_kb = _bot_kb(bot)
        [collection] = bot_kb.collections()
        bx, by = confidence_cases(bot_kb, collection, load_queries(
            ROOT / "bots" / bot / "tests" / "knowledge-fit.yml"), remove=not natural)
        xs, ys = xs + bx, ys + by
    x, y = np.array(xs), np.array(ys)
    w = np.zeros(x.shape[1])
    for _ in range(60):  # Newton's method, with a little ridge for stability
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + 1e-2 * w
        hess = (x.T * (p * (1 - p))) @ x + 1e-2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    print("coefficients:", tuple(round(float(v), 2) for v in w))
    p = 1 / (1 + np.exp(-x @ w))
    print("\nStackFAQ (fitted on):")
    print(calibration(p[:n].tolist(), y[:n].tolist()))
    print("\nThe bots' fitting sets (fitted on):")
    print(calibration(p[n:].tolist(), y[n:].tolist()))


def calibration(probabilities: list[float], labels: list[float], bins: int = 5) -> str:
    lines = ["| confidence | cases | right |", "|---|---|---|"]
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, p in enumerate(probabilities) if lo <= p < hi or (b == bins - 1 and p == 1)]
        if not idx:
            continue
        right = statistics.fmean(labels[i] for i in idx)
        mean_p = statistics.fmean(probabilities[i] for i in idx)
        ece += len(idx) / len(labels) * abs(right - mean_p)
        lines.append(f"| {lo:.1f}-{hi:.1f} (mean {mean_p:.2f}) | {len(idx)} | {right:.1%} |")
    lines.append(f"expected calibration error: {ece:.3f}")
    return "\n".join(lines)


def bots_calibration(kb_for: Callable[[str], KnowledgeBase]) -> str:
    """How the confidence calibrates on the bots' own paraphrase sets (not used for fitting)."""
    probs, labels = [], []
    for bot in ("acme", "bank"):
        kb = kb_for(bot)
        for q in load_queries(ROOT / "bots" / bot / "tests" / "knowledge-queries.yml"):
            a = kb.answer(q.collection, q.question)
            probs.append(a.confidence)
            labels.append(float(bool(a.hits) and a.hits[0].ref in q.expect))
    return calibration(probs, labels)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--fit-confidence", action="store_true")
    ap.add_argument("--natural", action="store_true",
                    help="with --fit-confidence: the bots' fitting sets as they are, not also "
                         "with each right answer removed")
    ap.add_argument("--no-dense", action="store_true", help="skip MiniLM even if installed")
    args = ap.parse_args(argv)
    faqs, raw = load(args.data)

    def gold(q: dict) -> str:
        return f"stackfaq.yml#{q['faq_id']}"

    queries = [Query(q["query"], frozenset([gold(q)]), "stackfaq") for q in raw]
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    write_collection(tmp / "knowledge" / "stackfaq", faqs)
    kb = KnowledgeBase(tmp / "knowledge", tmp / "index.sqlite")
    start = time.perf_counter()
    kb.ingest()
    print(f"StackFAQ: {len(faqs)} entries, {len(queries)} queries; ingest "
          f"{time.perf_counter() - start:.2f} s")

    if args.fit_confidence:
        fit_confidence(kb, queries, natural=args.natural)
        print("\nOn the bots' paraphrase sets (knowledge-queries.yml, not fitted on), with the "
              "coefficients in knowledge/confidence.py:")
        print(bots_calibration(lambda bot: _bot_kb(bot)))
        return 0

    dense = None
    if not args.no_dense:
        from knowledge import dense as D

        if D.available():
            start = time.perf_counter()
            dense = D.DenseRanker()
            print(f"MiniLM loaded in {time.perf_counter() - start:.1f} s")
            kb.embed = dense.embed_chunks
            dense.backfill(kb.db)

    print("\n| ranker | recall@1 | recall@5 | MRR@10 | p50 | p95 |\n|---|---|---|---|---|---|")
    results: list[tuple[str, Callable[[str, str], tuple[list[str], float]]]] = []

    def ours(collection: str, question: str) -> tuple[list[str], float]:
        kb.reranker = None
        a = kb.answer(collection, question)
        return [h.ref for h in a.hits], a.confidence

    results.append(("voxflow (FTS5 BM25, fields, stemming) via KnowledgeBase.answer", ours))
    results.append(("rank-bm25 BM25Okapi baseline (question + answers)", baseline(faqs)))
    if dense is not None:
        refs = dict(kb.db.execute("SELECT id, ref FROM chunks").fetchall())

        def dense_only(collection: str, question: str) -> tuple[list[str], float]:
            return [refs[i] for i, _ in dense.dense_ranking(kb.db, collection, question)], 0.0

        def fused(collection: str, question: str) -> tuple[list[str], float]:
            kb.reranker = dense.rerank
            a = kb.answer(collection, question)
            return [h.ref for h in a.hits], a.confidence

        results.append(("MiniLM alone (dense extra)", dense_only))
        results.append(("voxflow + MiniLM, reciprocal rank fusion (dense extra)", fused))
    for name, fn in results:
        run, latencies = timed(fn)
        report = evaluate(queries, run)
        print(row(name, report.answerable, latencies))

    print(f"\nLatency on a synthetic collection of {args.chunks:,} article sections:")
    big = Path(tempfile.mkdtemp(prefix="kb-bench-big-"))
    synthetic_collection(big / "knowledge" / "synthetic", faqs, args.chunks)
    kb_big = KnowledgeBase(big / "knowledge", big / "index.sqlite")
    start = time.perf_counter()
    [report] = kb_big.ingest()
    kb_big.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so the file size is the index's
    print(f"ingest: {report.chunks:,} chunks in {time.perf_counter() - start:.1f} s; "
          f"index {(big / 'index.sqlite').stat().st_size / 1e6:.1f} MB")
    start = time.perf_counter()
    again = kb_big.ingest()[0]
    print(f"re-ingest unchanged: {time.perf_counter() - start:.2f} s (did work: "
          f"{again.did_work})")
    # The three are timed query by query in turn, so a change in the machine's load falls on
    # all of them alike.
    variants = {
        "answer (search, confidence, spoken answer)": lambda q: kb_big.answer("synthetic", q),
        "search only": lambda q: kb_big.ranking("synthetic", q),
        "search, every matching row scored (budget=None)":
            lambda q: search(kb_big.db, "synthetic", q, budget=None),
    }
    latencies: dict[str, list[float]] = {label: [] for label in variants}
    same_top, overlap, proven, limited = 0, 0.0, 0, 0
    for q in raw:
        out = {}
        for label, fn in variants.items():
            start = time.perf_counter()
            out[label] = fn(q["query"])
            latencies[label].append((time.perf_counter() - start) * 1000)
        limited_, full = out["search only"], out[list(variants)[-1]]
        got, want = [h.id for h in limited_.hits], [h.id for h in full.hits]
        same_top += got[:1] == want[:1]
        overlap += len(set(got[:10]) & set(want[:10])) / max(1, min(10, len(want)))
        limited += bool(limited_.unmatched)
        proven += bool(got) and (not limited_.unmatched or limited_.hits[0].score >= limited_.bound)
    for label, values in latencies.items():
        print(f"{label}: p50 {pct(values, 0.5):.1f} ms, p95 "
              f"{pct(values, 0.95):.1f} ms, max {max(values):.1f} ms "
              f"({len(values)} queries)")
    n = len(raw)
    print(f"posting budget {POSTING_BUDGET}: applied to {limited / n:.1%} of the questions; "
          f"same top hit as scoring every row {same_top / n:.1%}, top-10 overlap "
          f"{overlap / n:.1%}; top hit proven the same by the bound {proven / n:.1%}")
    return 0


def _bot_kb(bot: str) -> KnowledgeBase:
    kb = KnowledgeBase(ROOT / "bots" / bot / "knowledge", ":memory:")
    kb.ingest()
    return kb


if __name__ == "__main__":
    sys.exit(main())
