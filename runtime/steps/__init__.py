"""One handler per statement kind: `HANDLERS[type(stmt)](session, flow, stmt)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dsl import tree as T
from runtime.steps import answer, control, fetch, handoff, run, say, slots

if TYPE_CHECKING:
    from runtime.session import Session

Handler = Callable[["Session", str, Any], None]

HANDLERS: dict[type, Handler] = {
    T.Say: say.say,
    T.PauseStmt: say.pause,
    T.Ask: slots.ask,
    T.Record: slots.record,
    T.Fetch: fetch.fetch,
    T.Run: run.run,
    T.Answer: answer.answer,
    T.Handoff: handoff.handoff,
    T.Set: control.set_var,
    T.If: control.if_stmt,
    T.Go: control.go,
    T.Call: control.call,
    T.Return: control.return_,
    T.Hangup: control.hangup,
}
