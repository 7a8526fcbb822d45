"""Synthesised phone callers and the bots' input steps, shared by the test_asr_* modules.

Audio: the bundled piper voice with its random generator noise turned off (piper samples noise
for every synthesis, so the same text would sound different in every run and a test could pass
or fail by chance), at 16 kHz, with 250 ms of silence before and 350 ms after (what a VAD hands
over), then `phone_line` (8 kHz band, mu-law round trip, seeded noise) at the call rate.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dsl.compile import compile_file, ir_json
from runtime.actions import Listen
from speech.asr.base import Hypothesis, Recognizer, ir_input_nodes, listen_of
from speech.audio import phone_line, resample_float, silence, to_pcm

ROOT = Path(__file__).resolve().parents[2]
SYNTH_RATE = 16000


@cache
def speech(text: str, length_scale: float = 1.0) -> bytes:
    """`text` in the bundled voice, the same samples every time, at 16 kHz."""
    import numpy as np

    from speech.tts import PiperTts

    tts = PiperTts()
    audio = np.concatenate(list(tts.iter_float(text, noise=False, length_scale=length_scale)))
    return to_pcm(resample_float(audio, tts.native_rate, SYNTH_RATE))


def caller(text: str, rate: int = 8000, snr_db: float = 20.0, seed: int = 0, *,
           trailing_ms: int = 350) -> bytes:
    """`text` said by a caller on a phone line, at `rate`."""
    padded = silence(250, SYNTH_RATE) + speech(text) + silence(trailing_ms, SYNTH_RATE)
    return phone_line(padded, SYNTH_RATE, out_rate=rate, snr_db=snr_db, seed=seed)


def feed(rec: Recognizer, audio: bytes, rate: int, *, stop_when_complete: bool = False,
         ) -> tuple[list[Hypothesis], float | None]:
    """Feed 20 ms chunks; (partials, seconds of audio fed when `complete` first held)."""
    partials: list[Hypothesis] = []
    step = rate * 2 // 50
    completed_at = None
    for k in range(0, len(audio), step):
        hyp = rec.feed(audio[k:k + step])
        if hyp is not None:
            partials.append(hyp)
        if rec.complete and completed_at is None:
            completed_at = (k + step) / (2 * rate)
            if stop_when_complete:
                break
    return partials, completed_at


@cache
def bot_listens(bot: str) -> dict[str, Listen]:
    """The Listen action of every input step of a bot, by node id, from its compiled IR."""
    ir = ir_json(compile_file(ROOT / "bots" / bot / f"{bot}.flow"))
    return {node["id"]: listen_of(node) for node in ir_input_nodes(ir)}
