"""Offers: a waiting call rung on one agent's desktop, or a callback an agent is reserved for.

A call has at most one open offer and an agent at most one, by construction: `assign` takes
the call out of its list and the agent out of the available indexes in the same step, and
every way an offer ends (`connect`, `withdraw`) hands both back. When an offer ends without a
connection the call goes back in its list with the key it had: the caller keeps their place.
So does a connected call whose bridge fails (`bridge_failed`): for the router the connection
never happened, and the agent whose phone failed goes not ready.
"""

from __future__ import annotations

from agents import call_side
from agents import commands as C
from agents import events as E
from agents.commands import AgentStateName
from agents.core import Core
from agents.state import Agent, Call, OpenOffer
from agents.timers import Deadline

# Reasons an offer ends that are the agent's doing: the call then prefers other agents.
AGENT_REASONS = frozenset({"no_answer", "declined", "agent_disconnected", "agent_logged_out",
                           "agent_not_ready"})


def assign(core: Core, call: Call, agent: Agent) -> None:
    core.lists[call.queue].remove(call.key)
    offer_id = core.next_offer_id()
    live = call.kind == "live"
    timeout = core.config.offer_timeout_s if live else core.config.originate_timeout_s
    offer = OpenOffer(offer_id, call.id, agent.id, "call" if live else "callback",
                      core.now + timeout)
    core.offers[offer_id] = offer
    call.state, call.offer_id, call.agent = "offered", offer_id, agent.id
    agent.offer_id = offer_id
    core.set_agent_state(agent, "offered")
    core.emit(C.Offer(at=core.now, offer_id=offer_id, call_id=call.id, agent=agent.id,
                      queue=call.queue, kind=offer.kind, expires_at=offer.expires_at))
    if not live:
        call.attempts += 1
        core.emit(C.Originate(at=core.now, offer_id=offer_id, call_id=call.id, agent=agent.id,
                              queue=call.queue, number=call.number,
                              handoff_id=call.handoff.request_id, attempt=call.attempts))
    core.timers.start(offer.expires_at, "offer", offer_id)


def connect(core: Core, offer: OpenOffer) -> None:
    del core.offers[offer.id]
    call, agent = core.calls[offer.call_id], core.agents[offer.agent]
    call.state, call.offer_id, call.answered_at = "connected", None, core.now
    call.connected_offer = offer.id
    agent.offer_id, agent.call_id = None, call.id
    agent.missed = 0
    agent.handled += 1
    core.set_agent_state(agent, "on_call")
    if offer.kind == "call":
        core.emit(C.Bridge(at=core.now, call_id=call.id, agent=agent.id, queue=call.queue,
                           handoff_id=call.handoff.request_id, offer_id=offer.id))
    else:
        core.emit(C.CallbackFinished(at=core.now, call_id=call.id, queue=call.queue, kept=True,
                                     attempts=call.attempts))


def withdraw(core: Core, offer: OpenOffer, reason: str,
             agent_next: tuple[AgentStateName, str], cancel_originate: bool = True) -> Call:
    """End an offer without a connection; the caller of this decides where the call goes."""
    del core.offers[offer.id]
    call, agent = core.calls[offer.call_id], core.agents[offer.agent]
    call.offer_id, call.agent = None, None
    call.state = "held"  # until placed again or finished
    agent.offer_id = None
    if reason in AGENT_REASONS:
        call.tried.add(agent.id)
    core.emit(C.RescindOffer(at=core.now, offer_id=offer.id, call_id=call.id, agent=agent.id,
                             reason=reason))
    if offer.kind == "callback" and cancel_originate:
        core.emit(C.CancelOriginate(at=core.now, offer_id=offer.id, call_id=call.id,
                                    agent=agent.id, reason=reason))
    core.set_agent_state(agent, *agent_next)
    return call


def withdraw_from_agent(core: Core, agent: Agent, reason: str,
                        agent_next: tuple[AgentStateName, str]) -> None:
    """The agent can no longer take the offer they have (not ready, logged out, gone)."""
    offer = core.offers[agent.offer_id or ""]
    call = withdraw(core, offer, reason, agent_next)
    if offer.kind == "callback":
        call.attempts -= 1  # cancelled on our side: the customer was not given a try
    call_side.place(core, call)


