"""The example bots' conversation tests, played as phone calls through the real audio path.

`make test` plays SMOKE, a set that covers every kind of turn (keys, menu speech, spoken digits,
yes/no read-backs, silence, hand-offs with typed context, a voicemail, hang-ups, redaction);
`make test-audio` (VOXFLOW_AUDIO_ALL=1) plays every test of both bots, which takes far longer
and is where recognition accuracy is measured (docs/benchmarks.md gives its pass rate).

Each `.test.flow` test becomes a call on a stand-in FreeSWITCH: the caller's lines are spoken
by piper through a simulated phone line, keys are ESL DTMF events, the bot hears them through
the VAD and the recognisers and answers with synthesised audio, which is transcribed back and
checked against the test's `bot says` lines. The calls run in real time, several at once, in
one session-scoped run; each test then reports its own call.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from media_bridge.caller import CallResult, run_calls
from media_bridge.settings import BridgeSettings
from media_bridge.voice import SpeechStack, VoiceService
from runtime.bot import load_bot
from runtime.convtest import ConversationTest, load_tests

pytestmark = pytest.mark.audio
BOTS = ("bots/acme", "bots/bank")
CONCURRENCY = 6  # real-time calls: most of their time is waiting, so they overlap well
SMOKE = {
    "bots/acme": ("balance by keypad", "silence three times: two reminders, then a person",
                  "pressing 0 at the main menu reaches a person",
                  "a known outage: the caller is told and not asked to report it"),
    "bots/bank": ("press 5 at night: voicemail", "press 5 during opening hours: card services"),
}


def _cases() -> list[tuple[str, ConversationTest]]:
    every = os.environ.get("VOXFLOW_AUDIO_ALL") == "1"
    cases = []
    for folder in BOTS:
        for test in load_tests(Path(folder)):
            if every or test.name in SMOKE[folder]:
                cases.append((folder, test))
    return cases


CASES = _cases()


@pytest.fixture(scope="session")
def played() -> dict[tuple[str, str, int], CallResult]:
    from speech.prompts import warm
    from speech.simulated import CallerVoice, WhisperTranscriber

    speech = SpeechStack.load()
    voice, ear = CallerVoice(), WhisperTranscriber()
    results: dict[tuple[str, str, int], CallResult] = {}

    async def play(folder: str) -> None:
        bot = load_bot(Path(folder))
        await asyncio.to_thread(warm, bot.ir, (8000,))
        service = VoiceService(bot, speech, settings=BridgeSettings(), standin=True)
        await service.start()
        try:
            tests = [t for f, t in CASES if f == folder]
            for result in await run_calls(service, tests, voice=voice, transcriber=ear,
                                          concurrency=CONCURRENCY):
                results[(folder, result.test.path, result.test.line)] = result
        finally:
            await service.stop()

    async def main() -> None:
        for folder in BOTS:
            await play(folder)

    asyncio.run(main())
    return results


@pytest.mark.parametrize(("folder", "test"), CASES,
                         ids=[f"{Path(f).name}: {t.name}" for f, t in CASES])
def test_conversation_through_audio(played: dict[Any, CallResult], folder: str,
                                    test: ConversationTest) -> None:
    result = played[(folder, test.path, test.line)]
    assert result.ok, result.report


def test_every_smoke_call_names_a_real_conversation_test() -> None:
    for folder, names in SMOKE.items():
        known = {t.name for t in load_tests(Path(folder))}
        assert set(names) <= known, sorted(set(names) - known)
