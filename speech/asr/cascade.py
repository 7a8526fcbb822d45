"""A closed grammar first, an open-vocabulary engine when the grammar is not sure.

For menu and yes/no steps: the grammar hears expected answers fast, the open engine confirms
the ones the grammar is unsure of, and hears free speech where the step takes it too (a menu
that also takes intents or open questions, a yes/no question where "an agent please" must still
reach the step's handler). Both recognizers hear the whole utterance; the second one only
buffers audio until it is needed.

At `finish()`:

1. the grammar's answer with a confidence of at least `accept` is taken at once (the open
   engine never runs: most answers to a menu are its phrases, and they cost 20-40 ms);
2. otherwise the open engine glances at the utterance first when it can (Whisper's `glance`:
   a window fitted to the utterance, ~0.1 s). That reading is used when it holds the
   grammar's answer, or any answer of a step that takes no intents (a closed menu or yes/no
   question: nothing but its answers can be taken). At a menu, the open engine then weighs
   the grammar's answer and its runners-up on the glanced audio (Whisper's `weigh`: each
   phrase's likelihood, ~35 ms each): the grammar's answer ranked first, and nearly as
   likely as the glance's own reading, is an agreement. Otherwise the open engine
   transcribes the utterance (~0.7 s). When its reading holds the grammar's answer, the two
   agree: that answer, with at least AGREED_CONFIDENCE (Whisper gives correct one-word
   answers like "Fraud." low confidence). Its text is taken when it contains another answer the step
   knows (a menu phrase, a yes or no) or when it is a longer sentence than the grammar's
   answer (out-of-grammar speech: the runtime's intent matching reads it);
3. otherwise, at a menu, the grammar's answer is taken when the runtime would accept its
   confidence (`MIN_SPEECH_CONFIDENCE`) and Whisper is less sure of its own text, since a
   grammar hears single expected words on a phone line better than Whisper tiny.en ("pay" ->
   "Hey."), while a confidently heard "Hello." is no answer; failing that (and always at a
   yes/no question, where a wrong answer confirms something: "hmm" forced onto "no" at 0.42),
   the open engine's text.

The answer not chosen is kept in `alternatives`. Partial results and `complete` come from the
grammar recognizer. Thread-safety is that of the two engines (both allow concurrent
recognizers).
"""

from __future__ import annotations

import re

from runtime.inputs import MIN_SPEECH_CONFIDENCE
from runtime.normalize import normalize
from speech.asr.base import AsrEngine, Hypothesis, Recognizer, Task, check_rate
from speech.asr.text import words_key

AGREED_CONFIDENCE = 0.6  # at least, when the grammar and the open engine agree


def _words(text: str) -> str:  # as runtime/inputs.py compares menu phrases
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def knows_answer(task: Task, text: str) -> bool:
    """Whether `text` holds an answer the step accepts without intents."""
    if not text.strip():
        return False
    if task.kind == "yes_no":
        return normalize("yes_no", text).value is not None
    if task.kind == "menu":
        said = _words(text)
        return any(re.search(rf"(^| ){re.escape(_words(p))}( |$)", said) for p in task.phrases
                   if _words(p))
    return False


class CascadeEngine:
    """`first` (a grammar engine) backed by `then` (an open-vocabulary engine)."""

    def __init__(self, first: AsrEngine, then: AsrEngine, *, accept: float = 0.6) -> None:
        self.first, self.then, self.accept = first, then, accept
        self.name = f"{first.name}+{then.name}"

    def recognizer(self, task: Task, rate: int) -> CascadeRecognizer:
        check_rate(rate)
        first = self.first.recognizer(task, rate)
        try:
            then = self.then.recognizer(task, rate)
        except BaseException:
            first.cancel()
            raise
        return CascadeRecognizer(self, task, rate, first, then)


