"""Rasa behind the runtime's intent interface, with the built-in engine as the fallback.

The session never does I/O, so the call to Rasa happens before the turn: the driver awaits
`prepare(text)` for each caller utterance (`POST /model/parse`), and `rank`/`best`/`parse`
then read that answer. When Rasa is down, slow (over `timeout_s`) or answers nonsense, or the
circuit breaker is open, there is no answer for the text and the built-in engine decides; the
call goes on either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import aiohttp

from nlu.engine import BuiltinEngine
from nlu.rasa.breaker import CircuitBreaker
from nlu.result import Entity, NLUResult
from runtime.intents import OUT_OF_SCOPE_INTENTS, IntentScore

log = logging.getLogger("voxflow.nlu.rasa")
TIMEOUT_S = 0.5  # a turn waits at most this long for Rasa
RASA_THRESHOLD = 0.4  # the FallbackClassifier threshold written into the Rasa config
_CACHE = 64  # answers kept: one turn needs one, a few spare for repeated utterances


class RasaNLU:
    def __init__(self, url: str, fallback: BuiltinEngine, *, timeout_s: float = TIMEOUT_S,
                 breaker: CircuitBreaker | None = None,
                 threshold: float = RASA_THRESHOLD) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self.timeout_s = timeout_s
        self.breaker = breaker or CircuitBreaker()
        self.threshold = threshold
        self.answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.fallbacks = 0  # turns the built-in engine answered, for logs and tests

    async def prepare(self, text: str) -> bool:
        """Ask Rasa about `text` ahead of the turn; False when the fallback will answer."""
        # An older answer for the same words must not stand in for this turn's: without a
        # fresh one, the built-in engine answers.
        self.answers.pop(text, None)
        if not self.breaker.allow():
            self.fallbacks += 1
            return False
        try:
            answer = await asyncio.wait_for(self._post(text), self.timeout_s)
        except (TimeoutError, aiohttp.ClientError, ValueError, OSError) as exc:
            self.breaker.failure()
            self.fallbacks += 1
            log.warning("Rasa did not answer (%s); the built-in NLU takes this turn "
                        "(breaker %s)", type(exc).__name__, self.breaker.state)
            return False
        self.breaker.success()
        self.answers[text] = answer
        self.answers.move_to_end(text)
        while len(self.answers) > _CACHE:
            self.answers.popitem(last=False)
        return True

    async def _post(self, text: str) -> dict[str, Any]:
        # A session per request: the runtime may run turns on different event loops.
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.url}/model/parse", json={"text": text}) as resp:
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
            answer = await resp.json()
        if not isinstance(answer, dict) or not isinstance(answer.get("intent_ranking"), list):
            raise ValueError("no intent_ranking in the answer")
        return answer

    # ---- the runtime's interface ---------------------------------------------------------
    def rank(self, text: str, candidates: Iterable[str] | None = None) -> list[IntentScore]:
        answer = self.answers.get(text)
        if answer is None:
            return self.fallback.rank(text, candidates)
        return _ranking(answer, candidates)

    def best(self, text: str, candidates: Iterable[str] | None = None) -> IntentScore | None:
        if text not in self.answers:
            return self.fallback.best(text, candidates)
        ranked = self.rank(text, candidates)
        return ranked[0] if ranked and ranked[0].confidence >= self.threshold else None

    def parse(self, text: str, candidates: Iterable[str] | None = None, *,
              slot_type: str | None = None) -> NLUResult:
        answer = self.answers.get(text)
        if answer is None:
            result = self.fallback.parse(text, candidates, slot_type=slot_type)
            return NLUResult(text, result.intents, result.intent, result.entities,
                             "builtin (rasa unavailable)")
        ranked = _ranking(answer, candidates)
        intent = ranked[0] if ranked and ranked[0].confidence >= self.threshold else None
        # Rasa's own entities first; typed values (Rasa has no Duckling here) from ours.
        entities = [_entity(e, text) for e in answer.get("entities") or []
                    if isinstance(e, dict)]
        for extra in self.fallback.entities.extract(text, slot_type):
            if all(extra.end <= e.start or extra.start >= e.end for e in entities):
                entities.append(extra)
        return NLUResult(text, tuple(ranked), intent,
                         tuple(sorted(entities, key=lambda e: (e.start, e.end))), "rasa")


def _ranking(answer: dict[str, Any], candidates: Iterable[str] | None) -> list[IntentScore]:
    wanted = None if candidates is None else set(candidates)
    ranked = [IntentScore(str(r.get("name")), round(float(r.get("confidence") or 0.0), 6))
              for r in answer.get("intent_ranking") or [] if isinstance(r, dict)]
    ranked = [s for s in ranked if s.intent not in OUT_OF_SCOPE_INTENTS
              and (wanted is None or s.intent in wanted)]
    ranked.sort(key=lambda s: (-s.confidence, s.intent))
    return ranked


def _entity(e: dict[str, Any], text: str) -> Entity:
    start, end = int(e.get("start") or 0), int(e.get("end") or 0)
    value = e.get("value")
    if not isinstance(value, str | int | float | bool):
        value = str(value)
    return Entity(str(e.get("entity")), value, start, end, text[start:end], "rasa")
