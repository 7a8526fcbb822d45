"""The index file: SQLite with an FTS5 table, no server. One file per bot.

Tables: `collections` (name -> version), `documents` (each source file's content hash), `chunks`
(what a hit shows and speaks) and `chunks_fts` (analysed terms, ranked with BM25). `meta` holds
the analysis version: when the way text is chunked or stemmed changes, old indexes rebuild.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from knowledge.errors import KnowledgeError

# Bump when chunking, analysis or the schema changes: every collection is then re-read.
ANALYSIS_VERSION = "1"

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
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    collection UNINDEXED, title, questions, body, extra, tokenize = 'unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
"""


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
    """An index made by another analysis version: forget the files so all are read again. The
    collection versions survive, and go up on the next ingest."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("DELETE FROM documents")
    db.execute("DELETE FROM chunks")
    db.execute("DELETE FROM chunks_fts")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('analysis', ?)", (ANALYSIS_VERSION,))
    db.execute("COMMIT")
