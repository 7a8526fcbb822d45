"""Benchmark: the speech stack's per-call costs on this machine.

Run: .venv/bin/python bench/speech_models.py [--seconds 30]

- VAD: Silero through onnxruntime (one thread), fed 20 ms frames of phone-line noise and
  speech as a call would; cost per model window (32 ms) and per 20 ms frame of audio, and the
  cost per window when many calls' windows go through one batched run (what a shared VAD
  worker could do).
- TTS: piper, time to the first sentence's audio vs the whole prompt, real-time factor.
- Prompt cache: a hit from memory and from disk (through the async port).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from speech.audio import duration_ms, phone_line
from speech.prompts import CachedSynthesizer, PromptCache
from speech.tts import PiperSynthesizer, PiperTts
from speech.vad import CONTEXT, WINDOW, Vad, session

PROMPT = ("For your balance, press 1 or say balance. To pay a bill, press 2. To check for an "
          "outage in your area, press 3. Or just tell me what you need.")


def bench_vad(seconds: float) -> None:
    tts = PiperTts()
    voice = tts.synthesize_pcm(PROMPT, tts.native_rate)
    for rate in (8000, 16000):
        audio = phone_line(voice * max(1, int(seconds // 8)), tts.native_rate, out_rate=rate)
        frame = rate * 2 // 50
        vad = Vad(rate)
        vad.push(audio[:rate * 2])  # warm-up
        vad.reset()
        start = time.perf_counter()
        for i in range(0, len(audio), frame):
            vad.push(audio[i:i + frame])
        took = time.perf_counter() - start
        frames = len(audio) // frame
        windows = len(audio) // 2 // WINDOW[rate]
        print(f"vad {rate} Hz: {took / windows * 1e6:.0f} us per 32 ms window, "
              f"{took / frames * 1e6:.0f} us per 20 ms frame, RTF {took / (frames / 50):.4f} "
              f"-> one core keeps up with ~{int((frames / 50) / took)} listening calls")
    s, sr = session(), np.array(8000, dtype=np.int64)
    for batch in (1, 16, 64, 256):
        x = np.zeros((batch, WINDOW[8000] + CONTEXT[8000]), dtype=np.float32)
        state = np.zeros((2, batch, 128), dtype=np.float32)
        runs = max(20, 2000 // batch)
        for _ in range(5):
            s.run(None, {"input": x, "state": state, "sr": sr})
        start = time.perf_counter()
        for _ in range(runs):
            s.run(None, {"input": x, "state": state, "sr": sr})
        per = (time.perf_counter() - start) / runs
        print(f"vad batched run, 8 kHz, {batch:3d} calls: {per * 1e3:.2f} ms per run, "
              f"{per / batch * 1e6:.0f} us per window")


def bench_tts() -> None:
    tts = PiperTts()
    firsts, wholes, rtfs = [], [], []
    for _ in range(5):
        start = time.perf_counter()
        pieces = tts.iter_pcm(PROMPT, 8000)
        first = next(pieces)
        firsts.append(time.perf_counter() - start)
        rest = b"".join(pieces)
        whole = time.perf_counter() - start
        wholes.append(whole)
        rtfs.append(whole / (duration_ms(first + rest, 8000) / 1000))
    print(f"tts first audio (first of 4 sentences): median {statistics.median(firsts) * 1e3:.0f} "
          f"ms; whole prompt {statistics.median(wholes) * 1e3:.0f} ms; "
          f"RTF {statistics.median(rtfs):.3f}")


def bench_cache() -> None:
    async def main(root: Path) -> None:
        cache = PromptCache(root)
        synth = PiperSynthesizer()
        vid = synth.voice_id()
        cache.put(PROMPT, vid, 8000, synth.engine, synth.tts().synthesize_pcm(PROMPT, 8000))
        cold = CachedSynthesizer(PromptCache(root), synth)
        start = time.perf_counter()
        await cold.synthesize(PROMPT, rate=8000)
        disk = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(1000):
            await cold.synthesize(PROMPT, rate=8000)
        memory = (time.perf_counter() - start) / 1000
        print(f"prompt cache hit: first from disk {disk * 1e3:.2f} ms, then from memory "
              f"{memory * 1e6:.0f} us")

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="audio per VAD run")
    args = parser.parse_args()
    bench_vad(args.seconds)
    bench_tts()
    bench_cache()


if __name__ == "__main__":
    main()
