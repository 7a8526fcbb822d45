"""The prompt cache: which prompts are static, warming, serving, and never persisting the rest."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from dsl import cli
from dsl import tree as T
from dsl.compile import compile_file
from dsl.ir import load_document
from speech.prompts import (
    ENV_CACHE,
    CachedSynthesizer,
    PromptCache,
    StaticPrompt,
    collect_static_prompts,
    static_sentences,
    warm,
)
from speech.tts import PiperSynthesizer, UnknownVoice

TINY = '''flow tiny "A tiny bot"
  language en-US
  voice {voice}

start
  say "Hello there."
  ask code as digits(4)
    prompt "Key in four digits."
    confirm "Did I get that right?"
    on failure
      say "Sorry, goodbye."
      hangup
  say "Your code is {{code as digits}}."
  say "Goodbye."
  hangup
'''
TINY_STATIC = ["Hello there.", "Key in four digits.", "Did I get that right?", "Sorry, goodbye.",
               "Goodbye."]


class Counting:
    """The real piper synthesizer, counting what it is asked to do."""

    def __init__(self) -> None:
        self.piper = PiperSynthesizer()
        self.engine = self.piper.engine
        self.live: list[str] = []
        self.offline: list[str] = []

    def voice_id(self, voice: str = "") -> str:
        return self.piper.voice_id(voice)

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        self.live.append(text)
        return await self.piper.synthesize(text, rate=rate, language=language, voice=voice)

    def synthesize_rates(self, text: str, rates: Iterable[int], *, language: str = "",
                         voice: str = "") -> dict[int, bytes]:
        self.offline.append(text)
        return self.piper.synthesize_rates(text, rates, language=language, voice=voice)


def ir_of(path: Path) -> dict[str, Any]:
    comp = compile_file(path)
    assert not comp.diagnostics, comp.diagnostics
    return comp.ir()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "tiny.flow").write_text(TINY.format(voice="en_US-joe-medium"), encoding="utf-8")
    return ir_of(folder / "tiny.flow")


@pytest.fixture(scope="module")
def warmed(tiny: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bot's prompts, synthesised once for the tests that only read them."""
    root = tmp_path_factory.mktemp("warmed")
    warm(tiny, cache=PromptCache(root), synth=Counting())
    return root


@pytest.fixture
def cache(warmed: Path, tmp_path: Path) -> PromptCache:
    """A copy of the warmed cache that a test may damage."""
    shutil.copytree(warmed, tmp_path / "cache")
    return PromptCache(tmp_path / "cache")


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# ---- which prompts are static ------------------------------------------------------------------


def test_collect_finds_every_static_prompt_of_acme_and_no_interpolated_one() -> None:
    prompts = collect_static_prompts(ir_of(Path("bots/acme/acme.flow")))
    texts = [p.text for p in prompts]
    assert len(texts) == len(set(texts)) >= 40
    for expected in [
        "Thanks for calling Acme Telecom.",  # say, in the start step
        "I'm sorry, something went wrong on our side.",  # a global handler
        "Sorry, I didn't catch that.",  # a menu's nomatch handler
        "Please say or key in your eight digit account number. It's at the top of your bill.",
        "I can take payments of up to two thousand dollars.",  # a validate message
        "I'm not sure about that one.",  # an answer's no_answer handler
        "Thank you for calling Acme Telecom. Goodbye.",
    ]:
        assert expected in texts
    menu = next(t for t in texts if t.startswith("For your balance, press 1"))
    assert "  " not in menu and "\n" not in menu  # as the runtime speaks it, joined lines
    assert not any("{" in t or "}" in t for t in texts)
    for dynamic in ("Your balance is", "That's ", "Your confirmation number", "known outage"):
        assert not any(dynamic in t for t in texts)
    assert {p.voice for p in prompts} == {"en_US-joe-medium"}
    spanish = [p for p in prompts if p.language == "es-US"]
    assert StaticPrompt("Gracias por llamar a Acme Telecom.", "es-US", "en_US-joe-medium") \
        in spanish
    assert {p.language for p in prompts} == {"en-US", "es-US"}


