"""What an NLU engine answers for one utterance, and the interface every engine offers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from runtime.intents import IntentScore


@dataclass(frozen=True)
class Entity:
    entity: str  # a typed name (digits, currency, ...), a regex or lookup name, or Rasa's
    value: str | int | float | bool  # normalised: synonyms applied, typed values parsed
    start: int  # character offsets into the utterance
    end: int
    text: str  # the words it came from
    extractor: str  # typed | regex | lookup | rasa

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "value": self.value, "start": self.start,
                "end": self.end, "text": self.text, "extractor": self.extractor}


@dataclass(frozen=True)
class NLUResult:
    text: str
    intents: tuple[IntentScore, ...]  # best first, confidences calibrated (0..1)
    intent: IntentScore | None  # the top intent when it reaches the threshold, else None
    entities: tuple[Entity, ...]
    engine: str  # "builtin", "rasa", or "builtin (rasa unavailable)"

    @property
    def out_of_scope(self) -> bool:
        return self.intent is None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text, "engine": self.engine, "out_of_scope": self.out_of_scope,
            "intent": None if self.intent is None else self.intent.intent,
            "confidence": None if self.intent is None else self.intent.confidence,
            "intents": [{"intent": s.intent, "confidence": s.confidence} for s in self.intents],
            "entities": [e.to_json() for e in self.entities],
        }


class NLU(Protocol):
    """The NLU interface: the runtime's `IntentMatcher` (`rank`, `best`) plus `parse`."""

    def rank(self, text: str, candidates: Iterable[str] | None = None) -> list[IntentScore]: ...

    def best(self, text: str, candidates: Iterable[str] | None = None) -> IntentScore | None: ...

    def parse(self, text: str, candidates: Iterable[str] | None = None, *,
              slot_type: str | None = None) -> NLUResult:
        """Ranked intents (limited to `candidates` when given), out-of-scope, and entities;
        `slot_type` is what the current step expects: its value is extracted first."""
        ...
