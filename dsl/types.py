"""The expression language's types: inference and the checks on comparisons, arithmetic, formats."""

from __future__ import annotations

from dsl import tree as T
from dsl.diagnostics import Reporter, did_you_mean
from dsl.walk import expressions, program_statements, sub_expressions

ANY = "json"  # web service and hook results: fields unknown until run time
SLOT_VALUE_TYPES = {
    "digits": "digits", "number": "number", "currency": "currency", "date": "date",
    "time": "time", "yes_no": "bool", "phone": "phone", "choice": "text", "text": "text",
    "pattern": "text",
}
CALLER_FIELDS = {"number": "phone", "name": "text", "vip": "bool", "tier": "text",
                 "language": "text", "called": "phone"}
BUILTIN_VARS = {"last_utterance": "text", "caller": "caller", "env": "env"}
GROUPS = {"text": "text", "digits": "text", "phone": "text", "number": "number",
          "currency": "number", "date": "date", "time": "time", "bool": "bool", "audio": "audio"}
FORMAT_FITS = {
    "digits": {"digits", "number", "phone", "text"},
    "number": {"number", "currency", "digits"},
    "currency": {"number", "currency"},
    "date": {"date"},
    "time": {"time"},
    "spell": {"text", "digits", "phone"},
}
FUNCTIONS = {"open": "bool"}


def variable_types(program: T.Program) -> dict[str, str]:
    """Each variable's type from the statements that set it (conflicting sites give json)."""
    found: dict[str, str] = {}

    def note(name: str, typ: str) -> None:
        found[name] = typ if found.get(name, typ) == typ else ANY

    sets: list[T.Set] = []
    for stmt in program_statements(program):
        if isinstance(stmt, T.Ask):
            note(stmt.slot, SLOT_VALUE_TYPES.get(stmt.type.name, "text"))
        elif isinstance(stmt, T.Fetch) or (isinstance(stmt, T.Run) and stmt.var):
            note(stmt.var, ANY)
        elif isinstance(stmt, T.Record):
            note(stmt.var, "audio")
        elif isinstance(stmt, T.Set):
            sets.append(stmt)
    for _ in range(2):  # a `set` may copy another variable set by a later `set`
        for s in sets:
            note(s.var, infer(s.value, found))
    return found


def infer(expr: T.Expr, env: dict[str, str]) -> str:
    if isinstance(expr, T.Str):
        return "text"
    if isinstance(expr, T.Num):
        return "number"
    if isinstance(expr, T.Bool | T.IsSet):
        return "bool"
    if isinstance(expr, T.Func):
        return FUNCTIONS.get(expr.name, ANY)
    if isinstance(expr, T.Unary):
        return "bool" if expr.op == "not" else infer(expr.operand, env)
    if isinstance(expr, T.Binary):
        if expr.op in ("and", "or", "==", "!=", "<", "<=", ">", ">="):
            return "bool"
        left, right = infer(expr.left, env), infer(expr.right, env)
        if "currency" in (left, right):
            return "currency"
        return "number" if left != ANY or right != ANY else ANY
    if isinstance(expr, T.Ref):
        head = expr.path[0]
        if head == "caller" and len(expr.path) == 2:
            return CALLER_FIELDS.get(expr.path[1], ANY)
        if head == "env":
            return "text"
        typ = env.get(head) or BUILTIN_VARS.get(head, ANY)
        return typ if len(expr.path) == 1 else ANY
    return ANY


def _describe(typ: str) -> str:
    return {"json": "a web service or hook result", "bool": "a yes/no value",
            "audio": "a recording"}.get(typ, f"a {typ} value")


def check_types(program: T.Program, rep: Reporter, hours: set[str]) -> None:
    env = variable_types(program)
    nodes: list[object] = [*program_statements(program)]
    for q in program.queues:
        if q.priority_by is not None:
            nodes.append(q.priority_by)
    for node in nodes:
        tops = list(expressions(node))
        if isinstance(node, T.If):
            tops += [b.condition for b in node.branches]
        if isinstance(node, T.Ask) and node.validate:
            tops.append(node.validate.condition)
            tops += list(expressions(node.validate.message))
        for top in tops:
            for expr in sub_expressions(top):
                _check(expr, env, rep, hours)
        for template in _templates(node):
            for part in template.parts:
                if isinstance(part, T.Interp) and part.format:
                    _check_format(part, env, rep)


def _templates(node: object) -> list[T.Template]:
    out: list[T.Template] = []
    prompts: list[T.Prompt] = []
    if isinstance(node, T.Say) or (isinstance(node, T.Ask | T.Record) and node.prompt):
        prompts.append(node.prompt)
    if isinstance(node, T.Ask):
        out += [p for p in node.confirm if isinstance(p, T.Template)]
        if node.validate:
            out.append(node.validate.message)
    if isinstance(node, T.Handoff):
        out += [t for t in (node.reason, node.summary) if t]
        out += [f.value.value for f in node.context if isinstance(f.value, T.Str)]
    if isinstance(node, T.Fetch):
        out.append(node.url)
    for p in prompts:
        out += [x for x in p.parts if isinstance(x, T.Template)]
        for v in p.variants:
            out += [x for x in v.parts if isinstance(x, T.Template)]
    return out


