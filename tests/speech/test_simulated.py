"""The test caller's ear (speech/simulated.py): long bot audio and its own Whisper model."""

from __future__ import annotations

import numpy as np

from speech.asr.whisper import load_model
from speech.simulated import WhisperTranscriber, pieces

RATE = 8000


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_audio_longer_than_whisper_hears_is_cut_at_its_pauses() -> None:
    # 22 s of "speech", half a second of quiet, 18 s more: Whisper's 30 s window would drop
    # the end; the cut falls in the quiet, and nothing is lost.
    audio = np.concatenate([_tone(22), np.zeros(RATE // 2, np.int16), _tone(18)]).tobytes()
    parts = pieces(audio, RATE)
    assert len(parts) == 2 and b"".join(parts) == audio
    cut_s = len(parts[0]) / 2 / RATE
    assert 22.0 <= cut_s <= 22.5
    assert pieces(audio[:2 * RATE * 20], RATE) == [audio[:2 * RATE * 20]]  # short: whole


def test_the_ear_has_a_whisper_model_of_its_own() -> None:
    ear = WhisperTranscriber()
    assert ear.engine.model is not load_model()  # the bot's recognitions never wait for it
