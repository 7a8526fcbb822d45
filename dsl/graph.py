"""The call flow as a graph: steps are nodes, jumps are edges (Mermaid or Graphviz dot)."""

from __future__ import annotations

from dataclasses import dataclass

from dsl import tree as T
from dsl.walk import statements


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    kind: str  # go | choice | handler | call


def _stmt_edges(source: str, block: tuple[T.Stmt, ...], label: str) -> list[Edge]:
    out = []
    for s in statements(block):
        if isinstance(s, T.Go | T.Call):
            t = s.target
            name = f"{t.flow}.{t.step}" if t.flow else t.step
            out.append(Edge(source, name, label, "call" if isinstance(s, T.Call) else "go"))
        elif isinstance(s, T.Handoff):
            out.append(Edge(source, f"queue:{s.queue}", label or "handoff", "handoff"))
    return out


def edges(program: T.Program) -> list[Edge]:
    out: list[Edge] = []
    for h in program.handlers:
        out += _stmt_edges("(anywhere)", h.body, _trigger(h.trigger))
    for step in program.steps:
        if isinstance(step, T.Menu):
            for c in step.choices:
                label = "question" if c.question else " / ".join(
                    x for x in (c.key, *c.phrases[:1], c.intent and f"intent {c.intent}") if x)
                out.append(Edge(step.name, c.target.step if not c.target.flow
                                else f"{c.target.flow}.{c.target.step}", label, "choice"))
        else:
            out += _stmt_edges(step.name, step.body, "")
        for h in step.handlers:
            out += _stmt_edges(step.name, h.body, _trigger(h.trigger))
    return out


def _trigger(t: T.Trigger) -> str:
    return f"on {t.kind}" + (f" {t.arg}" if t.arg else "")


def _node_id(name: str) -> str:
    return "n_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def _esc(label: str) -> str:
    return label.replace('"', "'")


def mermaid(program: T.Program) -> str:
    lines = ["flowchart TD"]
    for step in program.steps:
        shape = ("{{", "}}") if isinstance(step, T.Menu) else ("([", "])") if (
            isinstance(step, T.Step) and step.entry) else ("[", "]")
        lines.append(f'  {_node_id(step.name)}{shape[0]}"{step.name}"{shape[1]}')
    seen = {s.name for s in program.steps}
    for e in edges(program):
        for name in (e.source, e.target):
            if name not in seen:
                seen.add(name)
                lines.append(f'  {_node_id(name)}[/"{name}"/]')
        arrow = f'-- "{_esc(e.label)}" -->' if e.label else "-->"
        if e.kind == "call":
            arrow = '-. "call" .->'
        lines.append(f"  {_node_id(e.source)} {arrow} {_node_id(e.target)}")
    return "\n".join(lines) + "\n"


def dot(program: T.Program) -> str:
    name = program.header.name if program.header else "flow"
    lines = [f'digraph "{name}" {{', "  rankdir=TB;", '  node [fontname="Helvetica"];']
    for step in program.steps:
        shape = "diamond" if isinstance(step, T.Menu) else "oval" if (
            isinstance(step, T.Step) and step.entry) else "box"
        lines.append(f'  "{step.name}" [shape={shape}];')
    for e in edges(program):
        style = ", style=dashed" if e.kind in ("call", "handoff") else ""
        lines.append(f'  "{e.source}" -> "{e.target}" [label="{_esc(e.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
