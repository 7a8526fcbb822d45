"""The ports the speech pass plugs into: `Synthesizer` (text -> PCM, whole or, with `stream`,
sentence by sentence: `sentences`) and `SpeechInput` (caller PCM in, `Speech`/`NoInput` events
out; VAD and ASR later).

`BufferedSpeechInput` is the only input today: it keeps the last few seconds of caller audio per
call and recognises nothing. Per capacity.md the per-frame cost is the budget (one core ingests
~135k frames/s with no work at all), so `push` only appends bytes; analysis will read the buffer
in 60-100 ms chunks, and only while a step listens or barge-in is allowed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from runtime import actions as A
from runtime import events as E


class Synthesizer(Protocol):
    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        """L16 mono PCM of `text` at `rate` Hz."""
        ...


class StreamingSynthesizer(Synthesizer, Protocol):
    """A synthesizer that can also give a text's audio a piece (a sentence) at a time, so a
    call hears the first sentence while the rest is being made (`PiperSynthesizer`,
    `CachedSynthesizer`). The pieces joined are the text's whole audio."""

    def stream(self, text: str, rate: int, *, language: str = "",
               voice: str = "") -> AsyncIterator[bytes]: ...


async def sentences(synth: Synthesizer, text: str, *, rate: int, language: str = "",
                    voice: str = "") -> AsyncIterator[bytes]:
    """`text`'s audio piece by piece where `synth` streams (`StreamingSynthesizer`), else as
    one piece from `synthesize`."""
    stream = getattr(synth, "stream", None)
    if stream is None:
        yield await synth.synthesize(text, rate=rate, language=language, voice=voice)
        return
    # Closed here when the caller stops early (a barge-in): the synthesizer's own clean-up
    # runs now, not whenever the loop collects the generator.
    async with contextlib.aclosing(stream(text, rate, language=language, voice=voice)) as pcm:
        async for piece in pcm:
            yield piece


class NoSynthesizer:
    """The default until the speech pass lands: text prompts cannot be voiced yet."""

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        raise NotImplementedError("no speech synthesizer is configured")


class SpeechInput(Protocol):
    def push(self, pcm: bytes) -> None:
        """One frame of caller audio; called 50 times a second per call: keep it O(1)."""
        ...

    def listen(self, action: A.Listen) -> None: ...

    def stop_listening(self) -> None: ...

    def close(self) -> None: ...


PostEvent = Callable[[E.Event], None]


class BufferedSpeechInput:
    """Keeps the last `keep_ms` of caller audio; the recogniser that reads it comes later."""

    def __init__(self, rate: int, post: PostEvent, keep_ms: int = 10_000) -> None:
        self.rate = rate
        self.post = post  # where Speech / NoInput events will go
        self._keep = rate * 2 * keep_ms // 1000
        self._buf = bytearray()
        self.received = 0  # bytes since the call started
        self.listening: A.Listen | None = None

    def push(self, pcm: bytes) -> None:
        self._buf += pcm
        self.received += len(pcm)
        if len(self._buf) > 2 * self._keep:  # trim rarely: amortised, not per frame
            del self._buf[:len(self._buf) - self._keep]

    def recent(self, ms: int) -> bytes:
        """The last `ms` of audio (what a recogniser will read in chunks)."""
        return bytes(self._buf[-(self.rate * 2 * ms // 1000):]) if ms > 0 else b""

    def listen(self, action: A.Listen) -> None:
        self.listening = action

    def stop_listening(self) -> None:
        self.listening = None

    def close(self) -> None:
        self._buf = bytearray()
        self.listening = None
