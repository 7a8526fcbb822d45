"""The formatter: a program (AST or IR) printed as canonical .flow text, comments included.

Canonical means: two spaces per level, one blank line between top-level items, declarations in
a fixed order (flow, use, hours, queue, global handlers, start, steps), and each block's lines
in a fixed order. Parsing the output gives back the same program.
"""

from __future__ import annotations

from dsl import tree as T
from dsl.templates import quote_plain
from dsl.values import format_duration as dur

INDENT = "  "
WIDTH = 100  # long prompt text wraps; the parser joins the lines back with single spaces
_PREC = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "/": 6}


def expr(e: T.Expr) -> str:
    return _expr(e, 0)


def _expr(e: T.Expr, parent: int) -> str:
    if isinstance(e, T.Str):
        return f'"{e.value.text}"'
    if isinstance(e, T.Num):
        return _num(e.value)
    if isinstance(e, T.Bool):
        return "true" if e.value else "false"
    if isinstance(e, T.Ref):
        return ".".join(e.path)
    if isinstance(e, T.Func):
        return f"{e.name}({', '.join(expr(a) for a in e.args)})"
    if isinstance(e, T.IsSet):
        out = f"{'.'.join(e.ref.path)} is {'not ' if e.negated else ''}set"
        return f"({out})" if parent > 4 else out
    if isinstance(e, T.Unary):
        if e.op == "not":
            out = f"not {_expr(e.operand, 3)}"
            return f"({out})" if parent > 3 else out
        return f"-{_expr(e.operand, 7)}"
    if isinstance(e, T.Binary):
        prec = _PREC[e.op]
        # Comparisons do not chain, and the right side of a left-assoc operator binds tighter.
        left = _expr(e.left, prec + 1 if prec == 4 else prec)
        right = _expr(e.right, prec + 1)
        out = f"{left} {e.op} {right}"
        return f"({out})" if parent > prec else out
    raise TypeError(f"not an expression: {e!r}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parts(ps: tuple[T.Part, ...]) -> str:
    return " ".join(f'"{p.text}"' if isinstance(p, T.Template) else f"pause {dur(p.ms)}"
                    for p in ps)


class Printer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def emit(self, depth: int, text: str, node: T.Node | None = None) -> None:
        if node is not None:
            for c in node.comments:
                self.lines.append(f"{INDENT * depth}# {c}".rstrip())
            if node.note:
                text = f"{text}  # {node.note}"
        self.lines.append(f"{INDENT * depth}{text}")

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    # ---- top level -------------------------------------------------------------------------
    def program(self, p: T.Program) -> str:
        if p.header:
            self.header(p.header)
        for group in (p.uses, p.hours, p.queues):
            for item in group:
                self.blank()
                if isinstance(item, T.Use):
                    self.emit(0, f"use {quote_plain(item.path)} as {item.alias}", item)
                elif isinstance(item, T.Hours):
                    self.hours(item)
                else:
                    self.queue(item)
        if p.handlers:
            self.blank()
            for h in p.handlers:
                self.handler(0, h)
        for step in p.steps:
            self.blank()
            if isinstance(step, T.Menu):
                self.menu(step)
            else:
                self.emit(0, "start" if step.entry else f"step {step.name}", step)
                self.block(1, step.body)
                for h in step.handlers:
                    self.handler(1, h)
        if p.trailing_comments:
            self.blank()
            for c in p.trailing_comments:
                self.lines.append(f"# {c}".rstrip())
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    def header(self, h: T.FlowHeader) -> None:
        title = f" {quote_plain(h.title)}" if h.title else ""
        self.emit(0, f"flow {h.name}{title}", h)
        if h.language:
            self.emit(1, f"language {h.language}")
        if h.voice:
            self.emit(1, f"voice {h.voice}")
        if _has_settings(h.defaults):
            self.emit(1, "defaults", h.defaults)
            self.settings(2, h.defaults, with_comments=False)

    def settings(self, depth: int, s: T.Settings, with_comments: bool = True) -> None:
        lines = []
        if s.input is not None:
            lines.append("input " + {"both": "keys and speech"}.get(s.input, s.input))
        if s.barge_in is not None:
            lines.append(f"barge_in {'on' if s.barge_in else 'off'}")
        if s.noinput_ms is not None:
            lines.append(f"noinput after {dur(s.noinput_ms)}")
        if s.interdigit_ms is not None:
            lines.append(f"interdigit after {dur(s.interdigit_ms)}")
        if s.attempts is not None:
            lines.append(f"attempts {s.attempts}")
        if s.terminator is not None:
            lines.append(f"terminator {s.terminator}")
        for i, line in enumerate(lines):
            self.emit(depth, line, s if with_comments and i == 0 else None)

    def hours(self, h: T.Hours) -> None:
        self.emit(0, f"hours {h.name}", h)
        if h.timezone:
            self.emit(1, f"timezone {quote_plain(h.timezone)}")
        for rule in h.weekly:
            ranges = ", ".join(f"{r.start}-{r.end}" for r in rule.ranges)
            self.emit(1, f"{', '.join(rule.spelled)} {ranges}", rule)
        if h.closed:
            self.emit(1, f"closed {', '.join(h.closed)}")

    def queue(self, q: T.Queue) -> None:
        self.emit(0, f"queue {q.name}", q)
        if q.skills:
            skills = ", ".join(s.name + (f":{s.level}" if s.level is not None else "")
                               for s in q.skills)
            self.emit(1, f"skills {skills}")
        if q.strategy:
            self.emit(1, f"strategy {q.strategy}")
        if q.priority_by is not None:
            self.emit(1, f"priority by {expr(q.priority_by)}")
        for a in q.announce:
            self.emit(1, f"announce {a.what} every {dur(a.every_ms)}", a)
        if q.callback_after_ms is not None:
            self.emit(1, f"offer callback after {dur(q.callback_after_ms)}")
        if q.overflow:
            self.emit(1, f"overflow to {q.overflow.queue} after {dur(q.overflow.after_ms)}",
                      q.overflow)
        if q.max_wait:
            self.emit(1, f"max_wait {dur(q.max_wait.after_ms)} then {q.max_wait.then}",
                      q.max_wait)

    # ---- steps -----------------------------------------------------------------------------
    def menu(self, m: T.Menu) -> None:
        self.emit(0, f"menu {m.name}", m)
        if m.prompt:
            self.prompt(1, "prompt", m.prompt)
        self.settings(1, m.settings)
        for c in m.choices:
            self.emit(1, _choice(c), c)
        for h in m.handlers:
            self.handler(1, h)

    def prompt(self, depth: int, keyword: str, p: T.Prompt, node: T.Node | None = None) -> None:
        barge = "" if p.barge_in is None else f" barge_in {'on' if p.barge_in else 'off'}"
        if node is not None and (p.comments or p.note):
            node = T.Say(prompt=p, comments=(*node.comments, *p.comments),
                         note=" ".join(x for x in (node.note, p.note) if x))
        line = f"{keyword} {parts(p.parts)}{barge}"
        if len(p.parts) == 1 and len(INDENT * depth + line) > WIDTH:
            line = _wrap(depth, keyword, p.parts[0].text, barge) if isinstance(
                p.parts[0], T.Template) else line
        self.emit(depth, line, node or p)
        for v in p.variants:
            self.emit(depth + 1, f"{v.language} {parts(v.parts)}", v)

    def handler(self, depth: int, h: T.Handler) -> None:
        t = h.trigger
        head = f"on {t.kind}" + (f" {t.arg}" if t.arg else "")
        if depth > 0 and len(h.body) == 1 and _inline(h.body[0]):
            sub = Printer()
            sub.stmt(0, h.body[0])
            line = f"{head} {sub.lines[0]}"
            if len(sub.lines) == 1 and len(INDENT * depth + line) <= WIDTH:
                self.emit(depth, line, h)
                return
        self.emit(depth, head, h)
        self.block(depth + 1, h.body)

    def block(self, depth: int, stmts: tuple[T.Stmt, ...]) -> None:
        for s in stmts:
            self.stmt(depth, s)

    def stmt(self, d: int, s: T.Stmt) -> None:
        method = getattr(self, "s_" + type(s).__name__.lower())
        method(d, s)

    def s_say(self, d: int, s: T.Say) -> None:
        self.prompt(d, "say", s.prompt, s)

    def s_pausestmt(self, d: int, s: T.PauseStmt) -> None:
        self.emit(d, f"pause {dur(s.ms)}", s)

    def s_ask(self, d: int, s: T.Ask) -> None:
        t = s.type
        if t.name == "digits" and t.min_len is not None:
            rng = str(t.min_len) if t.min_len == t.max_len else f"{t.min_len}..{t.max_len}"
            typ = f"digits({rng})"
        elif t.name == "choice":
            typ = f"choice({', '.join(quote_plain(c) for c in t.choices)})"
        elif t.name == "pattern":
            typ = f"pattern({quote_plain(t.pattern)})"
        else:
            typ = t.name
        self.emit(d, f"ask {s.slot} as {typ}{' sensitive' if s.sensitive else ''}", s)
        if s.prompt:
            self.prompt(d + 1, "prompt", s.prompt)
        if s.confirm:
            self.emit(d + 1, f"confirm {parts(s.confirm)}")
        if s.validate:
            v = s.validate
            self.emit(d + 1, f'validate {expr(v.condition)} else "{v.message.text}"', v)
        self.settings(d + 1, s.settings)
        for h in s.handlers:
            self.handler(d + 1, h)

    def s_fetch(self, d: int, s: T.Fetch) -> None:
        opts = (f" timeout {dur(s.timeout_ms)}" if s.timeout_ms is not None else "") + (
            f" retries {s.retries}" if s.retries is not None else "")
        self.emit(d, f'fetch {s.var} = {s.method} "{s.url.text}"{opts}', s)
        for hd in s.headers:
            self.emit(d + 1, f"header {quote_plain(hd.name)}: {expr(hd.value)}", hd)
        if s.body:
            self.emit(d + 1, "body")
            self.fields(d + 2, s.body)
        for h in s.handlers:
            self.handler(d + 1, h)

    def fields(self, d: int, fields: tuple[T.Field, ...]) -> None:
        for f in fields:
            self.emit(d, f"{f.name}: {expr(f.value)}", f)

    def s_run(self, d: int, s: T.Run) -> None:
        var = f"{s.var} = " if s.var else ""
        timeout = f" timeout {dur(s.timeout_ms)}" if s.timeout_ms is not None else ""
        self.emit(d, f"run {var}{s.hook}({', '.join(expr(a) for a in s.args)}){timeout}", s)
        for h in s.handlers:
            self.handler(d + 1, h)

    def s_answer(self, d: int, s: T.Answer) -> None:
        conf = f" min_confidence {_num(s.min_confidence)}" if s.min_confidence is not None else ""
        self.emit(d, f"answer from knowledge {quote_plain(s.collection)}{conf}", s)
        for h in s.handlers:
            self.handler(d + 1, h)

    def s_handoff(self, d: int, s: T.Handoff) -> None:
        opts = []
        if s.reason:
            opts.append(f'reason "{s.reason.text}"')
        if s.priority:
            cond = f" if {expr(s.priority.condition)}" if s.priority.condition else ""
            opts.append(f"priority {s.priority.value}{cond}")
        if not s.context and not s.summary:
            self.emit(d, " ".join([f"handoff {s.queue}", *opts]), s)
            return
        self.emit(d, f"handoff {s.queue}", s)
        for o in opts:
            self.emit(d + 1, o)
        if s.context:
            self.emit(d + 1, "context")
            self.fields(d + 2, s.context)
        if s.summary:
            self.emit(d + 1, f'summary "{s.summary.text}"')

    def s_record(self, d: int, s: T.Record) -> None:
        mx = f" max {dur(s.max_ms)}" if s.max_ms is not None else ""
        self.emit(d, f"record {s.var}{mx}", s)
        if s.prompt:
            self.prompt(d + 1, "prompt", s.prompt)
        for h in s.handlers:
            self.handler(d + 1, h)

    def s_set(self, d: int, s: T.Set) -> None:
        self.emit(d, f"set {s.var} = {expr(s.value)}", s)

    def s_if(self, d: int, s: T.If) -> None:
        for i, b in enumerate(s.branches):
            node = s if i == 0 else b
            if i == 0 and (b.comments or b.note):
                node = T.Say(prompt=T.Prompt(parts=()), comments=(*s.comments, *b.comments),
                             note=" ".join(x for x in (s.note, b.note) if x))
            self.emit(d, f"{'if' if i == 0 else 'elif'} {expr(b.condition)}", node)
            self.block(d + 1, b.body)
        if s.orelse:
            self.emit(d, "else")
            self.block(d + 1, s.orelse)

    def s_go(self, d: int, s: T.Go) -> None:
        self.emit(d, f"go {_target(s.target)}", s)

    def s_call(self, d: int, s: T.Call) -> None:
        self.emit(d, f"call {_target(s.target)}", s)

    def s_return(self, d: int, s: T.Return) -> None:
        self.emit(d, "return", s)

    def s_hangup(self, d: int, s: T.Hangup) -> None:
        self.emit(d, "hangup", s)


def _wrap(depth: int, keyword: str, text: str, suffix: str) -> str:
    """Break a long string at single spaces outside `{...}`, continuing under the quote."""
    lead = len(INDENT * depth) + len(keyword) + 2
    lines, start, last_break, brace = [], 0, -1, 0
    limit = WIDTH - lead
    for i, ch in enumerate(text):
        brace += (ch == "{") - (ch == "}")
        if (ch == " " and brace == 0 and text[i - 1 : i] != " " and text[i + 1 : i + 2] != " "
                and text[i - 1 : i] != "\\"):
            if i - start > limit and last_break > start:
                lines.append(text[start:last_break])
                start = last_break + 1
            last_break = i
    if len(text) - start > limit and last_break > start:
        lines.append(text[start:last_break])
        start = last_break + 1
    lines.append(text[start:])
    joined = ("\n" + " " * lead).join(lines)
    return f'{keyword} "{joined}"{suffix}'


def _has_settings(s: T.Settings) -> bool:
    return any(getattr(s, f) is not None for f in
               ("input", "barge_in", "noinput_ms", "interdigit_ms", "attempts", "terminator"))


def _target(t: T.Target) -> str:
    return f"{t.flow}.{t.step}" if t.flow else t.step


def _choice(c: T.Choice) -> str:
    if c.question:
        return f"question -> {_target(c.target)}"
    words = []
    if c.key:
        words.append(c.key)
    if c.phrases:
        words.append(", ".join(quote_plain(p) for p in c.phrases))
    if c.intent:
        words.append(f"intent {c.intent}")
    return f"{' '.join(words)} -> {_target(c.target)}"


def _inline(s: T.Stmt) -> bool:
    """A handler body printed on the handler's own line: one statement with nothing under it."""
    if s.comments or s.note:
        return False
    if isinstance(s, T.Say):
        return not s.prompt.variants and not s.prompt.comments and not s.prompt.note
    if isinstance(s, T.Handoff):
        return not s.context and not s.summary
    return isinstance(s, T.Go | T.Hangup | T.Return | T.Set | T.PauseStmt | T.Call)


def format_program(program: T.Program) -> str:
    return Printer().program(program)
