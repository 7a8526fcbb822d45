"""Prompt cache: static prompts are synthesised once, ahead of calls, and read during them.

A static prompt is a `say`/`prompt`/`confirm`/... text with no `{interpolation}` (the runtime
marks its `Play` as `cacheable`). So is each whole sentence of a dynamic prompt that has no
interpolation ("Is that right?" after "I heard {date}."). `warm` synthesises a bot's static
prompts into the cache (`voxflow compile --prompts`, and `voxflow serve` at start);
`CachedSynthesizer` serves them during calls, and of a dynamic prompt synthesises only the
sentences that are not cached. piper speaks each sentence on its own (see tts.py), so a cached
sentence sounds as it would have inside the prompt.

Layout: `<root>/<rate>/<key>.l16` (raw L16 mono) beside `<key>.json` (text, voice, rate,
engine, byte count, CRC-32). The key hashes (format, engine, voice, rate, text), so a new piper
or voice version simply misses. Both files are written to a temporary name and renamed; the
JSON goes last and is the commit mark. A file whose size or CRC does not match its JSON is
never served (a crash, a full disk, a hand edit): it is synthesised again.

Live (cache-miss) audio is never written to disk and never kept in memory: dynamic prompts
carry balances, account numbers and names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dsl import tree as T
from dsl.ir import load_document
from dsl.walk import statements, step_statements

if TYPE_CHECKING:
    from media_bridge.speech import Synthesizer

log = logging.getLogger("voxflow.speech")

CACHE_FORMAT = 1  # bump when the layout or the meaning of a key changes
ENV_CACHE = "VOXFLOW_PROMPT_CACHE"
DEFAULT_CACHE_DIR = Path("build/prompts")
DEFAULT_MEMORY_BYTES = 64 << 20  # ~35 min of 16 kHz audio: every static prompt of a few bots
RATES = (8000, 16000)


def default_cache_dir() -> Path:
    return Path(os.environ.get(ENV_CACHE) or DEFAULT_CACHE_DIR)


# ---- which prompts are static ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaticPrompt:
    text: str
    language: str = ""  # the variant's language, or the flow's
    voice: str = ""  # as the flow names it ("" = the default voice)


# Where a text splits into sentences for the cache: after . ! or ? (and a closing quote or
# bracket) and white space, where piper's espeak splits too. Where espeak would not ("Dr. No"),
# the one cost is a sentence pause.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(\s+)")
_HOLE = "\x00"  # an interpolation, while a template's static sentences are found


def split_sentences(text: str) -> list[str]:
    """`text`'s sentences, stripped, in order ("Thanks. Is that right?" -> two)."""
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        parts.append(text[start:m.start(1)])
        start = m.end(1)
    parts.append(text[start:])
    return [p for p in (p.strip() for p in parts) if p]


def static_sentences(parts: tuple[str | T.Interp, ...]) -> list[str]:
    """The sentences of a template that no interpolation touches."""
    text = "".join(p if isinstance(p, str) else _HOLE for p in parts)
    return [s for s in split_sentences(text) if _HOLE not in s]


def collect_static_prompts(ir: dict[str, Any] | T.Program) -> list[StaticPrompt]:
    """Every prompt text of a compiled bot (its IR document, sub-flows included, or one
    Program) that has no interpolation, and every whole sentence without one of the prompts
    that have, once each, in source order."""
    found: dict[StaticPrompt, None] = {}
    for program, voice in _flows(ir):
        header = program.header
        language = (header.language if header else "") or "en-US"
        for prompt in _prompts(program):
            for lang, parts in ((language, prompt.parts),
                                *((v.language, v.parts) for v in prompt.variants)):
                for part in parts:
                    if isinstance(part, T.Template) and all(isinstance(p, str)
                                                            for p in part.parts):
                        text = "".join(part.parts)  # as the runtime renders it
                        if text.strip():
                            found.setdefault(StaticPrompt(text, lang, voice))
                    elif isinstance(part, T.Template):
                        for sentence in static_sentences(part.parts):
                            found.setdefault(StaticPrompt(sentence, lang, voice))
    return list(found)


def _flows(ir: dict[str, Any] | T.Program, main_voice: str = ""
           ) -> Iterator[tuple[T.Program, str]]:
    """Each flow with the voice it speaks in: a sub-flow without a voice of its own speaks in
    the main flow's (as `Session.play` decides)."""
    program = ir if isinstance(ir, T.Program) else load_document(ir)
    voice = (program.header.voice if program.header else "") or main_voice
    yield program, voice
    if isinstance(ir, dict):
        for sub in ir.get("imports", {}).values():
            yield from _flows(sub, main_voice or voice)


