"""PCM helpers: L16 <-> float, resampling (soxr), mu-law, and a telephone-line simulator.

Audio moves through voxflow as little-endian signed 16-bit mono PCM (`bytes`), the format
mod_audio_stream speaks; models want float32 at their own rate, so conversion happens at the
edge of each model and nowhere else.
"""

from __future__ import annotations

import bisect

import numpy as np
import soxr

MULAW_BIAS = 0x84
MULAW_CLIP = 32635


def to_float(pcm: bytes) -> np.ndarray:
    """L16 bytes -> float32 samples in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def to_pcm(samples: np.ndarray) -> bytes:
    """float samples -> L16 bytes (clipped, never wrapped)."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 32767 / 32768)
    return (clipped * 32768.0).astype("<i2").tobytes()


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """A whole buffer at another rate (one shot; use `StreamResampler` for live audio)."""
    if from_rate == to_rate or not pcm:
        return pcm
    return to_pcm(soxr.resample(to_float(pcm), from_rate, to_rate, quality="HQ"))


def resample_float(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples.astype(np.float32, copy=False), from_rate, to_rate,
                         quality="HQ").astype(np.float32, copy=False)


class StreamResampler:
    """Resamples a live stream chunk by chunk without clicks at chunk edges."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate, self.to_rate = from_rate, to_rate
        self._stream = (None if from_rate == to_rate
                        else soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32"))

    def push(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        if self._stream is None:
            return samples.astype(np.float32, copy=False)
        return self._stream.resample_chunk(samples.astype(np.float32, copy=False), last=last)


def mulaw_encode(pcm: bytes) -> bytes:
    """G.711 mu-law, as a phone network carries voice."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), MULAW_CLIP) + MULAW_BIAS
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> bytes:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    mag = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS
    return np.where(sign != 0, -mag, mag).astype("<i2").tobytes()


def phone_line(pcm: bytes, rate: int, *, out_rate: int = 8000, snr_db: float = 25.0,
               seed: int = 0) -> bytes:
    """What a caller sounds like after the phone network: band-limited to 8 kHz, a mu-law
    round trip, and background noise at `snr_db` (deterministic for a given seed). The result
    is at `out_rate` (8000 or 16000: a 16 kHz call still carries narrowband speech)."""
    narrow = resample(pcm, rate, 8000)
    samples = to_float(mulaw_decode(mulaw_encode(narrow)))
    if samples.size:
        speech_power = float(np.mean(samples ** 2)) or 1e-9
        noise_power = speech_power / (10 ** (snr_db / 10))
        noise = np.random.default_rng(seed).normal(0.0, np.sqrt(noise_power), samples.size)
        samples = samples + noise.astype(np.float32)
    return resample(to_pcm(samples), 8000, out_rate)


def silence(ms: int, rate: int) -> bytes:
    return bytes(2 * (rate * ms // 1000))  # whole samples, whatever the rate


def duration_ms(pcm: bytes, rate: int) -> int:
    return len(pcm) * 1000 // (2 * rate)


def sorted_percentile(ordered: list[float], q: float) -> float:
    """`np.percentile(ordered, q)` (linear interpolation) of an already sorted list, without
    sorting it again."""
    pos = q / 100.0 * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class PauseDetector:
    """Notices a pause in speech from frame energies: the last `pause_ms` all quieter than a
    quarter of the louder speech heard so far and near the quietest frames (the noise floor)."""

    FRAME_MS = 20

    def __init__(self, pause_ms: int) -> None:
        self.pause_frames = max(1, pause_ms // self.FRAME_MS)
        self._energies: list[float] = []  # kept sorted: two percentiles at every frame
        self._rest = np.zeros(0, dtype=np.float32)
        self._quiet = 0
        self._reported = False
        self.frames = 0  # frames heard
        self.speech_frames = 0  # frames that were not quiet

    @property
    def quiet_ms(self) -> int:
        """How long the speaker has been quiet, up to now."""
        return self._quiet * self.FRAME_MS

    def push(self, samples: np.ndarray, rate: int) -> bool:
        """True once per pause, when it has lasted `pause_ms`."""
        frame = rate * self.FRAME_MS // 1000
        data = np.concatenate([self._rest, samples]) if self._rest.size else samples
        n = data.size // frame
        self._rest = data[n * frame:]
        found = False
        for k in range(n):
            energy = float(np.mean(data[k * frame:(k + 1) * frame] ** 2)) + 1e-10
            bisect.insort(self._energies, energy)
            loud = sorted_percentile(self._energies, 90)
            floor = sorted_percentile(self._energies, 10)
            quiet = energy < max(floor * 4.0, loud * 0.02) and loud > floor * 10.0
            self._quiet = self._quiet + 1 if quiet else 0
            self.frames += 1
            self.speech_frames += not quiet
            if self._quiet < self.pause_frames:
                self._reported = False
            elif not self._reported:
                self._reported = found = True
        return found
