"""The example bots' conversation tests, played as phone calls through the real audio path.

`make test` plays every conversation test of both bots (111) as a call: the caller's lines are
spoken by piper through a simulated phone line, keys are ESL DTMF events, the bot hears them
through the VAD and the recognisers and answers with synthesised audio, which is transcribed
back and checked against the test's `bot says` lines. The calls run in real time, eight at a
time across both bots, longest first, in one session-scoped run (about 13 minutes on 2 cores);
each test then reports its own call. `VOXFLOW_AUDIO_SMOKE=1` plays only SMOKE, a set that
covers every kind of turn, for a quick local run.

KNOWN_MISHEARD are the calls whose caller says a word Whisper tiny.en, the one open-speech model
packaged, does not write on the phone band: they are expected to fail, and reported if they
pass. A call that fails otherwise is played once more after the others: what the bot hears
still varies a little from run to run (the VAD cuts by real-time framing), so a turn can be
misheard once. Each call must pass on one of its plays, and at most SECOND_PLAYS calls may need
the second (test_few_calls_need_a_second_play names them with their first transcript).
"""

from __future__ import annotations

import asyncio
import os
import warnings
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
# Calls in flight across both bots. Real-time calls spend most of their time waiting, but the
# test caller's voice and ear share the two cores with the bot: at twelve the ear heard
# prompts too late for the bot's no-input timers (5 of 107 calls), at ten 4 calls needed a
# second play.
CONCURRENCY = 8
SECOND_PLAYS = 4
SMOKE = {
    "bots/acme": ("balance by keypad", "silence three times: two reminders, then a person",
                  "pressing 0 at the main menu reaches a person",
                  "a known outage: the caller is told and not asked to report it"),
    "bots/bank": ("press 5 at night: voicemail", "press 5 during opening hours: card services"),
}
KNOWN_MISHEARD = {
    ("bots/acme", "outage by a paraphrase: my wifi has been dead since yesterday"):
        '"my wifi" is written "My wife, I"',
    ("bots/bank", "synonyms: a cash machine is an ATM, and swallowing a card is keeping it "
                  "(bank-help/synonyms.yml)"):
        '"swallowed" is written "World" or "while with"',
    ("bots/bank", "stolen card in the caller's words: blocked, new card at the branch"):
        '"nicked" is written "Make"',
}


def _cases() -> list[tuple[str, ConversationTest]]:
    smoke = os.environ.get("VOXFLOW_AUDIO_SMOKE") == "1"
    return [(folder, test) for folder in BOTS for test in load_tests(Path(folder))
            if not smoke or test.name in SMOKE[folder]]


def _length(test: ConversationTest) -> int:
    """A rough length, to start the longest calls first: each step, and a silence's timer."""
    kinds = [line.kind for line in test.steps]
    return len(kinds) + 6 * kinds.count("silent")


CASES = _cases()


def _param(folder: str, test: ConversationTest) -> Any:
    reason = KNOWN_MISHEARD.get((folder, test.name))
    marks = [pytest.mark.xfail(reason=f"Whisper tiny.en on the phone band: {reason}",
                               strict=False)] if reason else []
    return pytest.param(folder, test, marks=marks, id=f"{Path(folder).name}: {test.name}")


class Played:
    def __init__(self) -> None:
        self.results: dict[tuple[str, str, int], CallResult] = {}
        self.first_failures: list[CallResult] = []  # calls that passed on the second play


@pytest.fixture(scope="session")
def played() -> Played:
    from speech.prompts import warm
    from speech.simulated import CallerVoice, WhisperTranscriber

    speech = SpeechStack.load()
    voice, ear = CallerVoice(), WhisperTranscriber(workers=2)
    out = Played()
    heard: dict[str, str] = {}  # bot audio heard once per run, across calls

    async def play(services: dict[str, VoiceService],
                   cases: list[tuple[str, ConversationTest]]) -> list[tuple[str, CallResult]]:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(folder: str, test: ConversationTest) -> tuple[str, CallResult]:
            [result] = await run_calls(services[folder], [test], voice=voice, transcriber=ear,
                                       gate=gate, heard_cache=heard)
            return folder, result

        # Tasks take the gate in the order they are made: the longest calls start first.
        ordered = sorted(cases, key=lambda case: -_length(case[1]))
        return list(await asyncio.gather(*(one(f, t) for f, t in ordered)))

    async def main() -> None:
        services = {}
        for folder in BOTS:
            bot = load_bot(Path(folder))
            await asyncio.to_thread(warm, bot.ir, (8000,))
            services[folder] = VoiceService(bot, speech, settings=BridgeSettings(), standin=True)
            await services[folder].start()
        try:
            failed = []
            for folder, result in await play(services, CASES):
                out.results[(folder, result.test.path, result.test.line)] = result
                if not result.ok and (folder, result.test.name) not in KNOWN_MISHEARD:
                    failed.append((folder, result))
            if 0 < len(failed) <= 2 * SECOND_PLAYS:  # more is no flake: not worth the time
                again = await play(services, [(f, r.test) for f, r in failed])
                for (folder, first), (_, second) in zip(failed, again, strict=True):
                    if second.ok:
                        out.first_failures.append(first)
                        out.results[(folder, second.test.path, second.test.line)] = second
        finally:
            for service in services.values():
                await service.stop()

    asyncio.run(main())
    return out


@pytest.mark.parametrize(("folder", "test"), [_param(f, t) for f, t in CASES])
def test_conversation_through_audio(played: Played, folder: str,
                                    test: ConversationTest) -> None:
    result = played.results[(folder, test.path, test.line)]
    assert result.ok, result.report


def test_few_calls_need_a_second_play(played: Played) -> None:
    reports = "\n\n".join(r.report for r in played.first_failures)
    assert len(played.first_failures) <= SECOND_PLAYS, reports
    if played.first_failures:  # shown in the run's summary, so a drift is seen early
        warnings.warn(f"{len(played.first_failures)} call(s) passed on a second play:\n"
                      + reports, stacklevel=1)


def test_every_named_call_is_a_real_conversation_test() -> None:
    for folder, names in SMOKE.items():
        known = {t.name for t in load_tests(Path(folder))}
        assert set(names) <= known, sorted(set(names) - known)
    for folder, name in KNOWN_MISHEARD:
        assert name in {t.name for t in load_tests(Path(folder))}, name
