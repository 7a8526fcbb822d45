"""Evaluating the flow language's expressions and templates: a small interpreter, never `eval`.

Values are JSON values. Reading a variable that is not set gives None (the checker rules out
such reads on every path it can see; web service results may still lack a field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dsl import tree as T

Formatter = Callable[[str, Any], str]


class EvalError(Exception):
    """An expression could not be evaluated (for example dividing by zero)."""


@dataclass
class Scope:
    variables: dict[str, Any]
    caller: dict[str, Any]
    env: dict[str, Any]
    hours: dict[str, T.Hours]
    now: float  # seconds since the epoch, from the latest event
    say_as: Formatter

    def lookup(self, path: tuple[str, ...]) -> Any:
        head, rest = path[0], path[1:]
        if head == "caller":
            value: Any = self.caller
        elif head == "env":
            value = self.env
        else:
            value = self.variables.get(head)
        for name in rest:
            value = value.get(name) if isinstance(value, dict) else None
        return value


def evaluate(expr: T.Expr, scope: Scope) -> Any:
    if isinstance(expr, T.Str):
        return render(expr.value, scope)
    if isinstance(expr, T.Num):
        return int(expr.value) if float(expr.value).is_integer() else expr.value
    if isinstance(expr, T.Bool):
        return expr.value
    if isinstance(expr, T.Ref):
        return scope.lookup(expr.path)
    if isinstance(expr, T.IsSet):
        present = scope.lookup(expr.ref.path) is not None
        return not present if expr.negated else present
    if isinstance(expr, T.Func):
        if expr.name == "open" and expr.args and isinstance(expr.args[0], T.Ref):
            hours = scope.hours.get(expr.args[0].path[0])
            return is_open(hours, scope.now) if hours else False
        raise EvalError(f"unknown function {expr.name}")
    if isinstance(expr, T.Unary):
        value = evaluate(expr.operand, scope)
        return (not truthy(value)) if expr.op == "not" else -_number(value)
    if isinstance(expr, T.Binary):
        return _binary(expr, scope)
    raise EvalError(f"cannot evaluate {type(expr).__name__}")


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0")
    return bool(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value).replace("$", "").replace(",", ""))
    except ValueError:
        raise EvalError(f"{value!r} is not a number") from None


def _binary(expr: T.Binary, scope: Scope) -> Any:
    if expr.op == "and":
        return truthy(evaluate(expr.left, scope)) and truthy(evaluate(expr.right, scope))
    if expr.op == "or":
        return truthy(evaluate(expr.left, scope)) or truthy(evaluate(expr.right, scope))
    left, right = evaluate(expr.left, scope), evaluate(expr.right, scope)
    if expr.op in ("==", "!="):
        same = _comparable(left) == _comparable(right)
        return same if expr.op == "==" else not same
    if expr.op in ("<", "<=", ">", ">="):
        if left is None or right is None:
            return False
        a, b = (left, right) if isinstance(left, str) and isinstance(right, str) else (
            _number(left), _number(right))
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[expr.op]
    a, b = _number(left), _number(right)
    if expr.op == "+":
        result = a + b
    elif expr.op == "-":
        result = a - b
    elif expr.op == "*":
        result = a * b
    else:
        if b == 0:
            raise EvalError("division by zero")
        result = a / b
    return int(result) if float(result).is_integer() else result


def _comparable(value: Any) -> Any:
    """Numbers compare by value whatever their spelling (5 == 5.0 == "5.00")."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def render(template: T.Template, scope: Scope) -> str:
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = evaluate(part.expr, scope)
        if value is None:
            out.append("")
        elif part.format:
            try:
                out.append(scope.say_as(part.format, value))
            except ValueError:  # say, a web service's field the format cannot read
                # The value itself stays out of the message: it goes to the call log.
                raise EvalError(f"a value cannot be spoken as {part.format}") from None
        else:
            out.append(_plain(value))
    return "".join(out)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_open(hours: T.Hours, now: float) -> bool:
    """Whether `now` falls in the weekly ranges and on no closed date, in the hours' time zone."""
    tz = ZoneInfo(hours.timezone) if hours.timezone else ZoneInfo("UTC")
    local = datetime.fromtimestamp(now, tz)
    if local.date().isoformat() in hours.closed:
        return False
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    clock = local.strftime("%H:%M")
    for rule in hours.weekly:
        if day in rule.days and any(r.start <= clock < r.end for r in rule.ranges):
            return True
    return False


def is_static(template: T.Template) -> bool:
    return all(isinstance(p, str) for p in template.parts)


def reads(expr: T.Expr) -> set[str]:
    """Variables an expression reads (for marking derived values sensitive)."""
    from dsl.walk import sub_expressions

    return {e.path[0] for e in sub_expressions(expr) if isinstance(e, T.Ref)}


def template_reads(template: T.Template) -> set[str]:
    out: set[str] = set()
    for part in template.parts:
        if isinstance(part, T.Interp):
            out |= reads(part.expr)
    return out
