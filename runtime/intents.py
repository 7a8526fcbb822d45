"""Intent matching over a bot's example phrases (Rasa-format `nlu.yml`), until a full NLU lands.

`load_training_data` reads a bot's `nlu.yml` (Rasa 3.x format: an `nlu:` list of `- intent:`,
`- synonym:`, `- regex:` and `- lookup:` entries) and reports problems as `file:line: message`.
`ExampleMatcher` ranks a caller's utterance against the intents' examples.

Method (pure Python, deterministic, no I/O):

1. Normalisation, the same for examples and utterances, tuned for speech recognition output:
   Unicode NFKC and case folding; matches of the bot's `regex:` entries become one placeholder
   token each (`<account_number>`), other digit runs become `<number>`; contractions are
   expanded, with or without their apostrophe ("what's" / "whats" -> "what is", "wanna" ->
   "want to", "didnt" -> "did not"); hesitations ("um", "uh", "er", "hmm") and discourse fillers
   ("like" except after "would"/"feel", "you know" except in a question, "i mean") are dropped;
   immediate repetitions collapse ("i i want" -> "i want"); `synonym:` surface forms become their
   canonical value ("wi-fi" -> "internet"), longest form first.
2. Features: word unigrams and bigrams (of light stems: "charged" -> "charg"), and character 3- to
   5-grams inside word boundaries (which carry "stole" to "stolen" and survive recognition
   slips), each weighted by sublinear TF x smoothed IDF computed over the examples. Features made
   only of stop words ("what is", "the", " my") get `STOP_WEIGHT` of their weight, as IDF over a
   few dozen examples cannot learn that they are plain English. The two groups are L2-normalised
   separately and mixed (`WORD_WEIGHT`); words of an utterance that no example has keep the
   highest IDF in its norm, so an off-topic sentence sharing a word or two with an example
   scores low.
3. Score: the cosine similarity to every example; an intent's confidence is the mean of its best
   `TOP_K` example similarities (0..1; an exact copy of an example scores about 0.35-0.8, as its
   neighbours count too). `rank` sorts by confidence, then by intent name.
4. `best` returns the top intent only when its confidence reaches the threshold.

The default threshold comes from `choose_threshold` over the shipped bots (bots/*/nlu.yml): each
example is held out in turn and ranked by a matcher trained on the others (leave-one-out: an
in-scope utterance never seen in training); each intent is held out in turn and its examples are
ranked by a matcher trained on the remaining intents (leave-one-intent-out: an out-of-scope
utterance, and a hard one, since it is close to the bot's domain). The threshold maximises the
balanced accuracy: the mean of the share of held-out examples accepted with their own intent
ranked first and the share of out-of-scope examples rejected. See `DEFAULT_THRESHOLD`.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dsl.yaml_errors import describe_yaml_error

# ---------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class IntentScore:
    intent: str
    confidence: float  # 0..1


class IntentMatcher(Protocol):
    def rank(self, text: str, candidates: Iterable[str] | None = None) -> list[IntentScore]:
        """Intents best first; `candidates` limits the intents considered; [] if none."""
        ...

    def best(self, text: str, candidates: Iterable[str] | None = None) -> IntentScore | None:
        """The top intent, or None when it is below the out-of-scope threshold."""
        ...


@dataclass(frozen=True)
class EntityAnnotation:
    """`[text](entity)` in an example: where it is in the cleaned example, and its value."""

    entity: str
    start: int  # character offsets into `Example.text` (annotations stripped)
    end: int
    value: str  # the canonical value: the synonym it names, else the annotated text


@dataclass(frozen=True)
class Example:
    intent: str
    text: str  # annotations stripped, whitespace collapsed
    line: int
    entities: tuple[EntityAnnotation, ...] = ()


# Rasa's names for an intent whose examples are what the bot does not handle: never returned
# as an intent; an utterance closest to them has none.
OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope", "nlu_fallback"})

# Entity names every bot may annotate without declaring them: the runtime's typed slot values
# (runtime/normalize.py), which the NLU extracts itself.
TYPED_ENTITIES = ("digits", "number", "currency", "date", "time", "phone")


@dataclass(frozen=True)
class TrainingData:
    intents: dict[str, tuple[str, ...]]  # intent -> example texts, annotations stripped
    synonyms: dict[str, str]  # surface form -> canonical value
    regexes: dict[str, tuple[str, ...]]  # name -> patterns
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> entries
    examples: tuple[Example, ...] = ()  # every example with its line and entity annotations
    path: str = ""  # where the data came from, for messages


class TrainingDataError(ValueError):
    """A problem in training data; the message starts with `file:line:`."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Loading

