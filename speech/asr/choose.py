"""Which engine hears an input step: the policy, from what the step expects (`Task`).

The default policy, chosen by measurement (bench/asr_accuracy.py, docs/benchmarks.md: synthesised
8 kHz mu-law callers at 10-30 dB SNR):

* menu phrases (or a `choice`) -> sphinx grammar: 20-40 ms, near perfect at 30 dB; Whisper
  tiny.en misreads single words on a phone line ("pay" -> "Hey.").
* yes / no -> sphinx grammar, as menus.
* digits and phone numbers -> whisper restricted to digit words, N-best by length: 95 % of
  8-digit strings exact, against 16 % for a digit grammar (the phone band loses the high
  frequencies "six" and "seven" need). Decoded at pauses too, so `complete` fires at the last
  digit.
* open questions, dates, amounts, free text -> whisper, prompted with the step's phrases and
  hints: only an open vocabulary can.
* every menu and yes/no step -> cascade (cascade.py): sphinx, then whisper when sphinx is
  below `accept` (0.6). The grammar scores short answers on a phone line unevenly ("yes" at
  0.3 while right), and a second engine that hears the same answer confirms it; in steps that
  take intents (handlers such as "on intent agent_request", an open `question` choice) other
  speech reaches Whisper, whose text the runtime's intent matching reads. 98 % of menu answers
  and 100 % of yes/no answers, 35 ms p50 when the grammar is sure, ~0.7 s when Whisper is
  asked.
* anything, when a Vosk model is configured -> vosk: the deployment supplied a model for its
  language (grammar mode for closed steps, free decoding for open ones).

Configuration: `AsrPolicy(...)` fields, or the environment through `AsrPolicy.from_env()`:
VOXFLOW_VOSK_MODEL (a Vosk model folder: vosk for every step), VOXFLOW_ASR_MENU,
VOXFLOW_ASR_YES_NO, VOXFLOW_ASR_DIGITS, VOXFLOW_ASR_OPEN (each "sphinx", "whisper" or "vosk"),
VOXFLOW_ASR_FALLBACK ("whisper", or "none" to hear only the grammar in closed steps) and
VOXFLOW_ASR_ACCEPT (the grammar confidence a cascade takes without asking Whisper, 0-1) and
VOXFLOW_WHISPER_REPLICAS (Whisper decodes that may run at once, one core each; default 2) and
VOXFLOW_SPHINX_DECODERS (grammar decoders made before the first call, one per caller who may
speak at the same moment, ~27 MB each; default 8).

Engines are created once per process per configuration and shared (see each engine for what
may run concurrently); `engine_for` and `recognizer_for` may be called from any thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from speech.asr.base import AsrEngine, AsrError, Recognizer, Task
from speech.asr.cascade import CascadeEngine

if TYPE_CHECKING:
    from runtime.actions import Listen

ENGINES = ("sphinx", "whisper", "vosk")
CLOSED_ENGINES = ("sphinx", "vosk")  # engines that take a grammar; whisper takes any task


@dataclass(frozen=True, kw_only=True)
class AsrPolicy:
    """Engine names per kind of task (see the module doc)."""

    menu: str = "sphinx"
    yes_no: str = "sphinx"
    digits: str = "whisper"
    open: str = "whisper"
    fallback: str = "whisper"  # for closed steps (menus, yes/no); "" or "none": no fallback
    accept: float = 0.6  # a cascade takes the grammar's answer from this confidence on
    vosk_model: str | None = None  # set: vosk hears every step
    whisper_digit_partials: bool = True  # decode digits at pauses so `complete` can fire
    # Whisper decodes that run at once (CTranslate2 model replicas, one core each): callers
    # answering together would otherwise queue behind one decode (~0.7 s each).
    whisper_replicas: int = 2
    # pocketsphinx decoders made before the first call (~27 MB each): one per caller who may
    # be speaking at the same moment; more are made as needed, each stalling the process.
    sphinx_decoders: int = 8

    def __post_init__(self) -> None:
        for name in ("menu", "yes_no", "digits", "open"):
            value = getattr(self, name)
            if value not in ENGINES:
                raise AsrError(f"unknown speech engine {value!r} for {name} steps: one of "
                               f"{', '.join(ENGINES)}")
        if self.open == "sphinx":
            raise AsrError("sphinx needs a grammar: it cannot hear open questions")
        if self.fallback not in ("", "none", *ENGINES):
            raise AsrError(f"unknown fallback engine {self.fallback!r}")
        if not 0.0 <= self.accept <= 1.0:
            raise AsrError(f"accept must be between 0 and 1, not {self.accept}")
        if not 1 <= self.whisper_replicas <= 64:
            raise AsrError(f"whisper replicas must be 1-64, not {self.whisper_replicas}")
        if not 1 <= self.sphinx_decoders <= 512:
            raise AsrError(f"sphinx decoders must be 1-512, not {self.sphinx_decoders}")
        uses_vosk = "vosk" in (self.menu, self.yes_no, self.digits, self.open, self.fallback)
        if uses_vosk and not self.vosk_model:
            raise AsrError("the vosk engine needs a model folder: set VOXFLOW_VOSK_MODEL")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AsrPolicy:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        vosk_model = env.get("VOXFLOW_VOSK_MODEL", "").strip()
        if vosk_model:
            values.update(vosk_model=vosk_model, menu="vosk", yes_no="vosk", digits="vosk",
                          open="vosk", fallback="none")
        for name in ("menu", "yes_no", "digits", "open", "fallback"):
            value = env.get(f"VOXFLOW_ASR_{name.upper()}", "").strip().lower()
            if value:
                values[name] = value
        for field, var, kind, what in (("accept", "VOXFLOW_ASR_ACCEPT", float, "a number"),
                                       ("whisper_replicas", "VOXFLOW_WHISPER_REPLICAS", int,
                                        "a whole number"),
                                       ("sphinx_decoders", "VOXFLOW_SPHINX_DECODERS", int,
                                        "a whole number")):
            raw = env.get(var, "").strip()
            if raw:
                try:
                    values[field] = kind(raw)
                except ValueError:
                    raise AsrError(f"{var} must be {what}, not {raw!r}") from None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def engine_name(self, task: Task) -> str:
        """The engine (or "first+then" cascade) that hears `task`."""
        name = {"menu": self.menu, "yes_no": self.yes_no, "digits": self.digits,
                "open": self.open}[task.kind]
        fallback = "" if self.fallback in ("", "none") else self.fallback
        if task.kind in ("menu", "yes_no") and name in CLOSED_ENGINES \
                and fallback and fallback != name:
            return f"{name}+{fallback}"
        return name

    def engine_for(self, task: Task) -> AsrEngine:
        """The shared engine for `task` (what speech/listener.py's EnginePicker asks)."""
        return engine_for(task, self)


_lock = threading.Lock()
_engines: dict[tuple[str, AsrPolicy], AsrEngine] = {}


def _single(name: str, policy: AsrPolicy, *, digits: bool = False) -> AsrEngine:
    key = (f"{name}:digits" if digits and name == "whisper" else name, policy)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            if name == "sphinx":
                from speech.asr.sphinx import SphinxEngine

                engine = SphinxEngine(ready=policy.sphinx_decoders)
            elif name == "whisper":
                from speech.asr.whisper import WhisperEngine

                engine = WhisperEngine(partials=digits and policy.whisper_digit_partials,
                                       num_workers=policy.whisper_replicas)
            elif name == "vosk":
                from speech.asr.vosk import VoskEngine

                engine = VoskEngine(policy.vosk_model)
            else:  # pragma: no cover - AsrPolicy validates names
                raise AsrError(f"unknown speech engine {name!r}")
            _engines[key] = engine
        return engine


def engine_for(task: Task, policy: AsrPolicy | None = None) -> AsrEngine:
    """The shared engine that hears `task` under `policy` (default: from the environment)."""
    policy = policy or AsrPolicy.from_env()
    name = policy.engine_name(task)
    if "+" in name:
        first, then = name.split("+", 1)
        key = (name, policy)
        with _lock:
            engine = _engines.get(key)
        if engine is None:
            engine = CascadeEngine(_single(first, policy), _single(then, policy),
                                   accept=policy.accept)
            with _lock:
                engine = _engines.setdefault(key, engine)
        return engine
    return _single(name, policy, digits=task.kind == "digits")


def recognizer_for(listen: Listen, rate: int, policy: AsrPolicy | None = None) -> Recognizer:
    """A recognizer for one utterance of the input step that `listen` started."""
    task = Task.from_listen(listen)
    return engine_for(task, policy).recognizer(task, rate)
