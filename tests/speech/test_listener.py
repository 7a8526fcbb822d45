"""The SpeechListener on real models: synthesised callers through a phone line, fed frame by
frame as the bridge does, must come out as the Speech events the runtime expects."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from runtime import actions as A
from runtime import events as E
from speech.audio import phone_line, silence
from speech.listener import SpeechListener
from speech.tts import PiperTts
from speech.vad import Vad

RATE = 8000
FRAME = RATE * 2 * 20 // 1000  # 20 ms


@pytest.fixture(scope="module")
def tts() -> PiperTts:
    return PiperTts()


@pytest.fixture(scope="module")
def picker() -> Any:
    from media_bridge.voice import SpeechStack

    return SpeechStack.load().picker


def caller(tts: PiperTts, text: str, seed: int = 1) -> bytes:
    clean = tts.synthesize_pcm(text, tts.native_rate)
    return phone_line(clean, tts.native_rate, out_rate=RATE, seed=seed)


async def feed(listener: SpeechListener, pcm: bytes, *, realtime: bool = False) -> None:
    for i in range(0, len(pcm) - FRAME + 1, FRAME):
        listener.push(pcm[i:i + FRAME])
        await asyncio.sleep(0.02 if realtime else 0)


async def settle(events: list[E.Event], timeout: float = 10.0) -> None:
    """Wait until a final result arrived (recognition runs in worker threads)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not any(isinstance(e, E.Speech) and e.final for e in events):
        if loop.time() > deadline:
            return
        await asyncio.sleep(0.02)


MENU = A.Listen(step="main_menu", key_set=("1", "2", "3"),
                phrases=("balance", "my balance", "pay", "pay my bill", "outage", "no service"))


def test_a_menu_answer_becomes_a_barge_in_then_a_final_result(tts: PiperTts, picker: Any) -> None:
    events: list[E.Event] = []

    async def main() -> None:
        listener = SpeechListener(RATE, events.append, picker, Vad(RATE))
        listener.listen(MENU)
        await feed(listener, silence(500, RATE) + caller(tts, "pay my bill") + silence(1200, RATE))
        await settle(events)
        listener.close()

    asyncio.run(main())
    speech = [e for e in events if isinstance(e, E.Speech)]
    assert speech[0].final is False  # the prompt stops at the start of speech
    finals = [e for e in speech if e.final]
    assert len(finals) == 1 and finals[0].text == "pay my bill"
    assert finals[0].confidence >= 0.35


def test_digits_end_the_turn_at_the_eighth_digit(tts: PiperTts, picker: Any) -> None:
    """The caller stops after the eighth digit and the line stays quiet for less than the VAD
    needs to call the turn over: only the recogniser's "complete" can end it."""
    events: list[E.Event] = []
    listen = A.Listen(step="account", slot_type="digits", min_digits=8, max_digits=8)
    audio = caller(tts, "two four six eight, one three five seven")

    async def main() -> None:
        vad = Vad(RATE)
        listener = SpeechListener(RATE, events.append, picker, vad)
        listener.listen(listen)
        await feed(listener, silence(400, RATE) + audio + silence(450, RATE), realtime=True)
        assert vad.speaking  # 450 ms of quiet: not yet the end of the turn for the VAD
        await settle(events)
        listener.close()

    asyncio.run(main())
    finals = [e for e in events if isinstance(e, E.Speech) and e.final]
    assert [f.text for f in finals] == ["24681357"]


