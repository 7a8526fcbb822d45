"""Finding the chunks that answer a question: FTS5's BM25 over analysed terms, with per-field
weights, plus what the confidence needs to know about the top hits (which query terms each one
covers, and how rare those terms are)."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from knowledge.analysis import terms

# BM25 weights of the FTS columns (collection, title, questions, body, extra). A match in an
# FAQ's phrasings or an article's headings says more about what the chunk answers than one in
# its body; tables and code say least. Chosen on StackFAQ and the bots' paraphrase sets
# (docs/benchmarks.md).
WEIGHTS = (0.0, 4.0, 4.0, 0.5, 0.3)
RANK = f"bm25({', '.join(map(str, WEIGHTS))})"
CANDIDATES = 20


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

    def coverage(self, hit: Hit, heading_only: bool = False) -> float:
        """The share of the question (by term rarity) that `hit` contains."""
        total = sum(self.idf.values())
        if not total:
            return 0.0
        have = hit.heading_terms if heading_only else hit.terms
        return sum(w for t, w in self.idf.items() if t in have) / total


def match_expression(query: list[str]) -> str:
    # Quoted, so no caller's words can be read as FTS5 syntax (AND, NEAR, column filters).
    return " OR ".join(f'"{t}"' for t in query)


def search(db: sqlite3.Connection, collection: str, question: str,
           limit: int = CANDIDATES) -> Ranking:
    query = list(dict.fromkeys(terms(question)))
    ranking = Ranking(query, {})
    if not query:
        return ranking
    ranking.idf = _idf(db, query)
    # `rank MATCH` sets the field weights for this query; ORDER BY rank with a LIMIT lets FTS5
    # keep only the top rows, and the join runs on those alone (a third of the time of ordering
    # by bm25() over a join, measured on 10,000 chunks).
    rows = db.execute(
        f"SELECT {_COLUMNS}, -top.rank FROM (SELECT rowid, rank FROM chunks_fts"
        " WHERE chunks_fts MATCH ? AND rank MATCH ? AND collection = ? ORDER BY rank LIMIT ?)"
        " AS top JOIN chunks c ON c.id = top.rowid JOIN chunks_fts f ON f.rowid = top.rowid"
        " ORDER BY top.rank",
        (match_expression(query), RANK, collection, limit)).fetchall()
    ranking.hits = [_hit(row[:-1], float(row[-1])) for row in rows]
    return ranking


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


def _idf(db: sqlite3.Connection, query: list[str]) -> dict[str, float]:
    """BM25's idf from the index's document frequencies, so rare words weigh more in the
    confidence exactly as they do in the ranking."""
    n = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
    marks = ", ".join("?" * len(query))
    df = dict(db.execute(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})",
                         query).fetchall())
    return {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in query}
