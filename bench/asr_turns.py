"""Every caller line of the example bots' conversation tests, heard the way a call hears it.

The audio suite (`make test-audio`) plays whole conversations in real time: about 18 minutes,
and a failed call says little about which turn went wrong. This replays only the turns: each
test runs in the text harness, and at every `caller says` line the session is copied and the
step's `Listen` kept. The line is then synthesised with the bundled voice, put through the
phone line (8 kHz, mu-law, noise at the caller's SNR), and heard by the recognizer the policy
picks for that step (`speech.asr.choose`), fed in 20 ms chunks with the early end the
listener uses. The turn is **right** when the test, run again in the text harness with that one
line replaced by what was heard (text and confidence), still passes: what the caller would
notice.

    .venv/bin/python bench/asr_turns.py                # both bots, every turn (~3 minutes)
    .venv/bin/python bench/asr_turns.py --bot bank --verbose --snr 20
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from runtime import actions as A  # noqa: E402
from runtime import events as E  # noqa: E402
from runtime.bot import Bot, load_bot  # noqa: E402
from runtime.convtest import ConversationTest, Line, load_tests  # noqa: E402
from runtime.harness import MockServer, Run  # noqa: E402
from speech.asr.base import Hypothesis, Task  # noqa: E402
from speech.asr.choose import AsrPolicy, engine_for  # noqa: E402
from speech.audio import silence  # noqa: E402
from speech.simulated import CallerVoice  # noqa: E402
from speech.vocabulary import Vocabulary  # noqa: E402

CHUNK_MS = 20
TAIL_MS = 600  # the VAD's end of turn: silence the recognizer hears after the words


@dataclass(frozen=True)
class Turn:
    bot: str
    test: str
    line: int
    text: str
    listen: A.Listen
    case: ConversationTest


class _Capture(Run):
    """The text harness, keeping each caller turn's session and Listen."""

    def __init__(self, *args: Any, turns: list[Turn], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.turns = turns

    async def step(self, line: Line) -> str | None:
        if line.kind == "caller_says":
            listen = next((a for a in reversed(self.channel.actions)
                           if isinstance(a, A.Listen)), None)
            if listen is not None and self.session.state.input is not None:
                self.turns.append(Turn(self.bot.folder.name, self.test.name, line.line,
                                       str(line.value), listen, self.test))
        return await super().step(line)


class _Heard(Run):
    """The text harness with one caller line replaced by what the recognizer heard."""

    def __init__(self, *args: Any, line: int, heard: Hypothesis, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.line, self.heard = line, heard

    async def step(self, line: Line) -> str | None:
        if line.kind == "caller_says" and line.line == self.line:
            self.channel.transcript.append(f"caller: {self.heard.text}")
            await self.driver.send(E.Speech(text=self.heard.text,
                                            confidence=self.heard.confidence))
            return None
        return await super().step(line)


async def capture(bot: Bot, tests: list[ConversationTest]) -> list[Turn]:
    turns: list[Turn] = []
    async with aiohttp.ClientSession() as http:
        for test in tests:
            mocks = MockServer(bot.folder / "tests" / "mocks", set(test.mocks_down))
            await mocks.start()
            try:
                await _Capture(bot, test, http, mocks, turns=turns).play()
            finally:
                await mocks.stop()
    return turns


async def still_passes(bot: Bot, turn: Turn, heard: Hypothesis) -> str | None:
    """None when the test passes with `turn` heard as `heard`, else the failure."""
    async with aiohttp.ClientSession() as http:
        mocks = MockServer(bot.folder / "tests" / "mocks", set(turn.case.mocks_down))
        await mocks.start()
        try:
            return await _Heard(bot, turn.case, http, mocks, line=turn.line, heard=heard).play()
        finally:
            await mocks.stop()


def hear(turn: Turn, pcm: bytes, rate: int, policy: AsrPolicy,
         hints: Callable[[A.Listen], tuple[str, ...]] | None) -> tuple[Hypothesis, float]:
    # The task as the call's listener makes it: the step's phrases and the bot's NLU words.
    task = Task.from_listen(turn.listen, hints(turn.listen) if hints is not None else ())
    recognizer = engine_for(task, policy).recognizer(task, rate)
    step = rate * CHUNK_MS // 1000 * 2
    audio = pcm + silence(TAIL_MS, rate)
    for i in range(0, len(audio), step):
        recognizer.feed(audio[i:i + step])
        if recognizer.complete:
            break
    started = time.perf_counter()
    hyp = recognizer.finish()
    return hyp, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", action="append", help="acme, bank (default: both)")
    parser.add_argument("--snr", type=float, default=25.0, help="caller line SNR (dB)")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--grep", default="", help="only lines containing this text")
    parser.add_argument("--kind", action="append",
                        help="only turns of this kind: menu, yes_no, digits, open")
    args = parser.parse_args()
    rate = 8000
    policy = AsrPolicy.from_env()
    voice = CallerVoice(snr_db=args.snr)  # the audio suite's caller, line for line
    totals: Counter[str] = Counter()
    by_kind: Counter[tuple[str, bool]] = Counter()
    for name in args.bot or ["acme", "bank"]:
        bot = load_bot(ROOT / "bots" / name)
        data = getattr(bot.intents, "data", None)
        hints = Vocabulary(data).hints if data is not None else None
        turns = asyncio.run(capture(bot, load_tests(bot.folder)))
        for turn in turns:
            if args.grep and args.grep.lower() not in turn.text.lower():
                continue
            if args.kind and Task.from_listen(turn.listen).kind not in args.kind:
                continue
            pcm = voice.line_sync(turn.text, rate)
            hyp, ms = hear(turn, pcm, rate, policy, hints)
            kind = Task.from_listen(turn.listen).kind
            right = asyncio.run(still_passes(bot, turn, hyp)) is None
            totals["right" if right else "wrong"] += 1
            by_kind[(kind, right)] += 1
            if args.verbose and not right:
                print(f"MISS {name}:{turn.line} [{kind}/{turn.listen.slot_type or '-'}] "
                      f"{turn.text!r} -> {hyp.text!r} {hyp.confidence:.2f} {hyp.engine} "
                      f"{ms:.0f} ms ({turn.test})", flush=True)
    n = totals["right"] + totals["wrong"]
    print(f"\n{totals['right']}/{n} turns heard as the text harness reads them "
          f"({100 * totals['right'] / max(n, 1):.1f} %) at {args.snr:g} dB SNR")
    for kind in sorted({k for k, _ in by_kind}):
        ok, bad = by_kind[(kind, True)], by_kind[(kind, False)]
        print(f"  {kind:8s} {ok}/{ok + bad}")


if __name__ == "__main__":
    main()
