"""A collection's synonyms file: words callers use that the help content words differently.

`synonyms.yml` (or `.yaml`) at the top of a collection folder; each group lists words or phrases
that mean the same in this collection, as a YAML list or as one line separated by commas:

    synonyms:
      - [atm, cash machine, cashpoint]
      - kept my card, swallowed my card, ate my card

Every member of a group is indexed and searched as its first member (SQLite's FTS5 manual calls
this "mapping all synonyms to a single token"), in the help content and in questions alike: "the
cash machine swallowed my card" is searched as "atm kept card" and finds the section about the
ATM that kept a card, and a hit that says "ATM" covers "cash machine" for the confidence. One
term per group, rather than adding the other members to the question, keeps BM25 from counting a
text that uses two members twice. Phrases are analysed like everything else (stems, stop words
dropped), so "cash machines" matches "cash machine" and "kept my card" matches "kept the card".
A word or phrase belongs to one group; changing the file re-reads the whole collection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import yaml

from knowledge.analysis import terms
from knowledge.errors import SourceError

FILE_NAMES = ("synonyms.yml", "synonyms.yaml")
MAX_GROUP = 20  # a group this long is more likely a topic list than words that mean the same


@dataclass(frozen=True)
class Group:
    phrases: tuple[tuple[str, ...], ...]  # each member's analysed terms, in order
    line: int


def is_synonyms_file(rel: str) -> bool:
    """Only at the top of the collection folder: a subfolder's synonyms.yml is an FAQ file."""
    return rel.lower() in FILE_NAMES


def read_synonyms(text: str) -> list[Group]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(f"is not valid YAML: {exc.problem or 'not valid YAML'}",
                          mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"is not valid YAML: {exc}") from None
    if root is None:
        raise SourceError("has no synonym groups")
    items = root
    if isinstance(root, yaml.MappingNode):
        found = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        unknown = [k for k in found if k != "synonyms"]
        if unknown or "synonyms" not in found:
            raise SourceError("expected a `synonyms:` list of groups (such as "
                              "`- [atm, cash machine]`)", root.start_mark.line + 1)
        items = found["synonyms"]
    if not isinstance(items, yaml.SequenceNode):
        raise SourceError("`synonyms` must be a list of groups, each a list (`- [atm, cash "
                          "machine]`) or words separated by commas (`- atm, cash machine`)",
                          items.start_mark.line + 1)
    groups = [_group(node, n) for n, node in enumerate(items.value, start=1)]
    if not groups:
        raise SourceError("has no synonym groups", root.start_mark.line + 1)
    seen: dict[tuple[str, ...], int] = {}
    for n, group in enumerate(groups, start=1):
        for phrase in group.phrases:
            if phrase in seen:
                raise SourceError(f"group {n}: {' '.join(phrase)!r} is already in group "
                                  f"{seen[phrase]} (as analysed: stems, no common words); a "
                                  "word or phrase can be in one group only", group.line)
            seen[phrase] = n
    return groups


def _group(node: yaml.Node, number: int) -> Group:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        members = [(m, line) for m in str(node.value).split(",")]
    elif isinstance(node, yaml.SequenceNode):
        members = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise SourceError(f"group {number}: each member must be a word or phrase",
                                  item.start_mark.line + 1)
            members.append((str(item.value), item.start_mark.line + 1))
    else:
        raise SourceError(f"group {number} must be a list (`- [atm, cash machine]`) or words "
                          "separated by commas", line)
    phrases: list[tuple[str, ...]] = []
    for member, at in members:
        if not member.strip():
            raise SourceError(f"group {number} has an empty member (two commas in a row?)", at)
        analysed = tuple(terms(member))
        if not analysed:
            raise SourceError(f"group {number}: {member.strip()!r} has no words the search "
                              "can use (only common words such as 'the' or 'my')", at)
        if analysed not in phrases:
            phrases.append(analysed)
    if len(phrases) < 2:
        raise SourceError(f"group {number} needs at least two different words or phrases",
                          line)
    if len(phrases) > MAX_GROUP:
        raise SourceError(f"group {number} has {len(phrases)} members, over {MAX_GROUP}: list "
                          "only words that mean the same", line)
    return Group(tuple(phrases), line)


class Synonyms:
    """A collection's groups, applied to analysed terms: each member becomes the group's first
    member. Longer phrases win over shorter ones that start at the same word."""

    def __init__(self, groups: list[tuple[tuple[str, ...], ...]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for phrases in groups:
            for phrase in phrases[1:]:
                self._by_first.setdefault(phrase[0], []).append((phrase, phrases[0]))
        for options in self._by_first.values():
            options.sort(key=lambda o: -len(o[0]))

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def apply(self, words: list[str]) -> list[str]:
        if not self._by_first:
            return words
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase, canonical in self._by_first.get(words[i], ()):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    out.extend(canonical)
                    i += len(phrase)
                    break
            else:
                out.append(words[i])
                i += 1
        return out


NONE = Synonyms([])


def synonym_groups(db: sqlite3.Connection, collection: str) -> list[tuple[tuple[str, ...], ...]]:
    """A collection's groups as the index stores them (each group's first phrase first)."""
    groups: dict[tuple[str, int], list[tuple[str, ...]]] = {}
    for path, grp, phrase in db.execute("SELECT path, grp, terms FROM synonyms WHERE "
                                        "collection = ? ORDER BY rowid", (collection,)):
        groups.setdefault((path, grp), []).append(tuple(phrase.split()))
    return [tuple(g) for g in groups.values()]