def _check_format(part: T.Interp, env: dict[str, str], rep: Reporter) -> None:
    typ = infer(part.expr, env)
    fits = FORMAT_FITS.get(part.format)
    if fits is None or typ == ANY or typ in fits:
        return
    kinds = sorted(fits)
    rep.error("F0504", part.span, f"`as {part.format}` does not fit {_describe(typ)}",
              label=f"this is {_describe(typ)}",
              help=f"`as {part.format}` reads out " + ", ".join(kinds[:-1]) + " and "
              + kinds[-1] + " values" if len(kinds) > 1 else f"`as {part.format}` reads out "
              f"{kinds[0]} values only")


def _check(expr: T.Expr, env: dict[str, str], rep: Reporter, hours: set[str]) -> None:
    if isinstance(expr, T.Ref) and expr.path[0] == "caller":
        if len(expr.path) == 1:
            fields = ", ".join(f"`caller.{f}`" for f in CALLER_FIELDS)
            rep.error("F0210", expr.span, "`caller` on its own is not a value",
                      label="name one of its fields",
                      help=f"the caller's fields are {fields}")
        elif len(expr.path) != 2 or expr.path[1] not in CALLER_FIELDS:
            name = ".".join(expr.path[1:])
            sp = expr.span
            where = T.Span(sp.line, sp.end_column - len(name), sp.line, sp.end_column) \
                if sp.line == sp.end_line and len(expr.path) == 2 else sp
            rep.error("F0210", where, f"`caller` has no field `{name}`",
                      help=did_you_mean(expr.path[1], CALLER_FIELDS, "caller field"))
        return
    if isinstance(expr, T.Ref) and len(expr.path) > 1 and expr.path[0] not in ("env",):
        base = env.get(expr.path[0]) or BUILTIN_VARS.get(expr.path[0])
        if base and base != ANY:
            rep.error("F0503", expr.span, f"`{expr.path[0]}` is {_describe(base)} and has no "
                      f"field `{expr.path[1]}`",
                      help="only web service and hook results (fetch, run) have fields")
        return
    if isinstance(expr, T.Func):
        if expr.name not in FUNCTIONS:
            sp = expr.span
            rep.error("F0209", T.Span(sp.line, sp.column, sp.line, sp.column + len(expr.name)),
                      f"unknown function `{expr.name}`", label="not a function of the language",
                      help=did_you_mean(expr.name, FUNCTIONS, "function"))
        elif expr.name == "open":
            arg = expr.args[0] if len(expr.args) == 1 else None
            if not isinstance(arg, T.Ref) or len(arg.path) != 1:
                rep.error("F0503", expr.span, "`open` takes the name of one `hours` block",
                          help="write open(support_hours)")
            elif arg.path[0] not in hours:
                rep.error("F0204", arg.span, f"unknown hours `{arg.path[0]}`",
                          label="no `hours` block with this name",
                          help=did_you_mean(arg.path[0], hours, "hours block"))
        return
    if isinstance(expr, T.Binary):
        left, right = infer(expr.left, env), infer(expr.right, env)
        if expr.op in ("==", "!=", "<", "<=", ">", ">="):
            gl, gr = GROUPS.get(left), GROUPS.get(right)
            if gl and gr and gl != gr:
                help = ("compare values of the same kind; digits and text compare with text, "
                        "numbers with currency")
                number = next((s for s in (expr.left, expr.right) if isinstance(s, T.Num)), None)
                if number is not None and "text" in (gl, gr):
                    value = number.value
                    digits = str(int(value)) if value == int(value) else str(value)
                    kind = left if gl == "text" else right
                    kind = {"phone": "phone numbers", "text": "text values"}.get(kind, kind)
                    help = f'{kind} are compared as text: put the number in quotes, "{digits}"'
                rep.error("F0501", expr.span,
                          f"cannot compare {_describe(left)} with {_describe(right)}",
                          label=f"{left} {expr.op} {right}", help=help)
            elif expr.op not in ("==", "!=") and gl in ("text", "bool", "audio"):
                rep.error("F0501", expr.span, f"`{expr.op}` cannot compare {_describe(left)} "
                          "by size", help="only numbers, currency, dates and times have an order; "
                          "other values compare with == and !=")
        elif expr.op in ("+", "-", "*", "/"):
            bad = [(side, typ) for side, typ in ((expr.left, left), (expr.right, right))
                   if typ != ANY and GROUPS.get(typ) != "number"]
            if len(bad) == 2 and left == right:  # one message for both sides
                bad = [(expr, left)]
            for side, typ in bad:
                rep.error("F0502", side.span, f"`{expr.op}` needs numbers, not "
                          f"{_describe(typ)}",
                          help='to join text, write a string: "{first} {second}"')
        elif expr.op in ("and", "or"):
            for side, typ in ((expr.left, left), (expr.right, right)):
                if typ not in ("bool", ANY):
                    rep.error("F0503", side.span, f"`{expr.op}` needs yes/no values, not "
                              f"{_describe(typ)}",
                              help="compare it first, for example `amount > 0`")
    if isinstance(expr, T.Unary):
        typ = infer(expr.operand, env)
        if expr.op == "not" and typ not in ("bool", ANY):
            rep.error("F0503", expr.operand.span, f"`not` needs a yes/no value, not "
                      f"{_describe(typ)}", help="compare it first, for example `not (amount > 0)`")
        if expr.op == "-" and typ != ANY and GROUPS.get(typ) != "number":
            rep.error("F0502", expr.operand.span, f"`-` needs a number, not {_describe(typ)}",
                      help="only numbers and currency can be negated")
