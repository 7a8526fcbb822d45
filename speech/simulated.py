"""A simulated caller's mouth and ear, for `voxflow call`, the audio tests and the benches.

`CallerVoice` speaks a caller's line with the bundled piper voice and passes it through a
phone line (8 kHz, mu-law, noise). `WhisperTranscriber` writes down what the bot said (open
vocabulary, Whisper tiny.en), so a test checks what a caller would actually hear.
"""

from __future__ import annotations

import asyncio
import hashlib

import numpy as np

from speech.audio import phone_line, resample_float, silence, to_float, to_pcm
from speech.tts import PiperTts

PIECE_S = 28.0  # the longest piece Whisper is given (its window is 30 s)
LEAD_MS = 150  # a caller draws breath before speaking: the VAD sees silence, then speech


class CallerVoice:
    """The test caller: says a line the same way in every run and on every machine, so a
    recognition that passes once passes always. piper's voice noise, sampled anew at every
    synthesis, is off (it made the audio tests flake: one run in a few drew several lines
    the recognizers missed); a line's `variant` is said at another speed instead."""

    SPEEDS = (1.0, 0.85, 1.2)  # piper length scales: as written, brisk, slow

    def __init__(self, *, snr_db: float = 25.0, variant: int = 0) -> None:
        self.snr_db = snr_db
        self.variant = variant  # how lines are said unless a call asks for another
        self._tts: PiperTts | None = None
        self._cache: dict[tuple[str, int, int], bytes] = {}
        self._lock = asyncio.Lock()

    def line_sync(self, text: str, rate: int, variant: int | None = None) -> bytes:
        """`text` said through the phone line; each `variant` at another speed and with other
        line noise."""
        variant = self.variant if variant is None else variant
        key = (text, rate, variant)
        pcm = self._cache.get(key)
        if pcm is None:
            if self._tts is None:
                self._tts = PiperTts()
            speed = self.SPEEDS[variant % len(self.SPEEDS)]
            chunks = list(self._tts.iter_float(text, noise=False, length_scale=speed))
            clean = to_pcm(np.concatenate(chunks)) if chunks else b""
            name = f"{text}#{variant}" if variant else text
            seed = int.from_bytes(hashlib.sha1(name.encode()).digest()[:4], "big")
            pcm = silence(LEAD_MS, rate) + phone_line(clean, self._tts.native_rate,
                                                      out_rate=rate, snr_db=self.snr_db,
                                                      seed=seed)
            self._cache[key] = pcm
        return pcm

    async def line(self, text: str, rate: int, variant: int | None = None) -> bytes:
        async with self._lock:  # one synthesis at a time: piper is single-threaded per voice
            return await asyncio.to_thread(self.line_sync, text, rate, variant)


class WhisperTranscriber:
    """Bot audio -> text with Whisper tiny.en (the open-vocabulary engine), on a model of its
    own: the test caller's ear must not hold up the bot's recognitions in the same process.
    Whisper hears 30 s at a time, so longer audio (a greeting and a menu back to back) is
    transcribed in pieces cut at its quietest moments."""

    def __init__(self, *, workers: int = 1) -> None:
        from speech.asr.whisper import WhisperEngine

        # Many calls at once need more than one replica: a short line waiting behind other
        # calls' menus is answered late, and the bot's no-input timer runs out.
        self.engine = WhisperEngine(shared=False, num_workers=workers)

    def transcribe(self, pcm: bytes, rate: int) -> str:
        from speech.asr.base import Task

        texts = []
        for piece in pieces(pcm, rate):
            recognizer = self.engine.recognizer(Task(kind="open"), rate)
            recognizer.feed(piece)
            texts.append(recognizer.finish().text)
        return " ".join(t for t in texts if t)


    def readings(self, pcm: bytes, rate: int) -> list[str]:
        """The beam's best transcripts of one utterance of at most PIECE_S (none if longer)."""
        from speech.asr.whisper import MODEL_RATE

        if len(pcm) > 2 * rate * PIECE_S:
            return []
        audio = resample_float(to_float(pcm), rate, MODEL_RATE)
        return self.engine.readings(audio)


def pieces(pcm: bytes, rate: int, most_s: float = PIECE_S, least_s: float = 15.0) -> list[bytes]:
    """`pcm` in pieces of at most `most_s`, each cut at the quietest 100 ms after `least_s`."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    out: list[bytes] = []
    window = rate // 10
    while samples.size > most_s * rate:
        lo, hi = int(least_s * rate) // window, int(most_s * rate) // window
        energy = (samples[:hi * window].reshape(hi, window) ** 2).mean(axis=1)
        cut = (lo + int(np.argmin(energy[lo:hi]))) * window + window // 2
        out.append(samples[:cut].astype("<i2").tobytes())
        samples = samples[cut:]
    out.append(samples.astype("<i2").tobytes())
    return out
