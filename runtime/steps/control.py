"""Control flow: set, if, go, call, return, hangup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import actions as A
from runtime.evaluate import reads, truthy

if TYPE_CHECKING:
    from runtime.session import Session


def set_var(session: Session, flow: str, stmt: T.Set) -> None:
    secret = bool(reads(stmt.value) & set(session.state.sensitive))
    session.set_var(stmt.var, session.eval(flow, stmt.value), sensitive=secret)


def if_stmt(session: Session, flow: str, stmt: T.If) -> None:
    for i, branch in enumerate(stmt.branches):
        if truthy(session.eval(flow, branch.condition)):
            session.push_block(flow, f"{stmt.id}#{i}")
            return
    if stmt.orelse:
        session.push_block(flow, f"{stmt.id}#else")


def go(session: Session, flow: str, stmt: T.Go) -> None:
    session.goto(*session.resolve_target(flow, stmt.target))


def call(session: Session, flow: str, stmt: T.Call) -> None:
    target_flow, step = session.resolve_target(flow, stmt.target)
    st = session.state
    st.call_marks.append(len(st.frames))
    session.log_entry("call", {"flow": target_flow, "step": step}, stmt)
    session.goto(target_flow, step)


def return_(session: Session, flow: str, stmt: T.Return) -> None:
    st = session.state
    if not st.call_marks:
        session.end("flow", A.Hangup(reason="flow"))
        return
    del st.frames[st.call_marks.pop():]
    if st.frames:
        st.flow = st.frames[-1][0]
    session.log_entry("return", {"to": st.flow or "main"}, stmt)


def hangup(session: Session, flow: str, stmt: T.Hangup) -> None:
    session.end("flow", A.Hangup(reason="flow"))
