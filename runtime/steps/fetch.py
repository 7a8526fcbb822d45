"""`fetch`: an HTTP request the driver performs; the flow waits for its FetchResult."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import actions as A
from runtime.state import Wait

if TYPE_CHECKING:
    from runtime.session import Session

DEFAULT_TIMEOUT_MS = 5000


def fetch(session: Session, flow: str, stmt: T.Fetch) -> None:
    request = session.next_id("fetch")
    headers = {h.name: str(session.eval(flow, h.value)) for h in stmt.headers}
    body = {f.name: session.eval(flow, f.value) for f in stmt.body} if stmt.body else None
    session.emit(A.Fetch(request_id=request, method=stmt.method, url=session.text(flow, stmt.url),
                         headers=headers, body=body,
                         timeout_ms=stmt.timeout_ms or DEFAULT_TIMEOUT_MS,
                         retries=stmt.retries or 0), stmt)
    session.state.wait = Wait("fetch", flow, stmt.id, request)
