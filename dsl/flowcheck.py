"""Control flow and data flow: paths that fall off a step, inputs with no way out, unreachable
steps and statements, and variables read where they may not be set.

Each step is analysed as a block of statements. `analyze` returns the variables definitely set
on the paths that continue past the block, or None when every path has left (go, handoff,
hangup, return). Steps are joined by their jumps and solved to a fixpoint: a step's incoming
variables are those set on every path that reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dsl import tree as T
from dsl.diagnostics import Reporter, did_you_mean
from dsl.types import BUILTIN_VARS, FUNCTIONS
from dsl.walk import expressions

# A set of variables as a bit mask (one bit per variable name): unions and intersections of the
# sets that grow along a long flow stay cheap.
Vars = int


class Bits:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def of(self, name: str) -> int:
        bit = self.index.get(name)
        if bit is None:
            bit = self.index[name] = 1 << len(self.index)
        return bit

    def mask(self, names: Iterable[str]) -> int:
        out = 0
        for n in names:
            out |= self.of(n)
        return out

    def names(self, mask: int) -> frozenset[str]:
        return frozenset(n for n, b in self.index.items() if mask & b)


@dataclass
class FlowFacts:
    """Results other passes and importing flows need."""

    reached: set[str] = field(default_factory=set)
    returns: frozenset[str] | None = None  # variables set at every `return` (None: no return)


@dataclass
class Analyzer:
    program: T.Program
    rep: Reporter
    subflow_exports: Callable[[str], frozenset[str]]  # alias -> variables set by the call
    assigned_at: dict[str, T.Node]
    bits: Bits
    report: bool = False
    subflow_vars: dict[str, str] = field(default_factory=dict)  # variable -> sub-flow alias
    edges: list[tuple[str, Vars]] = field(default_factory=list)
    returns: list[Vars] = field(default_factory=list)
    global_failure: bool = False

    # ---- reads -------------------------------------------------------------------------------
    def reads(self, node: object, have: Vars) -> None:
        if not self.report:
            return
        for top in expressions(node):
            self.read_expr(top, have)

    def read_expr(self, expr: T.Expr, have: Vars) -> None:
        """Report reads of variables not in `have`; `and`/`or` narrow like `if` does."""
        if not self.report or isinstance(expr, T.IsSet | T.Num | T.Bool):
            return
        if isinstance(expr, T.Ref):
            name = expr.path[0]
            if name not in BUILTIN_VARS and not have & self.bits.of(name):
                self._unset(expr, name)
        elif isinstance(expr, T.Binary):
            self.read_expr(expr.left, have)
            when_true, when_false = _narrow(expr.left, self.bits)
            extra = when_true if expr.op == "and" else when_false if expr.op == "or" else 0
            self.read_expr(expr.right, have | extra)
        elif isinstance(expr, T.Unary):
            self.read_expr(expr.operand, have)
        elif isinstance(expr, T.Func):
            # open() names an hours block, not a variable; an unknown function is F0209 already
            if expr.name != "open" and expr.name in FUNCTIONS:
                for arg in expr.args:
                    self.read_expr(arg, have)
        elif isinstance(expr, T.Str):
            for inner in expressions(expr.value):
                self.read_expr(inner, have)

    def _unset(self, expr: T.Ref, name: str) -> None:
        site = self.assigned_at.get(name)
        if site is None and name in self.subflow_vars:
            alias = self.subflow_vars[name]
            self.rep.error("F0401", expr.span, f"`{name}` may not be set here", label="read here",
                           help=f"sub-flow `{alias}` sets it, but not on every path that returns; "
                           f"set it before each `return` there, or guard the read with "
                           f"`if {name} is set`")
            return
        if site is None:
            self.rep.error("F0401", expr.span, f"`{name}` is never set in this flow",
                           label="read here",
                           help=did_you_mean(name, [*self.assigned_at, *BUILTIN_VARS], "variable")
                           .replace("exists", "is set"))
            return
        self.rep.error("F0401", expr.span, f"`{name}` may not be set here", label="read here",
                       help=f"it is set on line {site.span.line}, but not on every path that "
                       f"reaches this line; guard the read with `if {name} is set`")

    # ---- blocks ------------------------------------------------------------------------------
    def block(self, stmts: tuple[T.Stmt, ...], have: Vars) -> Vars | None:
        current: Vars | None = have
        for stmt in stmts:
            if current is None:
                if self.report:
                    self.rep.warning("F0405", stmt.span, "this statement can never run",
                                     label="every path has left the step before this line",
                                     help="remove it, or move it above the `go`, `handoff`, "
                                     "`hangup` or `return` that ends the path")
                return None
            current = self.stmt(stmt, current)
        return current

    def handler_exit(self, handlers: tuple[T.Handler, ...], kind: str,
                     have: Vars) -> tuple[bool, Vars | None]:
        """(present, variables after it) for the handler of `kind`, if any."""
        for h in handlers:
            if h.trigger.kind == kind:
                return True, self.block(h.body, have)
        return False, None

    def other_handlers(self, handlers: tuple[T.Handler, ...], have: Vars,
                       skip: tuple[str, ...]) -> None:
        for h in handlers:
            if h.trigger.kind not in skip:
                self.block(h.body, have)

    def stmt(self, stmt: T.Stmt, have: Vars) -> Vars | None:
        if isinstance(stmt, T.Go):
            self.edges.append((_key(stmt.target), have))
            return None
        if isinstance(stmt, T.Return):
            self.returns.append(have)
            return None
        if isinstance(stmt, T.Hangup):
            return None
        if isinstance(stmt, T.Handoff):
            self.reads(stmt, have)
            return None
        if isinstance(stmt, T.Call):
            alias = stmt.target.flow or stmt.target.step
            return have | self.bits.mask(self.subflow_exports(alias))
        if isinstance(stmt, T.Set):
            self.reads(stmt, have)
            return have | self.bits.of(stmt.var)
        if isinstance(stmt, T.If):
            return self.if_stmt(stmt, have)
        if isinstance(stmt, T.Ask):
            return self.input_step(stmt, have, stmt.slot)
        if isinstance(stmt, T.Record):
            return self.input_step(stmt, have, stmt.var)
        if isinstance(stmt, T.Fetch | T.Run):
            self.reads(stmt, have)
            after = have | self.bits.of(stmt.var) if stmt.var else have
            _, err = self.handler_exit(stmt.handlers, "error", have)
            return _meet(after, err)
        if isinstance(stmt, T.Answer):
            _, miss = self.handler_exit(stmt.handlers, "no_answer", have)
            self.other_handlers(stmt.handlers, have, ("no_answer",))
            return _meet(have, miss)
        self.reads(stmt, have)  # say, pause
        return have

    def if_stmt(self, stmt: T.If, have: Vars) -> Vars | None:
        out: Vars | None = None
        pending = have
        for branch in stmt.branches:
            self.read_expr(branch.condition, pending)
            narrowed, negated = _narrow(branch.condition, self.bits)
            result = self.block(branch.body, pending | narrowed)
            out = _meet(out, result) if out is not None else result
            pending = pending | negated
        else_out = self.block(stmt.orelse, pending) if stmt.orelse else pending
        return _meet(out, else_out) if out is not None else else_out

    def input_step(self, stmt: T.Ask | T.Record, have: Vars, var: str) -> Vars | None:
        self.reads(stmt.prompt, have) if stmt.prompt else None
        if isinstance(stmt, T.Ask):
            with_slot = have | self.bits.of(var)
            for part in stmt.confirm:
                self.reads(part, with_slot)
            if stmt.validate:
                self.read_expr(stmt.validate.condition, with_slot)
                self.reads(stmt.validate.message, with_slot)
        present, fail = self.handler_exit(stmt.handlers, "failure", have)
        self.other_handlers(stmt.handlers, have, ("failure",))
        if not present and not self.global_failure:
            return have | self.bits.of(var)
        return _meet(have | self.bits.of(var), fail)

    def menu(self, menu: T.Menu, have: Vars) -> None:
        self.reads(menu.prompt, have) if menu.prompt else None
        for choice in menu.choices:
            self.edges.append((_key(choice.target), have))
        self.other_handlers(menu.handlers, have, ())


def _key(target: T.Target) -> str:
    return f"{target.flow}.{target.step}" if target.flow else target.step


def _meet(a: Vars | None, b: Vars | None) -> Vars | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _narrow(cond: T.Expr, bits: Bits) -> tuple[Vars, Vars]:
    """Variables known set when the condition is true, and when it is false."""
    if isinstance(cond, T.IsSet):
        name = bits.of(cond.ref.path[0])
        return (0, name) if cond.negated else (name, 0)
    if isinstance(cond, T.Binary) and cond.op == "and":
        lt, _ = _narrow(cond.left, bits)
        rt, _ = _narrow(cond.right, bits)
        return lt | rt, 0
    if isinstance(cond, T.Binary) and cond.op == "or":
        _, lf = _narrow(cond.left, bits)
        _, rf = _narrow(cond.right, bits)
        return 0, lf | rf
    if isinstance(cond, T.Unary) and cond.op == "not":
        t, f = _narrow(cond.operand, bits)
        return f, t
    return 0, 0


def assignment_sites(program: T.Program) -> dict[str, T.Node]:
    from dsl.walk import program_statements

    sites: dict[str, T.Node] = {}
    for stmt in program_statements(program):
        var = {T.Ask: "slot", T.Set: "var", T.Fetch: "var", T.Run: "var", T.Record: "var"}
        attr = var.get(type(stmt))
        if attr and getattr(stmt, attr):
            sites.setdefault(getattr(stmt, attr), stmt)
    return sites


def analyze_flow(program: T.Program, rep: Reporter,
                 subflow_exports: Callable[[str], frozenset[str]],
                 external_entries: set[str], is_subflow: bool,
                 subflow_vars: dict[str, str] | None = None,
                 report_unreachable: bool = True) -> FlowFacts:
    steps = {s.name: s for s in program.steps}
    sites = assignment_sites(program)
    bits = Bits()
    all_sites = bits.mask(sites)
    global_failure = any(h.trigger.kind == "failure" for h in program.handlers)

    def run_step(step: T.Step | T.Menu, have: Vars, report: bool) -> Analyzer:
        an = Analyzer(program, rep, subflow_exports, sites, bits, report,
                      global_failure=global_failure, subflow_vars=subflow_vars or {})
        if isinstance(step, T.Menu):
            an.menu(step, have)
            return an
        out = an.block(step.body, have)
        for h in step.handlers:
            an.block(h.body, have)
        if out is not None and report:
            what = "the start block" if step.entry else f"step `{step.name}`"
            rep.error("F0404", step.span, f"{what} can reach its end without going anywhere",
                      label="a path through this step ends without a destination",
                      help="end every path with `go`, `handoff`"
                      + (", `hangup` or `return`" if is_subflow else " or `hangup`"))
        return an

    # Global handlers can fire anywhere: they see no slots, and their jumps start from nothing.
    globals_an = Analyzer(program, rep, subflow_exports, sites, bits, False)
    for h in program.handlers:
        globals_an.block(h.body, 0)

    entry: dict[str, Vars] = {}
    work: list[str] = []

    def arrive(name: str, have: Vars) -> None:
        if name not in steps:
            return
        old = entry.get(name)
        new = have if old is None else old & have
        if old is None or new != old:
            entry[name] = new
            work.append(name)

    for name in ("start", *sorted(external_entries)):
        arrive(name, 0)
    for target, have in globals_an.edges:
        arrive(target, have)
    while work:
        name = work.pop()
        an = run_step(steps[name], entry[name], report=False)
        for target, have in an.edges:
            arrive(target, have)

    # Final pass: report, with each step's settled incoming variables.
    returns: list[Vars] = []
    reporter = Analyzer(program, rep, subflow_exports, sites, bits, True,
                        subflow_vars=subflow_vars or {})
    for h in program.handlers:
        reporter.block(h.body, 0)
    returns.extend(reporter.returns)
    for step in program.steps:
        reached = step.name in entry
        # An unreached step is still checked, as if every variable of the flow were set.
        an = run_step(step, entry[step.name] if reached else all_sites, report=True)
        if not reached and not getattr(step, "entry", False) and report_unreachable:
            rep.warning("F0403", step.span, f"step `{step.name}` is never reached",
                        label="no `go`, menu choice or handler leads here",
                        help="remove it, or add a `go` or a menu choice that leads to it")
        returns.extend(an.returns)
    facts = FlowFacts(reached=set(entry))
    if returns:
        result = returns[0]
        for r in returns[1:]:
            result &= r
        facts.returns = bits.names(result)
    return facts
