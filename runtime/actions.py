"""What the session asks a driver to do. Frozen, typed, JSON-serialisable, no behaviour."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True)
class Play:
    type: Literal["play"] = "play"
    playback_id: str = ""
    text: str = ""
    audio: str = ""  # a recording to play instead of text
    language: str = ""
    voice: str = ""
    barge_in: bool = True
    cacheable: bool = True  # static text (no interpolation): synthesise once, ahead of time
    pause_ms: int = 0  # silence after the text


@dataclass(frozen=True, kw_only=True)
class Listen:
    """Start recognising input for an input step; what it expects comes from the IR."""

    type: Literal["listen"] = "listen"
    step: str = ""  # node id
    keys: bool = True
    speech: bool = True
    key_set: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    slot_type: str = ""
    min_digits: int | None = None
    max_digits: int | None = None
    terminator: str | None = None
    noinput_ms: int = 5000
    interdigit_ms: int = 3000
    sensitive: bool = False


@dataclass(frozen=True, kw_only=True)
class StopListening:
    type: Literal["stop_listening"] = "stop_listening"


@dataclass(frozen=True, kw_only=True)
class StopPlayback:
    type: Literal["stop_playback"] = "stop_playback"


@dataclass(frozen=True, kw_only=True)
class StartTimer:
    type: Literal["start_timer"] = "start_timer"
    timer_id: str = ""
    ms: int = 0


@dataclass(frozen=True, kw_only=True)
class CancelTimer:
    type: Literal["cancel_timer"] = "cancel_timer"
    timer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Fetch:
    type: Literal["fetch"] = "fetch"
    request_id: str = ""
    method: str = "GET"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    timeout_ms: int = 5000
    retries: int = 0


@dataclass(frozen=True, kw_only=True)
class RunHook:
    type: Literal["run_hook"] = "run_hook"
    request_id: str = ""
    hook: str = ""
    args: tuple[Any, ...] = ()
    timeout_ms: int = 2000


@dataclass(frozen=True, kw_only=True)
class AskKnowledge:
    type: Literal["ask_knowledge"] = "ask_knowledge"
    request_id: str = ""
    collection: str = ""
    question: str = ""
    min_confidence: float = 0.5


@dataclass(frozen=True, kw_only=True)
class ContextField:
    name: str
    value: Any
    type: str  # the compiler's type: digits, currency, text, json, ...
    sensitive: bool = False  # screens and logs mask it unless the viewer may see it


@dataclass(frozen=True, kw_only=True)
class Handoff:
    type: Literal["handoff"] = "handoff"
    request_id: str = ""
    queue: str = ""
    reason: str = ""
    priority: str = "normal"
    context: tuple[ContextField, ...] = ()
    summary: str = ""
    transcript: tuple[dict[str, Any], ...] = ()  # the bot conversation, turn by turn
    consulted: tuple[dict[str, Any], ...] = ()  # knowledge articles used
    slots: tuple[ContextField, ...] = ()  # every slot collected, sensitive ones marked


@dataclass(frozen=True, kw_only=True)
class Record:
    type: Literal["record"] = "record"
    request_id: str = ""
    max_ms: int = 120_000
    beep: bool = True


@dataclass(frozen=True, kw_only=True)
class Hangup:
    type: Literal["hangup"] = "hangup"
    reason: str = ""  # flow | error | caller | failure


Action = (Play | Listen | StopListening | StopPlayback | StartTimer | CancelTimer | Fetch
          | RunHook | AskKnowledge | Handoff | Record | Hangup)


def action_to_json(action: Action) -> dict[str, Any]:
    return asdict(action)
