"""Finding the chunks that answer a question: FTS5's BM25 over analysed terms, with per-field
weights, plus what the confidence needs to know about the top hits (which query terms each one
covers, and how rare those terms are).

The cost of an FTS5 query is BM25 for every row that matches (about 1.5 us a row): a question
whose words are all common matches most of a large collection. So when a question's terms
together have more than POSTING_BUDGET postings, only its rarer terms decide which rows are
scored, and the common ones still count in the score of those rows (BM25 over all the terms,
exactly as without the limit). A row that has none of the rarer terms can then be missed; the
bound on what such a row could score is kept in `Ranking.bound` (docs/benchmarks.md measures how
often the top hit is the same as with every row scored).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from knowledge.analysis import terms
from knowledge.store import collection_token
from knowledge.synonyms import NONE, Synonyms, synonym_groups

# BM25 weights of the FTS columns (collection, title, questions, body, extra). A match in an
# FAQ's phrasings or an article's headings says more about what the chunk answers than one in
# its body; tables and code say least. Chosen on StackFAQ and the bots' paraphrase sets
# (docs/benchmarks.md). The collection column holds one token per collection and weighs nothing.
WEIGHTS = (0.0, 4.0, 4.0, 0.5, 0.3)
SCORE = f"bm25(chunks_fts, {', '.join(map(str, WEIGHTS))})"
K1 = 1.2  # FTS5's bm25() constant
CANDIDATES = 20
# Postings (rows per term, summed over the question's terms) above which the commonest terms no
# longer decide which rows are scored. StackFAQ questions (125 entries) stay far under it; on the
# 10,000-chunk benchmark collection a typical question has about 9,000.
POSTING_BUDGET = 2000


@dataclass(frozen=True)
class Hit:
    id: int
    ref: str
    kind: str
    title: str
    text: str
    questions: tuple[str, ...]
    score: float  # BM25, higher is better
    terms: frozenset[str]  # every analysed term of the chunk
    heading_terms: frozenset[str]  # the terms of its title and FAQ phrasings

    @property
    def source(self) -> str:
        """How an agent (and the call log) sees where an answer came from."""
        return f"{self.ref} ({self.title})"


@dataclass
class Ranking:
    query: list[str]  # the question's distinct terms
    idf: dict[str, float]  # per query term; unseen terms get the highest value
    hits: list[Hit] = field(default_factory=list)
    similarity: dict[int, float] = field(default_factory=dict)  # dense cosine by chunk id
    synonyms: Synonyms = NONE  # the collection's, already applied to `query`
    # Terms that were scored but did not decide which rows matched (POSTING_BUDGET), and the
    # most a row with none of the deciding terms could score: a hit scoring at least this is
    # where full scoring would have put it.
    unmatched: list[str] = field(default_factory=list)
    bound: float = 0.0

    def covered(self, have: frozenset[str] | set[str]) -> float:
        """The share of the question (by term rarity) that a set of terms contains."""
        total = sum(self.idf.values())
        if not total:
            return 0.0
        return sum(w for t, w in self.idf.items() if t in have) / total

    def analyse(self, text: str) -> list[str]:
        """Terms of some other text (a sentence of a hit) as the question's were made."""
        return self.synonyms.apply(terms(text))

    def coverage(self, hit: Hit, heading_only: bool = False) -> float:
        """The share of the question (by term rarity) that `hit` contains."""
        return self.covered(hit.heading_terms if heading_only else hit.terms)


def match_expression(query: list[str]) -> str:
    # Quoted, so no caller's words can be read as FTS5 syntax (AND, NEAR, column filters).
    return " OR ".join(f'"{t}"' for t in query)


