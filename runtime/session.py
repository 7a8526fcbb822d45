"""One call, executed: a deterministic state machine over the compiled flow.

`Session.handle(event) -> list[Action]` is the whole interface. The session does no I/O and has
no clock: timers are actions, their firing is an event, and "now" is the time the driver
stamped on the latest event. Its state (`SessionState`) serialises to JSON at any point, and a
session restored from it continues identically.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from dsl import tree as T
from runtime import actions as A
from runtime import events as E
from runtime import inputs
from runtime.evaluate import EvalError, Scope, evaluate, render, template_reads
from runtime.intents import IntentMatcher
from runtime.normalize import say_as
from runtime.program import LoadedProgram, load_program
from runtime.state import SessionState

REDACTED = "[redacted]"
MAX_STEPS_PER_EVENT = 10_000  # a flow that loops without waiting for the caller is stopped


class FlowError(Exception):
    """The flow cannot go on (a missing step, an expression that fails)."""


class Session:
    def __init__(self, ir: dict[str, Any] | LoadedProgram, *,
                 intents: IntentMatcher | None = None, state: SessionState | None = None) -> None:
        self.program = ir if isinstance(ir, LoadedProgram) else load_program(ir)
        self.intents = intents
        self.state = state or SessionState()
        self.log: list[dict[str, Any]] = []
        self._out: list[A.Action] = []
        self.origins: dict[int, T.Node] = {}  # id(action) -> node that produced it (last batch)

    # ---- the interface -----------------------------------------------------------------------
    def handle(self, event: E.Event) -> list[A.Action]:
        self._out = []
        self.origins = {}
        st = self.state
        if event.at:
            st.now = event.at
        self._log_event(event)
        if st.ended and not isinstance(event, E.HandoffOutcome):
            return []
        try:
            self._dispatch(event)
            self._run()
        except (FlowError, EvalError) as exc:
            self._error(str(exc))
        out, self._out = self._out, []
        return out

    def snapshot(self) -> dict[str, Any]:
        return self.state.to_json()

    @classmethod
    def restore(cls, ir: dict[str, Any] | LoadedProgram, snapshot: dict[str, Any], *,
                intents: IntentMatcher | None = None) -> Session:
        return cls(ir, intents=intents, state=SessionState.from_json(snapshot))

    @property
    def ended(self) -> bool:
        return bool(self.state.ended)

    # ---- events ------------------------------------------------------------------------------
    def _dispatch(self, event: E.Event) -> None:
        st = self.state
        if isinstance(event, E.KeyPressed | E.Speech):
            swallow, st.swallow_key = st.swallow_key, ""
            if isinstance(event, E.KeyPressed) and event.key == swallow:
                self.log_entry("input", {"ignored": "terminator after a complete entry"})
                return
        if isinstance(event, E.CallStarted):
            if st.started:
                return
            st.started = True
            st.caller = {"number": event.caller, "called": event.called,
                         "language": event.language, **_caller_fields(event.variables)}
            st.env = dict(event.env)
            header = self.program.main.header
            st.language = event.language or (header.language if header else "") or "en-US"
            self.goto("", "start")
        elif isinstance(event, E.HungUp):
            self._hung_up()
        elif st.input is not None:
            inputs.on_event(self, event)
        elif isinstance(event, E.KeyPressed):
            st.typeahead.append(event.key)  # keys pressed between input steps are not lost
        elif st.wait is not None:
            self._on_result(event)

    def _on_result(self, event: E.Event) -> None:
        from runtime.steps import results

        results.on_result(self, event)

    def _hung_up(self) -> None:
        st = self.state
        if st.input is not None:
            inputs.log_outcome(self, "hang-up")
            st.input = None
        st.wait = None
        st.frames = []
        st.ended = "caller"
        handler = self.global_handler("hangup")
        if handler is not None:
            # Runs for bookkeeping (hooks, web services); nothing can be said to the caller.
            st.frames = [[self._handler_flow(st.flow, handler), handler.id, 0]]
            st.ended = ""
            st.closing = True

    # ---- running statements ------------------------------------------------------------------
    def _run(self) -> None:
        from runtime.steps import HANDLERS

        st = self.state
        budget = MAX_STEPS_PER_EVENT
        while st.frames and st.input is None and st.wait is None and not st.ended:
            budget -= 1
            if budget < 0:
                raise FlowError("the flow ran 10,000 statements without waiting for the caller")
            frame = st.frames[-1]
            flow, key, index = frame
            if key.startswith("resume:"):
                st.frames.pop()
                inputs.start(self, flow, key.removeprefix("resume:"), resume=True)
                continue
            block = self.program.block(flow, key)
            if index >= len(block):
                st.frames.pop()
                continue
            frame[2] = index + 1
            stmt = block[index]
            HANDLERS[type(stmt)](self, flow, stmt)
        if not st.frames and st.input is None and st.wait is None and not st.ended:
            self._finish_block_stack()

    def _finish_block_stack(self) -> None:
        st = self.state
        if st.closing:  # the `on hangup` handler is done
            st.ended = "caller"
            return
        # A path ran off the end of a step: the checker forbids it, so end the call politely.
        self.end("flow", A.Hangup(reason="flow"))

    def push_block(self, flow: str, key: str) -> None:
        self.state.frames.append([flow, key, 0])

    def goto(self, flow: str, step_name: str) -> None:
        """Jump to a step: the current call level's position is replaced."""
        st = self.state
        target_flow = self.program.flows.get(flow)
        step = target_flow.steps.get(step_name) if target_flow else None
        if step is None:
            raise FlowError(f"no step `{step_name}` in flow `{flow or 'main'}`")
        mark = st.call_marks[-1] if st.call_marks else 0
        del st.frames[mark:]
        st.flow, st.step = flow, step_name
        self.log_entry("step", {"flow": flow, "step": step_name}, step)
        if isinstance(step, T.Menu):
            inputs.start(self, flow, step.id)
        else:
            self.push_block(flow, step.id)

    def resolve_target(self, flow: str, target: T.Target) -> tuple[str, str]:
        """(flow path, step name) of a target written in `flow`."""
        if target.flow:
            return self.program.flows[flow].imports[target.flow], target.step
        here = self.program.flows[flow]
        if target.step in here.imports and target.step not in here.steps:
            return here.imports[target.step], "start"
        return flow, target.step

    # ---- helpers for step handlers -----------------------------------------------------------
    def emit(self, action: A.Action, node: T.Node | None = None, secret: bool = False) -> None:
        """Send an action; `secret` masks a Play's text in the log (it speaks personal data)."""
        if self.state.closing and isinstance(action, A.Play | A.Listen | A.Hangup):
            return  # the caller has gone: nothing to say or hang up
        self._out.append(action)
        if node is not None:
            self.origins[id(action)] = node
        self.log_entry("action", _redact_action(action, self, secret), node)

    def next_id(self, prefix: str) -> str:
        self.state.seq += 1
        return f"{prefix}-{self.state.seq}"

    def scope(self, flow: str, extra: dict[str, Any] | None = None) -> Scope:
        st = self.state
        variables = {**st.variables, "last_utterance": st.last_utterance, **(extra or {})}
        return Scope(variables, st.caller, st.env, self.program.flows[flow].hours, st.now,
                     say_as)

    def eval(self, flow: str, expr: T.Expr, extra: dict[str, Any] | None = None) -> Any:
        return evaluate(expr, self.scope(flow, extra))

    def text(self, flow: str, template: T.Template, extra: dict[str, Any] | None = None) -> str:
        return render(template, self.scope(flow, extra))

    def is_sensitive(self, template: T.Template, node: T.Node | None = None) -> bool:
        """Whether the template reads personal data: a sensitive variable, or (in a `confirm`
        or `validate` message of a sensitive `ask`) the answer not yet kept in its slot."""
        secret = set(self.state.sensitive)
        if isinstance(node, T.Ask) and node.sensitive:
            secret.add(node.slot)
        return bool(template_reads(template) & secret)

    def set_var(self, name: str, value: Any, sensitive: bool = False) -> None:
        st = self.state
        st.variables[name] = value
        if sensitive and name not in st.sensitive:
            st.sensitive.append(name)

    def play(self, flow: str, prompt: T.Prompt, node: T.Node, barge_in: bool | None = None,
             extra: dict[str, Any] | None = None) -> str:
        """Play a prompt (in the caller's language when a variant exists); returns the last id."""
        st = self.state
        parts = prompt.parts
        for v in prompt.variants:
            if v.language.lower() == st.language.lower():
                parts = v.parts
        # A sub-flow without a voice of its own speaks in the main flow's: the voice does not
        # change in the middle of a call.
        voice = next((h.voice for h in (self.program.flows[flow].header,
                                        self.program.main.header) if h and h.voice), "")
        allowed = prompt.barge_in if prompt.barge_in is not None else (
            barge_in if barge_in is not None else True)
        last = ""
        for part in parts:
            last = self.next_id("play")
            if isinstance(part, T.Pause):
                self.emit(A.Play(playback_id=last, pause_ms=part.ms, barge_in=allowed,
                                 language=st.language, voice=voice), node)
                continue
            text = self.text(flow, part, extra)
            secret = self.is_sensitive(part, node)
            self.emit(A.Play(playback_id=last, text=text, language=st.language, voice=voice,
                             barge_in=allowed, cacheable=all(isinstance(p, str)
                                                             for p in part.parts)), node,
                      secret=secret)
            st.transcript.append({"who": "bot", "text": REDACTED if secret else text,
                                  "step": st.step, "at": st.now})
        return last

    def handler_for(self, handlers: tuple[T.Handler, ...], kind: str,
                    arg: str = "") -> T.Handler | None:
        for h in handlers:
            if h.trigger.kind == kind and h.trigger.arg == arg:
                return h
        return None

    def global_handler(self, kind: str, arg: str = "") -> T.Handler | None:
        st = self.state
        for flow in dict.fromkeys((st.flow, "")):
            found = self.handler_for(self.program.flows[flow].handlers, kind, arg)
            if found is not None:
                return found
        return None

    def run_handler(self, flow: str, handler: T.Handler, resume_node: str | None = None) -> None:
        """Run a handler's body; if it does not leave, resume the input step it interrupted."""
        if resume_node:
            self.state.frames.append([flow, f"resume:{resume_node}", 0])
        self.push_block(self._handler_flow(flow, handler), handler.id)

    def _handler_flow(self, flow: str, handler: T.Handler) -> str:
        return flow if (flow, handler.id) in self.program.nodes else ""

    def end(self, reason: str, action: A.Action | None = None) -> None:
        if action is not None:
            self.emit(action)
        st = self.state
        st.ended = reason
        st.frames, st.input, st.wait = [], None, None

    def _error(self, message: str) -> None:
        """A runtime error: the flow's `on error` handler runs once; otherwise the call ends."""
        st = self.state
        self.log_entry("error", {"message": message})
        handler = self.global_handler("error")
        if handler is not None and st.errors_handled == 0 and not st.ended:
            st.errors_handled += 1
            st.input, st.wait = None, None
            mark = st.call_marks[-1] if st.call_marks else 0
            del st.frames[mark:]
            self.push_block(self._handler_flow(st.flow, handler), handler.id)
            try:
                self._run()
            except (FlowError, EvalError) as exc:
                self.log_entry("error", {"message": str(exc)})
                self.end("error", A.Hangup(reason="error"))
            return
        self.end("error", A.Hangup(reason="error"))

    # ---- the call log ------------------------------------------------------------------------
    def log_entry(self, kind: str, data: dict[str, Any], node: T.Node | None = None) -> None:
        entry: dict[str, Any] = {"at": self.state.now, "kind": kind, **data}
        st = self.state
        if node is None and st.step:  # attribute it to the step that is running
            flow = self.program.flows.get(st.flow)
            node = flow.steps.get(st.step) if flow else None
        if node is not None:
            entry["node"] = node.id
            entry["span"] = node.span.to_json()
        self.log.append(entry)

    def _log_event(self, event: E.Event) -> None:
        data = asdict(event)
        # A key or words with no step listening (typed ahead during a web service call, a
        # late recognition) may be for the next step, a PIN's: the step's own log entry
        # records what it took, redacted or not.
        if data["type"] in ("key_pressed", "speech") and (
                self.state.input is None or self._input_sensitive()):
            for key in ("key", "text", "alternatives"):
                if data.get(key):
                    data[key] = REDACTED
        if data["type"] == "call_started":
            data["env"] = {k: REDACTED for k in data["env"]}  # tokens live in env
        self.log_entry("event", {"event": data})

    def _input_sensitive(self) -> bool:
        inp = self.state.input
        if inp is None:
            return False
        node = self.program.node(inp.flow, inp.node)
        return isinstance(node, T.Ask) and node.sensitive


def _caller_fields(variables: dict[str, Any]) -> dict[str, Any]:
    """Channel variables as caller.* fields; "true"/"false" strings become booleans."""
    out: dict[str, Any] = {}
    for key, value in variables.items():
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        out[key] = value
    out.setdefault("vip", False)
    out.setdefault("tier", "")
    out.setdefault("name", "")
    return out


def _redact_action(action: A.Action, session: Session, secret: bool = False) -> dict[str, Any]:
    data = asdict(action)
    secrets = {str(session.state.variables.get(n)) for n in session.state.sensitive
               if session.state.variables.get(n) not in (None, "")}
    # A template that reads a secret is masked whatever its spoken form ("1 2 3 4" for 1234).
    if data["type"] == "play" and (secret or any(s in data["text"] for s in secrets)):
        data["text"] = REDACTED
    if data["type"] == "handoff":
        for group in ("context", "slots"):
            data[group] = [{**f, "value": REDACTED} if f["sensitive"] else f for f in data[group]]
    if data["type"] in ("fetch", "run_hook"):
        data["headers"] = {k: REDACTED for k in data.get("headers", {})}
        for key in ("url", "body", "args"):
            if key in data and any(s in str(data[key]) for s in secrets):
                data[key] = REDACTED
    return data
