"""An agent's states: logged_out, available, not_ready (with a reason), offered, on_call and
wrap_up (timed).

What an agent asks for during a call or its wrap-up (not ready, log out) is kept in
`Agent.after` and applied when the wrap-up ends, so a call is never cut by a state change; an
offer, on the other hand, is withdrawn at once and the call keeps its place.
"""

from __future__ import annotations

from agents import commands as C
from agents import events as E
from agents import offers
from agents.core import Core
from agents.state import Agent, Call
from agents.timers import Deadline

BUSY = ("on_call", "wrap_up")


def logged_in(core: Core, ev: E.AgentLoggedIn) -> None:
    if not ev.agent:
        return
    agent = core.agents.get(ev.agent)
    if agent is None:
        agent = core.agents[ev.agent] = Agent(ev.agent, {}, core.next_agent_order())
    elif agent.state != "logged_out":
        return  # a second sign-in changes nothing; skills change at the next one
    agent.skills = {name: int(level) for name, level in ev.skills.items()}
    agent.queues = tuple(q for q, spec in core.specs.items() if spec.admits(agent.skills))
    agent.proficiency = {q: core.specs[q].proficiency(agent.skills) for q in agent.queues}
    agent.missed = agent.handled = 0
    agent.after = None
    core.set_agent_state(agent, "not_ready", "login")


def ready(core: Core, ev: E.AgentReady) -> None:
    agent = core.agents.get(ev.agent)
    if agent is None:
        return
    if agent.state == "not_ready":
        agent.missed = 0
        core.set_agent_state(agent, "available")
    elif agent.state in BUSY:
        agent.after = None  # changed their mind about a break after this call


def not_ready(core: Core, ev: E.AgentNotReady) -> None:
    agent = core.agents.get(ev.agent)
    reason = ev.reason or "not ready"
    if agent is None or agent.state == "logged_out":
        return
    if agent.state in ("available", "not_ready"):
        core.set_agent_state(agent, "not_ready", reason)
    elif agent.state == "offered":
        offers.withdraw_from_agent(core, agent, "agent_not_ready", ("not_ready", reason))
    else:
        agent.after = ("not_ready", reason)


def logged_out(core: Core, ev: E.AgentLoggedOut) -> None:
    agent = core.agents.get(ev.agent)
    if agent is None or agent.state == "logged_out":
        return
    if agent.state in ("available", "not_ready"):
        core.set_agent_state(agent, "logged_out")
    elif agent.state == "offered":
        offers.withdraw_from_agent(core, agent, "agent_logged_out", ("logged_out", ""))
    else:
        agent.after = ("logged_out", "")


def disconnected(core: Core, ev: E.AgentDisconnected) -> None:
    """The desktop is gone. The voice call, if any, goes on (it is the switch's), but no new
    offer may go to a screen nobody sees."""
    agent = core.agents.get(ev.agent)
    if agent is None:
        return
    if agent.state == "available":
        core.set_agent_state(agent, "not_ready", "disconnected")
    elif agent.state == "offered":
        offers.withdraw_from_agent(core, agent, "agent_disconnected",
                                   ("not_ready", "disconnected"))
    elif agent.state in BUSY and agent.after is None:
        agent.after = ("not_ready", "disconnected")


def start_wrap_up(core: Core, agent: Agent, call: Call) -> None:
    agent.talk_s = core.now - call.answered_at
    agent.wrap_started = core.now
    agent.wrap_queue = call.queue
    agent.wraps += 1
    until = core.now + core.config.wrap_up_s
    core.set_agent_state(agent, "wrap_up")
    core.emit(C.WrapUpStarted(at=core.now, agent=agent.id, call_id=call.id, queue=call.queue,
                              until=until))
    core.timers.start(until, "wrap", agent.id, agent.wraps)


def wrap_up_done(core: Core, ev: E.WrapUpDone) -> None:
    agent = core.agents.get(ev.agent)
    if agent is not None and agent.state == "wrap_up":
        end_wrap_up(core, agent, ev.disposition, ev.notes, timed_out=False)


def on_deadline(core: Core, d: Deadline) -> None:
    agent = core.agents.get(d.subject)
    if agent is not None and agent.state == "wrap_up" and agent.wraps == d.token:
        end_wrap_up(core, agent, "", "", timed_out=True)


def end_wrap_up(core: Core, agent: Agent, disposition: str, notes: str,
                timed_out: bool) -> None:
    handle_s = agent.talk_s + (core.now - agent.wrap_started)
    core.emit(C.WrapUpEnded(at=core.now, agent=agent.id, call_id=agent.call_id or "",
                            queue=agent.wrap_queue, disposition=disposition, notes=notes,
                            timed_out=timed_out, handle_s=handle_s))
    core.handle_times.add(agent.wrap_queue, core.now, handle_s)
    agent.call_id = None
    state, reason = agent.after or ("available", "")
    agent.after = None
    core.set_agent_state(agent, state, reason)
