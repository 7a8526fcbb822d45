"""`handoff`: the caller goes to a queue with everything the bot learned, typed and marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsl import tree as T
from runtime import actions as A
from runtime.evaluate import reads, truthy
from runtime.state import Wait

if TYPE_CHECKING:
    from runtime.session import Session


def handoff(session: Session, flow: str, stmt: T.Handoff) -> None:
    st = session.state
    secret = set(st.sensitive)
    context = tuple(
        A.ContextField(name=f.name, value=session.eval(flow, f.value), type=f.type or "json",
                       sensitive=bool(reads(f.value) & secret))
        for f in stmt.context)
    priority = "normal"
    if stmt.priority is not None and (stmt.priority.condition is None or truthy(
            session.eval(flow, stmt.priority.condition))):
        priority = stmt.priority.value
    slots = tuple(A.ContextField(name=name, value=value, type=_type_of(value),
                                 sensitive=name in secret)
                  for name, value in st.variables.items() if _is_slot(session, name))
    request = session.next_id("handoff")
    session.emit(A.Handoff(
        request_id=request, queue=stmt.queue,
        reason=session.text(flow, stmt.reason) if stmt.reason else "",
        priority=priority, context=context,
        summary=session.text(flow, stmt.summary) if stmt.summary else "",
        transcript=tuple(st.transcript), consulted=tuple(st.consulted), slots=slots), stmt)
    st.wait = Wait("handoff", flow, stmt.id, request)
    st.frames = []
    st.ended = "handoff"


def _is_slot(session: Session, name: str) -> bool:
    return any(isinstance(n, T.Ask) and n.slot == name for n in session.program.nodes.values())


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else "json"