def test_a_short_noise_never_barges_in(picker: Any) -> None:
    import numpy as np

    events: list[E.Event] = []
    burst = (np.random.default_rng(3).normal(0, 0.3, RATE // 10) * 32767).astype("<i2").tobytes()

    async def main() -> None:
        listener = SpeechListener(RATE, events.append, picker, Vad(RATE))
        listener.listen(MENU)
        await feed(listener, silence(300, RATE) + burst + silence(1500, RATE))
        await asyncio.sleep(0.2)
        listener.close()

    asyncio.run(main())
    assert events == []


def test_nothing_is_heard_when_the_step_does_not_listen(tts: PiperTts, picker: Any) -> None:
    events: list[E.Event] = []

    async def main() -> None:
        listener = SpeechListener(RATE, events.append, picker, Vad(RATE))
        listener.listen(MENU)
        listener.stop_listening()
        await feed(listener, caller(tts, "balance") + silence(1000, RATE))
        await asyncio.sleep(0.2)
        listener.close()

    asyncio.run(main())
    assert events == []


def test_a_recording_ends_after_the_caller_stops_talking(tts: PiperTts, picker: Any) -> None:
    done: list[tuple[int, bool]] = []
    message = caller(tts, "Hi, this is Sam. Please call me back tomorrow morning.")

    async def main() -> None:
        listener = SpeechListener(RATE, lambda e: None, picker, Vad(RATE))
        listener.record(120_000, lambda pcm, spoke: done.append((len(pcm), spoke)))
        await feed(listener, silence(500, RATE) + message + silence(5000, RATE))
        listener.close()

    asyncio.run(main())
    assert len(done) == 1 and done[0][1] is True
    seconds = done[0][0] / (2 * RATE)
    # The message plus about 3 s of silence after it, not the 5 s that were sent.
    assert 0.5 + len(message) / (2 * RATE) + 2.5 < seconds < 0.5 + len(message) / (2 * RATE) + 4


def test_a_recording_with_nothing_said_reports_no_speech(picker: Any) -> None:
    done: list[tuple[int, bool]] = []

    async def main() -> None:
        listener = SpeechListener(RATE, lambda e: None, picker, Vad(RATE))
        listener.record(120_000, lambda pcm, spoke: done.append((len(pcm), spoke)))
        await feed(listener, silence(8000, RATE))
        listener.close()

    asyncio.run(main())
    assert done == [(6 * RATE * 2, False)]


class _Watched:
    """A real recogniser that notes a `cancel` arriving while its `feed` runs in a thread:
    pooled pocketsphinx decoders make that a segfault (a call's decoder handed to another
    call mid-decode), which crashed an audio-suite run."""

    def __init__(self, inner: Any, overlaps: list[str]) -> None:
        self.inner, self.overlaps, self.feeding = inner, overlaps, False
        self.calls: list[str] = []

    @property
    def complete(self) -> bool:
        return bool(self.inner.complete)

    def feed(self, pcm: bytes) -> Any:
        self.calls.append("feed")
        self.feeding = True
        try:
            time.sleep(0.05)  # a slow decode: the turn is stopped meanwhile
            return self.inner.feed(pcm)
        finally:
            self.feeding = False

    def finish(self) -> Any:
        return self.inner.finish()

    def cancel(self) -> None:
        self.calls.append("cancel")
        if self.feeding:
            self.overlaps.append("cancel during feed")
        self.inner.cancel()


def test_stopping_a_turn_waits_for_the_recogniser_s_thread(tts: PiperTts, picker: Any) -> None:
    overlaps: list[str] = []
    made: list[_Watched] = []

    class Picker:
        def engine_for(self, task: Any) -> Any:
            engine = picker.engine_for(task)

            class Engine:
                def recognizer(self, task: Any, rate: int) -> _Watched:
                    made.append(_Watched(engine.recognizer(task, rate), overlaps))
                    return made[-1]
            return Engine()

    async def main() -> None:
        listener = SpeechListener(RATE, lambda e: None, Picker(), Vad(RATE))
        for _ in range(3):
            listener.listen(MENU)
            # in real time, so feeds run while the caller speaks; stopped mid-sentence
            await feed(listener, silence(300, RATE) + caller(tts, "pay my bill")[:RATE * 2],
                       realtime=True)
            listener.stop_listening()  # the caller pressed a key, or hung up
        await asyncio.sleep(0.3)
        listener.close()

    asyncio.run(main())
    assert made and overlaps == []
    # every stopped turn fed its recogniser and then gave it back (its decoder to the pool)
    assert all("feed" in w.calls and w.calls[-1] == "cancel" for w in made), [w.calls for w in made]
