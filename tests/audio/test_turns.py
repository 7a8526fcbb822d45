"""Every caller line of both bots' conversation tests, heard as a call hears it.

The smoke calls (test_bot_calls.py) play whole conversations through the call path; this checks
recognition of *every* caller turn (speech/replay.py): each line spoken by the test caller's
voice through a phone line, heard by the recognizer the step gets, and the conversation test
run again with that line as heard. It takes about two and a half minutes for 198 turns, where
the whole conversations in real time take eighteen (`make test-audio`).

piper samples its voice's noise anew for every synthesis, so a run or two in a hundred may
differ by a turn or two: the bar is set below what runs give (96 %, docs/benchmarks.md) by
that margin, and digits and yes/no answers, which every run gets right, must all be right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.bot import load_bot
from speech.replay import Heard, replay
from speech.simulated import CallerVoice

pytestmark = pytest.mark.audio
MIN_RIGHT = 0.92


@pytest.fixture(scope="module")
def heard() -> list[Heard]:
    voice = CallerVoice()  # the audio suite's caller: 25 dB SNR
    return [h for bot in ("bots/acme", "bots/bank") for h in replay(load_bot(Path(bot)), voice)]


def test_nearly_every_caller_turn_is_heard_as_the_test_reads_it(heard: list[Heard]) -> None:
    misses = [h.describe() for h in heard if not h.right]
    assert len(heard) >= 190  # both bots' caller lines at a listening step
    assert 1 - len(misses) / len(heard) >= MIN_RIGHT, "\n".join(misses)


@pytest.mark.parametrize("kind", ["digits", "yes_no"])
def test_every_digit_string_and_yes_or_no_is_heard(heard: list[Heard], kind: str) -> None:
    of_kind = [h for h in heard if h.kind == kind]
    assert of_kind
    assert [h.describe() for h in of_kind if not h.right] == []
