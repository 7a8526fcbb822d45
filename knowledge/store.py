"""The index file: SQLite with an FTS5 table, no server. One file per bot.

Tables: `collections` (name -> version), `documents` (each source file's content hash), `chunks`
(what a hit shows and speaks), `chunks_fts` (analysed terms, ranked with BM25), `term_counts`
(how many rows have each term: FTS5's own counts, copied at ingest because fts5vocab finds them
by walking the posting list on every lookup) and `synonyms` (each collection's groups of words
that mean the same, from its synonyms file). `meta` holds the analysis version: when the way
text is chunked, stemmed or stored changes, old indexes rebuild.

`chunks_fts.collection` holds one token per collection (`collection_token`), weighted 0 in the
ranking: a query names its collection inside the MATCH expression, so FTS5 filters by it while
it walks the posting lists, and the token doubles as a term every row of the collection has
(knowledge/search.py uses that to score terms that do not decide which rows match).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from knowledge.errors import KnowledgeError

# Bump when chunking, analysis or the schema changes: every collection is then re-read.
ANALYSIS_VERSION = "2"

FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    collection, title, questions, body, extra, tokenize = 'unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL, folder TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL, path TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (collection, path));
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, collection TEXT NOT NULL, path TEXT NOT NULL, ref TEXT NOT NULL,
    kind TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, questions TEXT NOT NULL,
    extra TEXT NOT NULL, embedding BLOB);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks (collection, path);
CREATE TABLE IF NOT EXISTS term_counts (term TEXT PRIMARY KEY, rows INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS synonyms (
    collection TEXT NOT NULL, path TEXT NOT NULL, grp INTEGER NOT NULL, terms TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS synonyms_by_collection ON synonyms (collection);
""" + FTS_SCHEMA


def collection_token(collection: str) -> str:
    """The one FTS5 token that stands for a collection in `chunks_fts.collection`: the name's
    UTF-8 bytes in hex, so any folder name is a single token. Queries match it with a column
    filter, so a content word that happened to spell the same is never confused with it."""
    return "c" + collection.encode("utf-8").hex()


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating) an index file. ":memory:" works for tests and one-off runs."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(str(path), isolation_level=None)  # transactions are explicit
        db.execute("PRAGMA journal_mode = WAL") if str(path) != ":memory:" else None
        db.execute("PRAGMA busy_timeout = 5000")  # another process may be ingesting
        db.executescript(SCHEMA)
        found = db.execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone()
    except sqlite3.DatabaseError as exc:
        if "fts5" in str(exc).lower():
            raise KnowledgeError("this Python's SQLite was built without FTS5, which the "
                                 "knowledge base needs") from None
        raise KnowledgeError(f"{path} is not a usable knowledge index ({exc}); delete it and "
                             "run `voxflow kb ingest` again") from None
    if found is None or found[0] != ANALYSIS_VERSION:
        _reset(db)
    return db


def _reset(db: sqlite3.Connection) -> None:
    """An index made by another analysis version: forget the files so all are read again, and
    make the full-text table anew (its columns may have changed). The collection versions
    survive, and go up on the next ingest."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("DELETE FROM documents")
    db.execute("DELETE FROM chunks")
    db.execute("DELETE FROM synonyms")
    db.execute("DELETE FROM term_counts")
    db.execute("DROP TABLE IF EXISTS chunks_vocab")
    db.execute("DROP TABLE IF EXISTS chunks_fts")
    for statement in FTS_SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('analysis', ?)", (ANALYSIS_VERSION,))
    db.execute("COMMIT")
