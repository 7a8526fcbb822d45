"""`ask` and `record`: input steps, run by runtime.inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import inputs

if TYPE_CHECKING:
    from runtime.session import Session


def ask(session: Session, flow: str, stmt: T.Ask) -> None:
    inputs.start(session, flow, stmt.id)


def record(session: Session, flow: str, stmt: T.Record) -> None:
    inputs.start(session, flow, stmt.id)
