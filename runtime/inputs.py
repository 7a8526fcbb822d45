"""Input steps (menu, ask, record): prompting, listening, keys and speech, escalation, failure.

Precedence for what the caller does while a step listens: a menu choice, then a handler of
the step, then a global handler. While an `ask` collects digits, digit keys are the answer and
never trigger `on key` handlers. The first key press stops the prompt (unless `barge_in off`,
in which case keys wait for the prompt to end) and is never lost.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dsl import tree as T
from runtime import actions as A
from runtime import events as E
from runtime.evaluate import truthy
from runtime.normalize import normalize
from runtime.outcomes import Outcome
from runtime.state import InputState

if TYPE_CHECKING:
    from runtime.session import Session

MIN_SPEECH_CONFIDENCE = 0.35  # below this a recognition result goes down the no-match path
SPEECH_TURN_MS = 30_000  # once the caller speaks, how long the answer may take to arrive
DIGIT_TYPES = ("digits", "number", "currency", "phone", "date", "time")
DIGIT_KEYS = set("0123456789")


def start(session: Session, flow: str, node_id: str, resume: bool = False) -> None:
    """Ask the question of an input step (again, keeping its counters, when resuming)."""
    st = session.state
    node = session.program.node(flow, node_id)
    if st.closing:
        session.end("caller")
        return
    if resume and st.input is not None and st.input.node == node_id:
        inp = st.input
    elif resume and node_id in st.parked:
        inp = st.parked.pop(node_id)
    else:
        inp = InputState(flow=flow, node=node_id, step=st.step)
    inp.phase, inp.digits, inp.candidate, inp.timer = "prompt", "", None, ""
    st.input = inp
    eff = _effective(node)
    prompt = node.prompt
    inp.playback = session.play(flow, prompt, node, barge_in=eff.barge_in) if prompt else ""
    if isinstance(node, T.Record):
        inp.request = session.next_id("record")
        inp.phase = "recording"
        session.emit(A.Record(request_id=inp.request, max_ms=node.max_ms or 120_000), node)
        return
    session.emit(_listen(node, eff), node)
    if not inp.playback:
        _listening(session, inp, eff)
    held, st.typeahead = st.typeahead, []
    for key in held:
        if st.input is not inp:
            break
        on_event(session, E.KeyPressed(key=key, at=st.now))


def _effective(node: T.Node) -> T.Effective:
    eff = getattr(node, "effective", None)
    return eff or T.Effective(input="both", barge_in=True, noinput_ms=5000, interdigit_ms=3000,
                              attempts=3, terminator=None)


def _listen(node: T.Menu | T.Ask, eff: T.Effective) -> A.Listen:
    exp = node.expect or T.Expect()
    return A.Listen(step=node.id, keys=eff.input in ("keys", "both"),
                    speech=eff.input in ("speech", "both"), key_set=exp.keys,
                    phrases=exp.phrases, intents=exp.intents, slot_type=exp.slot_type,
                    min_digits=exp.min_digits, max_digits=exp.max_digits,
                    terminator=eff.terminator, noinput_ms=eff.noinput_ms,
                    interdigit_ms=eff.interdigit_ms,
                    sensitive=isinstance(node, T.Ask) and node.sensitive)


def _listening(session: Session, inp: InputState, eff: T.Effective) -> None:
    inp.phase = "listening" if inp.phase == "prompt" else inp.phase
    _start_timer(session, inp, "noinput", eff.noinput_ms)


def _start_timer(session: Session, inp: InputState, kind: str, ms: int) -> None:
    if inp.timer:
        session.emit(A.CancelTimer(timer_id=inp.timer))
    inp.timer = session.next_id(kind)
    session.emit(A.StartTimer(timer_id=inp.timer, ms=ms))


def _stop_timer(session: Session, inp: InputState) -> None:
    if inp.timer:
        session.emit(A.CancelTimer(timer_id=inp.timer))
        inp.timer = ""


# ---- events while an input step is active ------------------------------------------------------


def on_event(session: Session, event: E.Event) -> None:
    inp = session.state.input
    if inp is None:
        return
    node = session.program.node(inp.flow, inp.node)
    eff = _effective(node)
    if isinstance(event, E.PlaybackFinished):
        if event.playback_id == inp.playback and inp.phase in ("prompt", "confirm-prompt"):
            inp.phase = "listening" if inp.phase == "prompt" else "confirm"
            _start_timer(session, inp, "noinput", eff.noinput_ms)
            held, inp.held_keys = inp.held_keys, []
            for key in held:
                if session.state.input is not inp:
                    break
                on_event(session, E.KeyPressed(key=key, at=event.at))
    elif isinstance(event, E.RecordResult):
        if inp.phase == "recording" and event.request_id == inp.request:
            if event.ok and event.duration_ms > 0:
                _accept(session, node, inp, {"uri": event.uri, "duration_ms": event.duration_ms},
                        Outcome.SPEECH)
            else:
                _failed(session, node, inp, "noinput")
    elif isinstance(event, E.KeyPressed):
        _on_key(session, node, inp, eff, event.key)
    elif isinstance(event, E.Speech):
        _on_speech(session, node, inp, eff, event)
    elif isinstance(event, E.NoInput):
        if inp.phase in ("listening", "confirm"):
            _stop_timer(session, inp)
            _failed(session, node, inp, "noinput")
    elif isinstance(event, E.TimerFired) and event.timer_id == inp.timer:
        inp.timer = ""
        if event.timer_id.startswith("interdigit"):
            _digits_done(session, node, inp, Outcome.INTERDIGIT_TIMEOUT)
        else:
            _failed(session, node, inp, "noinput")


def _barge(session: Session, inp: InputState, eff: T.Effective, node: T.Node) -> bool:
    """Whether input during the prompt may interrupt it; stops the prompt if so."""
    if inp.phase not in ("prompt", "confirm-prompt"):
        return True
    prompt = getattr(node, "prompt", None)
    allowed = prompt.barge_in if prompt is not None and prompt.barge_in is not None else (
        eff.barge_in)
    if allowed:
        session.emit(A.StopPlayback())
        inp.phase = "listening" if inp.phase == "prompt" else "confirm"
    return allowed


def _on_key(session: Session, node: T.Node, inp: InputState, eff: T.Effective, key: str) -> None:
    if inp.phase == "recording":
        return
    if not _barge(session, inp, eff, node):
        inp.held_keys.append(key)  # played through; the key counts once the prompt ends
        return
    session.log_entry("input", {"key": "[redacted]" if _sensitive(node) else key}, node)
    if inp.phase == "confirm":
        _stop_timer(session, inp)
        answer = {"1": True, "2": False}.get(key)
        # 1 and 2 answer the read-back; another key is for the handlers (0 for a person) first.
        if answer is None and _key_handler(session, node, inp, key):
            return
        _confirmed(session, node, inp, answer, Outcome.KEY_COMPLETE)
        return
    if isinstance(node, T.Menu):
        _stop_timer(session, inp)
        choice = next((c for c in node.choices if c.key == key), None)
        if choice is not None:
            _choose(session, node, inp, choice, Outcome.KEY_COMPLETE)
        elif not _key_handler(session, node, inp, key):
            _failed(session, node, inp, "nomatch")
        return
    assert isinstance(node, T.Ask)
    kind = node.type.name
    if kind in DIGIT_TYPES:
        if key == eff.terminator:
            _stop_timer(session, inp)
            _digits_done(session, node, inp, Outcome.TERMINATOR)
            return
        if key in DIGIT_KEYS:
            inp.digits += key
            limit = node.type.max_len if kind == "digits" else None
            if limit is not None and len(inp.digits) >= limit:
                _stop_timer(session, inp)
                # Callers told to "press pound" do so after a full entry too: that pound
                # belongs to this answer, not to the next question.
                session.state.swallow_key = eff.terminator or ""
                _digits_done(session, node, inp, Outcome.KEY_COMPLETE)
            else:
                _start_timer(session, inp, "interdigit", eff.interdigit_ms)
            return
    _stop_timer(session, inp)
    if kind == "yes_no" and key in ("1", "2"):
        _accept(session, node, inp, key == "1", Outcome.KEY_COMPLETE)
    elif kind == "choice" and key.isdigit() and 1 <= int(key) <= len(node.type.choices):
        _accept(session, node, inp, node.type.choices[int(key) - 1], Outcome.KEY_COMPLETE)
    elif not _key_handler(session, node, inp, key):
        _failed(session, node, inp, "nomatch")


def _digits_done(session: Session, node: T.Node, inp: InputState, outcome: Outcome) -> None:
    assert isinstance(node, T.Ask)
    digits, inp.digits = inp.digits, ""
    if not digits:
        _failed(session, node, inp, "noinput")
        return
    t = node.type
    value: Any = None
    if t.name == "digits":
        if (t.min_len or 1) <= len(digits) <= (t.max_len or 64):
            value = digits
    elif t.name == "number":
        value = int(digits)
    elif t.name == "currency":
        value = float(digits)
    elif t.name == "phone":
        value = digits if 7 <= len(digits) <= 15 else None
    else:  # date as MMDDYYYY, time as HHMM, keyed in
        value = normalize(t.name, _keyed_date_or_time(t.name, digits),
                          today=_today(session)).value
    if value is None:
        _failed(session, node, inp, "nomatch", outcome)
    else:
        _accept(session, node, inp, value, outcome)


def _keyed_date_or_time(kind: str, digits: str) -> str:
    if kind == "date" and len(digits) == 8:
        return f"{digits[4:]}-{digits[:2]}-{digits[2:4]}"
    if kind == "time" and len(digits) == 4:
        return f"{digits[:2]}:{digits[2:]}"
    return digits


def _today(session: Session) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(session.state.now or 0, UTC).date()


def _on_speech(session: Session, node: T.Node, inp: InputState, eff: T.Effective,
               event: E.Speech) -> None:
    if inp.phase == "recording" or eff.input == "keys":
        return
    if not event.final:
        # The caller started talking (over the prompt, or after it).
        if _barge(session, inp, eff, node) and inp.timer.startswith("noinput"):
            # Silence no longer applies: the recogniser's answer ends the turn. A longer timer
            # stays as a safety net, should no answer ever come.
            _start_timer(session, inp, "noinput", eff.noinput_ms + SPEECH_TURN_MS)
        return
    if not _barge(session, inp, eff, node):
        return
    st = session.state
    secret = _sensitive(node)
    st.last_utterance = event.text
    st.transcript.append({"who": "caller", "text": "[redacted]" if secret else event.text,
                          "step": st.step, "at": st.now})
    _stop_timer(session, inp)
    if event.confidence < MIN_SPEECH_CONFIDENCE or not event.text.strip():
        _failed(session, node, inp, "nomatch")
        return
    if inp.phase == "confirm":
        answer = normalize("yes_no", event.text).value
        if answer is None and _intent_handler(session, node, inp, event.text):
            return  # not a yes or no, but a request the handlers take ("an agent please")
        _confirmed(session, node, inp, answer, Outcome.SPEECH)
        return
    if isinstance(node, T.Menu):
        _menu_speech(session, node, inp, event.text)
        return
    assert isinstance(node, T.Ask)
    t = node.type
    parsed = normalize(t.name, event.text, min_digits=t.min_len, max_digits=t.max_len,
                       choices=t.choices, pattern=t.pattern, today=_today(session),
                       language=st.language)
    if parsed.value is not None:
        _accept(session, node, inp, parsed.value, Outcome.SPEECH)
    elif not _intent_handler(session, node, inp, event.text):
        _failed(session, node, inp, "nomatch")


def _menu_speech(session: Session, node: T.Menu, inp: InputState, text: str) -> None:
    said = _words(text)
    for choice in node.choices:
        for phrase in choice.phrases:
            if re.search(rf"(^| ){re.escape(_words(phrase))}( |$)", said):
                _choose(session, node, inp, choice, Outcome.SPEECH)
                return
    intents = [c.intent for c in node.choices if c.intent]
    handlers = _handlers(session, node, inp)
    candidates = intents + [h.trigger.arg for h in handlers if h.trigger.kind == "intent"]
    best = session.intents.best(text, candidates) if session.intents and candidates else None
    if best is not None:
        session.log_entry("intent", {"intent": best.intent, "confidence": best.confidence}, node)
        choice = next((c for c in node.choices if c.intent == best.intent), None)
        if choice is not None:
            _choose(session, node, inp, choice, Outcome.SPEECH)
            return
        if _intent_handler(session, node, inp, text, best.intent):
            return
    question = next((c for c in node.choices if c.question), None)
    if question is not None:
        _choose(session, node, inp, question, Outcome.SPEECH)
        return
    _failed(session, node, inp, "nomatch")


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def _sensitive(node: T.Node) -> bool:
    return isinstance(node, T.Ask) and node.sensitive


# ---- handlers ----------------------------------------------------------------------------------


def _levels(session: Session, node: T.Node, inp: InputState) -> list[tuple[T.Handler, ...]]:
    """The step's own handlers, then the enclosing step's, then the flow's (then the main
    flow's, for a sub-flow): the first level that handles something wins."""
    levels = [tuple(getattr(node, "handlers", ()))]
    step = session.program.flows[inp.flow].steps.get(inp.step)
    if step is not None and step is not node:
        levels.append(step.handlers)
    for flow in dict.fromkeys((inp.flow, "")):
        levels.append(session.program.flows[flow].handlers)
    return levels


