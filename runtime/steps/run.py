"""`run`: a Python hook from the bot's hooks.py, run by the driver with a time limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import actions as A
from runtime.state import Wait

if TYPE_CHECKING:
    from runtime.session import Session

DEFAULT_TIMEOUT_MS = 2000


def run(session: Session, flow: str, stmt: T.Run) -> None:
    request = session.next_id("hook")
    args = tuple(session.eval(flow, a) for a in stmt.args)
    session.emit(A.RunHook(request_id=request, hook=stmt.hook, args=args,
                           timeout_ms=stmt.timeout_ms or DEFAULT_TIMEOUT_MS), stmt)
    session.state.wait = Wait("hook", flow, stmt.id, request)
