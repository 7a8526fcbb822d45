"""A simulated caller's mouth and ear, for `voxflow call`, the audio tests and the benches.

`CallerVoice` speaks a caller's line with the bundled piper voice and passes it through a
phone line (8 kHz, mu-law, noise). `WhisperTranscriber` writes down what the bot said (open
vocabulary, Whisper tiny.en), so a test checks what a caller would actually hear.
"""

from __future__ import annotations

import asyncio
import hashlib

from speech.audio import phone_line, silence
from speech.tts import PiperTts

LEAD_MS = 150  # a caller draws breath before speaking: the VAD sees silence, then speech


class CallerVoice:
    def __init__(self, *, snr_db: float = 25.0) -> None:
        self.snr_db = snr_db
        self._tts: PiperTts | None = None
        self._cache: dict[tuple[str, int], bytes] = {}
        self._lock = asyncio.Lock()

    def line_sync(self, text: str, rate: int) -> bytes:
        key = (text, rate)
        pcm = self._cache.get(key)
        if pcm is None:
            if self._tts is None:
                self._tts = PiperTts()
            clean = self._tts.synthesize_pcm(text, self._tts.native_rate)
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "big")
            pcm = silence(LEAD_MS, rate) + phone_line(clean, self._tts.native_rate,
                                                      out_rate=rate, snr_db=self.snr_db,
                                                      seed=seed)
            self._cache[key] = pcm
        return pcm

    async def line(self, text: str, rate: int) -> bytes:
        async with self._lock:  # one synthesis at a time: piper is single-threaded per voice
            return await asyncio.to_thread(self.line_sync, text, rate)


class WhisperTranscriber:
    """Bot audio -> text with Whisper tiny.en (the open-vocabulary engine)."""

    def __init__(self) -> None:
        from speech.asr.whisper import WhisperEngine

        self.engine = WhisperEngine()

    def transcribe(self, pcm: bytes, rate: int) -> str:
        from speech.asr.base import Task

        recognizer = self.engine.recognizer(Task(kind="open"), rate)
        recognizer.feed(pcm)
        return recognizer.finish().text