def test_collect_keeps_the_sentences_of_dynamic_prompts_that_no_value_touches() -> None:
    acme = {p.text for p in collect_static_prompts(ir_of(Path("bots/acme/acme.flow")))}
    bank = {p.text for p in collect_static_prompts(ir_of(Path("bots/bank/bank.flow")))}
    # "That's {amount}. Is that right?", "Thanks. I'll charge {amount} to ... Shall I go ahead?"
    assert {"Is that right?", "Thanks.", "Shall I go ahead?"} <= acme
    assert {"Your PIN stays the same.", "That's all confirmed."} <= bank  # after {name}
    assert not any(t.startswith(("I'll charge", "Thanks, ", "I heard")) for t in acme | bank)


@pytest.mark.parametrize(("parts", "sentences"), [
    (("That's ", "x", ". Is that right?"), ["Is that right?"]),
    (("Thanks. I'll charge ", "x", " now. Shall I go ahead?"), ["Thanks.", "Shall I go ahead?"]),
    (("Thanks, ", "x", "."), []),
    (("Done! Your payment of ", "x", " went through. Bye."), ["Done!", "Bye."]),
])
def test_static_sentences_are_whole_sentences_without_a_value(
        parts: tuple[str, ...], sentences: list[str]) -> None:
    template = tuple(p if p != "x" else T.Interp(expr=T.Ref(path=("amount",))) for p in parts)
    assert static_sentences(template) == sentences


def test_collect_follows_sub_flows_which_speak_in_the_main_flows_voice() -> None:
    prompts = collect_static_prompts(ir_of(Path("bots/bank/bank.flow")))
    by_text = {p.text: p for p in prompts}
    birth = by_text["Please tell me your date of birth."]  # in identity.flow, which has no voice
    assert birth.voice == "en_US-joe-medium"
    # a record's prompt, with a handler's
    assert any(t.startswith("Please leave a message after the tone") for t in by_text)


def test_collect_takes_a_program_too(tiny: dict[str, Any]) -> None:
    program = load_document(tiny)
    assert isinstance(program, T.Program)
    assert [p.text for p in collect_static_prompts(program)] == TINY_STATIC


# ---- warming -----------------------------------------------------------------------------------


def test_warm_synthesises_what_is_missing_and_a_second_run_does_nothing(
        tiny: dict[str, Any], tmp_path: Path) -> None:
    cache, synth = PromptCache(tmp_path / "cache"), Counting()
    first = warm(tiny, cache=cache, synth=synth)
    assert (first.prompts, first.new, first.cached) == (5, 5, 0)
    assert synth.offline == TINY_STATIC
    written = files(cache.root)
    assert len(written) == 5 * 2 * 2  # each prompt at 8 and 16 kHz, audio and its JSON
    assert not any(p.name.endswith(".tmp") for p in written)
    again = warm(tiny, cache=PromptCache(cache.root), synth=synth)
    assert (again.prompts, again.new, again.cached) == (5, 0, 5)
    assert synth.offline == TINY_STATIC  # nothing synthesised the second time
    assert files(cache.root) == written


def test_warm_fails_on_an_unknown_voice_before_synthesising(tmp_path: Path) -> None:
    (tmp_path / "amy.flow").write_text(TINY.format(voice="en_US-amy-medium"), encoding="utf-8")
    synth = Counting()
    with pytest.raises(UnknownVoice, match="en_US-joe-medium"):
        warm(ir_of(tmp_path / "amy.flow"), cache=PromptCache(tmp_path / "c"), synth=synth)
    assert synth.offline == []


# ---- serving -----------------------------------------------------------------------------------


def test_a_cached_prompt_is_served_byte_for_byte_without_synthesis(cache: PromptCache) -> None:
    synth = Counting()
    fresh = CachedSynthesizer(PromptCache(cache.root), synth)  # nothing in memory: from disk

    async def main() -> list[bytes]:
        return [await fresh.synthesize("Goodbye.", rate=rate, language="en-US",
                                       voice="en_US-joe-medium")
                for rate in (8000, 8000, 16000)]

    disk, memory, wide = asyncio.run(main())
    key = cache.key("Goodbye.", "joe-us", 8000, synth.engine)
    assert disk == memory == cache.path(key, 8000).read_bytes()
    assert abs(len(wide) - 2 * len(disk)) <= 8  # the same audio at twice the rate
    assert synth.live == [] and fresh.hits == 3


def test_a_dynamic_prompt_is_synthesised_live_and_never_kept(cache: PromptCache) -> None:
    synth = Counting()
    before = files(cache.root)
    cached = CachedSynthesizer(cache, synth)
    text = "Your balance is forty two dollars and ten cents."
    pcm = asyncio.run(cached.synthesize(text, rate=8000, voice="en_US-joe-medium"))
    assert len(pcm) > 8000 * 2  # over a second of speech
    assert synth.live == [text] and cached.misses == 1
    assert files(cache.root) == before
    assert cache.remembered(cache.key(text, "joe-us", 8000, synth.engine)) is None


