"""A caller's life in the queues: entering, waiting, overflow, maximum wait, callbacks, leaving.

A call leaves the router's hands only through `finish`, and only after a command that says
how (`Abandoned`, `ToVoicemail`, `Disconnect`, `CallbackFinished`, `Completed`): that is what
"no call is lost" rests on, and what the property tests check from the commands alone.
"""

from __future__ import annotations

from agents import agent_side, offers
from agents import commands as C
from agents import events as E
from agents.core import Core
from agents.estimate import NO_FIGURE, WaitFigure, expected_wait_s, wait_figure
from agents.priority import is_vip, priority_by_rank, priority_level, sort_key
from agents.state import Call
from agents.timers import Deadline


def queue_call(core: Core, ev: E.CallQueued) -> None:
    queue = ev.handoff.queue
    problem = ("no call id" if not ev.call_id
               else "call id already queued" if ev.call_id in core.calls
               else "unknown queue" if queue not in core.specs else "")
    if problem:
        core.emit(C.Rejected(at=core.now, call_id=ev.call_id, queue=queue, reason=problem))
        return
    priority = priority_level(ev.handoff.priority)
    seq = core.next_seq()
    placeholder = sort_key(priority, False, 0.0, 0.0, 0, "")  # `enter` sets the real key
    call = Call(id=ev.call_id, handoff=ev.handoff, caller=dict(ev.caller),
                number=ev.number, priority=priority, vip=is_vip(ev.caller), seq=seq,
                since=core.now, queue=queue, key=placeholder, entered=core.now)
    core.calls[call.id] = call
    core.emit(C.Queued(at=core.now, call_id=call.id, queue=queue, priority=priority))
    enter(core, call, queue)


def enter(core: Core, call: Call, queue: str) -> None:
    """The call starts its time in `queue` (first queued, or overflowed there)."""
    spec = core.specs[queue]
    call.queue, call.entered = queue, core.now
    call.visited.append(queue)
    call.epoch += 1
    rank = priority_by_rank(spec.priority_by, call.handoff, call.caller, core.now,
                            core.config.tiers)
    call.key = sort_key(call.priority, call.vip, rank, call.since, call.seq, call.id)
    arm(core, call)
    if call.kind == "live":
        core.fresh.append(call.id)
    place(core, call)


def arm(core: Core, call: Call) -> None:
    """Set the deadlines of the call's time in its queue (older ones go stale with the epoch)."""
    spec, epoch, timers = core.specs[call.queue], call.epoch, core.timers
    if overflow_target(core, call) is not None:
        timers.start(call.entered + (spec.overflow_after_s or 0.0), "overflow", call.id, epoch)
    if call.kind != "live":
        return  # a callback waits off the line: no maximum wait, announcements or offers
    if spec.max_wait_s is not None:
        timers.start(call.since + spec.max_wait_s, "max_wait", call.id, epoch)
    if spec.callback_after_s is not None and call.number and not call.callback_offered:
        # Measured from the first queueing: the caller's whole wait, as they feel it.
        timers.start(max(call.since + spec.callback_after_s, core.now), "callback_offer",
                     call.id, epoch)
    if spec.announce_position_s:
        timers.start(core.now + spec.announce_position_s, "announce_position", call.id, epoch)
    if spec.announce_wait_s:
        timers.start(core.now + spec.announce_wait_s, "announce_wait", call.id, epoch)


def overflow_target(core: Core, call: Call) -> str | None:
    spec = core.specs[call.queue]
    target = spec.overflow_to
    # Never back into a queue the call has waited in: two queues overflowing into each other
    # would otherwise bounce a caller for ever.
    if target is None or target not in core.specs or target in call.visited:
        return None
    return target


def place(core: Core, call: Call) -> None:
    """Put the call (back) in its queue's list with its key, unless its time there is up: a
    deadline that fell due while the call was ringing an agent applies now."""
    spec = core.specs[call.queue]
    if (call.kind == "live" and spec.max_wait_s is not None
            and core.now >= call.since + spec.max_wait_s):
        max_wait(core, call)
        return
    if (overflow_target(core, call) is not None
            and core.now >= call.entered + (spec.overflow_after_s or 0.0)):
        overflow(core, call)
        return
    call.state = "waiting"
    core.lists[call.queue].add(call.key)
    core.touch(call.queue)


def unlist(core: Core, call: Call, reason: str) -> None:
    """Take the call out of its list, or end the offer it is in: the caller left it, so the
    agent goes back to available with no missed offer counted."""
    if call.state == "waiting":
        core.lists[call.queue].remove(call.key)
    elif call.state == "offered" and call.offer_id is not None:
        offers.withdraw(core, core.offers[call.offer_id], reason, ("available", ""))


def finish(core: Core, call: Call) -> None:
    del core.calls[call.id]
    call.epoch += 1


def overflow(core: Core, call: Call) -> None:
    target = overflow_target(core, call)
    if target is None:
        return
    if call.state == "waiting":
        core.lists[call.queue].remove(call.key)
    core.emit(C.Moved(at=core.now, call_id=call.id, from_queue=call.queue, to_queue=target))
    enter(core, call, target)


def max_wait(core: Core, call: Call) -> None:
    """The caller has waited as long as the queue allows (the call is out of its list)."""
    if call.state == "waiting":
        core.lists[call.queue].remove(call.key)
    then = core.specs[call.queue].max_wait_then
    if then == "callback" and call.number:
        to_callback(core, call, "max_wait")
    elif then == "hangup":
        core.emit(C.Disconnect(at=core.now, call_id=call.id, queue=call.queue))
        finish(core, call)
    else:  # voicemail, and a callback for a caller with no number to call back
        core.emit(C.ToVoicemail(at=core.now, call_id=call.id, queue=call.queue))
        finish(core, call)


