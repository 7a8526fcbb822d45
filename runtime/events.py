"""What happens to a call, as the session sees it. Drivers create these; `at` is their clock.

Every event is a frozen dataclass with a `type` literal, so a call's log serialises to JSON and
reads back (`event_from_json`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True)
class CallStarted:
    type: Literal["call_started"] = "call_started"
    at: float = 0.0  # seconds since the epoch (the driver's clock); the session has none
    caller: str = ""
    called: str = ""
    language: str = ""
    variables: dict[str, Any] = field(default_factory=dict)  # channel variables: caller.*
    env: dict[str, str] = field(default_factory=dict)  # deployment settings: env.*


@dataclass(frozen=True, kw_only=True)
class KeyPressed:
    type: Literal["key_pressed"] = "key_pressed"
    at: float = 0.0
    key: str = ""  # "0"-"9", "star", "pound"


@dataclass(frozen=True, kw_only=True)
class Speech:
    type: Literal["speech"] = "speech"
    at: float = 0.0
    text: str = ""
    confidence: float = 1.0
    final: bool = True
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NoInput:
    """The recogniser heard nothing it could use (a driver may also let the timer fire)."""

    type: Literal["no_input"] = "no_input"
    at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class PlaybackFinished:
    type: Literal["playback_finished"] = "playback_finished"
    at: float = 0.0
    playback_id: str = ""
    interrupted: bool = False
    position_ms: int = 0


@dataclass(frozen=True, kw_only=True)
class TimerFired:
    type: Literal["timer_fired"] = "timer_fired"
    at: float = 0.0
    timer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class FetchResult:
    type: Literal["fetch_result"] = "fetch_result"
    at: float = 0.0
    request_id: str = ""
    ok: bool = False
    status: int = 0
    body: Any = None
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class HookResult:
    type: Literal["hook_result"] = "hook_result"
    at: float = 0.0
    request_id: str = ""
    ok: bool = False
    value: Any = None
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class KnowledgeResult:
    type: Literal["knowledge_result"] = "knowledge_result"
    at: float = 0.0
    request_id: str = ""
    answer: str = ""  # "" when nothing was found
    confidence: float = 0.0
    source: str = ""  # article or FAQ id
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordResult:
    type: Literal["record_result"] = "record_result"
    at: float = 0.0
    request_id: str = ""
    ok: bool = False
    uri: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, kw_only=True)
class HandoffOutcome:
    type: Literal["handoff_outcome"] = "handoff_outcome"
    at: float = 0.0
    request_id: str = ""
    ok: bool = True
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class HungUp:
    type: Literal["hung_up"] = "hung_up"
    at: float = 0.0


Event = (CallStarted | KeyPressed | Speech | NoInput | PlaybackFinished | TimerFired | FetchResult
         | HookResult | KnowledgeResult | RecordResult | HandoffOutcome | HungUp)

EVENT_TYPES: dict[str, type] = {cls.type: cls for cls in (  # type: ignore[attr-defined]
    CallStarted, KeyPressed, Speech, NoInput, PlaybackFinished, TimerFired, FetchResult,
    HookResult, KnowledgeResult, RecordResult, HandoffOutcome, HungUp)}


def event_to_json(event: Event) -> dict[str, Any]:
    return asdict(event)


def event_from_json(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES[data["type"]]
    fields = dict(data)
    if "alternatives" in fields:
        fields["alternatives"] = tuple(fields["alternatives"])
    return cls(**fields)
