"""A session's whole state as plain data: it serialises to JSON and restores exactly."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SNAPSHOT_VERSION = 1


@dataclass
class InputState:
    """The input step being asked: its counters survive re-prompts and handler detours."""

    flow: str
    node: str  # node id of the menu / ask / record
    step: str  # name of the enclosing step (for step-level handlers)
    noinput: int = 0
    nomatch: int = 0
    phase: str = "prompt"  # prompt (playing) | listening | confirm | recording
    playback: str = ""  # id of the prompt's last Play, whose end starts the no-input timer
    timer: str = ""  # id of the running no-input or inter-digit timer
    digits: str = ""
    held_keys: list[str] = field(default_factory=list)  # keys pressed during a no-barge prompt
    candidate: Any = None  # value awaiting confirmation
    request: str = ""  # record request id


@dataclass
class Wait:
    kind: str  # fetch | hook | knowledge | record | handoff
    flow: str
    node: str
    request_id: str


@dataclass
class SessionState:
    frames: list[list[Any]] = field(default_factory=list)  # [flow, block key, next index]
    call_marks: list[int] = field(default_factory=list)  # frame depth at each `call`
    flow: str = ""  # the flow whose step runs now
    step: str = ""  # name of the step that runs now
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive: list[str] = field(default_factory=list)
    caller: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    language: str = ""
    now: float = 0.0
    seq: int = 0
    input: InputState | None = None
    wait: Wait | None = None
    parked: dict[str, InputState] = field(default_factory=dict)  # input steps a handler paused
    typeahead: list[str] = field(default_factory=list)
    swallow_key: str = ""  # a terminator pressed after a complete entry is dropped
    last_utterance: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    consulted: list[dict[str, Any]] = field(default_factory=list)
    started: bool = False
    closing: bool = False  # the caller hung up; the `on hangup` handler is running
    ended: str = ""  # why the bot's part of the call ended: flow, handoff, caller, error, failure
    errors_handled: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"version": SNAPSHOT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionState:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version {data.get('version')!r} is not supported")
        fields = {k: v for k, v in data.items() if k != "version"}
        if fields.get("input"):
            fields["input"] = InputState(**fields["input"])
        fields["parked"] = {k: InputState(**v) for k, v in fields.get("parked", {}).items()}
        if fields.get("wait"):
            fields["wait"] = Wait(**fields["wait"])
        return cls(**fields)
