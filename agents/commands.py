"""What the router asks the platform to do, and the facts it reports. Frozen, typed, no behaviour.

Every command carries `at`, the moment it happened on the router's clock (a timer that fell due
between two events has its own moment), so the store records exact times. Instructions go to
the desktop (`Offer`, `RescindOffer`, `AgentStateChanged`, `WrapUpStarted`) or the switch
(`Bridge`, `Originate`, `CancelOriginate`, `Announce`, `OfferCallback`, `CallbackScheduled`,
`ToVoicemail`, `Disconnect`); `ConnectFailed` goes to both (the agent's desktop and the
caller, who waits again); the rest (`Queued`, `Moved`, `Abandoned`, `Completed`,
`WrapUpEnded`, `CallbackFinished`, `Rejected`) are facts for the store and the supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AgentStateName = Literal["logged_out", "available", "not_ready", "offered", "on_call", "wrap_up"]


@dataclass(frozen=True, kw_only=True)
class AgentStateChanged:
    type: Literal["agent_state"] = "agent_state"
    at: float = 0.0
    agent: str = ""
    state: AgentStateName = "logged_out"
    reason: str = ""  # for not_ready: "login", "missed offers", "disconnected", the agent's own


@dataclass(frozen=True, kw_only=True)
class Queued:
    type: Literal["queued"] = "queued"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    priority: int = 5  # 1..10, 10 most urgent (see `priority.py`)


@dataclass(frozen=True, kw_only=True)
class Rejected:
    """A handoff the router cannot take (unknown queue, a call id already in use): the driver
    must route the caller elsewhere, so no call is dropped silently."""

    type: Literal["rejected"] = "rejected"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Offer:
    """Ring the agent's desktop: a waiting call (`call`) or a callback they are reserved for."""

    type: Literal["offer"] = "offer"
    at: float = 0.0
    offer_id: str = ""
    call_id: str = ""
    agent: str = ""
    queue: str = ""
    kind: Literal["call", "callback"] = "call"
    expires_at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class RescindOffer:
    type: Literal["rescind_offer"] = "rescind_offer"
    at: float = 0.0
    offer_id: str = ""
    call_id: str = ""
    agent: str = ""
    # no_answer | declined | agent_disconnected | agent_logged_out | agent_not_ready
    # | caller_hung_up | callback_accepted | voicemail_chosen; for a callback reservation,
    # customer_no_answer (the customer did not answer, or the switch never said)
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Bridge:
    """Connect the waiting caller to the agent's endpoint (the handoff id goes along)."""

    type: Literal["bridge"] = "bridge"
    at: float = 0.0
    call_id: str = ""
    agent: str = ""
    queue: str = ""
    handoff_id: str = ""
    offer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ConnectFailed:
    """The bridge of an accepted call failed (`BridgeFailed`): the call is no longer the
    agent's; it waits again in its queue with the key it had (or, when the caller is gone too,
    an `Abandoned` follows). The agent's state change comes next."""

    type: Literal["connect_failed"] = "connect_failed"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    agent: str = ""
    offer_id: str = ""  # the offer the agent had accepted
    cause: str = ""  # the switch's word for it (NO_ANSWER...)
    reason: str = ""  # for people ("Phone did not answer")


@dataclass(frozen=True, kw_only=True)
class Originate:
    """Place a callback: call `number` and bridge it to the reserved agent."""

    type: Literal["originate"] = "originate"
    at: float = 0.0
    offer_id: str = ""
    call_id: str = ""
    agent: str = ""
    queue: str = ""
    number: str = ""
    handoff_id: str = ""
    attempt: int = 1


@dataclass(frozen=True, kw_only=True)
class CancelOriginate:
    type: Literal["cancel_originate"] = "cancel_originate"
    at: float = 0.0
    offer_id: str = ""
    call_id: str = ""
    agent: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Announce:
    """Tell a waiting caller where they stand. `wait_minutes` is None when the data cannot
    support a figure; `more_than` means "more than `wait_minutes` minutes" (the cap)."""

    type: Literal["announce"] = "announce"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    what: Literal["position", "wait"] = "position"
    position: int = 0
    wait_minutes: int | None = None
    more_than: bool = False


@dataclass(frozen=True, kw_only=True)
class OfferCallback:
    """Ask the caller whether they would rather be called back (they keep their place)."""

    type: Literal["offer_callback"] = "offer_callback"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""


@dataclass(frozen=True, kw_only=True)
class CallbackScheduled:
    """Tell the caller they will be called back on `number`, then end their leg."""

    type: Literal["callback_scheduled"] = "callback_scheduled"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    number: str = ""
    reason: Literal["caller", "max_wait"] = "caller"


@dataclass(frozen=True, kw_only=True)
class CallbackFinished:
    type: Literal["callback_finished"] = "callback_finished"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    kept: bool = False
    attempts: int = 0


@dataclass(frozen=True, kw_only=True)
class Moved:
    """Overflow: the call now waits in `to_queue`, keeping its waiting time."""

    type: Literal["moved"] = "moved"
    at: float = 0.0
    call_id: str = ""
    from_queue: str = ""
    to_queue: str = ""


@dataclass(frozen=True, kw_only=True)
class ToVoicemail:
    type: Literal["to_voicemail"] = "to_voicemail"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    reason: Literal["max_wait", "caller"] = "max_wait"


@dataclass(frozen=True, kw_only=True)
class Disconnect:
    """End the caller's leg (after an apology): `max_wait ... then hangup`."""

    type: Literal["disconnect"] = "disconnect"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""
    reason: str = "max_wait"


@dataclass(frozen=True, kw_only=True)
class Abandoned:
    type: Literal["abandoned"] = "abandoned"
    at: float = 0.0
    call_id: str = ""
    queue: str = ""


@dataclass(frozen=True, kw_only=True)
class Completed:
    """A connected call ended; its agent goes to wrap-up."""

    type: Literal["completed"] = "completed"
    at: float = 0.0
    call_id: str = ""
    agent: str = ""
    queue: str = ""


@dataclass(frozen=True, kw_only=True)
class WrapUpStarted:
    type: Literal["wrap_up_started"] = "wrap_up_started"
    at: float = 0.0
    agent: str = ""
    call_id: str = ""
    queue: str = ""
    until: float = 0.0


@dataclass(frozen=True, kw_only=True)
class WrapUpEnded:
    type: Literal["wrap_up_ended"] = "wrap_up_ended"
    at: float = 0.0
    agent: str = ""
    call_id: str = ""
    queue: str = ""
    disposition: str = ""
    notes: str = ""
    timed_out: bool = False
    handle_s: float = 0.0  # talk + wrap-up: a sample for the expected-wait model


Command = (AgentStateChanged | Queued | Rejected | Offer | RescindOffer | Bridge | ConnectFailed
           | Originate | CancelOriginate | Announce | OfferCallback | CallbackScheduled
           | CallbackFinished | Moved | ToVoicemail | Disconnect | Abandoned | Completed
           | WrapUpStarted | WrapUpEnded)
