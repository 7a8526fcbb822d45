"""Compile a flow file: load it and its sub-flows, check everything, and emit the IR.

The compiler fills in what the parser cannot know: stable node ids, the effective settings of
every input step (the cascade resolved), what each input step expects (for the speech stack),
and the type of every handoff context field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl import tree as T
from dsl.check import check_unit
from dsl.comments import ANCHORS
from dsl.diagnostics import ERROR, Diagnostic
from dsl.ir import document, to_json
from dsl.parser import gc_paused
from dsl.project import Loader, Resources, Unit
from dsl.source import Source
from dsl.types import infer, variable_types
from dsl.walk import targets

BUILTIN_DEFAULTS = T.Effective(input="both", barge_in=True, noinput_ms=5000, interdigit_ms=3000,
                               attempts=3, terminator=None)
# Structures that hold no node the lowering changes: it does not descend into them.
LEAVES = (T.Template, T.Str, T.Num, T.Bool, T.Ref, T.Func, T.Unary, T.Binary, T.IsSet, T.Target,
          T.Trigger, T.SlotType, T.Settings, T.Pause, str)
YES_NO_KEYS = ("1", "2")  # "press 1 for yes, 2 for no"


@dataclass
class Compilation:
    root: Unit
    units: list[Unit]
    diagnostics: list[Diagnostic]
    sources: dict[str, Source] = field(default_factory=dict)
    programs: dict[str, T.Program] = field(default_factory=dict)  # path -> compiled program

    @property
    def ok(self) -> bool:
        return not any(d.severity == ERROR for d in self.diagnostics)

    def ir(self) -> dict[str, Any]:
        return _document(self.root, self.programs)


def _document(unit: Unit, programs: dict[str, T.Program]) -> dict[str, Any]:
    imports = {alias: _document(sub, programs) for alias, sub in unit.imports.items()}
    return document(programs[unit.path], unit.path, imports)


def _post_order(unit: Unit, seen: set[int], out: list[Unit]) -> None:
    if id(unit) in seen:
        return
    seen.add(id(unit))
    for sub in unit.imports.values():
        _post_order(sub, seen, out)
    out.append(unit)


def compile_file(path: Path, loader: Loader | None = None) -> Compilation:
    loader = loader or Loader()
    root = loader.load(path)
    return _finish(root, loader)


def compile_text(text: str, path: str = "<text>") -> Compilation:
    """Compile source held in memory: no sub-flows, hooks, knowledge or NLU data around it."""
    from dsl.parser import parse

    src = Source.of(path, text)
    unit = Unit(path, parse(src), Resources())
    return _finish(unit, Loader())


def _finish(root: Unit, loader: Loader) -> Compilation:
    with gc_paused():
        return _check_and_lower(root, loader)


def _check_and_lower(root: Unit, loader: Loader) -> Compilation:
    order: list[Unit] = []
    _post_order(root, set(), order)
    entries: dict[int, set[str]] = {id(u): set() for u in order}
    for unit in order:
        for target, _kind in targets(unit.program):
            sub = unit.imports.get(target.flow) if target.flow else None
            if sub is not None:
                entries[id(sub)].add(target.step)
    diagnostics: list[Diagnostic] = list(loader.diagnostics)
    sources: dict[str, Source] = {}
    seen_resources: set[int] = set()
    programs: dict[str, T.Program] = {}
    for unit in order:
        unit.facts = check_unit(unit, entries[id(unit)])
        diagnostics.extend(unit.parsed.reporter.items)
        sources[unit.path] = unit.parsed.source
        if id(unit.resources) not in seen_resources:
            seen_resources.add(id(unit.resources))
            diagnostics.extend(unit.resources.diagnostics)
            sources.update(unit.resources.sources)
        programs[unit.path] = lower(unit.program)
    diagnostics.extend(_returns_outside_subflow(root))
    diagnostics = sorted(set(diagnostics), key=lambda d: d.sort_key)
    return Compilation(root, order, diagnostics, sources, programs)


def _returns_outside_subflow(root: Unit) -> list[Diagnostic]:
    """`return` in the flow being compiled: no flow called it, so there is nowhere to go back.

    Reported here, for the root only, because whether a file is a sub-flow depends on who
    compiles it (the CLI drops this compilation when another flow uses the file).
    """
    from dsl.walk import program_statements

    return [Diagnostic("F0406", ERROR, "`return` outside a sub-flow", stmt.span, root.path,
                       label="no flow calls this one, so there is nowhere to return to",
                       help="end the path with `go`, `handoff` or `hangup`; `return` belongs in a "
                       'file that another flow imports with `use "file.flow" as name` and `call`s')
            for stmt in program_statements(root.program) if isinstance(stmt, T.Return)]


# ---- lowering: ids, settings, expectations -----------------------------------------------------


def _effective(*levels: T.Settings | None) -> T.Effective:
    values = {f: getattr(BUILTIN_DEFAULTS, f) for f in
              ("input", "barge_in", "noinput_ms", "interdigit_ms", "attempts", "terminator")}
    for level in levels:
        if level is None:
            continue
        for name in values:
            v = getattr(level, name)
            if v is not None:
                values[name] = v
    return T.Effective(**values)


class Lowering:
    def __init__(self, program: T.Program) -> None:
        self.program = program
        self.defaults = program.header.defaults if program.header else None
        self.var_types = variable_types(program)
        self.global_keys = tuple(h.trigger.arg for h in program.handlers
                                 if h.trigger.kind == "key")
        self.global_intents = tuple(h.trigger.arg for h in program.handlers
                                    if h.trigger.kind == "intent")

    def node(self, node: Any, path: str) -> Any:
        if isinstance(node, tuple):
            new = tuple(self.node(item, f"{path}/{i}") for i, item in enumerate(node))
            return node if all(a is b for a, b in zip(new, node, strict=True)) else new
        if not isinstance(node, T.Node):
            return node
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(node):
            if f.name in ("span", "comments", "note", "id", "effective", "expect"):
                continue
            value = getattr(node, f.name)
            if isinstance(value, LEAVES):
                continue
            if isinstance(value, T.Node | tuple) and value:
                new = self.node(value, self.child_path(node, f.name, path))
                if new is not value:
                    changes[f.name] = new
        if isinstance(node, ANCHORS) and node.id != path:
            changes["id"] = path
        changes.update(self.derived(node))
        return dataclasses.replace(node, **changes) if changes else node

    @staticmethod
    def child_path(node: T.Node, fname: str, path: str) -> str:
        if fname in ("body", "steps"):
            return path
        if fname == "handlers":
            return f"{path}/on"
        return f"{path}/{fname}"

    def derived(self, node: T.Node) -> dict[str, Any]:
        if isinstance(node, T.Menu):
            return {"effective": _effective(self.defaults, node.settings),
                    "expect": self.menu_expect(node)}
        if isinstance(node, T.Ask):
            return {"effective": _effective(self.defaults, node.settings),
                    "expect": self.ask_expect(node)}
        if isinstance(node, T.Record):
            return {"effective": _effective(self.defaults)}
        if isinstance(node, T.Field):
            return {"type": infer(node.value, self.var_types)}
        return {}

    def menu_expect(self, menu: T.Menu) -> T.Expect:
        keys = [c.key for c in menu.choices if c.key]
        keys += [k for k in (*self.local_keys(menu.handlers), *self.global_keys) if k not in keys]
        phrases = [p for c in menu.choices for p in c.phrases]
        intents = [c.intent for c in menu.choices if c.intent]
        intents += [i for i in (*self.local_intents(menu.handlers), *self.global_intents)
                    if i not in intents]
        return T.Expect(keys=tuple(keys), phrases=tuple(phrases), intents=tuple(intents),
                        open_question=any(c.question for c in menu.choices))

    def ask_expect(self, ask: T.Ask) -> T.Expect:
        t = ask.type
        keys: tuple[str, ...] = ()
        phrases: tuple[str, ...] = ()
        if t.name == "yes_no":
            keys, phrases = YES_NO_KEYS, ("yes", "no")
        elif t.name == "choice":
            keys = tuple(str(i + 1) for i in range(min(len(t.choices), 9)))
            phrases = t.choices
        elif t.name in ("digits", "number", "currency", "phone", "date", "time"):
            keys = tuple("0123456789")
        intents = (*self.local_intents(ask.handlers), *self.global_intents)
        return T.Expect(keys=keys, phrases=phrases, intents=intents, slot_type=t.name,
                        min_digits=t.min_len, max_digits=t.max_len, choices=t.choices)

    @staticmethod
    def local_keys(handlers: tuple[T.Handler, ...]) -> tuple[str, ...]:
        return tuple(h.trigger.arg for h in handlers if h.trigger.kind == "key")

    @staticmethod
    def local_intents(handlers: tuple[T.Handler, ...]) -> tuple[str, ...]:
        return tuple(h.trigger.arg for h in handlers if h.trigger.kind == "intent")

    def program_node(self) -> T.Program:
        p = self.program
        return dataclasses.replace(
            p,
            header=self.node(p.header, "flow") if p.header else None,
            uses=tuple(self.node(u, f"use.{u.alias}") for u in p.uses),
            hours=tuple(self.node(h, f"hours.{h.name}") for h in p.hours),
            queues=tuple(self.node(q, f"queue.{q.name}") for q in p.queues),
            handlers=tuple(self.node(h, f"on.{_trigger_id(h.trigger)}") for h in p.handlers),
            steps=tuple(self.node(s, "start" if isinstance(s, T.Step) and s.entry
                                  else f"step.{s.name}") for s in p.steps),
        )


def _trigger_id(t: T.Trigger) -> str:
    return f"{t.kind}.{t.arg}" if t.arg else t.kind


def lower(program: T.Program) -> T.Program:
    return Lowering(program).program_node()


def ir_json(compilation: Compilation) -> dict[str, Any]:
    return compilation.ir()


__all__ = ["Compilation", "compile_file", "compile_text", "ir_json", "lower", "to_json"]