def _prompts(program: T.Program) -> Iterator[T.Prompt]:
    """Everything the runtime may speak from this flow (`session.play` callers)."""
    for stmt in _statements(program):
        if isinstance(stmt, T.Menu):
            if stmt.prompt is not None:
                yield stmt.prompt
        elif isinstance(stmt, T.Say):
            yield stmt.prompt
        elif isinstance(stmt, T.Ask):
            if stmt.prompt is not None:
                yield stmt.prompt
            if stmt.confirm:
                yield T.Prompt(parts=stmt.confirm)
            if stmt.validate is not None:
                yield T.Prompt(parts=(stmt.validate.message,))
        elif isinstance(stmt, T.Record) and stmt.prompt is not None:
            yield stmt.prompt


def _statements(program: T.Program) -> Iterator[T.Stmt | T.Menu]:
    """Global handlers, then each step (a menu first, for its prompt), nested blocks included."""
    for handler in program.handlers:
        yield from statements(handler.body)
    for step in program.steps:
        if isinstance(step, T.Menu):
            yield step
        yield from step_statements(step)


# ---- the cache ---------------------------------------------------------------------------------


class PromptCache:
    """Files under `root` plus an in-memory LRU of what was read (thread-safe)."""

    def __init__(self, root: Path | str | None = None, *,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str, voice: str, rate: int, engine: str) -> str:
        raw = json.dumps([CACHE_FORMAT, engine, voice, rate, text], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()

    def path(self, key: str, rate: int) -> Path:
        return self.root / str(rate) / f"{key}.l16"

    def remembered(self, key: str) -> bytes | None:
        with self._lock:
            pcm = self._memory.get(key)
            if pcm is not None:
                self._memory.move_to_end(key)
            return pcm

    def get(self, text: str, voice: str, rate: int, engine: str) -> bytes | None:
        """The cached PCM, or None when absent or damaged (blocking file I/O)."""
        key = self.key(text, voice, rate, engine)
        pcm = self.remembered(key)
        if pcm is None:
            pcm = self._read(key, text, voice, rate, engine)
            if pcm is not None:
                self._remember(key, pcm)
        return pcm

    def put(self, text: str, voice: str, rate: int, engine: str, pcm: bytes) -> Path:
        key = self.key(text, voice, rate, engine)
        path = self.path(key, rate)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": CACHE_FORMAT, "text": text, "voice": voice, "rate": rate,
                "engine": engine, "bytes": len(pcm), "crc32": zlib.crc32(pcm)}
        _write_atomic(path, pcm)
        _write_atomic(path.with_suffix(".json"),
                      json.dumps(meta, ensure_ascii=False, indent=1).encode())
        return path

    def _read(self, key: str, text: str, voice: str, rate: int, engine: str) -> bytes | None:
        path = self.path(key, rate)
        try:
            meta = json.loads(path.with_suffix(".json").read_bytes())
            pcm = path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("unreadable prompt cache entry %s: %s", path.name, exc)
            return None
        expected = {"format": CACHE_FORMAT, "text": text, "voice": voice, "rate": rate,
                    "engine": engine, "bytes": len(pcm), "crc32": zlib.crc32(pcm)}
        if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in expected.items()):
            log.warning("damaged prompt cache entry %s: not served", path.name)
            return None
        return pcm

    def _remember(self, key: str, pcm: bytes) -> None:
        if len(pcm) > self.memory_bytes:
            return
        with self._lock:
            if key in self._memory:
                return
            self._memory[key] = pcm
            self._held += len(pcm)
            while self._held > self.memory_bytes:
                _, old = self._memory.popitem(last=False)
                self._held -= len(old)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- the Synthesizer port with the cache in front ----------------------------------------------


