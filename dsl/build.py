"""Parse tree -> frozen AST. Literal values are validated here, where their tokens are at hand."""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput
from lark.tree import Meta

from dsl import tree as T
from dsl import values as V
from dsl.diagnostics import Reporter
from dsl.source import Span
from dsl.templates import plain, split_template

_SIMPLE_INTERP = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                            r"(?:\s+as\s+([A-Za-z_]+))?\s*")
_KEYWORDS = {"true", "false", "not", "and", "or", "is", "set", "as"}

# Settings lines produce ("setting", name, value, span) until their block gathers them.
SETTING = "setting"


def _one_of(rep: Reporter, tok: Token, allowed: tuple[str, ...], what: str, code: str) -> str:
    value = str(tok)
    if value not in allowed:
        from dsl.diagnostics import did_you_mean

        rep.error(code, span_of(rep, tok), f"unknown {what} `{value}`",
                  label=f"not a {what}", help=did_you_mean(value, allowed, what))
    return value


def span_of(rep: Reporter, item: Any, delta: int = 0) -> Span:
    if isinstance(item, Token):
        return rep.source.span(item.start_pos + delta, item.end_pos + delta)
    return rep.source.span(item.start_pos + delta, item.end_pos + delta)


class Builder:
    """One instance per parse; `delta` shifts positions for interpolations parsed on their own.

    Each rule of the grammar has a method taking (meta, children) with the children already
    built. Comments are handed to nodes as they are built: `pending` maps the (line, column)
    where a node starts to the comments that belong to it (see dsl.comments.plan).
    """

    def __init__(self, rep: Reporter, interp_parser: Any, delta: int = 0,
                 pending: dict[tuple[int, int], tuple[tuple[str, ...], str]] | None = None) -> None:
        self.rep = rep
        self.interp_parser = interp_parser
        self.delta = delta
        self.pending = pending if pending is not None else {}
        self._methods: dict[str, Any] = {}

    def transform(self, tree: Tree) -> Any:
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        method = self._methods.get(tree.data)
        if method is None:
            method = self._methods[tree.data] = getattr(self, str(tree.data))
        return method(tree.meta, children)

    def claim(self, meta: Meta) -> dict[str, Any]:
        """The comments of the node starting at `meta`, taken so that no other node gets them."""
        if not self.pending or getattr(meta, "empty", False):
            return {}
        found = self.pending.pop((meta.line, meta.column), None)
        if found is None:
            return {}
        return {"comments": found[0], "note": found[1]}

    # ---- helpers ---------------------------------------------------------------------------
    def sp(self, item: Meta | Token) -> Span:
        if isinstance(item, Meta) and getattr(item, "empty", False):
            return T.NO_SPAN
        if isinstance(item, Meta):
            return self.rep.source.span(item.start_pos + self.delta, self._trimmed_end(item))
        return span_of(self.rep, item, self.delta)

    def _trimmed_end(self, meta: Meta) -> int:
        """Meta ends after the newline and comment lines that close a block; end at the code."""
        text = self.rep.source.text
        start, end = meta.start_pos + self.delta, meta.end_pos + self.delta
        while True:
            chunk = text[start:end].rstrip()
            end = start + len(chunk)
            cut = chunk.rfind("\n")
            if cut < 0 or not chunk[cut + 1 :].lstrip().startswith("#"):
                return end
            end = start + cut

    def duration(self, tok: Token) -> int:
        ms = V.parse_duration(str(tok))
        if ms is None:
            self.rep.error("F0602", self.sp(tok), f"`{tok}` is not a duration",
                           label="expected a number and a unit",
                           help="write durations like 500ms, 5s, 2m or 1h")
            return 0
        return ms

    def template(self, tok: Token) -> T.Template:
        text, pieces, problems = split_template(tok)
        for start, end, message in problems:
            self.rep.error("F0106", self.rep.source.span(start + self.delta, end + self.delta),
                           message, help="write `\\{` for a literal brace; expressions look like "
                           "{account} or {acct.balance as currency}")
        parts: list[str | T.Interp] = []
        for kind, content, offset in pieces:
            if kind == "text":
                parts.append(content)
            else:
                interp = self.interpolation(content, offset + self.delta)
                if interp is not None:
                    parts.append(interp)
        return T.Template(span=self.sp(tok), text=text, parts=tuple(parts))

    def interpolation(self, content: str, offset: int) -> T.Interp | None:
        simple = _SIMPLE_INTERP.fullmatch(content)
        if simple and not _KEYWORDS.intersection(simple.group(1).split(".")):
            # Most interpolations are a plain name or path: build it without the parser.
            start, end = offset + simple.start(1), offset + simple.end(1)
            span = self.rep.source.span(start, end)
            ref = T.Ref(span=span, path=tuple(simple.group(1).split(".")))
            fmt = simple.group(2) or ""
            if not fmt or fmt in V.SPOKEN_FORMATS:
                whole = self.rep.source.span(start, offset + simple.end())
                return T.Interp(span=whole if fmt else span, expr=ref, format=fmt)
        if not content.strip():
            span = self.rep.source.span(offset - 1, offset + 1)
            self.rep.error("F0106", span, "empty `{}` in a string",
                           help="put an expression between the braces, like {account}")
            return None
        try:
            parsed = self.interp_parser.parse(content, start="interp")
        except UnexpectedInput as exc:
            start = offset + max(0, getattr(exc, "pos_in_stream", 0) or 0)
            token = getattr(exc, "token", None)
            if token is not None and token.type == "$END":  # point at the closing brace
                start = offset + len(content.rstrip())
            end = min(start + 1, offset + len(content) + 1)
            if content.split()[-1] == "as":
                self.rep.error("F0106", self.rep.source.span(start, end),
                               "`as` needs a spoken format after it",
                               label="expected a spoken format before the `}`",
                               help="spoken formats: " + ", ".join(V.SPOKEN_FORMATS))
                return None
            self.rep.error("F0106", self.rep.source.span(start, end),
                           f"`{{{content}}}` is not a valid expression",
                           help="expressions look like {account}, {acct.balance as currency} or "
                           "{caller.number as digits}")
            return None
        result = Builder(self.rep, self.interp_parser, offset).transform(parsed)
        if result.format and result.format not in V.SPOKEN_FORMATS:
            from dsl.diagnostics import did_you_mean

            fmt_start = offset + content.rindex(result.format)
            self.rep.error("F0211", self.rep.source.span(fmt_start, fmt_start + len(result.format)),
                           f"unknown spoken format `{result.format}`",
                           help=did_you_mean(result.format, V.SPOKEN_FORMATS, "spoken format"))
        return result

    def settings(self, items: list, meta_span: Span) -> T.Settings:
        values: dict[str, Any] = {}
        seen: dict[str, Span] = {}
        first: Span | None = None
        for item in items:
            if isinstance(item, tuple) and item and item[0] == SETTING:
                _, name, value, span = item
                if name in values:
                    shown = name.removesuffix("_ms")  # noinput_ms is written `noinput after`
                    self.rep.error("F0214", span, f"`{shown}` is set twice in this block",
                                   label=f"already set on line {seen[name].line}",
                                   help="keep one of the two lines")
                seen.setdefault(name, span)
                values[name] = value
                first = first or span
        return T.Settings(span=first or meta_span, **values)

    # ---- top level -------------------------------------------------------------------------
    def start(self, meta: Meta, items: list) -> T.Program:
        header = None
        for item in items:
            if isinstance(item, T.FlowHeader):
                if header is not None:
                    self.rep.error("F0213", item.span, "a second `flow` header",
                                   help="a file holds one flow; move this one to its own file")
                else:
                    header = item
        steps = [i for i in items if isinstance(i, T.Step | T.Menu)]
        steps.sort(key=lambda s: not (isinstance(s, T.Step) and s.entry))  # entry first
        return T.Program(
            span=self.sp(meta),
            header=header,
            uses=tuple(i for i in items if isinstance(i, T.Use)),
            hours=tuple(i for i in items if isinstance(i, T.Hours)),
            queues=tuple(i for i in items if isinstance(i, T.Queue)),
            handlers=tuple(i for i in items if isinstance(i, T.Handler)),
            steps=tuple(steps),
        )

    def flow_decl(self, meta: Meta, ch: list) -> T.FlowHeader:
        name, rest = ch[0], ch[1:]
        title = ""
        if rest and isinstance(rest[0], Token):
            title = plain(rest.pop(0))
        fields: dict[str, Any] = {}
        for item in rest:
            key, value = item
            fields[key] = value
        return T.FlowHeader(**self.claim(meta),
                            span=self.sp(name), name=str(name), title=title, **fields)

    def language(self, meta: Meta, ch: list) -> tuple:
        return ("language", str(ch[0]))

    def voice(self, meta: Meta, ch: list) -> tuple:
        return ("voice", str(ch[0]))

    def defaults(self, meta: Meta, ch: list) -> tuple:
        return ("defaults", self.settings(ch, self.sp(meta)))

    def set_input(self, meta: Meta, ch: list) -> tuple:
        return (SETTING, "input", ch[0], self.sp(meta))

    def input_mode(self, meta: Meta, ch: list) -> str:
        words = [str(t) for t in ch]
        return "both" if len(words) == 3 else words[0]

    def set_barge_in(self, meta: Meta, ch: list) -> tuple:
        return (SETTING, "barge_in", str(ch[0]) == "on", self.sp(meta))

    def set_noinput(self, meta: Meta, ch: list) -> tuple:
        return (SETTING, "noinput_ms", self.duration(ch[0]), self.sp(meta))

    def set_interdigit(self, meta: Meta, ch: list) -> tuple:
        return (SETTING, "interdigit_ms", self.duration(ch[0]), self.sp(meta))

    def set_attempts(self, meta: Meta, ch: list) -> tuple:
        n = int(ch[0])
        if n < 1 or n > 10:
            self.rep.error("F0609", self.sp(ch[0]), f"`attempts {n}` is out of range",
                           help="attempts must be between 1 and 10")
        return (SETTING, "attempts", n, self.sp(meta))

    def set_terminator(self, meta: Meta, ch: list) -> tuple:
        return (SETTING, "terminator", ch[0], self.sp(meta))

    def use_decl(self, meta: Meta, ch: list) -> T.Use:
        return T.Use(**self.claim(meta), span=self.sp(meta), path=plain(ch[0]), alias=str(ch[1]))

    # ---- hours -----------------------------------------------------------------------------
    def hours_decl(self, meta: Meta, ch: list) -> T.Hours:
        name, lines = ch[0], ch[1:]
        tz, weekly, closed = "", [], []
        for kind, value, span in lines:
            if kind == "timezone":
                if tz:
                    self.rep.error("F0214", span, "`timezone` is set twice in this block",
                                   help="keep one of the two lines")
                tz = value
            elif kind == "weekly":
                weekly.append(value)
            else:
                closed.extend(value)
        return T.Hours(**self.claim(meta),
                       span=self.sp(name), name=str(name), timezone=tz, weekly=tuple(weekly),
                       closed=tuple(closed))

    def timezone(self, meta: Meta, ch: list) -> tuple:
        from zoneinfo import ZoneInfo

        name = plain(ch[0])
        try:
            ZoneInfo(name)
        except (ValueError, KeyError, OSError):
            self.rep.error("F0605", self.sp(ch[0]), f"unknown time zone `{name}`",
                           help='use an IANA time zone name such as "America/New_York" or '
                           '"Europe/Paris"')
        return ("timezone", name, self.sp(meta))

    def weekly(self, meta: Meta, ch: list) -> tuple:
        spelled, ranges = ch
        days: list[str] = []
        for d in spelled:
            days.extend(x for x in V.expand_days(d) if x not in days)
        rule = T.WeeklyRule(**self.claim(meta),
                            span=self.sp(meta), days=tuple(days), spelled=tuple(spelled),
                            ranges=tuple(ranges))
        return ("weekly", rule, self.sp(meta))

    def day_list(self, meta: Meta, ch: list) -> list[str]:
        return [str(t) for t in ch]

    def time_list(self, meta: Meta, ch: list) -> list[T.TimeRange]:
        out = []
        for tok in ch:
            a, b = str(tok).split("-")
            start, end = V.parse_clock(a), V.parse_clock(b, allow_24=True)
            if start is None or end is None or start >= end:
                bad = "the range ends before it starts" if start and end else (
                    f"`{a if start is None else b}` is not a time of day")
                self.rep.error("F0603", self.sp(tok), f"invalid opening hours `{tok}`: {bad}",
                               help="write ranges as HH:MM-HH:MM on a 24-hour clock, like "
                               "08:00-20:00")
                start, end = start or "00:00", end or "00:00"
            out.append(T.TimeRange(span=self.sp(tok), start=start, end=end))
        return out

    def closed(self, meta: Meta, ch: list) -> tuple:
        dates = []
        for tok in ch:
            iso = V.parse_date(str(tok))
            if iso is None:
                self.rep.error("F0604", self.sp(tok), f"`{tok}` is not a valid date",
                               help="write dates as YYYY-MM-DD, like 2026-12-25")
            else:
                dates.append(iso)
        return ("closed", dates, self.sp(meta))

    # ---- queues ----------------------------------------------------------------------------
    def queue_decl(self, meta: Meta, ch: list) -> T.Queue:
        name, lines = ch[0], ch[1:]
        fields: dict[str, Any] = {}
        announce = []
        for kind, value, span in lines:
            if kind == "announce":
                announce.append(value)
                continue
            if kind in fields:
                self.rep.error("F0214", span, f"`{kind.replace('_ms', '').replace('_', ' ')}` "
                               "is set twice in this queue", help="keep one of the two lines")
            fields[kind] = value
        return T.Queue(**self.claim(meta),
                       span=self.sp(name), name=str(name), announce=tuple(announce), **fields)

    def skills(self, meta: Meta, ch: list) -> tuple:
        return ("skills", tuple(ch), self.sp(meta))

    def skill(self, meta: Meta, ch: list) -> T.Skill:
        level = int(ch[1]) if len(ch) > 1 else None
        if level is not None and not 1 <= level <= 10:
            self.rep.error("F0609", self.sp(ch[1]), f"skill level {level} is out of range",
                           help="skill levels go from 1 (basic) to 10 (expert)")
        return T.Skill(span=self.sp(meta), name=str(ch[0]), level=level)

    def strategy(self, meta: Meta, ch: list) -> tuple:
        return ("strategy", _one_of(self.rep, ch[0], V.STRATEGIES, "routing strategy", "F0212"),
                self.sp(meta))

    def priority_by(self, meta: Meta, ch: list) -> tuple:
        return ("priority_by", ch[0], self.sp(meta))

    def announce(self, meta: Meta, ch: list) -> tuple:
        what = _one_of(self.rep, ch[0], V.ANNOUNCEMENTS, "announcement", "F0212")
        return ("announce", T.Announce(**self.claim(meta), span=self.sp(meta), what=what,
                                       every_ms=self.duration(ch[1])), self.sp(meta))

    def callback(self, meta: Meta, ch: list) -> tuple:
        return ("callback_after_ms", self.duration(ch[0]), self.sp(meta))

    def overflow(self, meta: Meta, ch: list) -> tuple:
        node = T.Overflow(**self.claim(meta),
                          span=self.sp(meta), queue=str(ch[0]), after_ms=self.duration(ch[1]))
        return ("overflow", node, self.sp(meta))

    def max_wait(self, meta: Meta, ch: list) -> tuple:
        then = _one_of(self.rep, ch[1], V.AFTER_MAX_WAIT, "action after the maximum wait", "F0212")
        node = T.MaxWait(**self.claim(meta),
                         span=self.sp(meta), after_ms=self.duration(ch[0]), then=then)
        return ("max_wait", node, self.sp(meta))

    # ---- handlers --------------------------------------------------------------------------
    def handler(self, meta: Meta, ch: list) -> T.Handler:
        return T.Handler(**self.claim(meta), span=self.sp(meta), trigger=ch[0], body=ch[1])

    def body(self, meta: Meta, ch: list) -> tuple:
        return tuple(ch)

    def _trigger(self, meta: Meta, kind: str, arg: str = "") -> T.Trigger:
        return T.Trigger(span=self.sp(meta), kind=kind, arg=arg)

    def t_intent(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "intent", str(ch[0]))

    def t_key(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "key", ch[0])

    def t_hangup(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "hangup")

    def t_error(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "error")

    def _counted(self, meta: Meta, kind: str, ch: list) -> T.Trigger:
        if ch and int(ch[0]) < 1:
            self.rep.error("F0609", self.sp(ch[0]), f"`on {kind} {ch[0]}` can never happen",
                           help=f"counts start at 1: `on {kind} 1` handles the first {kind}")
        return self._trigger(meta, kind, str(int(ch[0])) if ch else "")

    def t_noinput(self, meta: Meta, ch: list) -> T.Trigger:
        return self._counted(meta, "noinput", ch)

    def t_nomatch(self, meta: Meta, ch: list) -> T.Trigger:
        return self._counted(meta, "nomatch", ch)

    def t_failure(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "failure")

    def t_no_answer(self, meta: Meta, ch: list) -> T.Trigger:
        return self._trigger(meta, "no_answer")

    def key(self, meta: Meta, ch: list) -> str:
        tok = ch[0]
        if tok.type == "KEYDIGITS" and len(tok) != 1:
            self.rep.error("F0304", self.sp(tok), f"`{tok}` is not a phone key",
                           help="keys are single digits 0-9, `star` or `pound`")
        return str(tok)

    # ---- steps -----------------------------------------------------------------------------
    def _step_parts(self, items: list) -> tuple[tuple, tuple]:
        body = tuple(i for i in items if not isinstance(i, T.Handler))
        handlers = tuple(i for i in items if isinstance(i, T.Handler))
        return body, handlers

    def entry(self, meta: Meta, ch: list) -> T.Step:
        body, handlers = self._step_parts(ch)
        span = self.sp(meta)
        head = Span(span.line, span.column, span.line, span.column + len("start"))
        return T.Step(**self.claim(meta),
                      span=head, name="start", body=body, handlers=handlers, entry=True)

    def step_decl(self, meta: Meta, ch: list) -> T.Step:
        body, handlers = self._step_parts(ch[1:])
        return T.Step(**self.claim(meta),
                      span=self.sp(ch[0]), name=str(ch[0]), body=body, handlers=handlers)

    def menu_decl(self, meta: Meta, ch: list) -> T.Menu:
        name, items = ch[0], ch[1:]
        prompts = [i for i in items if isinstance(i, T.Prompt)]
        for extra in prompts[1:]:
            self.rep.error("F0214", extra.span, f"menu `{name}` has a second prompt",
                           help="a menu has one prompt; join the two texts into one")
        return T.Menu(**self.claim(meta),
            span=self.sp(name), name=str(name), prompt=prompts[0] if prompts else None,
            choices=tuple(i for i in items if isinstance(i, T.Choice)),
            handlers=tuple(i for i in items if isinstance(i, T.Handler)),
            settings=self.settings(items, self.sp(name)),
        )

    def _choice(self, meta: Meta, ch: list, key: str = "") -> T.Choice:
        phrases: tuple[str, ...] = ()
        intent = ""
        for item in ch:
            if isinstance(item, tuple):
                phrases = item
            elif isinstance(item, Tree) and item.data == "intent_ref":
                intent = str(item.children[0])
        return T.Choice(**self.claim(meta),
                        span=self.sp(meta), target=ch[-1], key=key, phrases=phrases,
                        intent=intent)

    def choice(self, meta: Meta, ch: list) -> T.Choice:
        return self._choice(meta, ch[1:], key=ch[0])

    def choice_nokey(self, meta: Meta, ch: list) -> T.Choice:
        return self._choice(meta, ch)

    def choice_intent(self, meta: Meta, ch: list) -> T.Choice:
        return self._choice(meta, ch)

    def question(self, meta: Meta, ch: list) -> T.Choice:
        return T.Choice(**self.claim(meta), span=self.sp(meta), target=ch[0], question=True)

    def phrases(self, meta: Meta, ch: list) -> tuple[str, ...]:
        return tuple(plain(t) for t in ch)

    def intent_ref(self, meta: Meta, ch: list) -> Tree:
        return Tree("intent_ref", ch, meta)

    def target(self, meta: Meta, ch: list) -> T.Target:
        if len(ch) == 2:
            return T.Target(span=self.sp(meta), flow=str(ch[0]), step=str(ch[1]))
        return T.Target(span=self.sp(meta), step=str(ch[0]))

    # ---- prompts ---------------------------------------------------------------------------
    def _prompt(self, meta: Meta, ch: list, own_line: bool = False) -> T.Prompt:
        parts, barge, variants = ch[0], None, ()
        for item in ch[1:]:
            if isinstance(item, bool):
                barge = item
            else:
                variants = item
        claimed = self.claim(meta) if own_line else {}
        return T.Prompt(**claimed, span=self.sp(meta), parts=parts, barge_in=barge,
                        variants=variants)

    def prompt(self, meta: Meta, ch: list) -> T.Prompt:
        return self._prompt(meta, ch, own_line=True)

    def say(self, meta: Meta, ch: list) -> T.Say:
        return T.Say(**self.claim(meta), span=self.sp(meta), prompt=self._prompt(meta, ch))

    def parts(self, meta: Meta, ch: list) -> tuple:
        return tuple(self.template(p) if isinstance(p, Token) else p for p in ch)

    def pause_part(self, meta: Meta, ch: list) -> T.Pause:
        return T.Pause(span=self.sp(meta), ms=self.duration(ch[0]))

    def barge(self, meta: Meta, ch: list) -> bool:
        return str(ch[0]) == "on"

    def variants(self, meta: Meta, ch: list) -> tuple:
        return tuple(ch)

    def variant(self, meta: Meta, ch: list) -> T.Variant:
        return T.Variant(**self.claim(meta), span=self.sp(meta), language=str(ch[0]), parts=ch[1])

    # ---- statements ------------------------------------------------------------------------
    def pause(self, meta: Meta, ch: list) -> T.PauseStmt:
        return T.PauseStmt(**self.claim(meta), span=self.sp(meta), ms=self.duration(ch[0]))

    def ask(self, meta: Meta, ch: list) -> T.Ask:
        slot, stype = ch[0], ch[1]
        rest = ch[2:]
        sensitive = bool(rest and isinstance(rest[0], Token) and rest[0].type == "SENSITIVE")
        items = rest[1:] if sensitive else rest
        fields: dict[str, Any] = {}
        for item in items:
            if isinstance(item, T.Prompt):
                fields["prompt"] = item
            elif isinstance(item, T.Validate):
                fields["validate"] = item
            elif isinstance(item, tuple) and item and item[0] == "confirm":
                fields["confirm"] = item[1]
        return T.Ask(**self.claim(meta),
                     span=self.sp(meta), slot=str(slot), type=stype, sensitive=sensitive,
                     handlers=tuple(i for i in items if isinstance(i, T.Handler)),
                     settings=self.settings(items, self.sp(meta)), **fields)

    def t_digits(self, meta: Meta, ch: list) -> T.SlotType:
        lo = int(ch[0]) if ch else None
        hi = int(ch[1]) if len(ch) > 1 else lo
        if lo is not None and hi is not None and (lo < 1 or hi < lo or hi > 32):
            problem = ("its minimum is larger than its maximum" if hi < lo else
                       "a slot takes at least 1 digit" if lo < 1 else
                       "a slot takes at most 32 digits")
            written = f"digits({lo})" if len(ch) == 1 else f"digits({lo}..{hi})"
            self.rep.error("F0606", self.sp(meta), f"`{written}` is not a valid digit count: "
                           f"{problem}",
                           help="write digits(N) for exactly N digits or digits(MIN..MAX), "
                           "with 1 <= MIN <= MAX <= 32")
        return T.SlotType(span=self.sp(meta), name="digits", min_len=lo, max_len=hi)

    def t_choice(self, meta: Meta, ch: list) -> T.SlotType:
        return T.SlotType(span=self.sp(meta), name="choice", choices=tuple(plain(t) for t in ch))

    def t_pattern(self, meta: Meta, ch: list) -> T.SlotType:
        pattern = plain(ch[0])
        try:
            re.compile(pattern)
        except re.error as exc:
            where = self.sp(ch[0])
            if exc.pos is not None and ch[0].value[1:-1] == pattern:  # caret on the culprit
                where = span_of(self.rep, ch[0], self.delta + 1 + exc.pos)
                where = Span(where.line, where.column, where.line, where.column + 1)
            self.rep.error("F0601", where, f"invalid pattern: {exc.msg}",
                           label="the problem starts here" if where != self.sp(ch[0]) else "",
                           help="patterns are regular expressions (Python syntax), like "
                           '"[A-Z]{2}[0-9]{6}"')
        return T.SlotType(span=self.sp(meta), name="pattern", pattern=pattern)

    def t_named(self, meta: Meta, ch: list) -> T.SlotType:
        allowed = tuple(t for t in V.SLOT_TYPES if t not in ("choice", "pattern", "digits"))
        name = _one_of(self.rep, ch[0], allowed, "slot type", "F0211")
        return T.SlotType(span=self.sp(meta), name=name)

    def validate(self, meta: Meta, ch: list) -> T.Validate:
        return T.Validate(**self.claim(meta),
                          span=self.sp(meta), condition=ch[0], message=self.template(ch[1]))

    def confirm(self, meta: Meta, ch: list) -> tuple:
        return ("confirm", ch[0])

    def fetch(self, meta: Meta, ch: list) -> T.Fetch:
        var, method, url = ch[0], ch[1], ch[2]
        fields: dict[str, Any] = {}
        headers, handlers = [], []
        for item in ch[3:]:
            if isinstance(item, T.Header):
                headers.append(item)
            elif isinstance(item, T.Handler):
                handlers.append(item)
            elif isinstance(item, tuple):
                fields[item[0]] = item[1]
        return T.Fetch(**self.claim(meta), span=self.sp(meta), var=str(var), method=str(method),
                       url=self.template(url), headers=tuple(headers),
                       handlers=tuple(handlers), **fields)

    def timeout(self, meta: Meta, ch: list) -> tuple:
        return ("timeout_ms", self.duration(ch[0]))

    def retries(self, meta: Meta, ch: list) -> tuple:
        n = int(ch[0])
        if n > 5:
            self.rep.error("F0609", self.sp(ch[0]), f"`retries {n}` is out of range",
                           help="a caller is waiting: retry at most 5 times")
        return ("retries", n)

    def header(self, meta: Meta, ch: list) -> T.Header:
        return T.Header(**self.claim(meta), span=self.sp(meta), name=plain(ch[0]), value=ch[1])

    def json_body(self, meta: Meta, ch: list) -> tuple:
        return ("body", tuple(ch))

    def field(self, meta: Meta, ch: list) -> T.Field:
        return T.Field(**self.claim(meta), span=self.sp(meta), name=str(ch[0]), value=ch[1])

    def run(self, meta: Meta, ch: list) -> T.Run:
        names = [c for c in ch if isinstance(c, Token) and c.type == "NAME"]
        var = str(names[0]) if len(names) == 2 else ""
        hook = str(names[-1])
        args = tuple(c for c in ch if not isinstance(c, Token | T.Handler))
        timeout = next((self.duration(c) for c in ch
                        if isinstance(c, Token) and c.type == "DURATION"), None)
        return T.Run(**self.claim(meta),
                     span=self.sp(meta), hook=hook, var=var, args=args, timeout_ms=timeout,
                     handlers=tuple(c for c in ch if isinstance(c, T.Handler)))

    def answer(self, meta: Meta, ch: list) -> T.Answer:
        conf = next((c for c in ch[1:] if isinstance(c, Token)), None)
        value = float(conf) if conf is not None else None
        if value is not None and not 0 <= value <= 1:
            self.rep.error("F0607", self.sp(conf), f"`min_confidence {conf}` is out of range",
                           help="confidence is a number from 0 to 1, like 0.6")
        return T.Answer(**self.claim(meta),
                        span=self.sp(meta), collection=plain(ch[0]), min_confidence=value,
                        handlers=tuple(c for c in ch if isinstance(c, T.Handler)))

    def handoff(self, meta: Meta, ch: list) -> T.Handoff:
        fields: dict[str, Any] = {}
        for kind, value, span in ch[1:]:
            if kind in fields:
                self.rep.error("F0214", span, f"`{kind}` is given twice in this handoff",
                               help="keep one of the two")
            fields[kind] = value
        return T.Handoff(**self.claim(meta), span=self.sp(meta), queue=str(ch[0]), **fields)

    def reason(self, meta: Meta, ch: list) -> tuple:
        return ("reason", self.template(ch[0]), self.sp(meta))

    def priority(self, meta: Meta, ch: list) -> tuple:
        value = ch[0]
        cond = ch[1] if len(ch) > 1 else None
        return ("priority", T.Priority(span=self.sp(meta), value=value, condition=cond),
                self.sp(meta))

    def priority_value(self, meta: Meta, ch: list) -> str:
        tok = ch[0]
        if tok.type == "INT":
            if not 1 <= int(tok) <= 10:
                self.rep.error("F0609", self.sp(tok), f"`priority {tok}` is out of range",
                               help="priorities are low, normal, high, urgent, or 1 to 10")
            return str(int(tok))
        return _one_of(self.rep, tok, V.PRIORITIES, "priority", "F0212")

    def context(self, meta: Meta, ch: list) -> tuple:
        return ("context", tuple(ch), self.sp(meta))

    def summary(self, meta: Meta, ch: list) -> tuple:
        return ("summary", self.template(ch[0]), self.sp(meta))

    def record(self, meta: Meta, ch: list) -> T.Record:
        max_ms = next((self.duration(c) for c in ch[1:] if isinstance(c, Token)), None)
        prompt = next((c for c in ch if isinstance(c, T.Prompt)), None)
        return T.Record(**self.claim(meta),
                        span=self.sp(meta), var=str(ch[0]), max_ms=max_ms, prompt=prompt,
                        handlers=tuple(c for c in ch if isinstance(c, T.Handler)))

    def set_stmt(self, meta: Meta, ch: list) -> T.Set:
        return T.Set(**self.claim(meta), span=self.sp(meta), var=str(ch[0]), value=ch[1])

    def if_stmt(self, meta: Meta, ch: list) -> T.If:
        first = T.Branch(span=self.sp(meta), condition=ch[0], body=ch[1])
        branches = [first] + [c for c in ch[2:] if isinstance(c, T.Branch)]
        orelse = next((c for c in ch[2:] if isinstance(c, tuple)), None)
        return T.If(**self.claim(meta), span=self.sp(meta), branches=tuple(branches),
                    orelse=orelse[1] if orelse else (), else_span=orelse[0] if orelse else None)

    def elif_clause(self, meta: Meta, ch: list) -> T.Branch:
        return T.Branch(**self.claim(meta), span=self.sp(meta), condition=ch[0], body=ch[1])

    def else_clause(self, meta: Meta, ch: list) -> tuple:
        return (self.sp(meta), ch[0])

    def block(self, meta: Meta, ch: list) -> tuple:
        return tuple(ch)

    def go(self, meta: Meta, ch: list) -> T.Go:
        return T.Go(**self.claim(meta), span=self.sp(meta), target=ch[0])

    def call(self, meta: Meta, ch: list) -> T.Call:
        return T.Call(**self.claim(meta), span=self.sp(meta), target=ch[0])

    def return_stmt(self, meta: Meta, ch: list) -> T.Return:
        return T.Return(**self.claim(meta), span=self.sp(meta))

    def hangup_stmt(self, meta: Meta, ch: list) -> T.Hangup:
        return T.Hangup(**self.claim(meta), span=self.sp(meta))

    # ---- expressions -----------------------------------------------------------------------
    def or_op(self, meta: Meta, ch: list) -> T.Binary:
        return T.Binary(span=self.sp(meta), op="or", left=ch[0], right=ch[1])

    def and_op(self, meta: Meta, ch: list) -> T.Binary:
        return T.Binary(span=self.sp(meta), op="and", left=ch[0], right=ch[1])

    def not_op(self, meta: Meta, ch: list) -> T.Unary:
        return T.Unary(span=self.sp(meta), op="not", operand=ch[0])

    def neg(self, meta: Meta, ch: list) -> T.Unary:
        return T.Unary(span=self.sp(meta), op="-", operand=ch[0])

    def compare(self, meta: Meta, ch: list) -> T.Binary:
        return T.Binary(span=self.sp(meta), op=str(ch[1]), left=ch[0], right=ch[2])

    arith = compare

    def _is_set(self, meta: Meta, ch: list, negated: bool) -> T.Expr:
        if not isinstance(ch[0], T.Ref):
            self.rep.error("F0503", self.sp(meta), "`is set` needs a variable name",
                           help="write `account is set` to test whether a slot has a value")
            return T.Bool(span=self.sp(meta), value=False)
        return T.IsSet(span=self.sp(meta), ref=ch[0], negated=negated)

    def is_set(self, meta: Meta, ch: list) -> T.Expr:
        return self._is_set(meta, ch, False)

    def is_not_set(self, meta: Meta, ch: list) -> T.Expr:
        return self._is_set(meta, ch, True)

    def string(self, meta: Meta, ch: list) -> T.Str:
        return T.Str(span=self.sp(meta), value=self.template(ch[0]))

    def number(self, meta: Meta, ch: list) -> T.Num:
        return T.Num(span=self.sp(meta), value=float(ch[0]))

    def true(self, meta: Meta, ch: list) -> T.Bool:
        return T.Bool(span=self.sp(meta), value=True)

    def false(self, meta: Meta, ch: list) -> T.Bool:
        return T.Bool(span=self.sp(meta), value=False)

    def ref(self, meta: Meta, ch: list) -> T.Ref:
        return T.Ref(span=self.sp(meta), path=tuple(str(t) for t in ch))

    def func(self, meta: Meta, ch: list) -> T.Func:
        return T.Func(span=self.sp(meta), name=str(ch[0]), args=tuple(ch[1:]))

    def interp(self, meta: Meta, ch: list) -> T.Interp:
        fmt = str(ch[1]) if len(ch) > 1 else ""
        return T.Interp(span=self.sp(meta), expr=ch[0], format=fmt)
