"""The flow program as frozen dataclasses: the AST the parser builds and the IR the compiler emits.

One node set serves both: the compiler fills in the derived fields (`id`, `effective`, `expect`)
and `dsl.ir` serialises the nodes to versioned JSON. Every node carries its source span and the
designer's comments, so the formatter and the visual studio never lose either.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.source import Span

NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True, kw_only=True, slots=True)
class Node:
    span: Span = NO_SPAN
    id: str = ""
    comments: tuple[str, ...] = ()  # whole-line comments written just above the node
    note: str = ""  # a comment at the end of the node's first line


# ---- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Interp(Node):
    """`{expr as format}` inside a string."""

    expr: Expr
    format: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Template(Node):
    """A quoted string. `text` is the canonical source between the quotes; `parts` is it parsed."""

    text: str
    parts: tuple[str | Interp, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Str(Node):
    value: Template


@dataclass(frozen=True, kw_only=True, slots=True)
class Num(Node):
    value: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class Ref(Node):
    """A variable, slot, or member path: `account`, `caller.number`, `acct.balance`."""

    path: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Func(Node):
    name: str
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Unary(Node):
    op: str  # "not" | "-"
    operand: Expr


@dataclass(frozen=True, kw_only=True, slots=True)
class Binary(Node):
    op: str  # "or" "and" "==" "!=" "<" "<=" ">" ">=" "+" "-" "*" "/"
    left: Expr
    right: Expr


@dataclass(frozen=True, kw_only=True, slots=True)
class IsSet(Node):
    """`x is set` / `x is not set`: tests a variable without reading it."""

    ref: Ref
    negated: bool = False


Expr = Str | Num | Bool | Ref | Func | Unary | Binary | IsSet


# ---- prompts and settings ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Pause(Node):
    ms: int


Part = Template | Pause


@dataclass(frozen=True, kw_only=True, slots=True)
class Variant(Node):
    """The same prompt in another language: `es-US "Gracias por llamar."`."""

    language: str
    parts: tuple[Part, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Prompt(Node):
    parts: tuple[Part, ...]
    barge_in: bool | None = None
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings(Node):
    """One level of the settings cascade: flow defaults -> step -> prompt. None means inherit."""

    input: str | None = None  # "keys" | "speech" | "both"
    barge_in: bool | None = None
    noinput_ms: int | None = None
    interdigit_ms: int | None = None
    attempts: int | None = None
    terminator: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Effective(Node):
    """Settings after the cascade, as the runtime uses them (filled in by the compiler)."""

    input: str
    barge_in: bool
    noinput_ms: int
    interdigit_ms: int
    attempts: int
    terminator: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Expect(Node):
    """What an input step can accept, for the speech stack: grammars, hints, completion rules."""

    keys: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    slot_type: str = ""
    min_digits: int | None = None
    max_digits: int | None = None
    choices: tuple[str, ...] = ()
    open_question: bool = False


# ---- statements --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Trigger(Node):
    kind: str  # intent | key | hangup | error | noinput | nomatch | failure | no_answer
    arg: str = ""  # intent name, key, or the escalation count ("" = any)


@dataclass(frozen=True, kw_only=True, slots=True)
class Handler(Node):
    trigger: Trigger
    body: tuple[Stmt, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Say(Node):
    prompt: Prompt


@dataclass(frozen=True, kw_only=True, slots=True)
class PauseStmt(Node):
    ms: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SlotType(Node):
    name: str  # digits number currency date time yes_no phone choice text pattern
    min_len: int | None = None
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Validate(Node):
    condition: Expr
    message: Template


@dataclass(frozen=True, kw_only=True, slots=True)
class Ask(Node):
    slot: str
    type: SlotType
    sensitive: bool = False
    prompt: Prompt | None = None
    confirm: tuple[Part, ...] = ()
    validate: Validate | None = None
    settings: Settings = Settings()
    handlers: tuple[Handler, ...] = ()
    effective: Effective | None = None
    expect: Expect | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Field(Node):
    name: str
    value: Expr
    type: str = ""  # inferred by the compiler


@dataclass(frozen=True, kw_only=True, slots=True)
class Header(Node):
    name: str
    value: Expr


@dataclass(frozen=True, kw_only=True, slots=True)
class Fetch(Node):
    var: str
    method: str
    url: Template
    timeout_ms: int | None = None
    retries: int | None = None
    headers: tuple[Header, ...] = ()
    body: tuple[Field, ...] = ()
    handlers: tuple[Handler, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Run(Node):
    hook: str
    args: tuple[Expr, ...] = ()
    var: str = ""
    timeout_ms: int | None = None
    handlers: tuple[Handler, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer(Node):
    collection: str
    min_confidence: float | None = None
    handlers: tuple[Handler, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Priority(Node):
    value: str  # low | normal | high | urgent, or a number 1-10
    condition: Expr | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Handoff(Node):
    queue: str
    reason: Template | None = None
    priority: Priority | None = None
    context: tuple[Field, ...] = ()
    summary: Template | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Record(Node):
    var: str
    max_ms: int | None = None
    prompt: Prompt | None = None
    handlers: tuple[Handler, ...] = ()
    effective: Effective | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Set(Node):
    var: str
    value: Expr


@dataclass(frozen=True, kw_only=True, slots=True)
class Branch(Node):
    condition: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class If(Node):
    branches: tuple[Branch, ...]  # `if` then each `elif`
    orelse: tuple[Stmt, ...] = ()
    else_span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Target(Node):
    step: str
    flow: str = ""  # alias of a `use`d flow, "" for this flow


@dataclass(frozen=True, kw_only=True, slots=True)
class Go(Node):
    target: Target


@dataclass(frozen=True, kw_only=True, slots=True)
class Call(Node):
    target: Target


@dataclass(frozen=True, kw_only=True, slots=True)
class Return(Node):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class Hangup(Node):
    pass


Stmt = (
    Say | PauseStmt | Ask | Fetch | Run | Answer | Handoff | Record | Set | If | Go | Call | Return
    | Hangup
)

# ---- steps and declarations --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Choice(Node):
    target: Target
    key: str = ""
    phrases: tuple[str, ...] = ()
    intent: str = ""
    question: bool = False  # the free-question fall-through


@dataclass(frozen=True, kw_only=True, slots=True)
class Step(Node):
    name: str  # "start" for the entry block
    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...] = ()
    entry: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Menu(Node):
    name: str
    prompt: Prompt | None = None
    choices: tuple[Choice, ...] = ()
    settings: Settings = Settings()
    handlers: tuple[Handler, ...] = ()
    effective: Effective | None = None
    expect: Expect | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TimeRange(Node):
    start: str  # "HH:MM"
    end: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WeeklyRule(Node):
    days: tuple[str, ...]  # expanded: ("mon", "tue", ...)
    spelled: tuple[str, ...]  # as written: ("mon-fri",)
    ranges: tuple[TimeRange, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Hours(Node):
    name: str
    timezone: str = ""
    weekly: tuple[WeeklyRule, ...] = ()
    closed: tuple[str, ...] = ()  # ISO dates


@dataclass(frozen=True, kw_only=True, slots=True)
class Skill(Node):
    name: str
    level: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Announce(Node):
    what: str  # position | wait
    every_ms: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Overflow(Node):
    queue: str
    after_ms: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxWait(Node):
    after_ms: int
    then: str  # voicemail | callback | hangup


@dataclass(frozen=True, kw_only=True, slots=True)
class Queue(Node):
    name: str
    skills: tuple[Skill, ...] = ()
    strategy: str = ""
    priority_by: Expr | None = None
    announce: tuple[Announce, ...] = ()
    callback_after_ms: int | None = None
    overflow: Overflow | None = None
    max_wait: MaxWait | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Use(Node):
    path: str
    alias: str


@dataclass(frozen=True, kw_only=True, slots=True)
class FlowHeader(Node):
    name: str
    title: str = ""
    language: str = ""
    voice: str = ""
    defaults: Settings = Settings()


@dataclass(frozen=True, kw_only=True, slots=True)
class Program(Node):
    header: FlowHeader | None = None
    uses: tuple[Use, ...] = ()
    hours: tuple[Hours, ...] = ()
    queues: tuple[Queue, ...] = ()
    handlers: tuple[Handler, ...] = ()
    steps: tuple[Step | Menu, ...] = ()
    trailing_comments: tuple[str, ...] = ()  # comments after the last item


# Every class above, by name: the IR's "node" discriminator.
NODE_TYPES: dict[str, type[Node]] = {
    cls.__name__: cls
    for cls in [
        Interp, Template, Str, Num, Bool, Ref, Func, Unary, Binary, IsSet, Pause, Variant, Prompt,
        Settings, Effective, Expect, Trigger, Handler, Say, PauseStmt, SlotType, Validate, Ask,
        Field, Header, Fetch, Run, Answer, Priority, Handoff, Record, Set, Branch, If, Target, Go,
        Call, Return, Hangup, Choice, Step, Menu, TimeRange, WeeklyRule, Hours, Skill, Announce,
        Overflow, MaxWait, Queue, Use, FlowHeader, Program,
    ]
}

# Statements that end a path: nothing after them in the same block runs.
TERMINATORS = (Go, Return, Hangup, Handoff)
