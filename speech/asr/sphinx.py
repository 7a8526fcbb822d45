"""Closed-set recognition with pocketsphinx JSGF grammars (en-us model inside the package).

A grammar is built from each task and cached (per engine, by kind, phrases and bounds):

* menu: the step's phrases as spoken words (lower case, numbers spelled, punctuation dropped).
  A word missing from the pronouncing dictionary (`Decoder.lookup_word`) is split into
  dictionary words when it is a compound ("riverstone" -> "river stone"), spelled letter by
  letter when it is an acronym of up to five capitals or a word of one or two letters ("IVR",
  "QR"), and otherwise left out of the phrase (a phrase left with no words is dropped;
  `Grammar.skipped` and a warning say which). A recognised phrase is returned exactly as the
  flow wrote it, so the runtime's menu matching finds it whatever the spoken form was.
* yes_no: "yes", "yeah", "yep", "correct", "that's right", "no", "nope", "that's wrong" and
  their common variants; returned as said, which runtime/normalize.py reads as yes or no.
* digits: a digit string of exactly min..max digits ("zero"/"oh"; "double X" and "triple X"
  counted as two and three), returned as a plain digit string.

Audio at 8 kHz is upsampled to the model's 16 kHz with a streaming resampler. With `partials`
on (the default), `feed` runs the decoder on each chunk (`process_raw`) and returns a partial
Hypothesis when the best path has changed; the recognizer is `complete` when the partial has
been a whole answer for `stable_ms` of audio: the maximum number of digits, a yes/no phrase, or
a menu phrase that is not the start of another phrase ("pay" is not complete while "pay my
bill" is a phrase). The streaming pass starts from the cepstral mean of phone speech
(`PHONE_CMN`): the model's own starting point is that of wideband speech.

`finish()` decodes the whole utterance once more in one pass, so the answer is normalised with
the utterance's own cepstral mean whatever the streaming pass saw first (20-40 ms for a menu
answer). When the best path stops inside a phrase ("no thank" of "no thank you"), the best whole
answer that begins like the path is taken from the lattice's N-best list (one that does not is
a guess: its confidence is capped like an answer with speech outside its words); other whole
answers become `alternatives`.

Confidence: pocketsphinx normalises each frame's scores to the best-scoring state of that
frame, so the best path's score per frame (pocketsphinx returns it as 1.0001**score) measures
how far the grammar's words are from what the acoustic model hears best. On synthesised phone
callers, in-grammar answers mostly score -12 to -30, speech outside the grammar forced onto the
nearest phrase -20 to -45. A logistic curve maps the score to [0, 1]: 0.35 (the runtime's
MIN_SPEECH_CONFIDENCE) at `reject_score` -26, which kept 87 % of right answers and let 12 % of
out-of-grammar sentences through on 1,250 test utterances at 10-30 dB SNR. The separation is
modest, which is why steps that also take free speech cascade to Whisper (cascade.py). A search
that never reached the end of the grammar, or heard only silence, returns empty text. Two
signs that the caller said more than the answer cap the confidence under the floor
(EXTRA_SPEECH_CAP), whatever the score: speech the best path put in silence, and a word of the
answer held far longer than it lasts (a turn that ended early leaves no silence to put it in).

Digit strings are this engine's weak spot: a phone line removes the high frequencies "six" and
"seven" need, and only 16 % of 8-digit strings come out exact over 10-30 dB SNR (56 % at 30 dB;
on clean 16 kHz speech the grammar is exact), which is why choose.py sends digits to Whisper.

Thread-safety: a pocketsphinx Decoder is not thread-safe and each one holds the acoustic model
(~27 MB, ~0.15 s to create, holding the GIL). The engine keeps a pool of decoders: a recognizer
takes one when the caller's audio first reaches it and gives it back at `finish()`/`cancel()`,
so recognizers run concurrently in any threads, each on its own decoder, and the pool grows to
the number of callers speaking at once, not the number of calls waiting for an answer (200
calls at a menu would otherwise hold 5 GB). Making a recognizer, which the runtime does while
the prompt plays, keeps one idle decoder ready with the grammar loaded, so a caller's first
words do not wait for a decoder to be created; the first one made makes `ready` decoders
(serve: VOXFLOW_SPHINX_DECODERS), one per caller who may speak at the same moment.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from speech.asr.base import AsrError, Hypothesis, Task, check_rate
from speech.asr.text import DIGIT_WORDS, spoken_words, words_key
from speech.audio import PauseDetector, StreamResampler, to_float, to_pcm

log = logging.getLogger("voxflow.speech")

MODEL_RATE = 16000
LOGBASE = 1.0001  # pocketsphinx's default log base: hypothesis scores come as LOGBASE**score
# The cepstral mean of narrowband phone speech (mu-law, 8 kHz, upsampled), measured with this
# model: the streaming pass starts from it. The model's own default (40,3,-1,0...) is that of
# wideband speech and misleads the first second of every phone utterance.
PHONE_CMN = "51.7,23.0,-51.8,41.9,-36.1,4.7,7.6,-27.6,24.8,-20.4,7.8,4.5,-12.8"

YES_PHRASES = ("yes", "yeah", "yep", "yup", "yes please", "yes it is", "sure", "correct",
               "that's correct", "right", "that's right", "absolutely", "of course", "okay")
NO_PHRASES = ("no", "nope", "nah", "no thanks", "no thank you", "no it isn't", "not really",
              "incorrect", "that's wrong", "wrong")
_LETTERS = {  # letter names in the en-us model's phone set, for spelled acronyms
    "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY",
    "h": "EY CH", "i": "AY", "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N",
    "o": "OW", "p": "P IY", "q": "K Y UW", "r": "AA R", "s": "EH S", "t": "T IY", "u": "Y UW",
    "v": "V IY", "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY"}
_MAX_LOADED = 64  # grammars kept loaded per decoder
FRAME_SAMPLES = MODEL_RATE // 100  # pocketsphinx's 10 ms frames
EXTRA_SPEECH_MS = 150  # speech outside the answer's words that means the caller said more
EXTRA_SPEECH_CAP = 0.3  # the confidence of such an answer (or a guess), at most: under the floor
# A word of the answer whose speech lasts longer than this holds more: `_beyond_the_answer`.
STRETCH_MS_PER_PHONE = 120
STRETCH_SLACK_MS = 200
SPEECH_DB = 12.0  # a frame this far above the utterance's noise floor is speech


@dataclass(frozen=True)
class Grammar:
    """A task's JSGF grammar and how to read its hypotheses."""

    name: str
    jsgf: str
    kind: str
    outputs: dict[str, str]  # words of a whole answer -> text to return (menus, yes/no)
    digit_bounds: tuple[int, int] = (0, 0)
    extra_words: tuple[tuple[str, str], ...] = ()  # (word, phones) to add to the dictionary
    skipped: tuple[str, ...] = ()  # phrases or words that could not be said in the grammar

    def read(self, hypstr: str) -> tuple[str, bool]:
        """(text to return, whether it is a whole answer) for a hypothesis string."""
        words = [w for w in hypstr.split() if not w.startswith(("<", "[", "+"))]
        if self.kind == "digits":
            digits = _words_to_digits(words)
            lo, hi = self.digit_bounds
            return digits, lo <= len(digits) <= hi
        key = " ".join(words)
        if key in self.outputs:
            return self.outputs[key], True
        return key, False

    def continues(self, answer: str, key: str) -> bool:
        """Whether the whole `answer` (as `read` returns it) and the spoken words `key` of a
        path that stopped inside a phrase begin alike: the path went on from the answer or
        stopped short of it ("pay my" and "pay", "no thank" and "no thank you")."""
        spoken = next((k for k, v in self.outputs.items() if v == answer), answer)
        return bool(key) and spoken.split()[:1] == key.split()[:1]

    def complete(self, key: str) -> bool:
        """Whether a whole answer can be taken at once (see the module doc)."""
        if self.kind == "digits":
            return len(key) == self.digit_bounds[1]
        if self.kind == "yes_no":
            return True
        spoken = next((k for k, v in self.outputs.items() if v == key), key)
        return not any(k.startswith(spoken + " ") for k in self.outputs)


