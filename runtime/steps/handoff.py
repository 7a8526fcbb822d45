"""`handoff`: the caller goes to a queue with everything the bot learned, typed and marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from dsl.types import SLOT_VALUE_TYPES
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
    slot_types = _slot_types(session)
    slots = tuple(A.ContextField(name=name, value=value, type=slot_types[name],
                                 sensitive=name in secret)
                  for name, value in st.variables.items() if name in slot_types)
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


def _slot_types(session: Session) -> dict[str, str]:
    """Every `ask` slot of the program with the compiler's value type (digits, currency, ...)."""
    return {n.slot: SLOT_VALUE_TYPES.get(n.type.name, "text")
            for n in session.program.nodes.values() if isinstance(n, T.Ask)}
