"""The test caller's ear: bot audio as it arrives, cut into utterances, transcribed back.

File playback sends one `streamAudio` message per cached prompt and one per sentence of a prompt
synthesised live, so each message is an utterance (`heard` joins their words in order);
injected audio arrives in paced chunks, so an utterance ends where the audio stops for a
moment (`GAP_S`). Utterances are transcribed in a worker thread, identical audio once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from media_bridge.hearing import LETTER_RATIO, Match, find, words

BUSY_LIMIT = 4  # a busy line extends a timeout, but never beyond this many timeouts
SECOND_LISTEN = 3  # the first and the last utterances after the cursor listened to again
GAP_S = 0.35  # injected chunks come at least every ~100 ms while a prompt plays
# The bot quiet this long (waiting for the caller) and the line not heard: listen again now,
# not after the timeout, by when the bot has reprompted and given up on the caller.
LISTEN_AGAIN_QUIET_S = 1.5


class Transcriber(Protocol):
    def transcribe(self, pcm: bytes, rate: int) -> str:
        """Plain text of one utterance of bot audio (called in a worker thread). No prompt:
        Whisper tends to leave out words it was prompted with (hearing.py matches misheard
        names by their letters instead). A transcriber may also have `readings(pcm, rate)`:
        its best transcripts, best first (a beam), for a second listen."""
        ...


@dataclass
class Utterance:
    arrived: float  # time.monotonic() of its first byte
    rate: int
    how: str  # file | inject
    pcm: bytearray = field(default_factory=bytearray)
    last: float = 0.0  # when its latest chunk arrived
    closed: bool = False
    text: str | None = None  # None until transcribed
    tone: bool = False  # a beep (the record tone), not speech
    second: bool = False  # `text` is a reading from the second listen, not the best one
    readings: list[str] | None = None  # the beam's readings, once listened to again

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (2 * self.rate)


class Ear:
    def __init__(self, transcriber: Transcriber, cache: dict[str, str] | None = None) -> None:
        self.transcriber = transcriber
        self.cache = cache if cache is not None else {}
        self.utterances: list[Utterance] = []
        self.cursor = 0  # words of `heard()` already matched by expectations
        self._playing_until = 0.0  # injection: when the audio received so far ends
        self._lock = asyncio.Lock()  # one transcription pass at a time

    # ---- audio in (called by the stand-in, on the loop) --------------------------------------
    def on_audio(self, pcm: bytes, rate: int, how: str) -> None:
        now = time.monotonic()
        last = self.utterances[-1] if self.utterances else None
        if how == "file" or last is None or last.closed or last.how != how or (
                now - last.last > GAP_S):
            if last is not None:
                last.closed = True
            last = Utterance(arrived=now, rate=rate, how=how)
            self.utterances.append(last)
        last.pcm += pcm
        last.last = now
        if how == "file":
            last.closed = True
        else:
            self._playing_until = max(self._playing_until, now) + len(pcm) / (2 * rate)

    def first_audio_after(self, moment: float, before: float | None = None) -> float | None:
        for utt in self.utterances:
            if utt.arrived >= moment and (before is None or utt.arrived < before):
                return utt.arrived
        return None

    def playing(self) -> bool:
        return time.monotonic() < self._playing_until

    def playing_until(self) -> float:
        """When the injected audio received so far ends playing (monotonic clock)."""
        return self._playing_until

    def last_audio(self) -> float:
        return max((u.last for u in self.utterances), default=0.0)

    # ---- transcripts ---------------------------------------------------------------------------
    async def transcribe_closed(self) -> None:
        async with self._lock:
            await self._transcribe_closed()

    async def _transcribe_closed(self) -> None:
        now = time.monotonic()
        for utt in self.utterances:
            if not utt.closed and now - utt.last > GAP_S:
                utt.closed = True
            if utt.closed and utt.text is None and is_tone(bytes(utt.pcm), utt.rate):
                utt.text, utt.tone = "(beep)", True
            if utt.closed and utt.text is None:
                key = hashlib.sha1(bytes(utt.pcm)).hexdigest() + str(utt.rate)
                text = self.cache.get(key)
                if text is None:
                    text = await asyncio.to_thread(self.transcriber.transcribe, bytes(utt.pcm),
                                                   utt.rate)
                    self.cache[key] = text
                utt.text = text

    def heard(self, *, stem: bool = True) -> list[str]:
        """Words of every transcribed utterance, in order, up to the first not yet transcribed."""
        out: list[str] = []
        for utt in self.utterances:
            if utt.text is None:
                break
            if not utt.tone:
                out += words(utt.text, stem=stem)
        return out

    def lines(self) -> list[str]:
        return [(u.text or "(not transcribed)") + (" (on a second listen)" if u.second else "")
                for u in self.utterances]

    async def expect(self, text: str, timeout_s: float,
                     busy: Callable[[], bool] = lambda: False, *,
                     letter_ratio: float = LETTER_RATIO,
                     sounds: Callable[[str], str] | None = None) -> Match | None:
        """Wait until `text` is heard after the cursor; move the cursor past it. The timeout
        counts quiet time only: while `busy()` (audio playing, the caller talking) it waits.
        `sounds`: match by sounds too (`hearing.find`), off the event loop (espeak)."""
        stem = sounds is None  # sounds are compared as said: "gracias", not "gracia"
        want = words(text, stem=stem)
        now = time.monotonic()
        deadline, limit = now + timeout_s, now + BUSY_LIMIT * timeout_s
        looked: tuple[int, list[str]] | None = None
        listened_again: tuple[int, list[str]] | None = None
        while True:
            await self.transcribe_closed()
            heard = self.heard(stem=stem)
            if looked != (self.cursor, heard):  # nothing new heard: the answer is the same
                looked = (self.cursor, heard)
                match = await self._find(want, heard, letter_ratio, sounds)
                if match is not None:
                    self.cursor = match.end
                    return match
            now = time.monotonic()
            if (listened_again != looked and not (busy() or self.playing())
                    and now - self.last_audio() > LISTEN_AGAIN_QUIET_S):
                listened_again = looked
                match = await self._listen_again(want, letter_ratio, sounds)
                if match is not None:
                    return match
                now = time.monotonic()
            if (busy() or self.playing()) and now < limit:
                deadline = now + timeout_s
            elif now > deadline:
                return await self._listen_again(want, letter_ratio, sounds)
            await asyncio.sleep(0.05)

    async def _find(self, want: list[str], heard: list[str], letter_ratio: float,
                    sounds: Callable[[str], str] | None) -> Match | None:
        if sounds is None:
            return find(want, heard, self.cursor, letter_ratio=letter_ratio)
        return await asyncio.to_thread(find, want, heard, self.cursor,
                                       letter_ratio=letter_ratio, sounds=sounds)

    async def _listen_again(self, want: list[str], letter_ratio: float,
                            sounds: Callable[[str], str] | None = None) -> Match | None:
        """The line was not heard: listen again to the first and the last utterances after
        the cursor with the recogniser's other readings. Whisper tiny.en's best reading of a
        short prompt is now and then a near-miss while its beam holds the words ("Goodbye."
        heard as "Bye bye." 2 times in 150 syntheses, "Goodbye." second both times); a line
        the bot did not say is in no reading. The first ones: the bot goes on talking while
        the caller waits for the line ("Thanks, Maria." heard as "Thanks, Berega.", then a
        dozen prompts). Only the utterance that then matches takes the other reading."""
        readings: Callable[[bytes, int], list[str]] | None = getattr(
            self.transcriber, "readings", None)
        if readings is None:
            return None
        stem = sounds is None
        heard = self.heard(stem=stem)
        spans: list[tuple[Utterance, int, int]] = []  # utterance, its first word, its words
        at = 0
        for utt in self.utterances:
            if utt.text is None:
                break
            if utt.tone:
                continue
            count = len(words(utt.text))
            if at >= self.cursor and count:
                spans.append((utt, at, count))
            at += count
        tried = spans[:SECOND_LISTEN] + spans[SECOND_LISTEN:][-SECOND_LISTEN:]
        for utt, start, count in tried:
            if utt.readings is None:
                utt.readings = await asyncio.to_thread(readings, bytes(utt.pcm), utt.rate)
            for reading in utt.readings:
                trial = heard[:start] + words(reading, stem=stem) + heard[start + count:]
                match = await self._find(want, trial, letter_ratio, sounds)
                if match is not None:
                    utt.text, utt.second = reading, True
                    self.cursor = match.end
                    return match
        return None

    def unmatched(self) -> str:
        return " ".join(self.heard()[self.cursor:])


def is_tone(pcm: bytes, rate: int) -> bool:
    """A single steady tone (most of the energy in one narrow band), as a beep is."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    if samples.size < rate // 10 or samples.size > 2 * rate:
        return False
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    total = float(spectrum.sum())
    if total <= 0:
        return False
    peak = int(np.argmax(spectrum))
    width = max(1, samples.size * 50 // rate)  # +-50 Hz around the peak
    return float(spectrum[max(0, peak - width):peak + width + 1].sum()) / total > 0.8