def _words_to_digits(words: list[str]) -> str:
    out: list[str] = []
    repeat = 1
    for w in words:
        if w in ("double", "triple"):
            repeat = 2 if w == "double" else 3
            continue
        digit = "0" if w == "oh" else str(DIGIT_WORDS.index(w)) if w in DIGIT_WORDS else ""
        out.append(digit * repeat)
        repeat = 1
    return "".join(out)


def _digits_jsgf(lo: int, hi: int) -> str:
    """Exactly lo..hi digits; "double X" counts two, "triple X" three."""
    rules = ["<d> = zero | oh | one | two | three | four | five | six | seven | eight | nine;"]
    for n in range(1, hi + 1):
        alts = ["<d>" if n == 1 else f"<d> <s{n - 1}>"]
        if n >= 2:
            alts.append("double <d>" if n == 2 else f"double <d> <s{n - 2}>")
        if n >= 3:
            alts.append("triple <d>" if n == 3 else f"triple <d> <s{n - 3}>")
        rules.append(f"<s{n}> = " + " | ".join(f"({a})" for a in alts) + ";")
    top = " | ".join(f"<s{n}>" for n in range(lo, hi + 1))
    return "\n".join(rules) + f"\npublic <top> = {top};\n"


def _alternatives(phrases: list[list[str]]) -> str:
    return " | ".join("(" + " ".join(p) + ")" for p in phrases)