def _handlers(session: Session, node: T.Node, inp: InputState) -> list[T.Handler]:
    return [h for level in _levels(session, node, inp) for h in level]


def _key_handler(session: Session, node: T.Node, inp: InputState, key: str) -> bool:
    for h in _handlers(session, node, inp):
        if h.trigger.kind == "key" and h.trigger.arg == key:
            _detour(session, inp, h)
            return True
    return False


def _intent_handler(session: Session, node: T.Node, inp: InputState, text: str,
                    intent: str | None = None) -> bool:
    handlers = [h for h in _handlers(session, node, inp) if h.trigger.kind == "intent"]
    if not handlers:
        return False
    if intent is None:
        if session.intents is None:
            return False
        best = session.intents.best(text, [h.trigger.arg for h in handlers])
        if best is None:
            return False
        intent = best.intent
    for h in handlers:
        if h.trigger.arg == intent:
            _detour(session, inp, h)
            return True
    return False


def _detour(session: Session, inp: InputState, handler: T.Handler) -> None:
    """Run a handler; the input step resumes (same counters) if the handler does not leave."""
    session.log_entry("handler", {"trigger": handler.trigger.kind, "arg": handler.trigger.arg},
                      handler)
    session.emit(A.StopListening())
    _park(session, inp)
    session.run_handler(inp.flow, handler, resume_node=inp.node)