_FORMAT_HINT = ("training data uses Rasa's format: `nlu:` then `- intent: NAME` entries "
                "with `examples: |` and one `- example` per line")
_ANNOTATION = re.compile(r"\[(?P<text>[^\[\]]+)\](?:\((?P<entity>[^()]*)\)|(?P<json>\{[^{}]*\}))")
_KINDS = ("intent", "synonym", "regex", "lookup")


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TrainingDataError(str(path), None, f"is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise TrainingDataError(str(path), None, f"cannot be read ({exc.strerror})") from None


def load_training_data(path: Path) -> TrainingData:
    """Read and check a bot's `nlu.yml`; errors are `TrainingDataError("file:line: ...")`.

    A Rasa `domain.yml` beside it may declare more entity names (`entities:`) for annotations.
    """
    domain = Path(path).parent / "domain.yml"
    declared = _domain_entities(domain) if domain.is_file() else ()
    return training_data_from_text(_read(path), str(path), entities=declared)


def training_data_from_text(text: str, path: str = "<nlu>",
                            entities: Iterable[str] = ()) -> TrainingData:
    """Parse Rasa-format NLU training data; `path` only names the source in errors.

    `entities` are entity names declared elsewhere (a Rasa domain) that annotations may use.
    """
    return _Parser(path, tuple(entities)).parse(text)


def _domain_entities(path: Path) -> tuple[str, ...]:
    """The `entities:` of a Rasa domain file (names, or one-key mappings with options)."""
    try:
        domain = yaml.safe_load(_read(path))
    except yaml.YAMLError as exc:
        line, problem = describe_yaml_error(exc, _read(path))
        raise TrainingDataError(str(path), line, f"not valid YAML: {problem}") from None
    listed = domain.get("entities") if isinstance(domain, dict) else None
    names: list[str] = []
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.append(str(next(iter(item))))
    return tuple(names)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Parser:
    def __init__(self, path: str, declared: tuple[str, ...] = ()) -> None:
        self.path = path
        self.declared = declared
        self.lookups: dict[str, list[str]] = {}
        self.filed: list[Example] = []  # every example, in file order
        # (line, cleaned text) -> its annotations, until `intent` files the example
        self.annotations: dict[tuple[int, str], tuple[EntityAnnotation, ...]] = {}
        self.annotated: list[tuple[str, str, int]] = []  # (entity, annotation as written, line)
        self.intents: dict[str, list[str]] = {}
        self.seen: dict[str, tuple[str, int]] = {}  # duplicate key -> (intent, line)
        self.synonyms: dict[str, str] = {}
        self.synonym_lines: dict[str, int] = {}
        self.regexes: dict[str, list[str]] = {}

    def error(self, line: int | None, problem: str) -> TrainingDataError:
        return TrainingDataError(self.path, line, problem)

    def parse(self, text: str) -> TrainingData:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            line, problem = describe_yaml_error(exc, text)
            raise self.error(line, f"not valid YAML: {problem}") from None
        nlu = self.value(root, "nlu") if isinstance(root, MappingNode) else None
        if nlu is None:
            line = _line(root) if root is not None else 1
            raise self.error(line, f"no `nlu:` list ({_FORMAT_HINT})")
        if not isinstance(nlu, SequenceNode):
            raise self.error(_line(nlu), f"`nlu:` must be a list of entries ({_FORMAT_HINT})")
        for entry in nlu.value:
            self.entry(entry)
        self.check_entities()
        return TrainingData(
            intents={name: tuple(examples) for name, examples in self.intents.items()},
            synonyms=dict(self.synonyms),
            regexes={name: tuple(patterns) for name, patterns in self.regexes.items()},
            lookups={name: tuple(entries) for name, entries in self.lookups.items()},
            examples=tuple(self.filed),
            path=self.path,
        )

    def check_entities(self) -> None:
        """Every annotated entity must be one the data can produce (after all entries are read,
        as a `regex:` or `lookup:` may come after the examples that use it)."""
        known = {*TYPED_ENTITIES, *self.regexes, *self.lookups, *self.declared}
        for entity, written, line in self.annotated:
            if entity in known:
                continue
            close = difflib.get_close_matches(entity, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise self.error(line, f"unknown entity '{entity}' in `{written}`{hint} (an "
                             "annotation names a `regex:` or `lookup:` of this file, an entity "
                             "listed in domain.yml, or a built-in type: "
                             f"{', '.join(TYPED_ENTITIES)})")

    @staticmethod
    def value(mapping: MappingNode, key: str) -> Node | None:
        for k, v in mapping.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v
        return None

    def name(self, node: Node, kind: str) -> str:
        if not isinstance(node, ScalarNode) or not node.value.strip():
            raise self.error(_line(node), f"`{kind}:` needs a name")
        return node.value.strip()

    def entry(self, entry: Node) -> None:
        if not isinstance(entry, MappingNode):
            raise self.error(_line(entry), f"expected an `- intent: NAME` entry ({_FORMAT_HINT})")
        kinds = [k for k in _KINDS if self.value(entry, k) is not None]
        if len(kinds) != 1:
            found = " and ".join(f"`{k}:`" for k in kinds) or "none"
            raise self.error(_line(entry), "each entry needs exactly one of `intent:`, "
                             f"`synonym:`, `regex:` or `lookup:` (found {found})")
        kind = kinds[0]
        key_node = self.value(entry, kind)
        assert key_node is not None
        name = self.name(key_node, kind)
        examples_node = self.value(entry, "examples")
        examples = self.examples(examples_node) if examples_node is not None else []
        if not examples:
            raise self.error(_line(entry), f"{kind} '{name}' has no examples (add `examples: |` "
                             "with one `- example` per line)")
        if kind == "intent":
            self.intent(name, examples)
        elif kind == "synonym":
            for line, surface in examples:
                self.synonym(surface, name, line)
        elif kind == "regex":
            for line, pattern in examples:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise self.error(line, f"regex '{name}': `{pattern}` is not a valid "
                                     f"regular expression ({exc})") from None
            patterns = self.regexes.setdefault(name, [])
            patterns.extend(p for _, p in examples if p not in patterns)
        else:  # lookup: entries of an entity (the example matcher does not use them)
            entries = self.lookups.setdefault(name, [])
            entries.extend(e for _, e in examples if e not in entries)

    def examples(self, node: Node) -> list[tuple[int, str]]:
        """(line, text) for each `- example` line of an `examples:` value."""
        if isinstance(node, ScalarNode):
            if node.style == ">":
                raise self.error(_line(node), "`examples: >` folds the lines into one; "
                                 "use `examples: |`")
            if node.style == "|":  # the text starts on the line after the `|`
                first = _line(node) + 1
                return self.lines(node.value, lambda i: first + i)
            return self.lines(node.value, lambda i: _line(node))
        if isinstance(node, SequenceNode):  # Rasa's `- text: ...` form with metadata
            out: list[tuple[int, str]] = []
            for item in node.value:
                text = self.value(item, "text") if isinstance(item, MappingNode) else None
                if not isinstance(text, ScalarNode):
                    raise self.error(_line(item), "a listed example needs `text:`")
                line = _line(text) + (1 if text.style == "|" else 0)
                out.append((line, self.clean(text.value.strip(), line)))
            return out
        raise self.error(_line(node), "`examples:` must be a block (`examples: |`) of "
                         "`- example` lines")

    def lines(self, block: str, line_of: Callable[[int], int]) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for i, raw in enumerate(block.split("\n")):
            stripped = raw.strip()
            if not stripped:
                continue
            line = line_of(i)
            if stripped != "-" and not stripped.startswith("- "):
                raise self.error(line, f"an example line must start with `- ` (got "
                                 f"`{stripped[:40]}`)")
            out.append((line, self.clean(stripped[1:].strip(), line)))
        return out

    def clean(self, text: str, line: int) -> str:
        """The example without entity annotations; annotated synonyms are recorded, and the
        annotations (with offsets into the cleaned text) are kept for `intent`."""
        out: list[str] = []  # pieces of the stripped text
        spans: list[tuple[str, int, int, str]] = []  # entity, start, end (in the stripped text)
        size = pos = 0
        for match in _ANNOTATION.finditer(text):
            surface = match["text"].strip()
            entity, value = self.annotation(match, surface, line)
            out.append(text[pos : match.start()])
            size += match.start() - pos
            spans.append((entity, size, size + len(surface), value))
            out.append(surface)
            size += len(surface)
            pos = match.end()
        out.append(text[pos:])
        cleaned, index = _collapse("".join(out))
        if not cleaned:
            raise self.error(line, "empty example")
        self.annotations[(line, cleaned)] = tuple(
            EntityAnnotation(entity, index[start], index[start] + end - start, value)
            for entity, start, end, value in spans)
        return cleaned

    def annotation(self, match: re.Match[str], surface: str, line: int) -> tuple[str, str]:
        """(entity, value) of `[text](entity)`, `[text](entity:value)` or `[text]{"entity":
        ..., "value": ...}`; a value other than the text is recorded as a synonym."""
        if match["json"] is not None:
            try:
                spec = json.loads(match["json"])
            except ValueError:
                raise self.error(line, f"entity annotation {match['json']} is not valid "
                                 "JSON") from None
            if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str):
                raise self.error(line, f"entity annotation {match['json']} needs an "
                                 '"entity" name')
            entity = spec["entity"].strip()
            value = spec["value"] if isinstance(spec.get("value"), str) else surface
        else:
            entity, _, value = (match["entity"] or "").partition(":")
            entity, value = entity.strip(), value.strip() or surface
        if not entity:
            raise self.error(line, f"entity annotation `{match.group()}` has no entity name")
        self.annotated.append((entity, match.group(), line))
        if value != surface:
            self.synonym(surface, value, line)
        return entity, value

    def synonym(self, surface: str, canonical: str, line: int) -> None:
        if surface == canonical:
            return
        known = self.synonyms.get(surface)
        if known is not None and known != canonical:
            raise self.error(line, f"'{surface}' is a synonym of '{canonical}' here and of "
                             f"'{known}' at line {self.synonym_lines[surface]}")
        self.synonyms[surface] = canonical
        self.synonym_lines.setdefault(surface, line)

    def intent(self, name: str, examples: list[tuple[int, str]]) -> None:
        own = self.intents.setdefault(name, [])
        for line, text in examples:
            key = " ".join(re.findall(r"\w+(?:'\w+)*", text.casefold()))
            if not key:
                raise self.error(line, f"example `{text}` has no words")
            if key in self.seen:
                other, other_line = self.seen[key]
                if other == name:
                    continue  # repeated within one intent: harmless
                raise self.error(line, f"example '{text}' is under intent '{name}' here and "
                                 f"under intent '{other}' at line {other_line}; an example "
                                 "must belong to one intent")
            self.seen[key] = (name, line)
            own.append(text)
            self.filed.append(Example(name, text, line,
                                         self.annotations.get((line, text), ())))


def _collapse(text: str) -> tuple[str, list[int]]:
    """`text` with runs of whitespace made one space and the ends stripped, and for each index
    of `text` (and its end) the index it maps to, so annotation offsets follow the text."""
    out: list[str] = []
    index: list[int] = []
    for ch in text:
        index.append(len(out))
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    index.append(len(out))
    while out and out[-1] == " ":
        out.pop()
    return "".join(out), [min(i, len(out)) for i in index]


# ---------------------------------------------------------------------------------------------
# Normalisation

_FILLERS = frozenset({
    "um", "umm", "ummm", "uh", "uhh", "uhhh", "uhm", "er", "erm", "err", "ah", "ahh", "eh", "oh",
    "hmm", "hm", "hmmm", "mm", "mmm", "mhm",
})
_KEEP_LIKE_AFTER = frozenset({"would", "feel"})  # "i'd like to pay", "feel like"
_KEEP_YOU_KNOW_AFTER = frozenset({"do", "did", "does", "not", "if", "would", "will", "can"})
_IS_AFTER = frozenset({  # "<word>'s" means "<word> is" after these; otherwise it is dropped
    "it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "when", "why",
    "everything", "nothing", "something", "someone", "everyone", "anyone",
})
_NOT_WITHOUT_APOSTROPHE = (
    "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "havent", "hasnt", "hadnt",
    "couldnt", "wouldnt", "shouldnt", "mustnt", "neednt",
)
_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    **{w: (w[:-2], "not") for w in _NOT_WITHOUT_APOSTROPHE},
    **{w + "s": (w, "is") for w in _IS_AFTER if w not in {"he", "who", "how", "it"}},
    "its": ("it", "is"), "hes": ("he", "is"), "shes": ("she", "is"), "hows": ("how", "is"),
    "whos": ("who", "is"),
    "can't": ("can", "not"), "cant": ("can", "not"), "cannot": ("can", "not"),
    "won't": ("will", "not"), "wont": ("will", "not"), "shan't": ("shall", "not"),
    "ain't": ("is", "not"), "aint": ("is", "not"),
    "im": ("i", "am"), "ive": ("i", "have"), "youre": ("you", "are"), "youve": ("you", "have"),
    "youll": ("you", "will"), "youd": ("you", "would"), "theyre": ("they", "are"),
    "theyve": ("they", "have"), "theyll": ("they", "will"), "theyd": ("they", "would"),
    "weve": ("we", "have"), "itll": ("it", "will"),
    "let's": ("let", "us"), "lets": ("let", "us"),
    "wanna": ("want", "to"), "gonna": ("going", "to"), "gotta": ("got", "to"),
    "hafta": ("have", "to"), "gimme": ("give", "me"), "lemme": ("let", "me"),
    "dunno": ("do", "not", "know"), "kinda": ("kind", "of"), "sorta": ("sort", "of"),
    "outta": ("out", "of"), "y'all": ("you", "all"), "yall": ("you", "all"),
    "ya": ("you",), "u": ("you",), "ur": ("your",), "cuz": ("because",), "coz": ("because",),
    "somebody": ("someone",), "anybody": ("anyone",), "everybody": ("everyone",),
    "nobody": ("no", "one"), "pls": ("please",), "plz": ("please",), "thx": ("thanks",),
    "okay": ("ok",),
}
_SUFFIXES = (("n't", "not"), ("'re", "are"), ("'ve", "have"), ("'ll", "will"), ("'d", "would"),
             ("'m", "am"))
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
NUMBER_TOKEN = "<number>"