def _jsgf(name: str, body: str) -> str:
    return f"#JSGF V1.0;\ngrammar {name};\n{body}"


def _grammar_name(kind: str, text: str) -> str:
    return f"{kind}_{hashlib.sha1(text.encode()).hexdigest()[:12]}"


class _Words:
    """Spoken words -> words the dictionary knows (see the module doc)."""

    def __init__(self, lookup: Any) -> None:
        self.lookup = lookup
        self.extra: dict[str, str] = {}
        self._splits: dict[str, list[str] | None] = {}

    def known(self, word: str) -> bool:
        return word in self.extra or self.lookup(word) is not None

    def resolve(self, word: str, original: str) -> list[str] | None:
        if self.known(word):
            return [word]
        bare = word.replace("'", "")
        if bare != word and self.known(bare):
            return [bare]
        if (original.isupper() and original.isalpha() and len(original) <= 5) or len(bare) <= 2:
            return self._spell(bare)
        return self._split(bare)

    def _spell(self, word: str) -> list[str] | None:
        out = []
        for c in word:
            if c not in _LETTERS:
                return None
            name = f"letter_{c}"
            self.extra[name] = _LETTERS[c]
            out.append(name)
        return out

    def _split(self, word: str) -> list[str] | None:
        """The fewest dictionary words (each 3+ letters) that spell `word`, or None."""
        if word in self._splits:
            return self._splits[word]
        best: list[str] | None = None
        for i in range(3, len(word) - 2):
            head, tail = word[:i], word[i:]
            if not self.known(head):
                continue
            rest = [tail] if self.known(tail) else self._split(tail)
            if rest is not None and (best is None or 1 + len(rest) < len(best)):
                best = [head, *rest]
        self._splits[word] = best
        return best


