"""The port to the telephone switch: what the agent service asks of it.

The media bridge implements `Switch` over FreeSWITCH's Event Socket (`uuid_bridge` /
`uuid_transfer` / `originate`, with `BridgeRequest.variables()` set on the channel so the
handoff id travels with the call); `MemorySwitch` is the in-memory one for tests and the demo.
What the switch learns goes back to the service as calls: `AgentService.hung_up(call_id)`,
`originate_result(offer_id, answered)`, `callback_accepted(call_id, number)`,
`voicemail_chosen(call_id)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agents import commands as C

if TYPE_CHECKING:
    from agents.service import AgentService

# Router commands meant for the waiting caller: what they hear, or where their leg goes.
CallerCommand = (C.Announce | C.OfferCallback | C.CallbackScheduled | C.ToVoicemail
                 | C.Disconnect | C.Rejected)


class SwitchError(Exception):
    """The switch could not do what was asked; the message says what happened."""


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
        """Bridge the caller to the agent; raise `SwitchError` if it cannot be done."""

    async def originate(self, request: OriginateRequest) -> None: ...

    async def cancel_originate(self, offer_id: str, call_id: str) -> None: ...

    async def hangup(self, call_id: str) -> None:
        """The agent ended the call from the desktop; report it with `hung_up` as usual."""

    async def tell_caller(self, command: CallerCommand) -> None:
        """Play the announcement, offer the callback, or send the caller's leg where the
        command says (voicemail, disconnect; a rejected handoff goes back to the bot's
        `on error`)."""


@dataclass
class MemorySwitch:
    """A switch in memory: it records every request, and reports hang-ups back at once
    when `service` is set (as the real one would, a moment later)."""

    service: AgentService | None = None
    requests: list[tuple[str, Any]] = field(default_factory=list)
    fail_bridge: str = ""  # when set, `bridge` raises SwitchError with this text

    def sent(self, kind: str) -> list[Any]:
        return [payload for k, payload in self.requests if k == kind]

    async def bridge(self, request: BridgeRequest) -> None:
        self.requests.append(("bridge", request))
        if self.fail_bridge:
            raise SwitchError(self.fail_bridge)

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