def test_a_dynamic_prompt_synthesises_only_its_sentences_not_cached(cache: PromptCache) -> None:
    """"Did I get that right?" is a static prompt of the tiny bot, so it is cached; said after
    a value, only the value's sentence is synthesised, and the cached audio follows it."""
    synth = Counting()
    cached = CachedSynthesizer(cache, synth)
    live = "Your code is one, two, three, four."
    text = f"{live} Did I get that right?"

    async def main() -> tuple[bytes, bytes]:
        said = await cached.synthesize(text, rate=8000, voice="en_US-joe-medium")
        return said, await synth.piper.synthesize(live, rate=8000)

    said, alone = asyncio.run(main())
    stored = cache.get("Did I get that right?", "joe-us", 8000, synth.engine)
    assert stored is not None and said.endswith(stored)
    assert abs(len(said) - len(stored) - len(alone)) < 0.2 * len(alone)  # piper's noise varies
    assert synth.live == [live]
    assert (cached.hits, cached.misses, cached.sentence_hits) == (0, 1, 1)
    assert cache.remembered(cache.key(live, "joe-us", 8000, synth.engine)) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "json"])
def test_a_damaged_cache_file_is_synthesised_again_not_served(
        tiny: dict[str, Any], cache: PromptCache, damage: str) -> None:
    synth = Counting()
    path = cache.path(cache.key("Hello there.", "joe-us", 8000, synth.engine), 8000)
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[:len(good) // 2])
    elif damage == "flip":
        path.write_bytes(good[:100] + bytes(b ^ 0xFF for b in good[100:110]) + good[110:])
    else:
        path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    bad = path.read_bytes()
    served = asyncio.run(CachedSynthesizer(PromptCache(cache.root), synth)
                         .synthesize("Hello there.", rate=8000))
    assert synth.live == ["Hello there."] and served != bad
    report = warm(tiny, cache=PromptCache(cache.root), synth=synth)
    assert (report.new, report.cached) == (1, 4)
    assert synth.offline[-1] == "Hello there."
    assert PromptCache(cache.root).get("Hello there.", "joe-us", 8000, synth.engine) is not None


def test_the_key_changes_with_text_voice_rate_and_engine() -> None:
    base = PromptCache.key("Hi.", "joe-us", 8000, "piper 1")
    others = {PromptCache.key("Hi!", "joe-us", 8000, "piper 1"),
              PromptCache.key("Hi.", "amy", 8000, "piper 1"),
              PromptCache.key("Hi.", "joe-us", 16000, "piper 1"),
              PromptCache.key("Hi.", "joe-us", 8000, "piper 2")}
    assert base not in others and len(others) == 4


def test_memory_holds_recent_prompts_up_to_its_budget(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, memory_bytes=250)
    for i in range(3):
        cache.put(f"p{i}", "v", 8000, "e", bytes([i]) * 100)
        assert cache.get(f"p{i}", "v", 8000, "e") == bytes([i]) * 100
    keys = [cache.key(f"p{i}", "v", 8000, "e") for i in range(3)]
    assert cache.remembered(keys[0]) is None  # the oldest made room
    assert cache.remembered(keys[2]) == bytes([2]) * 100


def test_the_cache_folder_defaults_to_build_prompts_and_follows_the_env(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_CACHE, raising=False)
    assert PromptCache().root == Path("build/prompts")
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    assert PromptCache().root == tmp_path


# ---- voxflow compile --prompts -----------------------------------------------------------------


def test_compile_prompts_prints_one_line_per_bot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "tiny.flow").write_text(TINY.format(voice="en_US-joe-medium"), encoding="utf-8")
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    args = ["compile", str(folder), "-o", str(tmp_path / "ir"), "--prompts"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"{folder.as_posix()}: 5 prompts, 5 new, 0 cached -> {tmp_path / 'cache'}" in out
    assert cli.main(args) == 0
    assert "5 prompts, 0 new, 5 cached" in capsys.readouterr().out
    (folder / "tiny.flow").write_text(TINY.format(voice="en_US-amy-medium"), encoding="utf-8")
    assert cli.main(args) == 1
    assert "en_US-amy-medium" in capsys.readouterr().err