def build_grammar(task: Task, lookup: Any) -> Grammar:
    """The grammar for `task`; `lookup(word)` is the dictionary's pronunciation or None."""
    if task.kind == "digits":
        lo, hi = task.digit_bounds
        body = _digits_jsgf(lo, hi)
        return Grammar(name=_grammar_name("digits", body), jsgf=_jsgf("digits", body),
                       kind="digits", outputs={}, digit_bounds=(lo, hi))
    words = _Words(lookup)
    if task.kind == "yes_no":
        sources = [*YES_PHRASES, *NO_PHRASES, *task.phrases]
    elif task.kind == "menu":
        sources = list(task.phrases)
    else:
        raise AsrError(f"pocketsphinx grammars are for closed tasks, not {task.kind!r}")
    outputs: dict[str, str] = {}
    grammar_phrases: list[list[str]] = []
    skipped: list[str] = []
    for phrase in sources:
        originals = phrase.replace("\u2019", "'").split()
        spoken: list[str] = []
        for word in spoken_words(phrase):
            original = next((o for o in originals if o.lower().strip(".,!?;:") == word), word)
            resolved = words.resolve(word, original)
            if resolved is None:
                skipped.append(f"{word!r} in {phrase!r}")
                continue
            spoken += resolved
        key = " ".join(spoken)
        if not spoken:
            skipped.append(repr(phrase))
            continue
        if key in outputs:
            continue
        # yes/no answers are returned as heard; menu phrases as the flow wrote them.
        outputs[key] = words_key(phrase) if task.kind == "yes_no" else phrase
        grammar_phrases.append(spoken)
    if not grammar_phrases:
        raise AsrError(f"none of the phrases {task.phrases!r} can be said with the dictionary")
    if skipped:
        log.warning("speech grammar: left out %s (not in the pronouncing dictionary)",
                    ", ".join(skipped))
    body = f"public <top> = {_alternatives(grammar_phrases)};\n"
    extra = tuple(sorted(words.extra.items()))
    name = _grammar_name(task.kind, body + repr(extra))
    return Grammar(name=name, jsgf=_jsgf(task.kind, body), kind=task.kind, outputs=outputs,
                   extra_words=extra, skipped=tuple(skipped))


@dataclass(frozen=True)
class _Pass:
    text: str
    score: float  # per frame
    others: tuple[str, ...]
    extra_ms: int = 0  # speech the best path put outside its words (in silence or fillers)
    guess: bool = False  # a whole answer from the lattice that the best path does not start
    stretched: str = ""  # a word of the answer the best path held far longer than it lasts


@dataclass
class _Slot:
    decoder: Any
    loaded: OrderedDict[str, None] = field(default_factory=OrderedDict)
    words: set[str] = field(default_factory=set)


