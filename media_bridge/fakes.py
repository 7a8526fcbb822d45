"""Test doubles for the speech ports. Never use them on a real call."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import AsyncIterator

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
        return self.tone(text, rate)

    def tone(self, text: str, rate: int) -> bytes:
        """What `synthesize` gives for `text`, made at once (and not counted as spoken)."""
        samples = int(len(text) * self.ms_per_character * rate / 1000)
        if not text.strip():
            return bytes(2 * samples)
        step = 2 * math.pi * self.freq_hz / rate
        values = (int(self.amplitude * math.sin(step * i)) for i in range(samples))
        return struct.pack(f"<{samples}h", *values)


SENTENCE_END_RE = re.compile(r"(?<=[.?!])\s+")


class FakeSentenceSynthesizer(FakeToneSynthesizer):
    """TEST DOUBLE: `FakeToneSynthesizer` that also streams, as piper does: `stream` yields
    the tone of each sentence (split after . ? ! and a space), and the pieces joined are
    exactly `synthesize` of the whole text."""

    async def stream(self, text: str, rate: int, *, language: str = "",
                     voice: str = "") -> AsyncIterator[bytes]:
        whole = await self.synthesize(text, rate=rate, language=language, voice=voice)
        for start, end in sentence_spans(text):
            yield whole[self.offset(start, rate):self.offset(end, rate)]

    def offset(self, characters: int, rate: int) -> int:
        """Where the audio of the first `characters` characters ends, in bytes."""
        return 2 * int(characters * self.ms_per_character * rate / 1000)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text`; they cover all of it."""
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text)]
    starts = [0, *ends]
    return [(s, e) for s, e in zip(starts, [*ends, len(text)], strict=True) if e > s]
