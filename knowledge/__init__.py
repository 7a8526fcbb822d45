"""The knowledge base: help content per bot, indexed with SQLite FTS5, answered for the ear.

See docs/architecture.md.
"""
