"""The checker: declarations, references, menus, handlers, then types and control/data flow.

Passes append diagnostics and never raise; `check_unit` runs them all on one loaded file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dsl import tree as T
from dsl.diagnostics import Reporter, did_you_mean
from dsl.flowcheck import FlowFacts, analyze_flow, assignment_sites
from dsl.project import HOOKS_FILE, NLU_FILE, Resources, Unit
from dsl.types import check_types
from dsl.walk import program_statements, statements, targets

# Which handlers each place accepts.
ALLOWED_HANDLERS: dict[str, tuple[str, ...]] = {
    "global": ("intent", "key", "hangup", "error", "failure", "noinput", "nomatch"),
    "input": ("noinput", "nomatch", "failure", "intent", "key", "error"),
    "step": ("intent", "key", "error"),
    "fetch": ("error",),
    "run": ("error",),
    "answer": ("no_answer", "error"),
}
BUILTIN_ATTEMPTS = 3


def _trigger_text(t: T.Trigger) -> str:
    return f"on {t.kind}" + (f" {t.arg}" if t.arg else "")


def name_span(rep: Reporter, span: T.Span, name: str, after: int = 0) -> T.Span:
    """The span of `name` on the first line of `span` (skipping `after` words), else `span`."""
    line = rep.source.line_text(span.line)
    start = span.column - 1
    for _ in range(after):
        m = re.compile(r"\S+\s*").match(line, start)
        start = m.end() if m else start
    m = re.compile(r"(?<![\w.\"-])" + re.escape(name) + r"(?![\w\"-])").search(line, start)
    if m is None:
        return span
    return T.Span(span.line, m.start() + 1, span.line, m.end() + 1)


def check_unit(unit: Unit, external_entries: set[str]) -> FlowFacts:
    program = unit.program
    rep = unit.parsed.reporter
    broken = unit.parsed.broken_names
    if program.header is None and not program.steps and rep.items:
        return FlowFacts()  # nothing parsed: the syntax errors say it all
    _check_header(program, rep, unit)
    names = _declarations(program, rep)
    _reserved_names(program, rep)
    _references(unit, rep, names, broken)
    _handlers(program, rep)
    _menus(program, rep)
    check_types(program, rep, {h.name for h in program.hours})

    def exports(alias: str) -> frozenset[str]:
        sub = unit.imports.get(alias)
        facts = sub.facts if sub else None
        return frozenset(facts.returns or ()) if facts else frozenset()

    # After a syntax error a dropped block may hold the jumps, so reachability is unknown.
    syntax_errors = any(d.code.startswith("F01") for d in rep.items)
    has_start = any(isinstance(s, T.Step) and s.entry for s in program.steps)
    subflow_vars = {name: alias for alias, sub in unit.imports.items()
                    for name in assignment_sites(sub.program)}
    return analyze_flow(program, rep, exports, external_entries, unit.is_subflow,
                        subflow_vars=subflow_vars,
                        report_unreachable=has_start and not syntax_errors)


def _check_header(program: T.Program, rep: Reporter, unit: Unit) -> None:
    broken = unit.parsed.broken_names  # blanked by a syntax error: not missing
    if program.header is None and "flow" not in broken:
        rep.error("F0213", T.Span(1, 1, 1, 2), "this file has no `flow` header",
                  help='start the file with a line like: flow acme "Acme customer hotline"')
    elif program.header is not None:
        lang = program.header.language
        if lang and not LANGUAGE_TAG.fullmatch(lang):
            where = program.header.span
            for n in range(where.line + 1, min(where.line + 20, rep.source.line_count) + 1):
                if rep.source.line_text(n).split()[:2] == ["language", lang]:
                    where = name_span(rep, T.Span(n, 1, n, 2), lang, after=1)
                    break
            rep.error("F0608", where, f"`{lang}` is not a language tag",
                      help=_language_help(lang))
    _variant_languages(program, rep)
    # The entry block is named `start`; a `step start` without it is reported as F0107.
    if not any(s.name == "start" for s in program.steps) and "start" not in broken:
        rep.error("F0213", program.header.span if program.header else T.Span(1, 1, 1, 2),
                  "this flow has no `start` block",
                  help="add a `start` block: it is where every call to this flow begins")
    starts = [s for s in program.steps if isinstance(s, T.Step) and s.entry]
    for extra in starts[1:]:
        rep.error("F0213", extra.span, "a second `start` block",
                  help="a flow has one entry; merge the two blocks")


LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3}|-[A-Za-z0-9]{4,8})*")


def _language_help(lang: str) -> str:
    if re.fullmatch(r"[a-zA-Z]{2,3}-[a-zA-Z]{2}", lang):
        fixed = lang[:-3].lower() + "-" + lang[-2:].upper()
        return f"write the language in small letters and the region in capitals: {fixed}"
    return "use a BCP 47 tag such as en-US or es-MX"


def _variant_languages(program: T.Program, rep: Reporter) -> None:
    """Language tags of translated prompts (`es-US "Hola."`)."""
    prompts = [s.prompt for s in program.steps if isinstance(s, T.Menu) and s.prompt]
    for stmt in program_statements(program):
        prompt = stmt.prompt if isinstance(stmt, T.Say | T.Ask | T.Record) else None
        if prompt is not None:
            prompts.append(prompt)
    for prompt in prompts:
        for v in prompt.variants:
            if not LANGUAGE_TAG.fullmatch(v.language):
                rep.error("F0608", name_span(rep, v.span, v.language),
                          f"`{v.language}` is not a language tag",
                          help=_language_help(v.language))


def _declarations(program: T.Program, rep: Reporter) -> dict[str, dict[str, T.Node]]:
    """Names declared in the flow, by kind, reporting duplicates."""
    kinds: dict[str, Iterable[tuple[str, T.Node]]] = {
        "step": ((s.name, s) for s in program.steps if not (isinstance(s, T.Step) and s.entry)),
        "queue": ((q.name, q) for q in program.queues),
        "hours": ((h.name, h) for h in program.hours),
        "sub-flow": ((u.alias, u) for u in program.uses),
    }
    out: dict[str, dict[str, T.Node]] = {}
    for kind, items in kinds.items():
        seen: dict[str, T.Node] = {}
        for name, node in items:
            if name in seen:
                rep.error("F0202", node.span, f"duplicate {kind} name `{name}`",
                          label=f"`{name}` is already declared on line {seen[name].span.line}",
                          help=f"rename one of the two {kind}s")
            else:
                seen[name] = node
        out[kind] = seen
    return out


# Names a variable cannot take: expression words, and the built-in values.
RESERVED_VARIABLES = ("true", "false", "not", "and", "or", "is", "set", "caller", "env",
                      "last_utterance")


def _reserved_names(program: T.Program, rep: Reporter) -> None:
    for step in program.steps:
        if step.name == "start" and not (isinstance(step, T.Step) and step.entry):
            kind = "menu" if isinstance(step, T.Menu) else "step"
            rep.error("F0107", step.span, f"`start` is a keyword and cannot be a {kind} name",
                      label="the entry block is written `start`, on its own",
                      help=f"write `start` alone on the line (no `{kind}` before it) for the "
                      f"entry, or give this {kind} another name")
    declared = {T.Ask: "slot", T.Set: "var", T.Fetch: "var", T.Run: "var", T.Record: "var"}
    for stmt in program_statements(program):
        attr = declared.get(type(stmt))
        name = getattr(stmt, attr) if attr else ""
        if name in RESERVED_VARIABLES:
            builtin = name in ("caller", "env", "last_utterance")
            what = "the name of a built-in value" if builtin else "a keyword of expressions"
            rep.error("F0107", name_span(rep, stmt.span, name, after=1),
                      f"`{name}` is {what} and cannot be a variable name",
                      label=f"`{name}` in an expression would not mean this variable",
                      help=f"choose another name, such as `{name}_answer`" if name != "caller"
                      else "choose another name, such as `caller_name`")


def _references(unit: Unit, rep: Reporter, names: dict[str, dict[str, T.Node]],
                broken: set[str]) -> None:
    program, res = unit.program, unit.resources
    steps, queues = names["step"], names["queue"]
    for target, kind in targets(program):
        if target.flow or (kind == "call" and target.step in names["sub-flow"]):
            alias = target.flow or target.step
            sub = unit.imports.get(alias)
            if alias not in names["sub-flow"]:
                sp = target.span
                rep.error("F0208", T.Span(sp.line, sp.column, sp.line, sp.column + len(alias)),
                          f"unknown sub-flow `{alias}`",
                          label=f"no `use ... as {alias}` in this file",
                          help=did_you_mean(alias, names["sub-flow"], "sub-flow"))
            elif sub is not None and target.flow:
                sub_steps = {s.name for s in sub.program.steps}
                if target.step not in sub_steps and target.step not in sub.parsed.broken_names:
                    rep.error("F0201", target.span,
                              f"unknown step `{target.step}` in sub-flow `{alias}`",
                              label=f"no step named `{target.step}` in "
                              f"{sub.path.replace(chr(92), '/').rsplit('/', 1)[-1]}",
                              help=did_you_mean(target.step, sub_steps, "step"))
            continue
        if kind == "call" and target.step in steps:
            rep.error("F0208", target.span, f"`call {target.step}` needs a sub-flow",
                      label="this is a step of this flow, not a `use`d flow",
                      help=f"use `go {target.step}` to jump to a step of this flow; `call` runs "
                      "another flow and comes back")
            continue
        if kind == "call":
            close = did_you_mean(target.step, names["sub-flow"], "sub-flow")
            rep.error("F0208", target.span, f"unknown sub-flow `{target.step}`",
                      label=f"no `use ... as {target.step}` in this file",
                      help=close if names["sub-flow"] else f'import it first, with a line like: '
                      f'use "{target.step}.flow" as {target.step}')
            continue
        if target.step not in steps and target.step not in broken:
            rep.error("F0201", target.span, f"unknown step `{target.step}`",
                      label="no step with this name in this flow",
                      help=did_you_mean(target.step, steps, "step"))
    queue_refs = [(s.queue, name_span(rep, s.span, s.queue, after=1))
                  for s in program_statements(program) if isinstance(s, T.Handoff)]
    queue_refs += [(q.overflow.queue, name_span(rep, q.overflow.span, q.overflow.queue, after=2))
                   for q in program.queues if q.overflow]
    for name, span in queue_refs:
        if name not in queues and name not in broken:
            rep.error("F0203", span, f"unknown queue `{name}`",
                      label="no `queue` block with this name",
                      help=did_you_mean(name, queues, "queue"))
    for stmt in program_statements(program):
        if isinstance(stmt, T.Run) and not _broken(res, "F0703"):
            _check_hook(stmt, rep, res.hooks)
        elif isinstance(stmt, T.Answer) and stmt.collection not in res.collections:
            where = name_span(rep, stmt.span, f'"{stmt.collection}"')
            rep.error("F0206", where, f"unknown knowledge collection `{stmt.collection}`",
                      label=f"no folder knowledge/{stmt.collection}/ next to this flow",
                      help=did_you_mean(stmt.collection, res.collections,
                                        "knowledge collection")
                      if res.collections else "no collection was found in a knowledge/ folder next "
                      f"to this flow: put its documents in knowledge/{stmt.collection}/")
    if not _broken(res, "F0705"):  # training data that does not load names no intent
        _check_intents(program, rep, res.intents)


def _broken(res: Resources, code: str) -> bool:
    """Whether a file next to the flow failed to load (already reported with `code`)."""
    return any(d.code == code for d in res.diagnostics)


def _check_hook(stmt: T.Run, rep: Reporter, hooks: dict | None) -> None:
    where = name_span(rep, stmt.span, stmt.hook, after=3 if stmt.var else 1)
    if hooks is None:
        rep.error("F0205", where, f"unknown hook `{stmt.hook}`",
                  label=f"there is no {HOOKS_FILE} next to this flow",
                  help=f"define `def {stmt.hook}(...)` in {HOOKS_FILE} beside the .flow file")
        return
    sig = hooks.get(stmt.hook)
    if sig is None:
        rep.error("F0205", where, f"unknown hook `{stmt.hook}`",
                  label=f"no function with this name in {HOOKS_FILE}",
                  help=did_you_mean(stmt.hook, hooks, "hook") if hooks else
                  f"{HOOKS_FILE} defines no functions yet: add `def {stmt.hook}(...)`")
        return
    n = len(stmt.args)
    if n < sig.min_args or (sig.max_args is not None and n > sig.max_args):
        want = (str(sig.min_args) if sig.min_args == sig.max_args else
                f"{sig.min_args} or more" if sig.max_args is None else
                f"{sig.min_args} to {sig.max_args}")
        rep.error("F0704", where, f"`{stmt.hook}` takes {want} argument"
                  f"{'' if want == '1' else 's'}, but {n} {'is' if n == 1 else 'are'} given",
                  help=f"see `def {stmt.hook}` on line {sig.line} of {HOOKS_FILE}")


def _check_intents(program: T.Program, rep: Reporter, intents: set[str] | None) -> None:
    uses: list[tuple[str, T.Node]] = []
    for h in _all_handlers(program):
        if h.trigger.kind == "intent":
            uses.append((h.trigger.arg, h.trigger))
    for step in program.steps:
        if isinstance(step, T.Menu):
            uses += [(c.intent, c) for c in step.choices if c.intent]
    for name, node in uses:
        where = name_span(rep, node.span, name)
        if intents is None:
            rep.error("F0207", where, f"unknown intent `{name}`",
                      label=f"there is no {NLU_FILE} next to this flow",
                      help=f"add {NLU_FILE} with training examples for `{name}` (Rasa format)")
        elif name not in intents:
            rep.error("F0207", where, f"unknown intent `{name}`",
                      label=f"no `- intent: {name}` in {NLU_FILE}",
                      help=did_you_mean(name, intents, "intent") if intents else
                      f"{NLU_FILE} has no intents yet: add `- intent: {name}` with examples")


def _all_handlers(program: T.Program) -> Iterable[T.Handler]:
    yield from program.handlers
    for step in program.steps:
        yield from step.handlers
    for stmt in program_statements(program):
        yield from getattr(stmt, "handlers", ())


def _handlers(program: T.Program, rep: Reporter) -> None:
    """Handlers in the right places, no duplicates, and failure handlers that leave."""
    places: list[tuple[str, str, tuple[T.Handler, ...]]] = [
        ("global", "at the top level", program.handlers)]
    for step in program.steps:
        kind = "input" if isinstance(step, T.Menu) else "step"
        places.append((kind, f"in {'menu' if kind == 'input' else 'step'} `{step.name}`",
                       step.handlers))
        for stmt in step_statements_with_handlers(step):
            kind = {T.Ask: "input", T.Record: "input", T.Fetch: "fetch", T.Run: "run",
                    T.Answer: "answer"}[type(stmt)]
            places.append((kind, f"under `{type(stmt).__name__.lower()}`", stmt.handlers))
    for kind, where, handlers in places:
        seen: dict[tuple[str, str], T.Handler] = {}
        for h in handlers:
            trig = h.trigger
            if trig.kind not in ALLOWED_HANDLERS[kind]:
                allowed = ", ".join(f"`on {k}`" for k in ALLOWED_HANDLERS[kind])
                rep.error("F0308", trig.span, f"`{_trigger_text(trig)}` cannot be used {where}",
                          help=f"here you can use {allowed}")
                continue
            key = (trig.kind, trig.arg)
            if key in seen:
                rep.error("F0202", trig.span, f"duplicate handler `{_trigger_text(trig)}`",
                          label=f"already handled on line {seen[key].span.line}",
                          help="merge the two handlers into one")
            seen[key] = h
            if trig.kind == "failure":
                _must_leave(h, rep)


def step_statements_with_handlers(step: T.Step | T.Menu) -> Iterable[T.Stmt]:
    blocks = [step.body] if isinstance(step, T.Step) else []
    blocks += [h.body for h in step.handlers]
    for block in blocks:
        for stmt in statements(block):
            if isinstance(stmt, T.Ask | T.Record | T.Fetch | T.Run | T.Answer):
                yield stmt


def _must_leave(h: T.Handler, rep: Reporter) -> None:
    if h.trigger.kind == "failure" and not _leaves(h.body):
        rep.error("F0402", h.trigger.span, "`on failure` must lead somewhere",
                  label="a path through this handler ends without a destination",
                  help="end it with `go`, `handoff`, `hangup` or `return`: the caller has used "
                  "every attempt")


def _leaves(block: tuple[T.Stmt, ...]) -> bool:
    """Whether every path through the block ends in go/handoff/hangup/return."""
    for stmt in block:
        if isinstance(stmt, T.TERMINATORS):
            return True
        if isinstance(stmt, T.If) and stmt.orelse and all(
            _leaves(b.body) for b in stmt.branches
        ) and _leaves(stmt.orelse):
            return True
    return False


def _menus(program: T.Program, rep: Reporter) -> None:
    global_keys = {h.trigger.arg: h for h in program.handlers if h.trigger.kind == "key"}
    default_attempts = (program.header.defaults.attempts if program.header else None)
    has_global_failure = any(h.trigger.kind == "failure" for h in program.handlers)
    inputs: list[tuple[str, T.Node, tuple[T.Handler, ...], int | None]] = []
    for step in program.steps:
        if isinstance(step, T.Menu):
            _menu(step, rep, global_keys)
            inputs.append((f"menu `{step.name}`", step, step.handlers, step.settings.attempts))
        for stmt in step_statements_with_handlers(step):
            if isinstance(stmt, T.Ask):
                inputs.append((f"`ask {stmt.slot}`", stmt, stmt.handlers,
                               stmt.settings.attempts))
            elif isinstance(stmt, T.Record):
                inputs.append((f"`record {stmt.var}`", stmt, stmt.handlers, None))
    for what, node, handlers, attempts in inputs:
        limit = attempts or default_attempts or BUILTIN_ATTEMPTS
        if not has_global_failure and not any(h.trigger.kind == "failure" for h in handlers):
            rep.error("F0402", node.span, f"{what} has no way out after its last attempt",
                      label=f"after {limit} attempts nothing says where the call goes",
                      help="add `on failure` with a `go`, `handoff` or `hangup` (here, or once "
                      "at the top level for every input)")
        for h in handlers:
            counted = h.trigger.kind in ("noinput", "nomatch") and h.trigger.arg
            if counted and int(h.trigger.arg) > limit:
                rep.warning("F0306", h.trigger.span,
                            f"`{_trigger_text(h.trigger)}` can never run",
                            label=f"{what} gives up after {limit} attempts",
                            help=f"raise `attempts` or number this handler {limit} or less")


def _menu(menu: T.Menu, rep: Reporter, global_keys: dict[str, T.Handler]) -> None:
    if menu.prompt is None:
        rep.error("F0305", menu.span, f"menu `{menu.name}` has no prompt",
                  help='add a line like: prompt "For billing, press 1 or say billing."')
    if not menu.choices:
        rep.error("F0305", menu.span, f"menu `{menu.name}` has no choices",
                  help='add choices like: 1 "billing" -> billing')
    keys: dict[str, T.Choice] = {}
    phrases: dict[str, T.Choice] = {}
    intents: dict[str, T.Choice] = {}
    for c in menu.choices:
        key_span = T.Span(c.span.line, c.span.column, c.span.line, c.span.column + len(c.key))
        if c.key:
            if c.key in keys:
                rep.error("F0301", key_span, f"key {c.key} is used twice in menu `{menu.name}`",
                          label=f"already leads to `{keys[c.key].target.step}` on line "
                          f"{keys[c.key].span.line}",
                          help="give each choice its own key")
            else:
                keys[c.key] = c
            if c.key in global_keys:
                rep.warning("F0307", key_span, f"key {c.key} hides the global `on key {c.key}`",
                            label="in this menu the choice wins",
                            help="pick another key if callers should reach the global handler "
                            "here")
        for phrase in c.phrases:
            norm = " ".join(phrase.lower().split())
            if norm in phrases:
                rep.error("F0302", name_span(rep, c.span, f'"{phrase}"'),
                          f'the phrase "{phrase}" is used twice in menu '
                          f"`{menu.name}`", label=f"also on line {phrases[norm].span.line}",
                          help="a phrase can lead to one choice only (case and extra spaces do not "
                          "count); remove one")
            else:
                phrases[norm] = c
        tag = "question" if c.question else c.intent
        if tag:
            if tag in intents:
                what = "the free-question choice" if c.question else f"intent `{tag}`"
                rep.error("F0303", name_span(rep, c.span, tag, after=0 if c.question else 1),
                          f"{what} appears twice in menu `{menu.name}`",
                          label=f"also on line {intents[tag].span.line}",
                          help="keep one of the two choices")
            else:
                intents[tag] = c
