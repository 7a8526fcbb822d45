"""Voice activity detection: Silero VAD v6 (its bundled ONNX model) through onnxruntime.

`Vad` turns a call's L16 PCM (8 or 16 kHz) into turn events: `SpeechStart` once the caller has
really started speaking (barge-in, start of a turn) and `SpeechEnd` once they have stopped
(end of turn). Time is counted in samples pushed, never read from a clock, so a replayed call
gives the same events at the same positions.

The model is run exactly as silero's own `OnnxWrapper` does (silero_vad/utils_vad.py): windows
of 256 samples at 8 kHz / 512 at 16 kHz, each prefixed by the last 32 / 64 samples before it
(the context), with a (2, batch, 128) recurrent state carried from window to window. The
package itself is never imported: `silero_vad/__init__.py` imports torch.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

WINDOW = {8000: 256, 16000: 512}  # samples per model call (32 ms)
CONTEXT = {8000: 32, 16000: 64}  # samples of the previous window the model sees again
STATE_SHAPE = (2, 1, 128)

# Phone IVR defaults (measured on piper speech through `phone_line`, tests/speech/test_vad.py).
# - min_speech_ms 250: the model's probability outlasts a sound by ~100 ms, so this needs about
#   150 ms of real sound. Knocks, clicks and line noise never start speech; 100 ms cut out of
#   speech (a cough, a "hm") starts it 4-11 % of the time at 250 ms (13 % at 200, 57 % at
#   150). One-syllable answers ("yes", "no", "two", "oh") are all still heard; at 300 ms "two"
#   was missed. The price is barge-in latency: a prompt stops ~250 ms into the caller's speech.
# - end_silence_ms 600: callers pause 200-400 ms between words and while reading digits off a
#   card, and a 300 ms pause must not end the turn; 600 ms still answers well inside the ~1 s
#   a caller waits before repeating themselves. SpeechEnd comes ~600 ms + ~100 ms of model
#   decay after the last sound; its at_ms is within ~0-180 ms of it.
DEFAULT_THRESHOLD = 0.5
HYSTERESIS = 0.15  # silero's own: speech continues until the probability falls 0.15 below
DEFAULT_MIN_SPEECH_MS = 250
DEFAULT_END_SILENCE_MS = 600
SPEECH_PAD_MS = 30  # silero's speech_pad_ms: the model reacts a little after the audio does
# A speech candidate (before min_speech_ms is reached) survives dips this long: plosives and
# short gaps inside a word; a burst followed by silence is dropped.
CANDIDATE_GAP_MS = 100
# Windows quieter than -60 dBFS RMS are silence without asking the model (phone comfort noise
# sits around -60 to -70 dBFS; speech through a phone line at -20 to -35).
QUIET_RMS = 0.001

_session: ort.InferenceSession | None = None
_session_lock = threading.Lock()


def model_path() -> Path:
    """The bundled `silero_vad/data/silero_vad.onnx`, found without importing the package."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("silero-vad is not installed (pip install --no-deps silero-vad)")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise RuntimeError("silero-vad is installed but its data/silero_vad.onnx is missing")


def session() -> ort.InferenceSession:
    """The one inference session of this process, shared by every call (onnxruntime's `run` is
    thread-safe; each `Vad` keeps its own state). One thread per run: calls are many and
    small, so parallelism comes from calls, not from inside a 32 ms window."""
    global _session
    with _session_lock:
        if _session is None:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            _session = ort.InferenceSession(str(model_path()), sess_options=opts,
                                            providers=["CPUExecutionProvider"])
        return _session


@dataclass(frozen=True, slots=True)
class SpeechStart:
    at_ms: int  # where the speech began (reported min_speech_ms or more later)


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    at_ms: int  # where the speech ended (reported end_silence_ms later)


VadEvent = SpeechStart | SpeechEnd


