"""`SpeechListener`: the media bridge's `SpeechInput` for real calls (VAD + ASR per call).

Per 20 ms frame the hot path appends to a ring buffer and, while a step listens for speech,
runs the VAD. When the VAD hears speech that lasts (`min_speech_ms`: coughs and clicks never
barge in), the listener tells the session (`Speech(final=False)`: the prompt stops if
barge-in is allowed) and opens a recogniser for the step's task, fed from a little before
the speech began. The turn ends at the VAD's end of speech, or earlier when the recogniser
says the answer is complete (the eighth digit, a whole menu phrase). Recognition runs in
worker threads, one utterance at a time per call, so the event loop never waits on a model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from runtime import actions as A
from runtime import events as E
from speech.asr.base import AsrEngine, Hypothesis, Recognizer, Task
from speech.vad import SpeechEnd, SpeechStart, Vad

_T = TypeVar("_T")
log = logging.getLogger("voxflow.speech")

PREROLL_MS = 300  # audio kept from before the VAD's speech start (the first consonant)
# A recording (voicemail) ends after this much silence once the caller has spoken, or at
# RECORD_NOTHING_MS when they never do: people pause while leaving a message.
RECORD_SILENCE_MS = 3_000
RECORD_NOTHING_MS = 6_000
MAX_UTTERANCE_MS = 20_000  # a caller who never stops: the turn ends here
KEEP_MS = 3_000  # ring buffer: pre-roll plus the VAD's start decision delay, with margin


class EnginePicker(Protocol):
    def engine_for(self, task: Task) -> AsrEngine: ...


class SpeechListener:
    def __init__(self, rate: int, post: Callable[[E.Event], None], picker: EnginePicker,
                 vad: Vad, *, hints: Callable[[A.Listen], tuple[str, ...]] | None = None) -> None:
        self.rate = rate
        self.hints = hints  # the bot's words for what the step accepts (speech/vocabulary.py)
        self.post = post
        self.picker = picker
        self.vad = vad
        self._bytes_per_ms = rate * 2 // 1000
        self._ring = bytearray()
        self._ring_start = 0  # sample index of _ring[0]
        self._samples = 0  # samples pushed since the call started
        self._task: Task | None = None
        self._utterance: _Utterance | None = None
        self._draining = False  # an answer ended early: ignore speech until the VAD's end
        self._closed = False
        self._recording: _Recording | None = None
        # The next turn's recogniser, made while the prompt plays: making one may create a
        # decoder (~150 ms, holding the GIL), which must not come between the caller's answer
        # and the bot's reply.
        self._prepared: asyncio.Future[Recognizer] | None = None

    # ---- the SpeechInput port ------------------------------------------------------------------
    def push(self, pcm: bytes) -> None:
        self._ring += pcm
        self._samples += len(pcm) // 2
        if self._recording is not None:
            self._record(pcm)
            return
        if len(self._ring) > 2 * KEEP_MS * self._bytes_per_ms:  # trim rarely: amortised
            cut = len(self._ring) - KEEP_MS * self._bytes_per_ms
            del self._ring[:cut]
            self._ring_start += cut // 2
        if self._task is None and not self._draining:
            return
        utterance = self._utterance
        if utterance is not None and not utterance.done:
            utterance.feed(pcm)
        for event in self.vad.push(pcm):
            if isinstance(event, SpeechStart):
                if self._utterance is None and not self._draining and self._task is not None:
                    self._begin(event.at_ms)
            elif isinstance(event, SpeechEnd):
                self._draining = False
                if self._utterance is not None:
                    self._end(self._utterance)
        utterance = self._utterance
        if utterance is not None and not utterance.done and (
                self._samples - utterance.start_sample > MAX_UTTERANCE_MS * self.rate // 1000):
            self._end(utterance)

    def listen(self, action: A.Listen) -> None:
        if not action.speech:
            self.stop_listening()
            return
        self._task = Task.from_listen(
            action, self.hints(action) if self.hints is not None else ())
        self._prepare()
        if self._utterance is None and not self.vad.speaking:
            self.vad.reset()  # a new question: the silence before it means nothing

    def stop_listening(self) -> None:
        self._task = None
        self._drop_prepared()
        if self._utterance is not None:
            self._utterance.cancel()
            self._utterance = None
        if not self._draining:
            self.vad.reset()

    # ---- recording (voicemail) ------------------------------------------------------------------
    def record(self, max_ms: int, done: Callable[[bytes, bool], None]) -> None:
        """Record the caller from now until they stop talking (or `max_ms`); `done(pcm,
        heard_speech)` is called once, on the loop."""
        self.stop_listening()
        self.vad.reset()
        self._recording = _Recording(max_ms * self.rate // 1000, done)

    def finish_recording(self) -> None:
        """The caller hung up: what they said so far is the message."""
        if self._recording is not None:
            self._end_recording()

    def _record(self, pcm: bytes) -> None:
        rec = self._recording
        assert rec is not None
        rec.pcm += pcm
        rec.samples += len(pcm) // 2
        for event in self.vad.push(pcm):
            if isinstance(event, SpeechStart):
                rec.spoke, rec.quiet_from = True, None
            elif isinstance(event, SpeechEnd):
                rec.quiet_from = rec.samples
        quiet_ms = 0 if rec.quiet_from is None else (
            (rec.samples - rec.quiet_from) * 1000 // self.rate)
        if (rec.samples >= rec.max_samples
                or (rec.spoke and quiet_ms >= RECORD_SILENCE_MS)
                or (not rec.spoke and rec.samples * 1000 // self.rate >= RECORD_NOTHING_MS)):
            self._end_recording()

    def _end_recording(self) -> None:
        rec, self._recording = self._recording, None
        assert rec is not None
        self.vad.reset()
        rec.done(bytes(rec.pcm), rec.spoke)

    def close(self) -> None:
        self._closed = True
        self._recording = None
        self._draining = False
        self.stop_listening()
        self._ring = bytearray()

    # ---- a caller's turn ------------------------------------------------------------------------
    def _begin(self, at_ms: int) -> None:
        assert self._task is not None
        start = max(self._ring_start, at_ms * self.rate // 1000 - PREROLL_MS * self.rate // 1000)
        audio = bytes(self._ring[(start - self._ring_start) * 2:])
        prepared, self._prepared = self._prepared, None
        self._utterance = _Utterance(self, prepared or self._make(self._task), start)
        self._utterance.feed(audio)
        # Barge-in: the session stops the prompt if the step allows it.
        self.post(E.Speech(text="", confidence=0.0, final=False))

    def _make(self, task: Task) -> asyncio.Future[Recognizer]:
        picker, rate = self.picker, self.rate
        return asyncio.ensure_future(asyncio.to_thread(
            lambda: picker.engine_for(task).recognizer(task, rate)))

    def _prepare(self) -> None:
        self._drop_prepared()
        if self._task is not None and not self._closed:
            self._prepared = self._make(self._task)

    def _drop_prepared(self) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            prepared.add_done_callback(_release)

    def _end(self, utterance: _Utterance) -> None:
        utterance.finish()

    def _finished(self, utterance: _Utterance, hyp: Hypothesis | None) -> None:
        """Called on the loop when the recogniser's final result is ready."""
        if self._utterance is not utterance:
            return  # the step stopped listening meanwhile
        self._utterance = None
        if self._closed or hyp is None:
            return
        self.post(E.Speech(text=hyp.text, confidence=hyp.confidence, final=True,
                           alternatives=tuple(hyp.alternatives)))
        if self._task is not None and self._prepared is None:
            self._prepare()  # the step may go on listening (a turn it ignored)
        if utterance.early and self.vad.speaking:
            # Ended before the silence: the rest of this utterance must not open a new turn.
            self._draining = True


