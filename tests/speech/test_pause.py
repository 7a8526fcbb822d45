"""speech.audio.PauseDetector: when a caller has stopped speaking, from frame energies."""

from __future__ import annotations

import numpy as np

from speech.audio import PauseDetector, sorted_percentile

RATE = 8000


def _tone(ms: int, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)
            + rng.normal(0, 0.001, t.size)).astype(np.float32)


def _noise(ms: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 0.001, RATE * ms // 1000).astype(np.float32)


def test_a_pause_is_reported_once_when_it_has_lasted() -> None:
    rng = np.random.default_rng(1)
    detector = PauseDetector(300)
    chunks = [_noise(200, rng), _tone(600, 0.3, rng)] + [_noise(20, rng) for _ in range(25)]
    reports = [i for i, c in enumerate(chunks) if detector.push(c, RATE)]
    # 300 ms of quiet after the speech: the 15th 20 ms chunk of it, and only once.
    assert reports == [2 + 14]
    assert detector.quiet_ms == 25 * 20
    # Before any speech there is nothing to be quieter than: the first 200 ms count as not
    # quiet, with the 600 ms of tone.
    assert detector.speech_frames == 10 + 30


def test_speech_again_ends_the_pause() -> None:
    rng = np.random.default_rng(2)
    detector = PauseDetector(200)
    for chunk in (_noise(100, rng), _tone(400, 0.3, rng), _noise(100, rng)):
        detector.push(chunk, RATE)
    assert detector.quiet_ms == 100
    detector.push(_tone(40, 0.3, rng), RATE)
    assert detector.quiet_ms == 0
    assert detector.push(_noise(200, rng), RATE)  # a second pause is reported too


def test_percentiles_of_the_sorted_history_are_numpys() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 100, 1501):
        values = sorted(rng.exponential(1.0, n).tolist())
        for q in (10, 50, 90):
            assert np.isclose(sorted_percentile(values, q), np.percentile(values, q))