# --- events ---------------------------------------------------------------------------------

def accepted(core: Core, ev: E.OfferAccepted) -> None:
    offer = core.offers.get(ev.offer_id)
    # A callback reservation needs no acceptance: the switch's answer connects it.
    if offer is not None and offer.kind == "call":
        connect(core, offer)


def declined(core: Core, ev: E.OfferDeclined) -> None:
    offer = core.offers.get(ev.offer_id)
    if offer is None:
        return
    call = withdraw(core, offer, "declined", ("available", ""))
    if offer.kind == "callback":
        call.attempts -= 1
    call_side.place(core, call)


def originate_result(core: Core, ev: E.OriginateResult) -> None:
    offer = core.offers.get(ev.offer_id)
    if offer is None or offer.kind != "callback":
        return  # a result for an attempt already cancelled or timed out
    if ev.answered:
        connect(core, offer)
        return
    call = withdraw(core, offer, "customer_no_answer", ("available", ""),
                    cancel_originate=False)
    call_side.callback_missed(core, call)


def bridge_failed(core: Core, ev: E.BridgeFailed) -> None:
    """The switch could not connect the caller to the agent who accepted. The call waits again
    with its key (its place), its time in the queue counting on, and prefers other agents; the
    agent goes not ready (or logs out, if they asked to after this call), so the call is not
    rung again on a phone that fails. A caller who hung up while the phone rang
    (`E.CALLER_HUNG_UP`) is abandoned, and the agent is free again."""
    call = core.calls.get(ev.call_id)
    if call is None or call.state != "connected" or call.kind != "live":
        return  # gone, or a callback (its legs are the originate's, see originate_result)
    if ev.offer_id and ev.offer_id != call.connected_offer:
        return  # about an earlier attempt: this connection is another one
    agent = core.agents[call.agent or ""]
    reason = " ".join(ev.reason.split()) or "Phone could not be connected"
    core.emit(C.ConnectFailed(at=core.now, call_id=call.id, queue=call.queue, agent=agent.id,
                              offer_id=call.connected_offer, cause=ev.cause, reason=reason))
    call.agent, call.connected_offer, call.answered_at = None, "", 0.0
    call.state = "held"  # until placed again or finished
    call.tried.add(agent.id)
    agent.call_id = None
    agent.handled -= 1  # `fewest_calls` counts calls taken: this one was not
    after, agent.after = agent.after, None
    if ev.caller_gone and ev.cause == E.CALLER_HUNG_UP:
        # The caller hung up while the phone rang: the phone is fine and there was no
        # conversation to wrap up, so the agent goes on as after a wrap-up (available, or
        # what they asked for during the call).
        core.set_agent_state(agent, *(after or ("available", "")))
    else:
        core.set_agent_state(agent, *(after if after and after[0] == "logged_out"
                                      else ("not_ready", reason)))
    if ev.caller_gone:
        core.emit(C.Abandoned(at=core.now, call_id=call.id, queue=call.queue))
        call_side.finish(core, call)
        return
    # Timers that fell due while connected were dropped (announcements, the callback offer):
    # set the queue's deadlines again, as from now, and tell the caller where they stand.
    call.epoch += 1
    call_side.arm(core, call)
    core.fresh.append(call.id)
    call_side.place(core, call)


def on_deadline(core: Core, d: Deadline) -> None:
    offer = core.offers.get(d.subject)
    if offer is None:
        return  # accepted or withdrawn before it expired
    if offer.kind == "callback":  # the switch never said how the attempt went
        call = withdraw(core, offer, "customer_no_answer", ("available", ""))
        call_side.callback_missed(core, call)
        return
    agent = core.agents[offer.agent]
    agent.missed += 1
    tired = agent.missed >= core.config.max_missed_offers
    call = withdraw(core, offer, "no_answer",
                    ("not_ready", "missed offers") if tired else ("available", ""))
    call_side.place(core, call)