class Vad:
    """One call's voice activity detector. Not thread-safe: one caller pushes."""

    def __init__(self, rate: int, *, threshold: float = DEFAULT_THRESHOLD,
                 neg_threshold: float | None = None,
                 min_speech_ms: int = DEFAULT_MIN_SPEECH_MS,
                 end_silence_ms: int = DEFAULT_END_SILENCE_MS) -> None:
        if rate not in WINDOW:
            raise ValueError(f"VAD runs at 8000 or 16000 Hz, not {rate}")
        neg = threshold - HYSTERESIS if neg_threshold is None else neg_threshold
        if not 0.0 < threshold < 1.0 or not 0.0 <= neg <= threshold:
            raise ValueError("need 0 < threshold < 1 and 0 <= neg_threshold <= threshold")
        if min_speech_ms < 0 or end_silence_ms <= 0:
            raise ValueError("min_speech_ms must be >= 0 and end_silence_ms > 0")
        self.rate, self.threshold, self.neg_threshold = rate, threshold, max(neg, 0.0)
        self.min_speech_ms, self.end_silence_ms = min_speech_ms, end_silence_ms
        self._window, self._context_len = WINDOW[rate], CONTEXT[rate]
        self._min_speech = rate * min_speech_ms // 1000
        self._end_silence = rate * end_silence_ms // 1000
        self._gap = rate * CANDIDATE_GAP_MS // 1000
        self._pad = rate * SPEECH_PAD_MS // 1000
        self._session = session()
        self._sr = np.array(rate, dtype=np.int64)
        self._quiet_energy = self._window * QUIET_RMS ** 2
        self._buf = bytearray()
        self._pos = 0  # sample index of the next window's first sample
        self.probability = 0.0  # the last window's speech probability (for logs and tuning)
        self._reset_detection()

    def _reset_detection(self) -> None:
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(self._context_len, dtype=np.float32)
        self._speaking = False
        self._cand_start: int | None = None  # a candidate's first sample
        self._voiced = 0  # speech samples in the candidate so far
        self._unvoiced = 0  # samples since the candidate's last speech window
        self._silence_start: int | None = None  # while speaking: where the silence began

    @property
    def speaking(self) -> bool:
        """True between a SpeechStart and its SpeechEnd."""
        return self._speaking

    @property
    def position_ms(self) -> int:
        """How much audio this detector has been given (the clock of every `at_ms`)."""
        return self._ms(self._pos + len(self._buf) // 2)

    def reset(self) -> None:
        """Forget the model's state and any speech in progress (no SpeechEnd is reported). The
        clock keeps running, so `at_ms` stays comparable with the call's audio; a partial
        window is dropped."""
        self._pos += len(self._buf) // 2
        self._buf.clear()
        self._reset_detection()

    def push(self, pcm: bytes) -> list[VadEvent]:
        """Any amount of L16 audio; events for every whole window it completes."""
        self._buf += pcm
        n = self._window
        whole = len(self._buf) // (2 * n)
        if not whole:
            return []
        samples = np.frombuffer(self._buf, dtype="<i2", count=whole * n).astype(np.float32)
        samples /= 32768.0
        del self._buf[:whole * n * 2]
        events: list[VadEvent] = []
        for i in range(whole):
            window = samples[i * n:(i + 1) * n]
            if float(np.dot(window, window)) < self._quiet_energy:
                # Near-digital silence (a muted line, a key-press-only caller): the model
                # would say 0 too; skipping it makes idle calls nearly free.
                self._context = window[-self._context_len:].copy()
                p = 0.0
            else:
                p = self._infer(window)
            event = self._step(p)
            if event is not None:
                events.append(event)
        return events

    def _infer(self, window: np.ndarray) -> float:
        x = np.concatenate((self._context, window))[np.newaxis, :]
        out, self._state = self._session.run(None, {"input": x, "state": self._state,
                                                    "sr": self._sr})
        self._context = x[0, -self._context_len:]
        return float(out[0, 0])

    def _step(self, p: float) -> VadEvent | None:
        """Advance one window of probability `p`; the window starts at `self._pos`."""
        self.probability = p
        start, n = self._pos, self._window
        self._pos += n
        if self._speaking:
            if p >= self.threshold:
                self._silence_start = None
            elif p < self.neg_threshold and self._silence_start is None:
                self._silence_start = start
            # Between the thresholds a silence already begun keeps counting (as silero does).
            if self._silence_start is not None and self._pos - self._silence_start >= \
                    self._end_silence:
                end = self._silence_start + self._pad
                self._reset_candidate()
                self._speaking = False
                self._silence_start = None
                return SpeechEnd(self._ms(end))
            return None
        if p >= self.threshold or (self._cand_start is not None and p >= self.neg_threshold):
            if self._cand_start is None:
                self._cand_start = start
            self._voiced += n
            self._unvoiced = 0
        elif self._cand_start is not None:
            self._unvoiced += n
            if self._unvoiced > self._gap:
                self._reset_candidate()
        if self._cand_start is not None and self._voiced >= self._min_speech:
            began = max(self._cand_start - self._pad, 0)
            self._speaking = True
            self._reset_candidate()
            return SpeechStart(self._ms(began))
        return None

    def _reset_candidate(self) -> None:
        self._cand_start, self._voiced, self._unvoiced = None, 0, 0

    def _ms(self, samples: int) -> int:
        return samples * 1000 // self.rate