class CascadeRecognizer:
    def __init__(self, engine: CascadeEngine, task: Task, rate: int, first: Recognizer,
                 then: Recognizer) -> None:
        self.engine, self.task, self.rate = engine, task, rate
        self._first, self._then = first, then
        self._done = False

    @property
    def complete(self) -> bool:
        return self._first.complete

    def feed(self, pcm: bytes) -> Hypothesis | None:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        self._then.feed(pcm)
        return self._first.feed(pcm)

    def finish(self) -> Hypothesis:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        self._done = True
        try:
            grammar = self._first.finish()
        except BaseException:
            self._then.cancel()
            raise
        if grammar.text and grammar.confidence >= self.engine.accept:
            self._then.cancel()
            return grammar
        heard = self._open_reading(grammar)
        if grammar.text and _agree(self.task, grammar.text, heard.text):
            return _agreed(grammar, heard)
        if knows_answer(self.task, heard.text) or (
                heard.text and len(words_key(heard.text).split())
                > max(2, len(words_key(grammar.text).split()))):
            return _with_alternative(heard, grammar.text)
        if self.task.kind == "menu" and grammar.text \
                and grammar.confidence >= MIN_SPEECH_CONFIDENCE \
                and heard.confidence < grammar.confidence:
            return _with_alternative(grammar, heard.text)
        # A yes or no confirms something (a payment, an identity): when the grammar is unsure
        # and the open engine heard no yes or no ("hmm" forced onto "no"), nothing is taken.
        return _with_alternative(heard, grammar.text)

    def _open_reading(self, grammar: Hypothesis) -> Hypothesis:
        """What the open engine heard: a glance when it can (~0.1 s against ~0.7 s for a
        transcript) and that is enough, else its transcript."""
        glance = getattr(self._then, "glance", None)
        closed = not self.task.intents
        if glance is None or not (closed or grammar.text):
            return self._then.finish()
        seen: Hypothesis = glance()
        # Most unsure grammar answers are right: a glance that holds the same answer confirms
        # it. A step without intents can take nothing but its answers, so any answer in the
        # glance will do. Otherwise the transcript: a glance misses answers a transcript
        # finds (67 against 73 of 80 menu and yes/no answers), and at a step with intents
        # the caller may have said a sentence.
        if (grammar.text and _agree(self.task, grammar.text, seen.text)) or (
                closed and knows_answer(self.task, seen.text)):
            self._then.cancel()
            return seen
        # A menu answer the glance could not spell ("outage" written "Average,") may still be
        # the phrase Whisper finds likeliest for that audio, by far: then the two agree.
        weigh = getattr(self._then, "weigh", None)
        if weigh is not None and self.task.kind == "menu" and grammar.text:
            ranked: Hypothesis | None = weigh(grammar.text, grammar.alternatives)
            if ranked is not None:
                self._then.cancel()
                return ranked
        return self._then.finish()

    def cancel(self) -> None:
        if not self._done:
            self._done = True
            self._first.cancel()
            self._then.cancel()


def _agree(task: Task, grammar_text: str, heard: str) -> bool:
    """Whether the open engine heard an answer of the step, the grammar's own."""
    return knows_answer(task, heard) and _same_answer(task, grammar_text, heard)


def _agreed(grammar: Hypothesis, heard: Hypothesis) -> Hypothesis:
    # Two engines that work nothing alike heard the same answer: trust it more than either
    # (Whisper gives short answers like "Fraud." low confidence).
    both = 1.0 - (1.0 - grammar.confidence) * (1.0 - heard.confidence)
    return Hypothesis(text=grammar.text, confidence=max(both, AGREED_CONFIDENCE), final=True,
                      alternatives=grammar.alternatives, engine=f"{grammar.engine}={heard.engine}")


def _same_answer(task: Task, grammar_text: str, heard: str) -> bool:
    """Whether the open engine's text holds the grammar's answer (the same yes or no)."""
    if task.kind == "yes_no":
        return normalize("yes_no", grammar_text).value == normalize("yes_no", heard).value
    return knows_answer(Task(kind="menu", phrases=(grammar_text,)), heard)


def _with_alternative(hyp: Hypothesis, other: str) -> Hypothesis:
    if not other or other == hyp.text or other in hyp.alternatives:
        return hyp
    return Hypothesis(text=hyp.text, confidence=hyp.confidence, final=hyp.final,
                      alternatives=(*hyp.alternatives, other), engine=hyp.engine)
