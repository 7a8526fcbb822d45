"""Test doubles for the speech ports. Never use them on a real call."""

from __future__ import annotations

import math
import struct

MS_PER_CHARACTER = 60  # about 170 words a minute, a natural prompt pace


class FakeToneSynthesizer:
    """TEST DOUBLE: "speaks" any text as a 440 Hz tone as long as the text would take to say
    (`ms_per_character` per character), so playback timing and barge-in can be tested without
    a voice model. A text of only spaces gives silence of the same length."""

    def __init__(self, ms_per_character: float = MS_PER_CHARACTER, freq_hz: float = 440.0,
                 amplitude: int = 8000) -> None:
        self.ms_per_character = ms_per_character
        self.freq_hz = freq_hz
        self.amplitude = amplitude
        self.spoken: list[str] = []

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        self.spoken.append(text)
        samples = int(len(text) * self.ms_per_character * rate / 1000)
        if not text.strip():
            return bytes(2 * samples)
        step = 2 * math.pi * self.freq_hz / rate
        values = (int(self.amplitude * math.sin(step * i)) for i in range(samples))
        return struct.pack(f"<{samples}h", *values)
