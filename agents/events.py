"""What happens around a queue, as the router sees it. Drivers create these; `at` is their clock.

Frozen dataclasses with a `type` literal, like `runtime.events`: a router's input log
serialises to JSON and replays to the same commands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from runtime.actions import ContextField, Handoff


@dataclass(frozen=True, kw_only=True)
class AgentLoggedIn:
    """The agent signed in; they start not ready until they say they are available."""

    type: Literal["agent_logged_in"] = "agent_logged_in"
    at: float = 0.0
    agent: str = ""
    skills: dict[str, int] = field(default_factory=dict)  # skill -> level 1..10


@dataclass(frozen=True, kw_only=True)
class AgentReady:
    type: Literal["agent_ready"] = "agent_ready"
    at: float = 0.0
    agent: str = ""


@dataclass(frozen=True, kw_only=True)
class AgentNotReady:
    """Set by the agent or a supervisor; during a call or wrap-up it applies afterwards."""

    type: Literal["agent_not_ready"] = "agent_not_ready"
    at: float = 0.0
    agent: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AgentLoggedOut:
    type: Literal["agent_logged_out"] = "agent_logged_out"
    at: float = 0.0
    agent: str = ""


@dataclass(frozen=True, kw_only=True)
class AgentDisconnected:
    """The agent's desktop went away (socket closed): no more offers until they come back."""

    type: Literal["agent_disconnected"] = "agent_disconnected"
    at: float = 0.0
    agent: str = ""


@dataclass(frozen=True, kw_only=True)
class OfferAccepted:
    type: Literal["offer_accepted"] = "offer_accepted"
    at: float = 0.0
    offer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class OfferDeclined:
    type: Literal["offer_declined"] = "offer_declined"
    at: float = 0.0
    offer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class CallQueued:
    """The bot handed the call off (the runtime's `Handoff` action) and the caller waits."""

    type: Literal["call_queued"] = "call_queued"
    at: float = 0.0
    call_id: str = ""
    handoff: Handoff = field(default_factory=Handoff)
    caller: dict[str, Any] = field(default_factory=dict)  # caller.* fields: number, vip, tier
    number: str = ""  # where a callback would go; "" when the caller withheld it
    intent: str = ""  # what the caller last asked for, as the NLU understood it (screen pop)
    intent_confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class HungUp:
    """The caller's leg ended, whoever ended it."""

    type: Literal["hung_up"] = "hung_up"
    at: float = 0.0
    call_id: str = ""


@dataclass(frozen=True, kw_only=True)
class BridgeFailed:
    """The switch could not connect a caller to the agent who accepted them: the agent's phone
    did not answer, was busy or unregistered, or a command failed. The caller goes back to
    waiting with the place they had; the agent goes not ready with `reason`, so the call is
    not rung on a phone that fails again."""

    type: Literal["bridge_failed"] = "bridge_failed"
    at: float = 0.0
    call_id: str = ""
    offer_id: str = ""  # the accepted offer this bridge was for; "" for whichever it was
    cause: str = ""  # the switch's word for it (NO_ANSWER, USER_BUSY...), for the records
    reason: str = ""  # for people: the agent's not-ready reason ("Phone did not answer")
    # The caller is gone too (their stream could not be resumed, or they hung up while the
    # agent's phone rang: `cause` CALLER_HUNG_UP): the call is abandoned instead of waiting
    # again.
    caller_gone: bool = False


# `BridgeFailed.cause` when the caller hung up while the agent's phone rang (FreeSWITCH's
# originate disposition for a call its originator ended before the far end answered). The
# phone did nothing wrong: the agent is not set not ready for it.
CALLER_HUNG_UP = "ORIGINATOR_CANCEL"


@dataclass(frozen=True, kw_only=True)
class CallbackAccepted:
    """The caller accepted a callback (by key or voice); their leg ends next."""

    type: Literal["callback_accepted"] = "callback_accepted"
    at: float = 0.0
    call_id: str = ""
    number: str = ""  # a number the caller gave for it; "" keeps the one they called from


@dataclass(frozen=True, kw_only=True)
class VoicemailChosen:
    """The caller pressed the key for voicemail while waiting."""

    type: Literal["voicemail_chosen"] = "voicemail_chosen"
    at: float = 0.0
    call_id: str = ""


@dataclass(frozen=True, kw_only=True)
class OriginateResult:
    """How a callback attempt went: the customer answered (bridged to the agent) or not."""

    type: Literal["originate_result"] = "originate_result"
    at: float = 0.0
    offer_id: str = ""
    answered: bool = False


@dataclass(frozen=True, kw_only=True)
class WrapUpDone:
    type: Literal["wrap_up_done"] = "wrap_up_done"
    at: float = 0.0
    agent: str = ""
    disposition: str = ""
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class Tick:
    """Time passed; a driver sends one at `Router.next_due()` (or any time)."""

    type: Literal["tick"] = "tick"
    at: float = 0.0


Event = (AgentLoggedIn | AgentReady | AgentNotReady | AgentLoggedOut | AgentDisconnected
         | OfferAccepted | OfferDeclined | CallQueued | HungUp | BridgeFailed | CallbackAccepted
         | VoicemailChosen | OriginateResult | WrapUpDone | Tick)

EVENT_TYPES: dict[str, type] = {cls.type: cls for cls in (  # type: ignore[attr-defined]
    AgentLoggedIn, AgentReady, AgentNotReady, AgentLoggedOut, AgentDisconnected, OfferAccepted,
    OfferDeclined, CallQueued, HungUp, BridgeFailed, CallbackAccepted, VoicemailChosen,
    OriginateResult, WrapUpDone, Tick)}


def event_to_json(event: Event) -> dict[str, Any]:
    return asdict(event)


def event_from_json(data: dict[str, Any]) -> Event:
    fields = dict(data)
    cls = EVENT_TYPES[fields["type"]]
    if cls is CallQueued:
        fields["handoff"] = _handoff(fields.get("handoff") or {})
    return cls(**fields)


def _handoff(data: dict[str, Any]) -> Handoff:
    fields = dict(data)
    for group in ("context", "slots"):
        fields[group] = tuple(ContextField(**f) for f in fields.get(group, ()))
    for group in ("transcript", "consulted"):
        fields[group] = tuple(fields.get(group, ()))
    return Handoff(**fields)
