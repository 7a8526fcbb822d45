"""Caller lines of conversation tests, heard as a call hears them (one turn at a time).

Each test runs in the text harness; at every `caller says` line the step's `Listen` is kept
(`capture`). The line is spoken by the test caller's voice (`CallerVoice`: piper through a
phone line) and heard by the recognizer the policy picks, built as the call's listener builds
it, fed in 20 ms chunks with the listener's early end (`hear`). The turn is right when the
test, run again with that one line replaced by what was heard, still passes (`still_passes`).
`replay` does it all for a bot. Used by bench/asr_turns.py and tests/audio/test_turns.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from runtime import actions as A
from runtime import events as E
from runtime.bot import Bot
from runtime.convtest import ConversationTest, Line, load_tests
from runtime.harness import MockServer, Run
from speech.asr.base import Hypothesis, Task
from speech.asr.choose import AsrPolicy, engine_for
from speech.audio import silence
from speech.simulated import CallerVoice
from speech.vocabulary import Vocabulary

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
            async with MockServer.for_test(bot, test) as mocks:
                await _Capture(bot, test, http, mocks, turns=turns).play()
    return turns


async def still_passes(bot: Bot, turn: Turn, heard: Hypothesis) -> str | None:
    """None when the test passes with `turn` heard as `heard`, else the failure."""
    async with aiohttp.ClientSession() as http, MockServer.for_test(bot, turn.case) as mocks:
        return await _Heard(bot, turn.case, http, mocks, line=turn.line, heard=heard).play()


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


@dataclass(frozen=True)
class Heard:
    turn: Turn
    kind: str  # the task's kind: menu, yes_no, digits, open
    hyp: Hypothesis
    ms: float  # finish() time
    problem: str | None  # None: the test still passes

    @property
    def right(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        t, h = self.turn, self.hyp
        return (f"{t.bot}:{t.line} [{self.kind}/{t.listen.slot_type or '-'}] {t.text!r} -> "
                f"{h.text!r} {h.confidence:.2f} {h.engine} {self.ms:.0f} ms ({t.test})")


def replay(bot: Bot, voice: CallerVoice, *, policy: AsrPolicy | None = None,
           rate: int = 8000, keep: Callable[[Turn, str], bool] = lambda turn, kind: True,
           ) -> Iterator[Heard]:
    """Every caller line of `bot`'s conversation tests, heard; `keep(turn, kind)` filters."""
    policy = policy or AsrPolicy.from_env()
    data = getattr(bot.intents, "data", None)
    hints = Vocabulary(data).hints if data is not None else None
    for turn in asyncio.run(capture(bot, load_tests(bot.folder))):
        kind = Task.from_listen(turn.listen).kind
        if not keep(turn, kind):
            continue
        hyp, ms = hear(turn, voice.line_sync(turn.text, rate), rate, policy, hints)
        yield Heard(turn, kind, hyp, ms, asyncio.run(still_passes(bot, turn, hyp)))