def _expand(token: str) -> tuple[str, ...]:
    known = _CONTRACTIONS.get(token)
    if known is not None:
        return known
    if "'" not in token:
        return (token,)
    for suffix, word in _SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return (*_expand(token[: -len(suffix)]), word)
    if token.endswith("'s"):
        stem = _expand(token[:-2])
        return (*stem, "is") if stem[-1] in _IS_AFTER else stem
    return (token.replace("'", ""),)


def _words(text: str) -> list[str]:
    """Words of plain text (no regex placeholders), contractions expanded."""
    out: list[str] = []
    for raw in _WORD.findall(text.translate(_QUOTES).casefold()):
        if raw.isdigit():
            out.append(NUMBER_TOKEN)
        else:
            out.extend(_expand(raw))
    return out


def _drop_fillers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = out[-1] if out else ""
        if tok in _FILLERS or (tok == "like" and prev not in _KEEP_LIKE_AFTER):
            i += 1
        elif (tok, nxt) == ("i", "mean") or (
                (tok, nxt) == ("you", "know") and prev not in _KEEP_YOU_KNOW_AFTER):
            i += 2
        elif tok == prev:  # "i i want", "representative representative"
            i += 1
        else:
            out.append(tok)
            i += 1
    return out


class _Normaliser:
    """Text -> tokens, with the bot's regexes and synonyms applied."""

    def __init__(self, synonyms: dict[str, str], regexes: dict[str, tuple[str, ...]]) -> None:
        self.patterns = [(f"<{name}>", re.compile(p)) for name, ps in regexes.items() for p in ps]
        self.synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
        for surface, canonical in synonyms.items():
            key = tuple(_drop_fillers(_words(surface)))
            value = tuple(_drop_fillers(_words(canonical)))
            if key and key != value:
                self.synonyms.setdefault(key, value)
        self.longest = max((len(k) for k in self.synonyms), default=0)

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text)
        spans: list[tuple[int, int, str]] = []
        for placeholder, pattern in self.patterns:
            for m in pattern.finditer(text):
                start, end = m.span()
                if start < end and all(end <= s or start >= e for s, e, _ in spans):
                    spans.append((start, end, placeholder))
        raw: list[str] = []
        pos = 0
        for start, end, placeholder in sorted(spans):
            raw.extend(_words(text[pos:start]))
            raw.append(placeholder)
            pos = end
        raw.extend(_words(text[pos:]))
        return self.apply_synonyms(_drop_fillers(raw))

    def apply_synonyms(self, tokens: list[str]) -> list[str]:
        if not self.synonyms:
            return tokens
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                canonical = self.synonyms.get(tuple(tokens[i : i + n]))
                if canonical is not None:
                    out.extend(canonical)
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