class CachedSynthesizer:
    """`Synthesizer`: a cached prompt is read (memory, then disk); anything else is synthesised
    live by `synth` and forgotten."""

    def __init__(self, cache: PromptCache, synth: Synthesizer, *,
                 by_sentence: bool = True) -> None:
        """`by_sentence=False`: every sentence of a prompt that misses is synthesised live, as
        before static sentences were cached (the baseline of bench/prompt_sentences.py)."""
        self.cache, self.synth, self.by_sentence = cache, synth, by_sentence
        self.engine: str = getattr(synth, "engine", type(synth).__name__)
        self.hits = self.misses = 0  # whole prompts
        self.sentence_hits = 0  # sentences of prompts that missed, served from the cache

    def voice_id(self, voice: str = "") -> str:
        resolve = getattr(self.synth, "voice_id", None)
        return resolve(voice) if resolve is not None else voice

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        if not text.strip():
            return b""
        return b"".join([piece async for piece in self.stream(text, rate, language=language,
                                                             voice=voice)])

    async def stream(self, text: str, rate: int, *, language: str = "",
                     voice: str = "") -> AsyncIterator[bytes]:
        """A cached prompt as one piece. Of anything else, each cached sentence as one piece
        and the rest sentence by sentence as `synth` makes it (`synth.stream`), or a run of
        sentences whole where `synth` cannot stream."""
        if not text.strip():
            return
        pcm = await self._cached(text, rate, voice)
        if pcm is not None:
            yield pcm
            return
        for cached, live in await self._sentences(text, rate, voice):
            if cached is not None:
                yield cached
                continue
            async with contextlib.aclosing(self._live(live, rate, language, voice)) as pieces:
                async for piece in pieces:
                    yield piece

    async def _sentences(self, text: str, rate: int, voice: str
                         ) -> list[tuple[bytes | None, str]]:
        """`text` as cached sentences (audio, text) and runs of the others (None, text)."""
        sentences = split_sentences(text) if self.by_sentence else []
        if len(sentences) < 2:
            return [(None, text)]
        vid = self.voice_id(voice)
        found = await asyncio.to_thread(
            lambda: [self.cache.get(s, vid, rate, self.engine) for s in sentences])
        if not any(pcm is not None for pcm in found):
            return [(None, text)]
        runs: list[tuple[bytes | None, str]] = []
        for sentence, pcm in zip(sentences, found, strict=True):
            if pcm is not None:
                self.sentence_hits += 1
                runs.append((pcm, sentence))
            elif runs and runs[-1][0] is None:
                runs[-1] = (None, f"{runs[-1][1]} {sentence}")
            else:
                runs.append((None, sentence))
        return runs

    async def _live(self, text: str, rate: int, language: str,
                    voice: str) -> AsyncIterator[bytes]:
        stream = getattr(self.synth, "stream", None)
        if stream is None:
            yield await self.synth.synthesize(text, rate=rate, language=language, voice=voice)
            return
        async with contextlib.aclosing(stream(text, rate, language=language,
                                              voice=voice)) as pieces:
            async for piece in pieces:
                yield piece

    async def _cached(self, text: str, rate: int, voice: str) -> bytes | None:
        """The prompt from the cache (counted as a hit), or None (counted as a miss)."""
        vid = self.voice_id(voice)
        pcm = self.cache.remembered(self.cache.key(text, vid, rate, self.engine))
        if pcm is None:  # the first read of a prompt goes to disk, off the event loop
            pcm = await asyncio.to_thread(self.cache.get, text, vid, rate, self.engine)
        if pcm is not None:
            self.hits += 1
        else:
            self.misses += 1
        return pcm


# ---- warming -----------------------------------------------------------------------------------


class OfflineSynthesizer(Protocol):
    """What `warm` needs (PiperSynthesizer): blocking synthesis at several rates at once."""

    engine: str

    def voice_id(self, voice: str = "") -> str: ...

    def synthesize_rates(self, text: str, rates: Iterable[int], *, language: str = "",
                         voice: str = "") -> dict[int, bytes]: ...


@dataclass(frozen=True, slots=True)
class WarmReport:
    prompts: int  # static prompts of the bot
    new: int  # synthesised now (at one rate or more)
    cached: int  # already cached at every rate
    root: Path


def warm(bot_ir: dict[str, Any] | T.Program, rates: Iterable[int] = RATES, *,
         cache: PromptCache | None = None,
         synth: OfflineSynthesizer | None = None) -> WarmReport:
    """Synthesise the static prompts missing from the cache (blocking: serve runs it in a
    thread). An unknown voice raises before anything is synthesised."""
    cache = cache if cache is not None else PromptCache()
    if synth is None:
        from speech.tts import PiperSynthesizer

        synth = PiperSynthesizer()
    rates = tuple(rates)
    prompts = collect_static_prompts(bot_ir)
    voices = {p.voice: synth.voice_id(p.voice) for p in prompts}
    new = 0
    for p in prompts:
        vid = voices[p.voice]
        missing = [r for r in rates if cache.get(p.text, vid, r, synth.engine) is None]
        if not missing:
            continue
        new += 1
        audio = synth.synthesize_rates(p.text, missing, language=p.language, voice=p.voice)
        for rate, pcm in audio.items():
            cache.put(p.text, vid, rate, synth.engine, pcm)
    return WarmReport(len(prompts), new, len(prompts) - new, cache.root)
