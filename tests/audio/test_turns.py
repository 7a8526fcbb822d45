"""Every caller line of both bots' conversation tests, heard as a call hears it.

The calls (test_bot_calls.py) play whole conversations through the call path and say which
call failed; this says which *turn*, and does not vary from run to run (speech/replay.py): each
caller line spoken by the test caller's voice through a phone line, heard by the recognizer the
step gets, and the conversation test run again with that line as heard. It takes about two and
a half minutes for 198 turns, where the whole conversations in real time take thirteen.

The test caller says every line the same way in every run (CallerVoice: piper's voice noise
off), so a run's result does not depend on the draw. On this audio 194 of the 198 turns are
right (the four misses are Whisper tiny.en mishearing "wifi", "swallowed" and "nicked"), and
at the test caller's other two speeds 191 and 195 (`bench/asr_turns.py --speed 1`, `2`).
The bar leaves room for the small numeric differences another machine's CPU can make, and
digits and yes/no answers, which all three speeds get right, must all be right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.bot import load_bot
from speech.replay import Heard, replay
from speech.simulated import CallerVoice

pytestmark = pytest.mark.audio
MIN_RIGHT = 0.96


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