def to_callback(core: Core, call: Call, reason: str) -> None:
    """The caller leaves the line and keeps their place: same key, same list (out of it now)."""
    call.kind = "callback"
    call.epoch += 1
    core.emit(C.CallbackScheduled(at=core.now, call_id=call.id, queue=call.queue,
                                  number=call.number,
                                  reason="max_wait" if reason == "max_wait" else "caller"))
    arm(core, call)
    place(core, call)


def callback_missed(core: Core, call: Call) -> None:
    """A callback attempt found nobody: try again later in the same place, or give up."""
    if call.attempts >= core.config.callback_attempts:
        core.emit(C.CallbackFinished(at=core.now, call_id=call.id, queue=call.queue,
                                     kept=False, attempts=call.attempts))
        finish(core, call)
        return
    call.state = "held"
    core.timers.start(core.now + core.config.callback_retry_s, "callback_retry", call.id,
                      call.epoch)


# --- events ---------------------------------------------------------------------------------

def hung_up(core: Core, ev: E.HungUp) -> None:
    call = core.calls.get(ev.call_id)
    if call is None:
        return
    if call.state == "connected":
        completed(core, call)
    elif call.kind == "live":
        unlist(core, call, "caller_hung_up")
        core.emit(C.Abandoned(at=core.now, call_id=call.id, queue=call.queue))
        finish(core, call)
    # A callback's caller hanging up is the end of their first leg, as agreed.


def completed(core: Core, call: Call) -> None:
    agent = core.agents[call.agent or ""]
    core.emit(C.Completed(at=core.now, call_id=call.id, agent=agent.id, queue=call.queue))
    agent_side.start_wrap_up(core, agent, call)
    finish(core, call)


def callback_accepted(core: Core, ev: E.CallbackAccepted) -> None:
    call = core.calls.get(ev.call_id)
    if call is None or call.kind != "live" or call.state == "connected":
        return
    if ev.number:
        call.number = ev.number
    if not call.number:
        return  # nowhere to call back: the caller keeps waiting on the line
    unlist(core, call, "callback_accepted")
    to_callback(core, call, "caller")


def voicemail_chosen(core: Core, ev: E.VoicemailChosen) -> None:
    call = core.calls.get(ev.call_id)
    if call is None or call.kind != "live" or call.state == "connected":
        return
    unlist(core, call, "voicemail_chosen")
    core.emit(C.ToVoicemail(at=core.now, call_id=call.id, queue=call.queue, reason="caller"))
    finish(core, call)


# --- deadlines ------------------------------------------------------------------------------

def on_deadline(core: Core, d: Deadline) -> None:
    call = core.calls.get(d.subject)
    if call is None or call.epoch != d.token:
        return  # the call left, moved on or changed kind since this was set
    if d.kind == "overflow":
        if call.state == "waiting":  # a ringing or held call overflows when it is placed
            overflow(core, call)
    elif d.kind == "max_wait":
        if call.state == "waiting" and call.kind == "live":
            max_wait(core, call)
    elif d.kind == "callback_offer":
        if call.kind == "live" and not call.callback_offered and call.state != "connected":
            call.callback_offered = True
            core.emit(C.OfferCallback(at=core.now, call_id=call.id, queue=call.queue))
    elif d.kind == "callback_retry":
        if call.state == "held":
            place(core, call)
    elif d.kind in ("announce_position", "announce_wait"):
        if call.kind != "live" or call.state == "connected":
            return
        what = "position" if d.kind == "announce_position" else "wait"
        if call.state == "waiting":
            announce(core, call, what)
        spec = core.specs[call.queue]
        every = spec.announce_position_s if what == "position" else spec.announce_wait_s
        core.timers.start(core.now + (every or 0.0), d.kind, call.id, call.epoch)


def announce(core: Core, call: Call, what: str) -> None:
    position = core.lists[call.queue].position(call.key)
    if what == "position":
        core.emit(C.Announce(at=core.now, call_id=call.id, queue=call.queue, what="position",
                             position=position))
        return
    figure = wait_for(core, call.queue, position)
    core.emit(C.Announce(at=core.now, call_id=call.id, queue=call.queue, what="wait",
                         position=position, wait_minutes=figure.minutes,
                         more_than=figure.more_than))


def wait_for(core: Core, queue: str, position: int) -> WaitFigure:
    """What may be announced to the caller at `position` (see `estimate.py`)."""
    if position < 1:
        return NO_FIGURE
    samples, mean = core.handle_times.stats(queue, core.now)
    return wait_figure(position, samples, mean, core.capacity[queue],
                       min_samples=core.config.estimate_min_samples,
                       cap_minutes=core.config.estimate_cap_minutes)


def expected_s(core: Core, queue: str, position: int) -> float | None:
    """The model's figure before rounding; None where `wait_for` gives no figure."""
    samples, mean = core.handle_times.stats(queue, core.now)
    capacity = core.capacity[queue]
    if position < 1 or capacity <= 0 or samples < max(1, core.config.estimate_min_samples):
        return None
    return expected_wait_s(position, mean, capacity)


def announce_fresh(core: Core) -> None:
    """Callers who just entered a queue and did not reach an agent at once hear where they
    stand right away; then every N seconds as the queue declares."""
    if not core.fresh:
        return
    fresh, core.fresh = core.fresh, []
    for call_id in dict.fromkeys(fresh):  # a call may have entered two queues at one instant
        call = core.calls.get(call_id)
        if call is None or call.kind != "live" or call.state != "waiting":
            continue
        spec = core.specs[call.queue]
        if spec.announce_position_s:
            announce(core, call, "position")
        if spec.announce_wait_s:
            announce(core, call, "wait")
