"""The streaming speech-recognition interface every engine implements.

One `Recognizer` hears one utterance: the caller of this API (the media bridge) runs voice
activity detection, starts a recognizer when the caller starts speaking, feeds it the audio at
the call's rate as it arrives, and calls `finish()` at the end of speech. What the step expects
travels as a `Task`, built from the runtime's `Listen` action, so an engine can constrain itself
(a grammar of the menu's phrases, a digit string of the expected length) instead of transcribing
open text and hoping.

Audio is L16: little-endian signed 16-bit mono PCM, at 8000 or 16000 Hz (what FreeSWITCH
sends). Text comes out in the form `runtime/normalize.py` and the runtime's menu matching accept:
lower case words for phrases and yes/no answers (a matched menu phrase is returned exactly as the
flow wrote it), a plain digit string ("22211100") for digit tasks, and ordinary transcribed text
for open questions. An empty text means nothing usable was heard; a confidence below the
runtime's `MIN_SPEECH_CONFIDENCE` (0.35) means the engine doubts its answer (out-of-grammar
speech): both go down the runtime's no-match path.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from runtime.actions import Listen

TaskKind = Literal["menu", "yes_no", "digits", "open"]
KINDS: tuple[str, ...] = ("menu", "yes_no", "digits", "open")
RATES = (8000, 16000)

# Slot types (runtime/normalize.py) that are closed sets of spoken answers.
_YES_NO_TYPES = ("yes_no", "boolean")
_DIGIT_TYPES = ("digits", "phone")
# Words that help an open-vocabulary engine with the typed questions it transcribes. Not the
# months for dates: Whisper tiny.en prompted with the twelve of them continues the list
# ("the fourth of July ..." -> "4 July 1985" at 0.4, "September, July, January, ...", "the
# fifth" -> "1st"); unprompted it writes "the fourth of July 1985." (bench/asr_turns.py).
# (Amounts have no words here: speech/asr/whisper.py shows Whisper how to write them.)
_TYPE_HINTS: dict[str, tuple[str, ...]] = {
    "time": ("a.m.", "p.m.", "o'clock"),
}
PHONE_DIGITS = (7, 15)  # what runtime/normalize.py accepts for a phone number without bounds
DIGITS_BOUNDS = (1, 20)  # a digit string without bounds in the flow


class AsrError(Exception):
    """A recognition engine cannot work as configured (model missing, bad directory, ...)."""


@dataclass(frozen=True, kw_only=True)
class Task:
    """What an input step expects to hear.

    kind: "menu" (one of `phrases`), "yes_no", "digits" (`min_digits`..`max_digits` digits) or
    "open" (free speech; `hints` are words likely to be said). `intents` are the intents the
    step also accepts ("an agent please" at any step): a closed grammar alone cannot hear them,
    so the engine policy (choose.py) gives such steps an open-vocabulary fallback.
    """

    kind: TaskKind = "open"
    phrases: tuple[str, ...] = ()
    min_digits: int | None = None
    max_digits: int | None = None
    hints: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    slot_type: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown task kind {self.kind!r}: one of {', '.join(KINDS)}")
        if self.kind == "menu" and not any(p.strip() for p in self.phrases):
            raise ValueError("a menu task needs at least one phrase")
        lo, hi = self.min_digits, self.max_digits
        if (lo is not None and lo < 1) or (hi is not None and hi < 1):
            raise ValueError(f"digit bounds must be positive: {lo}..{hi}")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_digits {lo} is more than max_digits {hi}")

    @property
    def digit_bounds(self) -> tuple[int, int]:
        """(min, max) digits for a digits task, defaults filled in as the runtime does."""
        if self.slot_type == "phone":
            lo, hi = PHONE_DIGITS
        else:
            lo, hi = DIGITS_BOUNDS
        lo = self.min_digits if self.min_digits is not None else lo
        hi = self.max_digits if self.max_digits is not None else max(hi, lo)
        return lo, hi

    @classmethod
    def from_listen(cls, listen: Listen, hints: tuple[str, ...] = ()) -> Task:
        """The task for a runtime `Listen` action (what the compiler's `Expect` says), with
        `hints` (the bot's words for the step, speech/vocabulary.py) after the step's own."""
        task = cls._from_listen(listen)
        extra = tuple(h for h in hints if h not in task.hints)
        return dataclasses.replace(task, hints=task.hints + extra) if extra else task

    @classmethod
    def _from_listen(cls, listen: Listen) -> Task:
        slot = listen.slot_type
        intents = tuple(listen.intents)
        if slot in _YES_NO_TYPES:
            return cls(kind="yes_no", phrases=tuple(listen.phrases) or ("yes", "no"),
                       intents=intents, slot_type=slot)
        if slot in _DIGIT_TYPES:
            return cls(kind="digits", min_digits=listen.min_digits,
                       max_digits=listen.max_digits, intents=intents, slot_type=slot)
        phrases = tuple(p for p in listen.phrases if p.strip())
        if slot in ("", "choice") and phrases:
            return cls(kind="menu", phrases=phrases, hints=phrases, intents=intents,
                       slot_type=slot)
        return cls(kind="open", phrases=phrases, hints=phrases + _TYPE_HINTS.get(slot, ()),
                   intents=intents, slot_type=slot)


@dataclass(frozen=True, kw_only=True)
class Hypothesis:
    """What was heard. `final` is False for partial results (while audio still arrives);
    `alternatives` are other readings, best first, not including `text`; `engine` names who
    produced it (for logs and benchmarks)."""

    text: str
    confidence: float
    final: bool
    alternatives: tuple[str, ...] = ()
    engine: str = ""


NOTHING = Hypothesis(text="", confidence=0.0, final=True)


@runtime_checkable
class Recognizer(Protocol):
    """One utterance. Not thread-safe: feed, finish and cancel it from one thread at a time
    (the calls may come from different threads, one after another).

    `feed` takes the next chunk of audio (any length; 20 ms frames are typical) at the rate
    the recognizer was made for and returns a partial Hypothesis when the engine has a new one,
    else None. `complete` turns True once the answer is already whole (the last expected digit,
    a menu phrase that is not the start of a longer phrase): the caller may then end the turn
    at once instead of waiting out the end-of-speech silence, and call `finish()`. `finish()`
    returns the final Hypothesis and releases what the recognizer holds; `cancel()` releases it
    without a result (hang-up). After either, the recognizer is spent.
    """

    task: Task
    rate: int

    @property
    def complete(self) -> bool: ...

    def feed(self, pcm: bytes) -> Hypothesis | None: ...

    def finish(self) -> Hypothesis: ...

    def cancel(self) -> None: ...


@runtime_checkable
class AsrEngine(Protocol):
    """A speech recognizer for tasks. Models load once per process and are shared by every
    recognizer; `recognizer()` may be called from several threads at once, and recognizers of
    one engine may run concurrently in different threads (each engine says what it serialises).
    """

    name: str

    def recognizer(self, task: Task, rate: int) -> Recognizer: ...


def check_rate(rate: int) -> None:
    if rate not in RATES:
        raise ValueError(f"unsupported sample rate {rate} Hz: calls carry 8000 or 16000")


def ir_input_nodes(ir: Any) -> list[dict[str, Any]]:
    """Every input step of a compiled IR (the nodes with an `expect`), in document order:
    what the benches and tests ask the recognizers for."""
    found: list[dict[str, Any]] = []
    stack = [ir]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("expect"):
                found.append(node)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found


def listen_of(node: dict[str, Any]) -> Listen:
    """The `Listen` the runtime sends for an IR input node (what its `expect` says)."""
    from runtime.actions import Listen

    exp = node["expect"]
    return Listen(step=node.get("id", ""), key_set=tuple(exp.get("keys", ())),
                  phrases=tuple(exp.get("phrases", ())), intents=tuple(exp.get("intents", ())),
                  slot_type=exp.get("slot_type", ""), min_digits=exp.get("min_digits"),
                  max_digits=exp.get("max_digits"))
