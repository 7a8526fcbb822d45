"""The port to the telephone switch: what the agent service asks of it.

The media bridge implements `Switch` over FreeSWITCH's Event Socket (`uuid_bridge` /
`uuid_transfer` / `originate`, with `BridgeRequest.variables()` set on the channel so the
handoff id travels with the call); `MemorySwitch` is the in-memory one for tests and the demo.
What the switch learns goes back to the service as calls: `AgentService.hung_up(call_id)`,
`bridge_failed(call_id, cause, offer_id=...)` (the agent's phone did not take the call: the
caller, still on the line, waits again; `caller_gone=True` with `CALLER_HUNG_UP` when the
caller hung up while the phone rang), `originate_result(offer_id, answered)`,
`callback_accepted(call_id, number)`, `voicemail_chosen(call_id)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agents import commands as C
from agents.events import CALLER_HUNG_UP

if TYPE_CHECKING:
    from agents.service import AgentService

# Router commands meant for the waiting caller: what they hear, or where their leg goes.
CallerCommand = (C.Announce | C.OfferCallback | C.CallbackScheduled | C.ToVoicemail
                 | C.Disconnect | C.Rejected | C.ConnectFailed)


class SwitchError(Exception):
    """The switch could not do what was asked; the message says what happened."""


class CallerGone(SwitchError):
    """`bridge` failed and the caller is no longer there to wait again (they hung up, or their
    line could not be given back its audio): the call ends rather than going back to queue."""


# What a failed bridge's cause (FreeSWITCH's hangup cause names, as in
# `originate_disposition`) means for the agent: their not-ready reason (or, for a caller who
# hung up while the phone rang, what their desktop says happened). Short: the desktop and the
# wallboard show it.
FAILURE_REASONS = {
    CALLER_HUNG_UP: "Caller hung up while the phone rang",
    "NO_ANSWER": "Phone did not answer",
    "NO_USER_RESPONSE": "Phone did not answer",
    "ALLOTTED_TIMEOUT": "Phone did not answer",
    "USER_BUSY": "Phone was busy",
    "CALL_REJECTED": "Phone rejected the call",
    "USER_NOT_REGISTERED": "Phone is not registered",
    "SUBSCRIBER_ABSENT": "Phone is not registered",
    "UNALLOCATED_NUMBER": "Phone endpoint does not exist",
    "NO_ROUTE_DESTINATION": "Phone endpoint does not exist",
    "INVALID_NUMBER_FORMAT": "Phone endpoint does not exist",
}
CAUSE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")


def clean_cause(cause: str) -> str:
    """A cause as the records keep it: FreeSWITCH's upper-case word, or "" for anything else
    (it came from the switch's events: never stored or shown as it arrived)."""
    cause = cause.strip().upper()
    return cause if CAUSE_RE.fullmatch(cause) else ""


def failure_reason(cause: str) -> str:
    """The agent's not-ready reason after a bridge failed with `cause`."""
    cause = clean_cause(cause)
    if cause in FAILURE_REASONS:
        return FAILURE_REASONS[cause]
    return f"Phone could not be reached ({cause})" if cause else "Phone could not be connected"


@dataclass(frozen=True, kw_only=True)
class BridgeRequest:
    """Connect the waiting caller (`call_id`, the switch's channel uuid) to an agent."""

    call_id: str
    agent: str
    endpoint: str  # where the agent answers: a dial string such as user/1001
    queue: str
    handoff_id: str
    offer_id: str

    def variables(self) -> dict[str, str]:
        """Channel variables to set before bridging: the agent's phone and the CDRs get them."""
        return {"voxflow_handoff_id": self.handoff_id, "voxflow_call_id": self.call_id,
                "voxflow_queue": self.queue, "voxflow_agent": self.agent,
                "voxflow_offer_id": self.offer_id}


@dataclass(frozen=True, kw_only=True)
class OriginateRequest:
    """A callback: call the customer on `number` and bridge them to the reserved agent; say
    how it went with `AgentService.originate_result(offer_id, answered)`."""

    call_id: str
    offer_id: str
    agent: str
    endpoint: str
    queue: str
    number: str
    handoff_id: str
    attempt: int


class Switch(Protocol):
    async def bridge(self, request: BridgeRequest) -> None:
        """Bridge the caller to the agent. Raise `SwitchError` if it cannot be done and the
        caller waits on (the service reports `bridge_failed`), `CallerGone` if the caller is
        gone; a bridge that fails later (the agent's phone does not answer) is reported with
        `AgentService.bridge_failed`, with the caller waiting again."""

    async def originate(self, request: OriginateRequest) -> None: ...

    async def cancel_originate(self, offer_id: str, call_id: str) -> None: ...

    async def hangup(self, call_id: str) -> None:
        """The agent ended the call from the desktop; report it with `hung_up` as usual."""

    async def tell_caller(self, command: CallerCommand) -> None:
        """Play the announcement, offer the callback, or send the caller's leg where the
        command says (voicemail, disconnect; a rejected handoff goes back to the bot's
        `on error`; after a failed bridge, the caller waits again)."""


@dataclass
class MemorySwitch:
    """A switch in memory: it records every request, and reports hang-ups and failed bridges
    back at once when `service` is set (as the real one would, a moment later)."""

    service: AgentService | None = None
    requests: list[tuple[str, Any]] = field(default_factory=list)
    fail_bridge: str = ""  # when set, `bridge` raises SwitchError with this text
    # Endpoints whose phone does not answer: `bridge` reports `bridge_failed` (NO_ANSWER).
    no_answer: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)  # call ids whose caller hung up: CallerGone

    def sent(self, kind: str) -> list[Any]:
        return [payload for k, payload in self.requests if k == kind]

    async def bridge(self, request: BridgeRequest) -> None:
        self.requests.append(("bridge", request))
        if request.call_id in self.gone:
            raise CallerGone("the caller hung up")
        if self.fail_bridge:
            raise SwitchError(self.fail_bridge)
        if request.endpoint in self.no_answer and self.service is not None:
            self.service.bridge_failed(request.call_id, "NO_ANSWER", offer_id=request.offer_id)

    async def originate(self, request: OriginateRequest) -> None:
        self.requests.append(("originate", request))

    async def cancel_originate(self, offer_id: str, call_id: str) -> None:
        self.requests.append(("cancel_originate", (offer_id, call_id)))

    async def hangup(self, call_id: str) -> None:
        self.requests.append(("hangup", call_id))
        if self.service is not None:
            self.service.hung_up(call_id)

    async def tell_caller(self, command: CallerCommand) -> None:
        self.requests.append((command.type, command))