class _Recording:
    def __init__(self, max_samples: int, done: Callable[[bytes, bool], None]) -> None:
        self.max_samples = max_samples
        self.done = done
        self.pcm = bytearray()
        self.samples = 0
        self.spoke = False
        self.quiet_from: int | None = 0  # silence since the start until speech is heard


def _release(made: asyncio.Future[Recognizer]) -> None:
    """A recogniser nobody will use gives its pooled decoder back."""
    if not made.cancelled() and made.exception() is None:
        made.result().cancel()


class _Utterance:
    """One caller turn: audio goes to a recogniser in a worker thread, in order."""

    def __init__(self, owner: SpeechListener, recognizer: asyncio.Future[Recognizer],
                 start_sample: int) -> None:
        self.owner = owner
        self.start_sample = start_sample
        self.done = False  # no more audio is wanted
        self.early = False  # ended by the recogniser (complete), not by silence
        self._recognizer: Recognizer | None = None
        self._made = recognizer
        self._pending = bytearray()
        self._wake = asyncio.Event()
        self._finish = False
        self._busy: asyncio.Future[Any] | None = None  # the recogniser's work in a thread
        self._worker = asyncio.ensure_future(self._run())

    def feed(self, pcm: bytes) -> None:
        if not self.done:
            self._pending += pcm
            self._wake.set()

    def finish(self) -> None:
        self.done = True
        self._finish = True
        self._wake.set()

    def cancel(self) -> None:
        self.done = True
        self._worker.cancel()

    async def _in_thread(self, work: Callable[..., _T], *args: Any) -> _T:
        """`work` in a worker thread. Cancelling the turn does not stop the thread, so the
        recogniser is cancelled only once the thread is done with it (`_run`)."""
        self._busy = asyncio.ensure_future(asyncio.to_thread(work, *args))
        return await asyncio.shield(self._busy)

    async def _run(self) -> None:
        hyp: Hypothesis | None = None
        try:
            # Shielded: a cancelled turn must still get the recogniser back to release it.
            self._recognizer = await asyncio.shield(self._made)
            recognizer = self._recognizer
            while True:
                await self._wake.wait()
                self._wake.clear()
                if self._pending:
                    chunk, self._pending = bytes(self._pending), bytearray()
                    await self._in_thread(recognizer.feed, chunk)
                    if recognizer.complete and not self._finish:
                        self.early = True
                        self.done = self._finish = True
                if self._finish and not self._pending:
                    break
            hyp = await self._in_thread(recognizer.finish)
        except asyncio.CancelledError:
            made = self._recognizer
            if made is None:
                self._made.add_done_callback(_release)
            elif self._busy is not None and not self._busy.done():
                # A feed still running in its thread: cancelling now would hand the pooled
                # decoder to another call while this thread decodes on it (a segfault).
                self._busy.add_done_callback(lambda _: made.cancel())
            else:
                made.cancel()
            raise
        except Exception as exc:  # a model failure is a no-match, never a dead call
            log.warning("speech recognition failed", extra={"error": type(exc).__name__})
            hyp = Hypothesis(text="", confidence=0.0, final=True)
        with contextlib.suppress(RuntimeError):
            self.owner._finished(self, hyp)
