"""`say` and `pause`: prompts go out as Play actions; the flow does not wait for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import actions as A

if TYPE_CHECKING:
    from runtime.session import Session


def say(session: Session, flow: str, stmt: T.Say) -> None:
    session.play(flow, stmt.prompt, stmt)


def pause(session: Session, flow: str, stmt: T.PauseStmt) -> None:
    session.emit(A.Play(playback_id=session.next_id("play"), pause_ms=stmt.ms), stmt)