def search(db: sqlite3.Connection, collection: str, question: str,
           limit: int = CANDIDATES, budget: int | None = POSTING_BUDGET) -> Ranking:
    """The top `limit` chunks of `collection` for `question`. `budget=None` scores every
    matching row (the benchmark compares the two)."""
    synonyms = Synonyms(synonym_groups(db, collection))
    query = list(dict.fromkeys(synonyms.apply(terms(question))))
    ranking = Ranking(query, {}, synonyms=synonyms)
    if not query:
        return ranking
    n, df = _frequencies(db, query)
    ranking.idf = {t: _idf(n, df.get(t, 0)) for t in query}
    deciding = query
    if budget is not None and sum(df.values()) > budget:
        deciding = _rarest(query, df, budget)
        ranking.unmatched = [t for t in query if t not in deciding]
        ranking.bound = (K1 + 1) * sum(_fts_idf(n, df.get(t, 0)) for t in ranking.unmatched)
    # The top rows by BM25 in a subquery, so the join runs on those alone. ORDER BY bm25() with
    # a LIMIT keeps a top-k heap; it took two thirds of the time of `rank MATCH` and ORDER BY
    # rank (FTS5's sorter), with the same order (measured on 10,000 chunks).
    rows = db.execute(
        f"SELECT {_COLUMNS}, -top.score FROM (SELECT rowid, {SCORE} AS score FROM chunks_fts"
        " WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?)"
        " AS top JOIN chunks c ON c.id = top.rowid JOIN chunks_fts f ON f.rowid = top.rowid"
        " ORDER BY top.score",
        (_expression(db, collection, deciding, ranking.unmatched), limit)).fetchall()
    ranking.hits = [_hit(row[:-1], float(row[-1])) for row in rows]
    return ranking


def _expression(db: sqlite3.Connection, collection: str, deciding: list[str],
                unmatched: list[str]) -> str:
    """Rows of the collection with any deciding term; the unmatched terms are ORed with the
    collection's token, which every row of the collection has, so they add to the score of the
    rows that match without changing which rows do (the token's column weighs 0)."""
    everyone = f'{{collection}} : "{collection_token(collection)}"'
    expression = f"({match_expression(deciding)})"
    if unmatched:
        expression += f" AND ({match_expression(unmatched)} OR {everyone})"
    if not _only_collection(db, collection):
        expression = f"{everyone} AND {expression}"
    return expression


def _only_collection(db: sqlite3.Connection, collection: str) -> bool:
    names = db.execute("SELECT name FROM collections LIMIT 2").fetchall()
    return names == [(collection,)]


def _rarest(query: list[str], df: dict[str, int], budget: int) -> list[str]:
    """The rarest terms whose postings fit in the budget (at least one)."""
    chosen: list[str] = []
    used = 0
    for term in sorted(query, key=lambda t: (df.get(t, 0), t)):
        if chosen and used + df.get(term, 0) > budget:
            break
        chosen.append(term)
        used += df.get(term, 0)
    return chosen


_COLUMNS = ("c.id, c.ref, c.kind, c.title, c.text, c.questions, f.title, f.questions, f.body, "
            "f.extra")


def _hit(row: tuple, score: float) -> Hit:
    cid, ref, kind, title, text, questions, t_title, t_questions, t_body, t_extra = row
    heading = frozenset(f"{t_title} {t_questions}".split())
    return Hit(cid, ref, kind, title, text, tuple(questions.split("\n")) if questions else (),
               score, heading | frozenset(f"{t_body} {t_extra}".split()), heading)


def hits_by_id(db: sqlite3.Connection, ids: list[int], known: dict[int, Hit]) -> list[Hit]:
    """Hits for chunk ids in the given order; ids another ranker found but BM25 did not get a
    BM25 score of 0."""
    missing = [i for i in ids if i not in known]
    if missing:
        marks = ", ".join("?" * len(missing))
        for row in db.execute(f"SELECT {_COLUMNS} FROM chunks_fts f JOIN chunks c ON "
                              f"c.id = f.rowid WHERE c.id IN ({marks})", missing):
            known[row[0]] = _hit(row, 0.0)
    return [known[i] for i in ids if i in known]


def _frequencies(db: sqlite3.Connection, query: list[str]) -> tuple[int, dict[str, int]]:
    """Rows in the index, and how many contain each term (FTS5's own counts, over the whole
    index as its bm25() uses them)."""
    n = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
    marks = ", ".join("?" * len(query))
    df = dict(db.execute(f"SELECT term, rows FROM term_counts WHERE term IN ({marks})",
                         query).fetchall())
    return n, df


def _idf(n: int, df: int) -> float:
    """BM25's idf from the index's document frequencies, so rare words weigh more in the
    confidence exactly as they do in the ranking; unseen terms get the highest value."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _fts_idf(n: int, df: int) -> float:
    """The idf FTS5's bm25() uses (never below 1e-6)."""
    return max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