# Words that carry little intent by themselves. Their features are marked (`_STOP`) and weighted
# by `STOP_WEIGHT`: a few dozen examples cannot teach IDF that "what is the" is plain English, and
# without this "what's the weather like" resembles "what's the amount due".
_STOPWORDS = frozenset({
    "i", "me", "my", "mine", "myself", "we", "us", "our", "you", "your", "yours", "it", "its", "is",
    "am", "are", "was", "were", "be", "been", "being", "a", "an", "the", "to", "of", "in", "on",
    "at", "for", "with", "and", "or", "so", "just", "do", "did", "does", "doing", "can", "could",
    "would", "will", "shall", "should", "may", "might", "must", "this", "that", "these", "those",
    "there", "here", "what", "how", "when", "where", "which", "who", "whom", "why", "some", "any",
    "also", "then", "than", "too", "very", "really", "about", "from", "by", "as", "if", "have",
    "has", "had", "get", "got", "want", "need", "like", "please", "yeah", "yes", "ok", "well", "hi",
    "hello", "all", "into",
})
_STOP = "\x01"  # prefix of a feature made of stop words only


def _stem(token: str) -> str:
    """A light suffix strip for word features: "charges", "charged", "charge" -> "charg"."""
    if token.startswith("<") or len(token) <= 4:
        return token
    for suffix in ("ing", "ed", "es", "s", "e"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _word_features(tokens: Sequence[str]) -> Counter[str]:
    """Word unigrams and bigrams (of light stems)."""
    stems = [_stem(t) for t in tokens]
    stop = [t in _STOPWORDS for t in tokens]
    feats = Counter((_STOP if st else "") + s for s, st in zip(stems, stop, strict=True))
    feats.update((_STOP if sa and sb else "") + f"{a} {b}"
                 for a, b, sa, sb in zip(stems, stems[1:], stop, stop[1:], strict=False))
    return feats


def _char_features(tokens: Sequence[str]) -> Counter[str]:
    """Character 3- to 5-grams inside each word padded with spaces (" card " -> " ca", ...)."""
    feats: Counter[str] = Counter()
    for token in tokens:
        if token.startswith("<"):  # placeholders count as words only
            continue
        padded = f" {token} "
        size = len(padded)
        mark = _STOP if token in _STOPWORDS else ""
        for n in range(3, 6):
            feats.update(mark + padded[i : i + n] for i in range(size - n + 1))
    return feats


# ---------------------------------------------------------------------------------------------
# Matching

# The options below, and the threshold, were chosen by the leave-one-out runs described in the
# module docstring over bots/acme and bots/bank (`held_out_scores`, `choose_threshold`); nearby
# values (word weight 0.5-0.7, top 3-4, stop weight 0.4-0.7) score within one or two examples.
WORD_WEIGHT = 0.6  # share of the word features in the similarity; characters get the rest
TOP_K = 3  # an intent's confidence is the mean of its best TOP_K example similarities
STOP_WEIGHT = 0.5  # weight of stop-word features relative to the others
# `choose_threshold(held_out_scores(acme) + held_out_scores(bank))` gave 0.190.
DEFAULT_THRESHOLD = 0.19


class _Space:
    """A TF-IDF vector space over one feature group, with an inverted index of the examples."""

    def __init__(self, docs: list[Counter[str]], stop_weight: float) -> None:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        n = len(docs)
        self.stop_weight = stop_weight
        self.idf = {f: math.log((1 + n) / (1 + d)) + 1.0 for f, d in df.items()}
        self.unknown_idf = math.log(1 + n) + 1.0  # a feature no example has
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for index, doc in enumerate(docs):
            for f, w in self.vector(doc).items():
                self.postings.setdefault(f, []).append((index, w))

    def vector(self, feats: Counter[str]) -> dict[str, float]:
        """L2-normalised sublinear TF x IDF weights."""
        idf, unknown, stop = self.idf, self.unknown_idf, self.stop_weight
        vec = {f: (1.0 + math.log(c)) * idf.get(f, unknown) * (stop if f[0] == _STOP else 1.0)
               for f, c in feats.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {f: w / norm for f, w in vec.items()} if norm else {}

    def accumulate(self, feats: Counter[str], scale: float, scores: list[float]) -> None:
        """Add `scale` x the cosine similarity of `feats` to each example's score."""
        postings = self.postings
        for f, q in self.vector(feats).items():
            hits = postings.get(f)
            if hits:
                q *= scale
                for index, w in hits:
                    scores[index] += q * w


class ExampleMatcher:
    """Ranks intents by TF-IDF cosine similarity to their examples; see the module docstring."""

    def __init__(self, data: TrainingData, threshold: float = DEFAULT_THRESHOLD, *,
                 word_weight: float = WORD_WEIGHT, top_k: int = TOP_K,
                 stop_weight: float = STOP_WEIGHT) -> None:
        if not 0.0 <= word_weight <= 1.0:
            raise ValueError("word_weight must lie in 0..1")
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        if stop_weight <= 0.0:
            raise ValueError("stop_weight must be positive")
        self.threshold = threshold
        self.word_weight = word_weight
        self.top_k = top_k
        self.normaliser = _Normaliser(data.synonyms, data.regexes)
        # An out-of-scope intent's examples only say what is not an intent: a similarity
        # matcher has no use for them (the NLU's classifier does, see nlu/engine.py).
        kept = {i: e for i, e in data.intents.items() if i not in OUT_OF_SCOPE_INTENTS}
        self.intents = list(kept)
        self.owner: list[int] = []  # example index -> intent index
        words: list[Counter[str]] = []
        chars: list[Counter[str]] = []
        for intent_index, examples in enumerate(kept.values()):
            for example in examples:
                tokens = self.normaliser.tokens(example)
                self.owner.append(intent_index)
                words.append(_word_features(tokens))
                chars.append(_char_features(tokens))
        self.words = _Space(words, stop_weight)
        self.chars = _Space(chars, stop_weight)

    def rank(self, text: str, candidates: Iterable[str] | None = None) -> list[IntentScore]:
        """Intents best first (ties by name); [] when no candidate is known or `text` has no words.

        Candidates the training data does not know are ignored.
        """
        wanted = None if candidates is None else set(candidates)
        tokens = self.normaliser.tokens(text)
        if not tokens or (wanted is not None and wanted.isdisjoint(self.intents)):
            return []
        scores = [0.0] * len(self.owner)
        self.words.accumulate(_word_features(tokens), self.word_weight, scores)
        self.chars.accumulate(_char_features(tokens), 1.0 - self.word_weight, scores)
        per_intent: list[list[float]] = [[] for _ in self.intents]
        for index, score in enumerate(scores):
            per_intent[self.owner[index]].append(score)
        ranked: list[IntentScore] = []
        for intent, sims in zip(self.intents, per_intent, strict=True):
            if wanted is not None and intent not in wanted:
                continue
            best = sorted(sims, reverse=True)[: self.top_k]
            confidence = min(1.0, max(0.0, sum(best) / len(best)))
            ranked.append(IntentScore(intent, round(confidence, 6)))
        ranked.sort(key=lambda s: (-s.confidence, s.intent))
        return ranked

    def best(self, text: str, candidates: Iterable[str] | None = None) -> IntentScore | None:
        """The top intent, or None when nothing reaches the threshold (out of scope)."""
        ranked = self.rank(text, candidates)
        if ranked and ranked[0].confidence >= self.threshold:
            return ranked[0]
        return None


# ---------------------------------------------------------------------------------------------
# Evaluation: leave-one-out, and the threshold chosen from it


@dataclass(frozen=True)
class HeldOutScores:
    """Scores from leave-one-out runs over one bot's training data."""

    in_scope: tuple[tuple[float, bool], ...]  # (top confidence, own intent ranked first)
    out_of_scope: tuple[float, ...]  # top confidence with the example's intent held out

    def top1_accuracy(self) -> float:
        """Share of held-out examples whose own intent ranks first (threshold ignored)."""
        return sum(ok for _, ok in self.in_scope) / len(self.in_scope) if self.in_scope else 0.0

    def balanced_accuracy(self, threshold: float) -> float:
        """Mean of held-out examples accepted with the right intent and out-of-scope rejected."""
        accepted = sum(ok and s >= threshold for s, ok in self.in_scope)
        rejected = sum(s < threshold for s in self.out_of_scope)
        parts = []
        if self.in_scope:
            parts.append(accepted / len(self.in_scope))
        if self.out_of_scope:
            parts.append(rejected / len(self.out_of_scope))
        return sum(parts) / len(parts) if parts else 0.0

    def __add__(self, other: HeldOutScores) -> HeldOutScores:
        return HeldOutScores(self.in_scope + other.in_scope,
                             self.out_of_scope + other.out_of_scope)


def held_out_scores(data: TrainingData, *, word_weight: float = WORD_WEIGHT, top_k: int = TOP_K,
                    stop_weight: float = STOP_WEIGHT) -> HeldOutScores:
    """Leave-one-out (each example against the rest) and leave-one-intent-out scores."""

    def matcher(intents: dict[str, tuple[str, ...]]) -> ExampleMatcher:
        return ExampleMatcher(replace(data, intents=intents), word_weight=word_weight,
                              top_k=top_k, stop_weight=stop_weight)

    in_scope: list[tuple[float, bool]] = []
    out_of_scope: list[float] = []
    # An out-of-scope intent's examples are out-of-scope utterances, never held out as one.
    declared = [e for i, es in data.intents.items() if i in OUT_OF_SCOPE_INTENTS for e in es]
    data = replace(data, intents={i: es for i, es in data.intents.items()
                                  if i not in OUT_OF_SCOPE_INTENTS})
    if declared:
        everything = matcher(data.intents)
        out_of_scope.extend(r[0].confidence if (r := everything.rank(e)) else 0.0
                            for e in declared)
    for intent, examples in data.intents.items():
        for i, example in enumerate(examples):
            rest = examples[:i] + examples[i + 1 :]
            if not rest:
                continue
            ranked = matcher({**data.intents, intent: rest}).rank(example)
            if ranked:
                in_scope.append((ranked[0].confidence, ranked[0].intent == intent))
            else:
                in_scope.append((0.0, False))
        without = matcher({k: v for k, v in data.intents.items() if k != intent})
        for example in examples:
            ranked = without.rank(example)
            out_of_scope.append(ranked[0].confidence if ranked else 0.0)
    return HeldOutScores(tuple(in_scope), tuple(out_of_scope))


def choose_threshold(scores: HeldOutScores) -> float:
    """The threshold with the best balanced accuracy: the middle of the best interval."""
    values = sorted({s for s, _ in scores.in_scope} | set(scores.out_of_scope))
    if not values:
        return DEFAULT_THRESHOLD
    cuts = [values[0] / 2] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    cuts.append((values[-1] + 1.0) / 2)
    results = [(scores.balanced_accuracy(c), c) for c in cuts]
    top = max(r for r, _ in results)
    best = [c for r, c in results if r == top]
    return best[len(best) // 2]