def _park(session: Session, inp: InputState) -> None:
    """Keep the step's counters while a handler runs (restored by `start(resume=True)`)."""
    session.state.parked[inp.node] = inp
    session.state.input = None


# ---- results -----------------------------------------------------------------------------------


def log_outcome(session: Session, outcome: str, node: T.Node | None = None) -> None:
    inp = session.state.input
    data = {"outcome": str(outcome)}
    if inp is not None:
        data["step"] = inp.node
        node = node or session.program.node(inp.flow, inp.node)
    session.log_entry("outcome", data, node)


def _choose(session: Session, node: T.Menu, inp: InputState, choice: T.Choice,
            outcome: Outcome) -> None:
    log_outcome(session, outcome, node)
    session.log_entry("choice", {"target": choice.target.step, "key": choice.key}, choice)
    session.emit(A.StopListening())
    session.state.input = None
    flow, step = session.resolve_target(inp.flow, choice.target)
    session.goto(flow, step)


def _accept(session: Session, node: T.Node, inp: InputState, value: Any,
            outcome: Outcome) -> None:
    if isinstance(node, T.Ask):
        if node.validate is not None:
            ok = truthy(session.eval(inp.flow, node.validate.condition, {node.slot: value}))
            if not ok:
                message = T.Prompt(parts=(node.validate.message,))
                session.play(inp.flow, message, node, extra={node.slot: value})
                _failed(session, node, inp, "nomatch", outcome, run_handler=False)
                return
        if node.confirm and inp.phase != "confirm":
            inp.candidate = value
            inp.phase = "confirm-prompt"
            confirm = T.Prompt(parts=node.confirm)
            inp.playback = session.play(inp.flow, confirm, node, extra={node.slot: value})
            session.emit(A.Listen(step=node.id, key_set=("1", "2"), phrases=("yes", "no"),
                                  intents=node.expect.intents if node.expect else (),
                                  slot_type="yes_no", noinput_ms=_effective(node).noinput_ms))
            return
        session.set_var(node.slot, value, sensitive=node.sensitive)
    elif isinstance(node, T.Record):
        session.set_var(node.var, value)
    log_outcome(session, outcome, node)
    session.emit(A.StopListening())
    session.state.input = None


