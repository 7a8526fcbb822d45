"""piper synthesis: sentence by sentence, at call rates, behind media_bridge's Synthesizer port."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from media_bridge.speech import Synthesizer
from speech.audio import duration_ms, to_float
from speech.tts import BUNDLED_VOICE, PiperSynthesizer, PiperTts, UnknownVoice, resolve_voice
from speech.vad import SpeechEnd, SpeechStart, Vad

THREE = "Thanks for calling Acme Telecom. Is this about a bill? Please hold."


def test_iter_pcm_yields_each_sentence_as_it_is_synthesised() -> None:
    pieces = list(PiperTts().iter_pcm(THREE, 8000))
    assert len(pieces) == 3
    for piece in pieces:
        assert len(piece) % 2 == 0
        assert 300 < duration_ms(piece, 8000) < 4000
        assert float(abs(to_float(piece)).max()) > 0.1  # audible, not silence


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 48000])
def test_audio_comes_at_the_asked_rate(rate: int) -> None:
    pcm = PiperTts().synthesize_pcm("Your call is important to us.", rate)
    # piper varies its timing a little from run to run; the length is about 1.5-2.5 s at any rate
    assert 1000 < duration_ms(pcm, rate) < 3000


def test_the_voice_is_heard_as_speech() -> None:
    pcm = PiperTts().synthesize_pcm("Please say or key in your account number.", 8000)
    events = Vad(8000).push(bytes(8000) + pcm + bytes(16000))
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]


def test_empty_text_is_no_audio() -> None:
    tts = PiperTts()
    assert tts.synthesize_pcm("", 8000) == b""
    assert tts.synthesize_pcm("  \n ", 8000) == b""
    assert list(tts.iter_pcm("", 16000)) == []
    assert asyncio.run(PiperSynthesizer().synthesize("", rate=8000)) == b""


def test_an_unknown_voice_names_the_installed_one() -> None:
    with pytest.raises(UnknownVoice, match=BUNDLED_VOICE):
        resolve_voice("en_US-amy-medium")
    with pytest.raises(UnknownVoice, match=BUNDLED_VOICE):
        asyncio.run(PiperSynthesizer().synthesize("Hello.", rate=8000, voice="en_US-amy-medium"))
    with pytest.raises(UnknownVoice):
        PiperTts("amy")
    # The bundled voice answers to piper's name (as flows write it), to ours, and to nothing.
    assert {resolve_voice(v) for v in ("", "joe-us", BUNDLED_VOICE, "EN_US-JOE-MEDIUM")} == \
        {"joe-us"}


def test_the_synthesizer_port_runs_piper_off_the_event_loop() -> None:
    synth: Synthesizer = PiperSynthesizer()

    async def main() -> tuple[bytes, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.002)
                ticks += 1

        task = asyncio.create_task(ticker())
        pcm = await synth.synthesize(THREE, rate=16000, language="en-US", voice=BUNDLED_VOICE)
        task.cancel()
        return pcm, ticks

    pcm, ticks = asyncio.run(main())
    assert 2000 < duration_ms(pcm, 16000) < 9000
    assert ticks >= 3  # the loop kept running while piper worked


def test_stream_yields_sentences_in_order() -> None:
    async def main() -> list[bytes]:
        return [p async for p in PiperSynthesizer().stream(THREE, 8000)]

    pieces = asyncio.run(main())
    assert len(pieces) == 3
    assert all(duration_ms(p, 8000) > 300 for p in pieces)


def test_a_stream_abandoned_after_its_first_sentence_stops_synthesising() -> None:
    async def main() -> bytes:
        stream = PiperSynthesizer().stream(THREE, 8000)
        first = await anext(stream)
        await stream.aclose()
        return first

    assert duration_ms(asyncio.run(main()), 8000) > 300


def test_synthesize_rates_gives_one_synthesis_at_every_rate() -> None:
    audio = PiperSynthesizer().synthesize_rates("Goodbye.", (8000, 16000))
    assert set(audio) == {8000, 16000}
    # the same synthesis: equal durations to the sample's rounding
    assert abs(duration_ms(audio[8000], 8000) - duration_ms(audio[16000], 16000)) <= 1


def test_a_sentence_said_alone_sounds_as_it_does_inside_a_prompt() -> None:
    """Why the prompt cache may keep the static sentences of a dynamic prompt: piper speaks
    each sentence on its own, and the cache splits where piper does."""
    from speech.prompts import split_sentences

    tts = PiperTts()
    for text in ("I heard Thursday, July 4, 1985. Is that right?",
                 "Thanks. I'll charge $42.50 to that card for account 12345678. Shall I go ahead?"):
        whole = list(tts.iter_float(text, noise=False))
        alone = [a for s in split_sentences(text) for a in tts.iter_float(s, noise=False)]
        assert len(whole) == len(alone) == len(split_sentences(text))
        for a, b in zip(whole, alone, strict=True):
            assert a.shape == b.shape and np.allclose(a, b, atol=1e-4)
