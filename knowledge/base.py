"""A bot's knowledge base: its `knowledge/<collection>/` folders, their index file, and spoken
answers for the runtime (it implements the driver's `Knowledge` port)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import ingest as ingesting
from knowledge import store
from knowledge.confidence import Features, confidence, features
from knowledge.errors import IngestError, KnowledgeError
from knowledge.fusion import Reranker
from knowledge.ingest import Embedder, IngestReport
from knowledge.search import Hit, Ranking, search
from knowledge.spoken import shape_answer

INDEX_DIR_ENV = "VOXFLOW_KB_DIR"
DEFAULT_INDEX_DIR = Path("build") / "knowledge"


def index_path(bot_folder: Path) -> Path:
    """Where a bot's index lives: build/knowledge/<bot>.sqlite (git-ignored), or under the
    folder named by $VOXFLOW_KB_DIR."""
    base = Path(os.environ.get(INDEX_DIR_ENV) or DEFAULT_INDEX_DIR)
    return base / f"{bot_folder.resolve().name}.sqlite"


@dataclass
class Answer:
    text: str  # for the ear; "" when there is nothing to say
    confidence: float
    source: str  # "faq.yml#keep-number (Can I keep my number?)"; "" with no answer
    hits: list[Hit] = field(default_factory=list)
    features: Features | None = None


NO_ANSWER = Answer("", 0.0, "")


class KnowledgeBase:
    """Open with `KnowledgeBase(folder, index)`, bring it up to date with `ingest()`, then
    `answer()` (or `await ask()`, the driver's port). `folder` is the bot's knowledge/ folder."""

    def __init__(self, folder: Path, index: Path | str, *, reranker: Reranker | None = None,
                 embed: Embedder | None = None) -> None:
        self.folder = folder
        self.index = index
        self.db = store.connect(index)
        self.reranker = reranker
        self.embed = embed

    @classmethod
    def for_bot(cls, bot_folder: Path, index: Path | str | None = None) -> KnowledgeBase:
        """The bot's knowledge base, ingested if any file changed since the last run. Raises
        KnowledgeError listing every bad file (the index keeps its last good content)."""
        kb = cls(bot_folder / "knowledge", index if index is not None else index_path(bot_folder))
        from knowledge import dense  # optional: needs the `dense` extra and VOXFLOW_KB_DENSE=1

        ranker = dense.configured()
        if ranker is not None:
            kb.reranker, kb.embed = ranker.rerank, ranker.embed_chunks
        kb.ingest()
        if ranker is not None:
            ranker.backfill(kb.db)
        return kb

    def collections(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def version(self, collection: str) -> int:
        return ingesting.version(self.db, collection)

    def ingest(self, collection: str | None = None) -> list[IngestReport]:
        """Bring every collection (or one) up to date. Good collections are updated even when
        another one has bad files; then a KnowledgeError lists all the problems."""
        names = [collection] if collection else self.collections()
        if not names:
            raise KnowledgeError(f"{self.folder} has no collections: put articles and FAQ "
                                 "files in a folder per collection, such as "
                                 f"{self.folder}/help/")
        reports, failures = [], []
        for name in names:
            try:
                reports.append(ingesting.ingest(self.db, name, self.folder / name,
                                                shown=str(self.folder / name), embed=self.embed))
            except IngestError as exc:
                failures.append(str(exc))
        if failures:
            raise KnowledgeError("\n".join(failures))
        return reports

    def ranking(self, collection: str, question: str) -> Ranking:
        if collection not in self.collections():
            known = ", ".join(self.collections()) or "none"
            raise KnowledgeError(f"no knowledge collection {collection!r} in {self.folder} "
                                 f"(collections: {known})")
        ranking = search(self.db, collection, question)
        if self.reranker is not None and ranking.query:
            ranking = self.reranker(self.db, collection, question, ranking)
        return ranking

    def answer(self, collection: str, question: str) -> Answer:
        ranking = self.ranking(collection, question)
        best = next((h for h in ranking.hits if h.text.strip()), None)
        if best is None:
            return Answer("", 0.0, "", ranking.hits)
        f = features(ranking, best)
        text = shape_answer(best, ranking)
        return Answer(text, confidence(f) if text else 0.0, best.source, ranking.hits, f)

    async def ask(self, collection: str, question: str) -> tuple[str, float, str]:
        """The driver's port. Runs inline: an FTS5 query takes a few milliseconds, less than
        handing it to a thread would cost, and the connection stays on one thread."""
        a = self.answer(collection, question)
        return a.text, a.confidence, a.source

    def close(self) -> None:
        self.db.close()