def _confirmed(session: Session, node: T.Node, inp: InputState, answer: bool | None,
               outcome: Outcome) -> None:
    if answer is True:
        inp.phase = "confirmed"
        value, inp.candidate = inp.candidate, None
        assert isinstance(node, T.Ask)
        session.set_var(node.slot, value, sensitive=node.sensitive)
        log_outcome(session, outcome, node)
        session.emit(A.StopListening())
        session.state.input = None
    else:
        _failed(session, node, inp, "nomatch", outcome)


def _failed(session: Session, node: T.Node, inp: InputState, kind: str,
            outcome: Outcome | None = None, run_handler: bool = True) -> None:
    """A no-input or no-match: escalate, re-prompt, or give up after the last attempt."""
    if kind == "noinput":
        inp.noinput += 1
        count = inp.noinput
        reason = Outcome.NO_INPUT
    else:
        inp.nomatch += 1
        count = inp.nomatch
        reason = Outcome.NO_MATCH
    log_outcome(session, reason, node)
    if outcome is not None and outcome != reason:
        session.log_entry("detail", {"ended_by": str(outcome)}, node)
    session.emit(A.StopListening())
    attempts = _effective(node).attempts
    handler = _pick_leveled(session, node, inp, kind, count) if run_handler else None
    if inp.noinput + inp.nomatch >= attempts:
        # The last attempt: its handler (say, "still nothing") runs, then `on failure`.
        session.state.input = None
        session.log_entry("failure", {"step": inp.node}, node)
        failure = _pick_leveled(session, node, inp, "failure", None)
        if failure is None:
            session.end("failure", A.Hangup(reason="failure"))
            return
        session.run_handler(inp.flow, failure)
        if handler is not None:
            session.run_handler(inp.flow, handler)
        return
    _park(session, inp)
    if handler is None:
        session.state.frames.append([inp.flow, f"resume:{inp.node}", 0])
    else:
        session.run_handler(inp.flow, handler, resume_node=inp.node)


def _pick_leveled(session: Session, node: T.Node, inp: InputState, kind: str,
                  count: int | None) -> T.Handler | None:
    for level in _levels(session, node, inp):
        found = _pick(level, kind, count)
        if found is not None:
            return found
    return None


def _pick(handlers: tuple[T.Handler, ...], kind: str, count: int | None) -> T.Handler | None:
    """`on KIND N` for this count, else the highest lower N, else plain `on KIND` (in order)."""
    matching = [h for h in handlers if h.trigger.kind == kind]
    if count is None:
        return matching[0] if matching else None
    best: T.Handler | None = None
    best_n = 0
    for h in matching:
        arg = h.trigger.arg
        n = int(arg) if arg else 0
        if n == count:
            return h
        if n < count and (best is None or n > best_n):
            best, best_n = h, n
    return best
