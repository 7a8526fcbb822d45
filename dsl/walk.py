"""Traversals shared by the checker passes and the compiler."""

from __future__ import annotations

from collections.abc import Iterator

from dsl import tree as T


def sub_blocks(stmt: T.Node) -> Iterator[tuple[T.Stmt, ...]]:
    """The statement blocks nested directly in a statement (branches, handler bodies)."""
    if isinstance(stmt, T.If):
        for b in stmt.branches:
            yield b.body
        yield stmt.orelse
    for h in getattr(stmt, "handlers", ()):
        yield h.body


def statements(block: tuple[T.Stmt, ...]) -> Iterator[T.Stmt]:
    """Every statement in a block, nested ones included, in source order."""
    for stmt in block:
        yield stmt
        for inner in sub_blocks(stmt):
            yield from statements(inner)


def step_statements(step: T.Step | T.Menu) -> Iterator[T.Stmt]:
    if isinstance(step, T.Step):
        yield from statements(step.body)
    for h in step.handlers:
        yield from statements(h.body)


def program_statements(program: T.Program) -> Iterator[T.Stmt]:
    for h in program.handlers:
        yield from statements(h.body)
    for step in program.steps:
        yield from step_statements(step)


def expressions(node: object) -> Iterator[T.Expr]:
    """Top-level expressions held by a node (not descending into nested statements)."""
    if isinstance(node, T.Expr):
        yield node
    elif isinstance(node, T.Template):
        for part in node.parts:
            if isinstance(part, T.Interp):
                yield part.expr
    elif isinstance(node, T.Prompt):
        for part in node.parts:
            yield from expressions(part)
        for v in node.variants:
            for part in v.parts:
                yield from expressions(part)
    elif isinstance(node, tuple):
        for item in node:
            yield from expressions(item)
    elif isinstance(node, T.Say):
        yield from expressions(node.prompt)
    elif isinstance(node, T.Ask):
        if node.prompt:
            yield from expressions(node.prompt)
    elif isinstance(node, T.Fetch):
        yield from expressions(node.url)
        for hd in node.headers:
            yield hd.value
        for f in node.body:
            yield f.value
    elif isinstance(node, T.Run):
        yield from node.args
    elif isinstance(node, T.Handoff):
        if node.reason:
            yield from expressions(node.reason)
        if node.priority and node.priority.condition is not None:
            yield node.priority.condition
        for f in node.context:
            yield f.value
        if node.summary:
            yield from expressions(node.summary)
    elif isinstance(node, T.Record):
        if node.prompt:
            yield from expressions(node.prompt)
    elif isinstance(node, T.Set):
        yield node.value


def sub_expressions(expr: T.Expr) -> Iterator[T.Expr]:
    """An expression and every expression inside it, including those in string interpolations."""
    yield expr
    if isinstance(expr, T.Binary):
        yield from sub_expressions(expr.left)
        yield from sub_expressions(expr.right)
    elif isinstance(expr, T.Unary):
        yield from sub_expressions(expr.operand)
    elif isinstance(expr, T.Func):
        for a in expr.args:
            yield from sub_expressions(a)
    elif isinstance(expr, T.Str):
        for inner in expressions(expr.value):
            yield from sub_expressions(inner)


def targets(program: T.Program) -> Iterator[tuple[T.Target, str]]:
    """Every jump target in a program with its kind ("go", "call" or "choice")."""
    for stmt in program_statements(program):
        if isinstance(stmt, T.Go):
            yield stmt.target, "go"
        elif isinstance(stmt, T.Call):
            yield stmt.target, "call"
    for step in program.steps:
        if isinstance(step, T.Menu):
            for c in step.choices:
                yield c.target, "choice"
