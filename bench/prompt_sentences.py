"""Live synthesis of the dynamic prompts the example bots speak, with the prompt cache serving
the static sentences inside them ("Is that right?" after "I heard {date}.") or not.

    .venv/bin/python bench/prompt_sentences.py              # both bots, 3 rounds (~3 minutes)
    .venv/bin/python bench/prompt_sentences.py --rounds 1

Every conversation test of the bots runs in the text harness, and each prompt the bot speaks
that is not a static prompt (a read-back, a balance, a confirmation number) is kept as the
runtime rendered it. Each is then spoken through `CachedSynthesizer.stream` at 8 kHz, as a
call speaks it, with the bots' static prompts warmed into a fresh cache: once taking the
static sentences inside them from the cache ("static sentences cached", as `voxflow serve`
runs) and once synthesising every sentence of a prompt that misses ("every sentence live", as
before), the two alternating prompt by prompt so both see the same load. Reported: the time to
the last piece (the piper work the prompt costs the call), to the first (when the caller starts
hearing it), and how many sentences the cache served.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.stats import pct  # noqa: E402
from runtime import actions as A  # noqa: E402
from runtime.bot import Bot, load_bot  # noqa: E402
from runtime.convtest import load_tests  # noqa: E402
from runtime.harness import MockServer, Run  # noqa: E402
from speech.prompts import CachedSynthesizer, PromptCache, warm  # noqa: E402
from speech.tts import PiperSynthesizer  # noqa: E402

RATE = 8000
LIVE, CACHED = "every sentence live", "static sentences cached"


async def dynamic_prompts(bot: Bot) -> list[A.Play]:
    """Every prompt with an interpolation the bot speaks in its conversation tests."""
    plays: list[A.Play] = []
    async with aiohttp.ClientSession() as http:
        for test in load_tests(bot.folder):
            async with MockServer.for_test(bot, test) as mocks:
                run = Run(bot, test, http, mocks)
                await run.play()
            plays += [a for a in run.channel.actions
                      if isinstance(a, A.Play) and a.text.strip() and not a.cacheable]
    return plays


async def speak(synth: CachedSynthesizer, play: A.Play) -> tuple[float, float, int]:
    """(seconds to the first piece, seconds to the last, bytes)."""
    start = time.perf_counter()
    first, size = 0.0, 0
    async for piece in synth.stream(play.text, RATE, language=play.language, voice=play.voice):
        if not size:
            first = time.perf_counter() - start
        size += len(piece)
    return first, time.perf_counter() - start, size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", action="append", help="acme, bank (default: both)")
    parser.add_argument("--rounds", type=int, default=3, help="times each prompt is spoken")
    args = parser.parse_args()
    # Tests whose services are down on purpose make the runtime warn "fetch failed" each time.
    logging.getLogger("voxflow").setLevel(logging.ERROR)
    piper = PiperSynthesizer()
    with tempfile.TemporaryDirectory(prefix="prompt-sentences-") as root:
        cache = PromptCache(root)
        plays: list[A.Play] = []
        for name in args.bot or ["acme", "bank"]:
            bot = load_bot(ROOT / "bots" / name)
            report = await asyncio.to_thread(warm, bot.ir, (RATE,), cache=cache, synth=piper)
            found = await dynamic_prompts(bot)
            print(f"{name}: {report.prompts} static prompts and sentences warmed; "
                  f"{len(found)} dynamic prompts spoken in {len(load_tests(bot.folder))} tests",
                  flush=True)
            plays += found
        variants = {LIVE: CachedSynthesizer(cache, piper, by_sentence=False),
                    CACHED: CachedSynthesizer(cache, piper)}
        firsts: dict[str, list[float]] = {v: [] for v in variants}
        lasts: dict[str, list[float]] = {v: [] for v in variants}
        sizes: dict[str, int] = {v: 0 for v in variants}
        await speak(variants[LIVE], plays[0])  # piper's first synthesis loads the voice
        for r in range(args.rounds):
            for i, play in enumerate(plays):
                order = list(variants) if (i + r) % 2 == 0 else list(reversed(variants))
                for name in order:
                    first, last, size = await speak(variants[name], play)
                    firsts[name].append(first)
                    lasts[name].append(last)
                    sizes[name] += size
        served = variants[CACHED].sentence_hits / args.rounds
    print(f"\n{len(plays)} dynamic prompts x {args.rounds} rounds, {RATE} Hz, piper "
          f"({served:.0f} of their sentences per round from the cache)\n")
    print("| variant | piper time, sum per round | to the last piece p50 / p95 | "
          "to the first piece p50 / p95 |")
    print("|---|---|---|---|")
    for name in variants:
        total = sum(lasts[name]) / args.rounds
        print(f"| {name} | {total:.1f} s | {1000 * pct(lasts[name], 0.5):.0f} / "
              f"{1000 * pct(lasts[name], 0.95):.0f} ms | {1000 * pct(firsts[name], 0.5):.0f} / "
              f"{1000 * pct(firsts[name], 0.95):.0f} ms |")
    live, cached = (sum(lasts[v]) for v in (LIVE, CACHED))
    print(f"\ncached / live, piper time: {cached / live:.2f}; audio length ratio "
          f"{sizes[CACHED] / sizes[LIVE]:.2f} (piper's noise varies lengths a little)")


if __name__ == "__main__":
    asyncio.run(main())
