"""Loading a flow with everything around it: imported sub-flows, hooks, knowledge, NLU data.

Nothing here runs bot code: hooks.py is read with Python's `ast`, not imported.
"""

from __future__ import annotations

import ast as pyast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dsl import tree as T
from dsl.diagnostics import Diagnostic, Reporter
from dsl.parser import ParseResult, parse
from dsl.source import Source, Span
from dsl.yaml_errors import describe_yaml_error

HOOKS_FILE = "hooks.py"
NLU_FILE = "nlu.yml"
KNOWLEDGE_DIR = "knowledge"


@dataclass(frozen=True)
class HookSignature:
    name: str
    min_args: int
    max_args: int | None  # None: takes *args
    line: int


@dataclass
class Resources:
    """What sits next to a flow file and the flow may refer to."""

    hooks: dict[str, HookSignature] | None = None  # None: no hooks.py
    collections: set[str] = field(default_factory=set)
    intents: set[str] | None = None  # None: no nlu.yml
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass
class Unit:
    """One parsed flow file and the units it `use`s."""

    path: str
    parsed: ParseResult
    resources: Resources
    imports: dict[str, Unit] = field(default_factory=dict)  # alias -> unit
    is_subflow: bool = False
    facts: Any = None  # dsl.flowcheck.FlowFacts once checked

    @property
    def program(self) -> T.Program:
        return self.parsed.program


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path) -> Source:
    return Source.of(_relative(path), path.read_text(encoding="utf-8"))


def load_hooks(folder: Path, res: Resources) -> None:
    path = folder / HOOKS_FILE
    if not path.is_file():
        return
    src = read_source(path)
    res.sources[src.path] = src
    try:
        module = pyast.parse(src.text, filename=src.path)
    except SyntaxError as exc:
        line, col = exc.lineno or 1, exc.offset or 1
        rep = Reporter(src)
        rep.error("F0703", Span(line, col, line, col + 1),
                  f"{HOOKS_FILE} does not parse: {exc.msg}",
                  help="fix the Python syntax error; no hook can be checked until then")
        res.diagnostics.extend(rep.items)
        res.hooks = {}
        return
    hooks: dict[str, HookSignature] = {}
    for node in module.body:
        is_function = isinstance(node, pyast.FunctionDef | pyast.AsyncFunctionDef)
        if is_function and not node.name.startswith("_"):
            args = node.args
            positional = len(args.posonlyargs) + len(args.args)
            required = positional - len(args.defaults)
            hooks[node.name] = HookSignature(node.name, required,
                                             None if args.vararg else positional, node.lineno)
    res.hooks = hooks


def load_intents(folder: Path, res: Resources) -> None:
    path = folder / NLU_FILE
    if not path.is_file():
        return
    src = read_source(path)
    res.sources[src.path] = src
    rep = Reporter(src)
    res.intents = set()
    try:
        data = yaml.safe_load(src.text)
    except yaml.YAMLError as exc:
        line, problem = describe_yaml_error(exc, src.text)
        mark = getattr(exc, "problem_mark", None)
        col = mark.column + 1 if mark is not None and mark.line + 1 == line else 1
        rep.error("F0705", Span(line, col, line, col + 1),
                  f"{NLU_FILE} is not valid YAML: {problem}",
                  help="training data uses Rasa's format: `nlu:` then `- intent: NAME` entries "
                  "with `examples: |`")
        res.diagnostics.extend(rep.items)
        return
    entries = data.get("nlu") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        rep.error("F0705", Span(1, 1, 1, 2), f"{NLU_FILE} has no `nlu:` list",
                  help="training data uses Rasa's format: `nlu:` then `- intent: NAME` entries")
        res.diagnostics.extend(rep.items)
        return
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("intent"), str):
            res.intents.add(entry["intent"])


def load_collections(folder: Path, res: Resources) -> None:
    kdir = folder / KNOWLEDGE_DIR
    if kdir.is_dir():
        res.collections = {p.name for p in kdir.iterdir() if p.is_dir()}


def load_resources(folder: Path) -> Resources:
    res = Resources()
    load_hooks(folder, res)
    load_intents(folder, res)
    load_collections(folder, res)
    return res


@dataclass
class Loader:
    """Loads a flow and its imports once each, reporting missing files and import cycles."""

    units: dict[Path, Unit] = field(default_factory=dict)
    resources: dict[Path, Resources] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def load(self, path: Path, stack: tuple[Path, ...] = ()) -> Unit:
        key = path.resolve()
        if key in self.units:
            return self.units[key]
        src = read_source(path)
        parsed = parse(src)
        folder = key.parent
        if folder not in self.resources:
            self.resources[folder] = load_resources(folder)
        unit = Unit(src.path, parsed, self.resources[folder])
        self.units[key] = unit
        for use in parsed.program.uses:
            target = (path.parent / use.path)
            tkey = target.resolve()
            if tkey in stack or tkey == key:
                loop = (*stack[stack.index(tkey):], key, tkey) if tkey in stack else (key, key)
                chain = " -> ".join(p.name for p in loop)
                parsed.reporter.error(
                    "F0701", use.span, f"circular import: {chain}",
                    label="this file is already being imported",
                    help="a sub-flow cannot use the flow that uses it; move the shared steps "
                    "into a third file")
                continue
            if not target.is_file():
                from dsl.diagnostics import did_you_mean

                near = sorted(p.name for p in target.parent.glob("*.flow")) \
                    if target.parent.is_dir() else []
                close = did_you_mean(target.name, near, "file")
                rep_help = "paths in `use` are relative to the file that contains them"
                if "similar" in close:
                    rep_help = close
                parsed.reporter.error("F0702", use.span, f"cannot find `{use.path}`",
                                      label=f"no such file next to {path.name}", help=rep_help)
                continue
            try:
                child = self.load(target, (*stack, key))
            except (OSError, UnicodeDecodeError) as exc:
                parsed.reporter.error("F0702", use.span, f"cannot read `{use.path}`: {exc}",
                                      help="check that the file is readable UTF-8 text")
                continue
            child.is_subflow = True
            unit.imports[use.alias] = child
        return unit
