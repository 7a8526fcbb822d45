"""`answer from knowledge`: the caller's last question goes to the knowledge base."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import actions as A
from runtime.state import Wait

if TYPE_CHECKING:
    from runtime.session import Session

DEFAULT_MIN_CONFIDENCE = 0.5


def answer(session: Session, flow: str, stmt: T.Answer) -> None:
    request = session.next_id("kb")
    conf = stmt.min_confidence if stmt.min_confidence is not None else DEFAULT_MIN_CONFIDENCE
    session.emit(A.AskKnowledge(request_id=request, collection=stmt.collection,
                                question=session.state.last_utterance, min_confidence=conf), stmt)
    session.state.wait = Wait("knowledge", flow, stmt.id, request)
