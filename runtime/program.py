"""A compiled flow (the IR) indexed for execution: flows by path, steps by name, blocks by key.

A block key names a statement list so that a session's position serialises as plain strings:
a step's body is its id, an `if` branch is "<if id>#<n>", its else "<if id>#else", a handler's
body is the handler's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsl import tree as T
from dsl.ir import load_document


@dataclass
class Flow:
    path: str  # "" for the main flow, "identity" or "identity.inner" for sub-flows
    program: T.Program
    steps: dict[str, T.Step | T.Menu] = field(default_factory=dict)
    queues: dict[str, T.Queue] = field(default_factory=dict)
    hours: dict[str, T.Hours] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # alias -> flow path
    handlers: tuple[T.Handler, ...] = ()

    @property
    def header(self) -> T.FlowHeader | None:
        return self.program.header


@dataclass
class LoadedProgram:
    flows: dict[str, Flow]
    blocks: dict[tuple[str, str], tuple[T.Stmt, ...]]
    nodes: dict[tuple[str, str], T.Node]  # (flow, id) -> node, for statements and steps

    @property
    def main(self) -> Flow:
        return self.flows[""]

    def block(self, flow: str, key: str) -> tuple[T.Stmt, ...]:
        return self.blocks[(flow, key)]

    def node(self, flow: str, node_id: str) -> T.Node:
        return self.nodes[(flow, node_id)]


def load_program(ir: dict[str, Any]) -> LoadedProgram:
    loaded = LoadedProgram({}, {}, {})
    _add_flow(loaded, "", ir)
    return loaded


def _add_flow(loaded: LoadedProgram, path: str, doc: dict[str, Any]) -> None:
    program = load_document(doc)
    flow = Flow(path, program, handlers=program.handlers)
    flow.steps = {s.name: s for s in program.steps}
    flow.queues = {q.name: q for q in program.queues}
    flow.hours = {h.name: h for h in program.hours}
    loaded.flows[path] = flow
    for alias, sub in doc.get("imports", {}).items():
        sub_path = f"{path}.{alias}" if path else alias
        flow.imports[alias] = sub_path
        _add_flow(loaded, sub_path, sub)
    for h in program.handlers:
        _index_handler(loaded, path, h)
    for step in program.steps:
        loaded.nodes[(path, step.id)] = step
        if isinstance(step, T.Step):
            _index_block(loaded, path, step.id, step.body)
        for h in step.handlers:
            _index_handler(loaded, path, h)


def _index_handler(loaded: LoadedProgram, path: str, h: T.Handler) -> None:
    loaded.nodes[(path, h.id)] = h
    _index_block(loaded, path, h.id, h.body)


def _index_block(loaded: LoadedProgram, path: str, key: str, block: tuple[T.Stmt, ...]) -> None:
    loaded.blocks[(path, key)] = block
    for stmt in block:
        loaded.nodes[(path, stmt.id)] = stmt
        if isinstance(stmt, T.If):
            for i, branch in enumerate(stmt.branches):
                _index_block(loaded, path, f"{stmt.id}#{i}", branch.body)
            _index_block(loaded, path, f"{stmt.id}#else", stmt.orelse)
        for h in getattr(stmt, "handlers", ()):
            _index_handler(loaded, path, h)