class SphinxEngine:
    """pocketsphinx grammars behind the streaming interface (see the module doc)."""

    name = "sphinx"

    def __init__(self, hmm: str | None = None, dictionary: str | None = None, *,
                 partials: bool = True, stable_ms: int = 300, quiet_ms: int = 160,
                 reject_score: float = -26.0,
                 score_scale: float = 3.7, cmn_prior: str = PHONE_CMN,
                 decoder_options: dict[str, Any] | None = None, ready: int = 1) -> None:
        self.hmm, self.dictionary = hmm, dictionary
        self.ready = ready  # decoders made with the first recognizer (see _keep_ready)
        self.partials, self.stable_ms, self.cmn_prior = partials, stable_ms, cmn_prior
        self.quiet_ms = quiet_ms
        self.reject_score, self.score_scale = reject_score, score_scale
        self.options = dict(decoder_options or {})
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._grammars: dict[tuple[Any, ...], Grammar] = {}  # by kind, phrases, bounds
        self.decoders = 0  # decoders created (each holds the acoustic model)

    def _new_slot(self) -> _Slot:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise AsrError("the sphinx engine needs the pocketsphinx package") from exc
        options: dict[str, Any] = {"lm": None, "samprate": MODEL_RATE, "loglevel": "FATAL"}
        if self.hmm:
            options["hmm"] = self.hmm
        if self.dictionary:
            options["dict"] = self.dictionary
        options.update(self.options)
        try:
            slot = _Slot(Decoder(**options))
            with self._lock:
                self.decoders += 1
            return slot
        except (RuntimeError, ValueError, OSError) as exc:
            raise AsrError(f"pocketsphinx could not load its model (hmm={self.hmm or 'bundled'}"
                           f", dict={self.dictionary or 'bundled'}): {exc}") from exc

    def _take(self, grammar: Grammar | None = None, *, new: bool = False) -> _Slot:
        """An idle decoder (one with `grammar` loaded first), or a new one (always, with
        `new`); with `grammar` given, its search is active."""
        slot = None
        with self._lock:
            if not new:
                slot = next((s for s in reversed(self._idle)
                             if grammar is not None and grammar.name in s.loaded), None)
            if slot is not None:
                self._idle.remove(slot)
            elif self._idle and not new:
                slot = self._idle.pop()
        if slot is None:
            slot = self._new_slot()
        if grammar is not None:
            try:
                self._activate(slot, grammar)
            except BaseException:
                self._give_back(slot)
                raise
        return slot

    def _give_back(self, slot: _Slot) -> None:
        with self._lock:
            self._idle.append(slot)

    def load(self, decoders: int = 1) -> None:
        """Create `decoders` decoders now (they are created on demand otherwise)."""
        slots = [self._take() for _ in range(decoders)]
        for slot in slots:
            self._give_back(slot)

    def grammar(self, task: Task) -> Grammar:
        key = (task.kind, task.phrases, task.digit_bounds if task.kind == "digits" else None)
        with self._lock:
            found = self._grammars.get(key)
        if found is not None:
            return found
        slot = self._take()
        try:
            grammar = build_grammar(task, slot.decoder.lookup_word)
        finally:
            self._give_back(slot)
        with self._lock:
            self._grammars[key] = grammar
        return grammar

    def recognizer(self, task: Task, rate: int) -> SphinxRecognizer:
        check_rate(rate)
        grammar = self.grammar(task)
        self._keep_ready(grammar)
        return SphinxRecognizer(self, task, rate, grammar)

    def _keep_ready(self, grammar: Grammar) -> None:
        """An idle decoder with `grammar` loaded, made now if there is none (see the module
        doc): the recognizer will take it when the caller speaks. The first time, `ready`
        decoders are made: callers who answer together each need one, and making one while
        they speak stalls every call in the process (~0.15 s holding the GIL; 30 calls
        answering their first menu together stalled serve for seconds)."""
        with self._lock:
            missing = self.ready - self.decoders
            if missing <= 0 and any(grammar.name in s.loaded for s in self._idle):
                return
        for _ in range(max(1, missing)):
            self._give_back(self._take(grammar, new=missing > 0))

    def _activate(self, slot: _Slot, grammar: Grammar) -> None:
        decoder = slot.decoder
        if grammar.name not in slot.loaded:
            for word, phones in grammar.extra_words:
                if word not in slot.words:
                    decoder.add_word(word, phones, True)
                    slot.words.add(word)
            decoder.add_jsgf_string(grammar.name, grammar.jsgf)
            slot.loaded[grammar.name] = None
            if len(slot.loaded) > _MAX_LOADED:
                old, _ = slot.loaded.popitem(last=False)
                decoder.remove_search(old)
        else:
            slot.loaded.move_to_end(grammar.name)
        decoder.activate_search(grammar.name)

    def confidence(self, score_per_frame: float) -> float:
        """The logistic map from score per speech frame to [0, 1] (0.35 at reject_score)."""
        offset = math.log(0.35 / 0.65)  # logit of the runtime's MIN_SPEECH_CONFIDENCE
        z = (score_per_frame - self.reject_score) / self.score_scale + offset
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class SphinxRecognizer:
    """One utterance on a pooled decoder (see Recognizer in base.py)."""

    PARTIAL_EVERY = MODEL_RATE // 10  # samples between partial hypotheses (100 ms)

    def __init__(self, engine: SphinxEngine, task: Task, rate: int, grammar: Grammar) -> None:
        self.engine, self.task, self.rate, self.grammar = engine, task, rate, grammar
        self._slot: _Slot | None = None  # taken from the pool at the first audio
        self._finished = False
        self._resampler = StreamResampler(rate, MODEL_RATE)
        self._samples = 0
        self._since_partial = 0
        self._partial = ""
        self._partial_since = 0  # samples when the partial last changed
        self._complete = False
        self._audio = bytearray()  # the utterance at 16 kHz, for the final pass
        self._pause = PauseDetector(engine.quiet_ms)  # complete only once the caller stops
        self.score: float | None = None  # the final answer's score per frame (calibration)

    @property
    def complete(self) -> bool:
        return self._complete

    def _decoder(self) -> Any:
        if self._finished:
            raise RuntimeError("this recognizer has finished")
        if self._slot is None:
            self._slot = self.engine._take(self.grammar)
            if self.engine.partials:
                self._slot.decoder.set_cmn(self.engine.cmn_prior)
                self._slot.decoder.start_utt()
        return self._slot.decoder

    def feed(self, pcm: bytes) -> Hypothesis | None:
        decoder = self._decoder()
        if not pcm:
            return None
        out = self._resampler.push(to_float(pcm))
        if out.size == 0:
            return None
        data = to_pcm(out)
        self._audio += data
        self._samples += out.size
        if not self.engine.partials:
            return None
        self._pause.push(out, MODEL_RATE)
        decoder.process_raw(data, False, False)
        self._since_partial += out.size
        if self._since_partial < self.PARTIAL_EVERY:
            return None
        self._since_partial = 0
        hyp = decoder.hyp()
        text, whole = self.grammar.read(hyp.hypstr if hyp is not None else "")
        if text != self._partial:
            self._partial, self._partial_since = text, self._samples
            self._complete = False
            return Hypothesis(text=text, confidence=0.0, final=False, engine=self.engine.name)
        stable = self._samples - self._partial_since >= self.engine.stable_ms * MODEL_RATE // 1000
        # A whole phrase, unchanged for a while, and the caller quiet: a sentence that is no
        # answer keeps the best path still for as long as its words fit no phrase, so the
        # path alone would end "can I keep my number if I move house" after "number".
        self._complete = (bool(text) and whole and stable and self.grammar.complete(text)
                          and self._pause.quiet_ms >= self.engine.quiet_ms)
        return None

    def finish(self) -> Hypothesis:
        decoder = self._decoder()
        tail = self._resampler.push(np.zeros(0, dtype=np.float32), last=True)
        if tail.size:
            self._audio += to_pcm(tail)
        try:
            if self.engine.partials:
                decoder.end_utt()
            # The answer comes from a pass over the whole utterance, so its cepstral mean is
            # the utterance's own (the streaming pass had to start from a prior).
            audio = bytes(self._audio)
            first = self._pass(decoder, audio)
            if first is None:
                return Hypothesis(text="", confidence=0.0, final=True, engine=self.engine.name)
            self.score = first.score
            confidence = self.engine.confidence(first.score)
            if first.extra_ms >= EXTRA_SPEECH_MS or first.guess or first.stretched:
                confidence = min(confidence, EXTRA_SPEECH_CAP)
            return Hypothesis(text=first.text, confidence=confidence, final=True,
                              alternatives=first.others, engine=self.engine.name)
        finally:
            self._release()

    def _pass(self, decoder: Any, audio: bytes) -> _Pass | None:
        """One batch decode: the best whole answer and its score per frame."""
        decoder.start_utt()
        decoder.process_raw(audio, False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return None
        frames = max(decoder.n_frames(), 1)
        text, whole = self.grammar.read(hyp.hypstr)
        readings = self._readings(decoder)  # whole answers from the lattice, best first
        extra_ms, guess, stretched = 0, False, ""
        if whole:
            score = hyp.score
            # The stretch bound was measured on menu and yes/no answers, not on digit strings
            # (which choose.py sends to Whisper): a digit said slowly is not held to it.
            beyond = _beyond_the_answer(decoder, audio,
                                        stretch=self.grammar.kind != "digits")
            extra_ms, stretched = beyond.extra_ms, beyond.stretched
        elif readings:
            # The best path stopped inside a phrase ("no thank" of "no thank you"): the best
            # whole answer that begins like it comes from the lattice. A whole answer that
            # does not ("balance" for a path "how much" that heard "I want to make a payment")
            # is a guess: the search gave up on every whole answer, and a lattice path's score
            # per frame does not say so (-15, as good as a clear answer).
            going_on = next(((t, sc) for t, sc in readings
                             if self.grammar.continues(t, text)), None)
            guess = going_on is None
            text, score = going_on or readings[0]
        else:
            return None
        others = tuple(dict.fromkeys(t for t, _ in readings if t != text))[:3]
        per_frame = math.log(max(score, 1e-300)) / math.log(LOGBASE) / frames
        return _Pass(text, per_frame, others, extra_ms, guess, stretched)

    def _readings(self, decoder: Any, limit: int = 40) -> list[tuple[str, float]]:
        found: dict[str, float] = {}
        try:
            for n, hyp in enumerate(decoder.nbest()):
                if n >= limit or len(found) >= 4:
                    break
                if hyp is None:
                    continue
                text, whole = self.grammar.read(hyp.hypstr)
                if whole and text not in found:
                    found[text] = hyp.score
        except (RuntimeError, ValueError):  # no lattice for this utterance
            return []
        return list(found.items())

    def cancel(self) -> None:
        if self._slot is None:
            self._finished = True
            return
        if self.engine.partials:
            with contextlib.suppress(RuntimeError):
                self._slot.decoder.end_utt()
        self._audio = bytearray()
        self._release()

    def _release(self) -> None:
        self._finished = True
        slot, self._slot = self._slot, None
        if slot is not None:
            self.engine._give_back(slot)


@dataclass(frozen=True)
class _Beyond:
    """Signs in the best path's segmentation that the caller said more than the answer."""

    extra_ms: int = 0  # speech the path spent in silence or fillers
    stretched: str = ""  # a word of the answer whose speech lasts far longer than the word


def _beyond_the_answer(decoder: Any, audio: bytes, *, stretch: bool = True) -> _Beyond:
    """Speech is a frame SPEECH_DB above the utterance's quietest tenth.

    * Speech in silence or fillers: a grammar has nowhere else to put "report an" of "report
      an outage" or "nah that's everything". On synthesised phone callers no right answer had
      EXTRA_SPEECH_MS of it, 60 % of sentences outside the grammar had more (10-30 dB SNR).
    * A stretched word (if `stretch`): from its first to its last frame of speech, longer than
      STRETCH_MS_PER_PHONE per phone plus STRETCH_SLACK_MS. A turn that ended early (the
      partial was a whole answer for a while) leaves the search little silence after the
      words, so the rest of a sentence goes into the last word: "no that's everything thanks
      bye" was "no service" at 0.75, "service" holding 0.9 s of speech. Speech, not the
      word's frames, because a word ending in a stop ("yep") takes in the silence after it.
      Over the menu and yes/no answers of bench/asr_accuracy.py, both ways a turn ends, no
      right answer came within 130 ms of the bound; 6 of 22 false accepts went past it.
    """
    x = np.frombuffer(audio, dtype="<i2").astype(np.float32)
    n = x.size // FRAME_SAMPLES
    if n < 10:
        return _Beyond()
    energy = 10 * np.log10((x[:n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES) ** 2).mean(1) + 1e-3)
    speech = energy > np.percentile(energy, 10) + SPEECH_DB
    in_words = np.zeros(n, dtype=bool)
    stretched = ""
    try:
        for seg in decoder.seg() or ():
            if seg.word.startswith(("<", "[", "+")):
                continue
            start, end = max(0, seg.start_frame), max(0, seg.end_frame + 1)
            in_words[start:end] = True
            if not stretch or stretched:
                continue
            spoken = np.flatnonzero(speech[start:end])
            phones = decoder.lookup_word(seg.word) or ""
            if spoken.size and phones and (
                    (spoken[-1] - spoken[0] + 1) * 10
                    > len(phones.split()) * STRETCH_MS_PER_PHONE + STRETCH_SLACK_MS):
                stretched = seg.word
    except (RuntimeError, ValueError):  # no segmentation for this utterance
        return _Beyond()
    return _Beyond(int(np.count_nonzero(speech & ~in_words)) * 10, stretched)
