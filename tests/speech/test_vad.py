"""Silero VAD on real audio: piper speech through a simulated phone line, at 8 and 16 kHz."""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from speech.audio import phone_line, silence, to_float, to_pcm
from speech.tts import PiperTts
from speech.vad import SpeechEnd, SpeechStart, Vad, VadEvent, session

RATES = [8000, 16000]
LEAD_MS, TAIL_MS = 1000, 1500
START_TOLERANCE_MS = 120  # the model reacts within a window or two of the onset
END_TOLERANCE_MS = 250  # its probability decays over a few windows after the last sound


@cache
def tts() -> PiperTts:
    return PiperTts()


@cache
def speech(text: str) -> bytes:
    """Clean piper speech at its native rate (piper varies durations from run to run, so each
    phrase is synthesised once per test session and its bounds measured, not assumed)."""
    return tts().synthesize_pcm(text, tts().native_rate)


def bounds_ms(pcm: bytes) -> tuple[int, int]:
    """Where the clean speech really is: first and last 10 ms frame within 40 dB of the
    loudest (piper pads sentences with its own near-silence)."""
    rate = tts().native_rate
    x, frame = to_float(pcm), rate // 100
    rms = np.sqrt(np.mean(x[:len(x) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.nonzero(rms > rms.max() * 10 ** (-40 / 20))[0]
    return int(loud[0]) * 10, int(loud[-1] + 1) * 10


def call_audio(parts: list[bytes | int], rate: int, seed: int = 1) -> tuple[bytes, list[tuple]]:
    """Speech and silences (ms) in a row, through the phone line; the speech's true bounds."""
    native = tts().native_rate
    clean, spans, at = b"", [], 0
    for part in parts:
        if isinstance(part, int):
            clean += silence(part, native)
            at += part
        else:
            on, off = bounds_ms(part)
            spans.append((at + on, at + off))
            clean += part
            at += len(part) * 1000 // (2 * native)
    return phone_line(clean, native, out_rate=rate, seed=seed), spans


def run(vad: Vad, pcm: bytes, chunk: int | None = None) -> list[VadEvent]:
    if chunk is None:
        return vad.push(pcm)
    events: list[VadEvent] = []
    for i in range(0, len(pcm), chunk):
        events += vad.push(pcm[i:i + chunk])
    return events


PROMPT = "Please say or key in your eight digit account number."


@pytest.mark.parametrize("rate", RATES)
def test_speech_on_a_phone_line_starts_and_ends_a_turn_near_its_true_bounds(rate: int) -> None:
    pcm, [(on, off)] = call_audio([LEAD_MS, speech(PROMPT), TAIL_MS], rate)
    vad = Vad(rate)
    events = run(vad, pcm, chunk=rate * 2 // 50)  # 20 ms frames, as mod_audio_stream sends
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]
    start, end = events
    assert abs(start.at_ms - on) <= START_TOLERANCE_MS, (start, on)
    assert abs(end.at_ms - off) <= END_TOLERANCE_MS, (end, off)
    assert not vad.speaking


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("word", ["Yes.", "No."])
def test_a_one_word_answer_is_long_enough_to_be_a_turn(rate: int, word: str) -> None:
    pcm, [(on, off)] = call_audio([LEAD_MS, speech(word), TAIL_MS], rate)
    events = Vad(rate).push(pcm)
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]
    assert abs(events[0].at_ms - on) <= START_TOLERANCE_MS
    assert abs(events[1].at_ms - off) <= END_TOLERANCE_MS


@pytest.mark.parametrize("rate", RATES)
def test_speaking_is_true_from_the_start_event_until_the_end_event(rate: int) -> None:
    pcm, _ = call_audio([500, speech("Balance."), TAIL_MS], rate)
    vad, frame, states = Vad(rate), rate * 2 // 50, []
    for i in range(0, len(pcm), frame):
        for event in vad.push(pcm[i:i + frame]):
            states.append((type(event), vad.speaking))
    assert states == [(SpeechStart, True), (SpeechEnd, False)]


def noise(ms: int, rate: int, level: float, seed: int) -> bytes:
    return to_pcm(np.random.default_rng(seed).normal(0, level, rate * ms // 1000))


@pytest.mark.parametrize("rate", RATES)
def test_line_noise_alone_never_starts_speech(rate: int) -> None:
    for seed, level in enumerate((0.003, 0.03, 0.1)):  # a quiet line to loud hiss
        line = phone_line(noise(4000, 8000, level, seed), 8000, out_rate=rate, snr_db=30)
        assert Vad(rate).push(line) == []


@pytest.mark.parametrize("rate", RATES)
def test_a_100ms_burst_or_click_does_not_barge_in(rate: int) -> None:
    hum = noise(1000, 8000, 0.003, 7)
    click = bytearray(silence(100, 8000))
    click[200:216] = to_pcm(np.array([0.9, -0.9] * 8, dtype=np.float32))
    for seed in range(5):  # a knock or a rustle of the handset: 100 ms, loud
        for sound in (noise(100, 8000, 0.5, seed), bytes(click)):
            line = phone_line(hum + sound + hum + hum, 8000, out_rate=rate, snr_db=40)
            vad = Vad(rate)
            assert vad.push(line) == []
            assert not vad.speaking


def test_most_100ms_vocal_sounds_do_not_barge_in() -> None:
    """100 ms cut from nine places in a sentence: a cough, a "hm", a clipped "uh". Vowels the
    model hears for longer than they last can still start speech (measured: 1-2 of 18)."""
    hum, voice, native = noise(1000, 8000, 0.003, 7), speech(PROMPT), tts().native_rate
    started = 0
    for frac in np.linspace(0.1, 0.9, 9):
        at = int(len(voice) // 2 * frac) * 2
        sound = phone_line(voice[at:at + native // 10 * 2], native, out_rate=8000)
        for rate in RATES:
            line = phone_line(hum + sound + hum + hum, 8000, out_rate=rate, snr_db=40)
            started += bool(Vad(rate).push(line))
    assert started <= 4


@pytest.mark.parametrize("rate", RATES)
def test_a_short_pause_stays_in_one_turn_and_a_long_one_makes_two(rate: int) -> None:
    first, second = speech("I want to pay my bill."), speech("The one from March.")
    short, [(on, _), (_, off)] = call_audio([LEAD_MS, first, 300, second, TAIL_MS], rate)
    events = Vad(rate).push(short)
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]
    assert abs(events[0].at_ms - on) <= START_TOLERANCE_MS
    assert abs(events[1].at_ms - off) <= END_TOLERANCE_MS
    long, spans = call_audio([LEAD_MS, first, 1500, second, TAIL_MS], rate)
    events = Vad(rate).push(long)
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd] * 2
    for (on, off), (start, end) in zip(spans, zip(events[::2], events[1::2], strict=True),
                                       strict=True):
        assert abs(start.at_ms - on) <= START_TOLERANCE_MS
        assert abs(end.at_ms - off) <= END_TOLERANCE_MS


@pytest.mark.parametrize("rate", RATES)
def test_chunk_sizes_do_not_change_the_events(rate: int) -> None:
    pcm, _ = call_audio([300, speech("Yes."), 700, speech("Make a payment."), 900], rate)
    whole = run(Vad(rate), pcm)
    assert len(whole) == 4
    for chunk in (1, 7, 320, 640, 1024, 3333, len(pcm) // 3):  # odd sizes split samples too
        assert run(Vad(rate), pcm, chunk) == whole, chunk
    rng, vad, events, i = np.random.default_rng(3), Vad(rate), [], 0
    while i < len(pcm):
        step = int(rng.integers(1, 2000))
        events += vad.push(pcm[i:i + step])
        i += step
    assert events == whole


def test_the_clock_is_the_audio_pushed_and_survives_reset() -> None:
    rate = 8000
    pcm, [(on, _)] = call_audio([LEAD_MS, speech("No."), TAIL_MS], rate)
    vad = Vad(rate)
    vad.push(silence(2000, rate) + b"\x00")  # plus half a sample
    assert vad.position_ms == 2000
    vad.reset()
    events = vad.push(pcm)
    assert not vad.speaking
    assert abs(events[0].at_ms - (2000 + on)) <= START_TOLERANCE_MS


def test_reset_forgets_speech_in_progress() -> None:
    rate = 16000
    pcm, _ = call_audio([200, speech(PROMPT)], rate)
    vad = Vad(rate)
    assert [type(e) for e in vad.push(pcm[:len(pcm) * 3 // 4])] == [SpeechStart]
    assert vad.speaking
    vad.reset()
    assert not vad.speaking
    assert vad.push(silence(2000, rate)) == []  # no SpeechEnd for a forgotten turn


def test_thresholds_and_durations_are_the_callers_to_choose() -> None:
    pcm, _ = call_audio([LEAD_MS, speech("I want to pay my bill."), 300,
                         speech("The one from March."), TAIL_MS], 8000)
    eager = Vad(8000, end_silence_ms=150).push(pcm)
    assert len(eager) == 4  # a 300 ms pause now ends the turn
    strict = Vad(8000, min_speech_ms=5000).push(pcm)
    assert strict == []  # nobody speaks for five seconds without a pause here
    with pytest.raises(ValueError):
        Vad(44100)
    with pytest.raises(ValueError):
        Vad(8000, threshold=0.5, neg_threshold=0.6)


def test_one_inference_session_serves_every_detector() -> None:
    assert Vad(8000)._session is Vad(16000)._session is session()
    options = session().get_session_options()
    assert options.intra_op_num_threads == 1


def test_the_silero_package_and_torch_are_never_imported() -> None:
    code = ("import sys; from speech.vad import Vad; Vad(8000).push(bytes(8000)); "
            "print(sorted(m for m in ('silero_vad', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
