"""The session, driven by scripted events: every step kind and every outcome reason."""

from __future__ import annotations

import json
from pathlib import Path

from dsl.compile import compile_file
from runtime import actions as A
from runtime import events as E
from runtime.session import Session
from tests.runtime.script import T0, Call

MENU = '''
flow m "Menu"
  defaults
    attempts 3

queue general
  skills general

on key 0 handoff general reason "pressed zero"
on intent agent_request
  handoff general reason "asked for a person"

start
  say "Welcome."
  go main_menu

menu main_menu
  prompt "For your balance press 1 or say balance."
  1 "balance", "how much do i owe" -> balance
  2 "payment" intent pay_bill -> pay
  question -> faq
  on noinput 1 say "Are you still there?"
  on nomatch 1 say "Sorry, I didn't catch that."
  on nomatch 2 say "Press 1 for your balance."
  on failure handoff general reason "could not use the menu"

step balance
  say "Your balance is ten dollars."
  hangup

step pay
  say "Let's pay."
  hangup

step faq
  say "You asked: {last_utterance}"
  hangup
'''

NLU = '''
version: "3.1"
nlu:
- intent: pay_bill
  examples: |
    - i want to pay my bill
    - pay the bill
    - make a payment please
    - can i pay what i owe
- intent: agent_request
  examples: |
    - let me talk to a person
    - i want a human
    - agent please
    - speak to someone
'''


def menu_call() -> Call:
    call = Call(MENU, NLU)
    call.finish_prompts()
    return call


def test_the_call_starts_with_the_greeting_and_the_menu_prompt() -> None:
    call = Call(MENU, NLU)
    assert call.said() == ["Welcome.", "For your balance press 1 or say balance."]
    listen = next(a for a in call.actions if isinstance(a, A.Listen))
    assert listen.key_set == ("1", "2", "0") and "balance" in listen.phrases
    assert set(listen.intents) == {"pay_bill", "agent_request"}


def test_no_input_timer_starts_only_when_the_prompt_has_finished() -> None:
    call = Call(MENU, NLU)
    assert not [a for a in call.actions if isinstance(a, A.StartTimer)]
    call.finish_prompts()
    timers = [a for a in call.actions if isinstance(a, A.StartTimer)]
    assert len(timers) == 1 and timers[0].ms == 5000


def test_menu_choice_by_key_is_key_complete() -> None:
    call = menu_call()
    call.send(E.KeyPressed(key="1"))
    assert call.said()[-1] == "Your balance is ten dollars."
    assert call.outcomes() == ["key-complete"]
    assert isinstance(call.actions[-1], A.Hangup)


def test_menu_choice_by_phrase_inside_a_longer_utterance() -> None:
    call = menu_call()
    call.send(E.Speech(text="uh how much do I owe you guys"))
    assert call.said()[-1] == "Your balance is ten dollars."
    assert call.outcomes() == ["speech"]


def test_menu_choice_by_intent_from_a_paraphrase() -> None:
    call = menu_call()
    call.send(E.Speech(text="i would like to pay my bill"))
    assert call.said()[-1] == "Let's pay."


def test_an_open_question_falls_through_to_the_question_choice() -> None:
    call = menu_call()
    call.send(E.Speech(text="can I keep my number if I move house"))
    assert call.said()[-1] == "You asked: can I keep my number if I move house"


def test_no_match_escalates_then_fails_over_to_the_failure_handler() -> None:
    call = menu_call()
    call.send(E.KeyPressed(key="7"))
    assert call.said()[-2:] == ["Sorry, I didn't catch that.",
                                "For your balance press 1 or say balance."]
    call.finish_prompts()
    call.send(E.KeyPressed(key="8"))
    assert call.said()[-2] == "Press 1 for your balance."
    call.finish_prompts()
    call.send(E.KeyPressed(key="9"))
    handoff = [a for a in call.actions if isinstance(a, A.Handoff)]
    assert handoff and handoff[0].reason == "could not use the menu"
    assert call.outcomes() == ["no-match", "no-match", "no-match"]


def test_no_input_runs_its_handler_and_asks_again() -> None:
    call = menu_call()
    call.fire("noinput")
    assert call.said()[-2:] == ["Are you still there?", "For your balance press 1 or say balance."]
    assert call.outcomes() == ["no-input"]


def test_global_key_handler_applies_when_no_choice_takes_the_key() -> None:
    call = menu_call()
    call.send(E.KeyPressed(key="0"))
    handoff = [a for a in call.actions if isinstance(a, A.Handoff)]
    assert handoff[0].queue == "general" and handoff[0].reason == "pressed zero"


def test_global_intent_handler_from_speech() -> None:
    call = menu_call()
    call.send(E.Speech(text="can I speak to a real person please"))
    handoff = [a for a in call.actions if isinstance(a, A.Handoff)]
    assert handoff and handoff[0].reason == "asked for a person"


def test_a_key_during_the_prompt_stops_it_and_counts() -> None:
    call = Call(MENU, NLU)  # prompts still playing
    out = call.send(E.KeyPressed(key="1"))
    assert isinstance(out[0], A.StopPlayback)
    assert call.said()[-1] == "Your balance is ten dollars."


def test_low_confidence_speech_is_a_no_match() -> None:
    call = menu_call()
    call.send(E.Speech(text="balance", confidence=0.1))
    assert call.outcomes() == ["no-match"]


NO_BARGE = '''
flow nb

on failure hangup

start
  ask ok as yes_no
    prompt "Please listen to the whole message." barge_in off
  if ok
    say "Yes."
  else
    say "No."
  hangup
'''


def test_barge_in_off_holds_keys_until_the_prompt_ends() -> None:
    call = Call(NO_BARGE)
    out = call.send(E.KeyPressed(key="1"))
    assert out == []  # played through, key held
    call.finish_prompts()
    assert call.said()[-1] == "Yes."


def test_barge_in_off_ignores_speech_over_the_prompt() -> None:
    call = Call(NO_BARGE)
    call.send(E.Speech(text="yes"))
    assert call.said() == ["Please listen to the whole message."]
    call.finish_prompts()
    call.send(E.Speech(text="yes"))
    assert call.said()[-1] == "Yes."


DIGITS = '''
flow d

queue general
  skills general

on failure handoff general reason "no account"

start
  ask account as digits(8) sensitive
    prompt "Your account number?"
  ask pin as digits(4..6)
    prompt "Your PIN, then pound."
    terminator pound
  say "Account {account as digits}, PIN {pin}."
  hangup
'''


def digits_call() -> Call:
    call = Call(DIGITS)
    call.finish_prompts()
    return call


def test_digits_complete_on_the_last_expected_key() -> None:
    call = digits_call()
    for key in "12345678":
        call.send(E.KeyPressed(key=key))
    call.finish_prompts()
    for key in "4321":
        call.send(E.KeyPressed(key=key))
    call.send(E.KeyPressed(key="pound"))
    assert call.outcomes() == ["key-complete", "terminator"]
    assert call.session.state.variables == {"account": "12345678", "pin": "4321"}


def test_digits_end_on_the_interdigit_timeout() -> None:
    call = digits_call()
    for key in "12345678":
        call.send(E.KeyPressed(key=key))
    call.finish_prompts()
    for key in "98765":
        call.send(E.KeyPressed(key=key))
    call.fire("interdigit")
    assert call.outcomes() == ["key-complete", "interdigit-timeout"]
    assert call.session.state.variables["pin"] == "98765"


def test_too_few_digits_is_a_no_match() -> None:
    call = digits_call()
    for key in "123":
        call.send(E.KeyPressed(key=key))
    call.fire("interdigit")
    assert call.outcomes() == ["no-match"]
    assert call.said()[-1] == "Your account number?"


def test_spoken_digits_are_normalised() -> None:
    call = digits_call()
    call.send(E.Speech(text="one two three four five six seven eight"))
    assert call.session.state.variables["account"] == "12345678"
    assert call.outcomes() == ["speech"]


def test_sensitive_digits_never_reach_the_log() -> None:
    call = digits_call()
    for key in "12345678":
        call.send(E.KeyPressed(key=key))
    log = json.dumps(call.session.log)
    assert "12345678" not in log
    assert '"key": "[redacted]"' in log


CONFIRM = '''
flow c

on failure hangup

start
  ask amount as currency
    prompt "How much?"
    confirm "That's {amount as currency}. Right?"
    validate amount <= 100 else "The most I can take is one hundred dollars."
  say "Charging {amount as currency}."
  hangup
'''


def test_confirm_yes_accepts_and_no_asks_again() -> None:
    call = Call(CONFIRM)
    call.finish_prompts()
    call.send(E.Speech(text="twenty five dollars"))
    assert call.said()[-1].startswith("That's")
    call.finish_prompts()
    call.send(E.Speech(text="no"))
    assert call.said()[-1] == "How much?"
    call.finish_prompts()
    call.send(E.Speech(text="thirty dollars"))
    call.finish_prompts()
    call.send(E.KeyPressed(key="1"))
    assert call.session.state.variables["amount"] == 30
    assert call.said()[-1].startswith("Charging")


def test_validate_failure_says_its_message_and_asks_again() -> None:
    call = Call(CONFIRM)
    call.finish_prompts()
    call.send(E.Speech(text="five hundred dollars"))
    assert call.said()[-2:] == ["The most I can take is one hundred dollars.", "How much?"]
    assert call.outcomes() == ["no-match"]


SERVICES = '''
flow s

queue general
  skills general

start
  fetch acct = GET "{env.crm}/accounts/42" timeout 2s retries 1
    header "Authorization": "Bearer {env.token}"
    on error
      say "The system is down."
      handoff general reason "crm down"
  say "Balance {acct.balance}."
  run ticket = open_ticket(acct.id, 3)
  say "Ticket {ticket}."
  answer from knowledge "help" min_confidence 0.6
    on no_answer say "I don't know that one."
  record message max 1m
    prompt "Leave a message."
    on failure hangup
  set n = 2 * 3 + 1
  if n > 10
    say "big"
  elif n == 7
    say "seven"
  else
    say "small"
  hangup
'''


SERVICE_FILES = {"hooks.py": "def open_ticket(account, severity):\n    return 'T-1'\n",
                 "knowledge/help/moving.md": "# Moving\nYou can keep your number.\n"}


def services_call() -> Call:
    return Call(SERVICES, files=SERVICE_FILES, env={"crm": "http://crm.test", "token": "s3cret"})


def test_fetch_hook_knowledge_record_set_and_if() -> None:
    call = services_call()
    fetch = next(a for a in call.actions if isinstance(a, A.Fetch))
    assert fetch.url == "http://crm.test/accounts/42" and fetch.retries == 1
    assert fetch.headers == {"Authorization": "Bearer s3cret"} and fetch.timeout_ms == 2000
    call.send(E.FetchResult(request_id=fetch.request_id, ok=True, status=200,
                            body={"balance": 12.5, "id": "A7"}))
    assert call.said()[-1] == "Balance 12.5."
    hook = next(a for a in call.actions if isinstance(a, A.RunHook))
    assert hook.hook == "open_ticket" and hook.args == ("A7", 3)
    call.send(E.HookResult(request_id=hook.request_id, ok=True, value="T-1"))
    ask = next(a for a in call.actions if isinstance(a, A.AskKnowledge))
    call.send(E.KnowledgeResult(request_id=ask.request_id, answer="Try turning it off.",
                                confidence=0.4, source="faq-1"))
    assert call.said()[-2:] == ["I don't know that one.", "Leave a message."]
    record = next(a for a in call.actions if isinstance(a, A.Record))
    call.send(E.RecordResult(request_id=record.request_id, ok=True, uri="file:///m.wav",
                             duration_ms=3000))
    assert call.session.state.variables["message"]["uri"] == "file:///m.wav"
    assert call.said()[-1] == "seven"
    assert isinstance(call.actions[-1], A.Hangup)
    assert "s3cret" not in json.dumps(call.session.log)


def test_fetch_error_takes_the_error_branch() -> None:
    call = services_call()
    fetch = next(a for a in call.actions if isinstance(a, A.Fetch))
    call.send(E.FetchResult(request_id=fetch.request_id, ok=False, error="HTTP 503"))
    assert call.said()[-1] == "The system is down."
    assert next(a for a in call.actions if isinstance(a, A.Handoff)).reason == "crm down"


def test_a_knowledge_answer_above_the_threshold_is_spoken_and_remembered() -> None:
    call = services_call()
    fetch = next(a for a in call.actions if isinstance(a, A.Fetch))
    call.send(E.FetchResult(request_id=fetch.request_id, ok=True, body={"balance": 1, "id": 2}))
    hook = next(a for a in call.actions if isinstance(a, A.RunHook))
    call.send(E.HookResult(request_id=hook.request_id, ok=True, value="T"))
    ask = next(a for a in call.actions if isinstance(a, A.AskKnowledge))
    call.send(E.KnowledgeResult(request_id=ask.request_id, answer="Yes, you can.",
                                confidence=0.9, source="moving.md"))
    assert "Yes, you can." in call.said()
    assert call.session.state.consulted[0]["source"] == "moving.md"


HANDOFF = '''
flow h

queue complaints
  skills complaints

on failure hangup

start
  ask account as digits(8) sensitive
    prompt "Account?"
  handoff complaints
    reason "complaint"
    priority high if caller.vip
    context
      account: account
      caller_number: caller.number
      double: 2 * 21
    summary "{caller.number} wants to complain"
'''


def test_handoff_carries_typed_context_with_sensitive_values_marked() -> None:
    call = Call(HANDOFF, variables={"vip": "true"})
    call.finish_prompts()
    call.send(E.Speech(text="one two three four five six seven eight"))
    handoff = next(a for a in call.actions if isinstance(a, A.Handoff))
    fields = {f.name: f for f in handoff.context}
    assert handoff.priority == "high" and handoff.queue == "complaints"
    assert fields["account"].value == "12345678" and fields["account"].sensitive
    assert fields["account"].type == "digits"
    assert fields["caller_number"].type == "phone" and not fields["caller_number"].sensitive
    assert fields["double"].value == 42
    assert handoff.summary == "+15550100 wants to complain"
    assert [t["text"] for t in handoff.transcript if t["who"] == "caller"] == ["[redacted]"]
    assert "12345678" not in json.dumps(call.session.log)


SUBFLOW_MAIN = """
flow main

use "verify.flow" as verify

start
  call verify
  if verified
    say "Back with {who}."
  go verify.goodbye
"""

SUBFLOW = """
flow verify

on failure
  set who = ""
  set verified = false
  return

start
  ask dob as date
    prompt "Date of birth?"
  set who = "a verified caller"
  set verified = true
  return

step goodbye
  say "Goodbye."
  hangup
"""


def test_call_runs_a_sub_flow_and_returns_then_jumps_into_it(tmp_path: Path) -> None:
    (tmp_path / "main.flow").write_text(SUBFLOW_MAIN, encoding="utf-8")
    (tmp_path / "verify.flow").write_text(SUBFLOW, encoding="utf-8")
    comp = compile_file(tmp_path / "main.flow")
    assert comp.ok, [d.message for d in comp.diagnostics]
    session = Session(comp.ir())
    out = session.handle(E.CallStarted(caller="+1", at=T0))
    play = [a for a in out if isinstance(a, A.Play)][-1]
    session.handle(E.PlaybackFinished(playback_id=play.playback_id, at=T0 + 1))
    out = session.handle(E.Speech(text="july fourth nineteen eighty", at=T0 + 2))
    said = [a.text for a in out if isinstance(a, A.Play)]
    assert said == ["Back with a verified caller.", "Goodbye."]
    assert session.state.variables["dob"] == "1980-07-04"


def test_hours_follow_the_time_zone_and_closed_dates() -> None:
    flow = '''
flow o

hours office
  timezone "America/New_York"
  mon-fri 09:00-17:00
  closed 2026-11-26

start
  if open(office)
    say "open"
  else
    say "closed"
  hangup
'''
    # T0 is Wednesday 13:00 UTC = 08:00 in New York: closed; 15:00 UTC = 10:00: open.
    assert _call_at(flow, T0).said() == ["closed"]
    assert _call_at(flow, T0 + 2 * 3600).said() == ["open"]
    thanksgiving = _call_at(flow, T0 + 8 * 86400 + 2 * 3600)  # Thursday 26 November
    assert thanksgiving.said() == ["closed"]


def _call_at(flow: str, at: float) -> Call:
    call = Call.__new__(Call)
    from tests.runtime.script import new_session

    call.session = new_session(flow)
    call.actions = []
    call.at = at
    call.send(E.CallStarted(caller="+1", at=at))
    return call


def test_hanging_up_mid_prompt_ends_cleanly_and_runs_the_hangup_handler() -> None:
    flow = '''
flow hu

on hangup
  run log_call(caller.number)
on failure hangup

start
  ask x as yes_no
    prompt "A long question..."
  hangup
'''
    call = Call(flow, files={"hooks.py": "def log_call(number):\n    pass\n"})
    out = call.send(E.HungUp())
    assert [type(a) for a in out] == [A.RunHook]
    assert call.outcomes() == ["hang-up"]
    call.send(E.HookResult(request_id=out[0].request_id, ok=True))
    assert call.session.ended
    assert call.send(E.KeyPressed(key="1")) == []


def test_restore_continues_identically_from_every_point() -> None:
    scripts = [
        (MENU, NLU, {}, [E.KeyPressed(key="7"), E.KeyPressed(key="2")]),
        (DIGITS, None, {}, [E.KeyPressed(key=k) for k in "12345678"] + [
            E.KeyPressed(key="1"), E.KeyPressed(key="2"), E.KeyPressed(key="3"),
            E.KeyPressed(key="4"), E.KeyPressed(key="pound")]),
        (CONFIRM, None, {}, [E.Speech(text="twenty dollars"), E.Speech(text="yes")]),
    ]
    for flow, nlu, start, events in scripts:
        baseline = _replay(flow, nlu, start, events, cut=None)
        for cut in range(len(events) + 1):
            assert _replay(flow, nlu, start, events, cut) == baseline, (flow[:20], cut)


def _replay(flow: str, nlu: str | None, start: dict, events: list[E.Event],
            cut: int | None) -> list[str]:
    call = Call(flow, nlu, **start)
    call.finish_prompts()
    for i, event in enumerate(events):
        if cut == i:
            call = call.restored()
        call.send(event)
        call.finish_prompts()
    return call.said() + call.outcomes()


def test_events_carry_no_clock_of_the_session() -> None:
    call = Call(MENU, NLU)
    assert call.session.state.now >= T0


def _answer_pending(call: Call) -> E.Event:
    """The result of the request the session waits for, as a driver would deliver it."""
    wait = call.session.state.wait
    assert wait is not None, "the session is not waiting for a result"
    if wait.kind == "fetch":
        return E.FetchResult(request_id=wait.request_id, ok=True, body={"balance": 3, "id": "A"})
    if wait.kind == "hook":
        return E.HookResult(request_id=wait.request_id, ok=True, value="T-9")
    return E.KnowledgeResult(request_id=wait.request_id, answer="Sure.", confidence=0.8,
                             source="a.md")


def test_restore_continues_identically_through_services_record_and_branches() -> None:
    def run(cut: int | None) -> list[str]:
        call = services_call()
        call.finish_prompts()
        for i in range(5):
            if cut == i:
                call = call.restored()
            if i < 3:
                call.send(_answer_pending(call))
            elif i == 3:
                record = [a for a in call.actions if isinstance(a, A.Record)][-1]
                call.send(E.RecordResult(request_id=record.request_id, ok=True, uri="m.wav",
                                         duration_ms=900))
            call.finish_prompts()
        return call.said() + call.outcomes() + [type(call.actions[-1]).__name__]

    baseline = run(None)
    assert baseline[-1] == "Hangup" and "seven" in baseline
    for cut in range(5):
        assert run(cut) == baseline, cut


def test_restore_in_the_middle_of_a_sub_flow_call(tmp_path: Path) -> None:
    (tmp_path / "main.flow").write_text(SUBFLOW_MAIN, encoding="utf-8")
    (tmp_path / "verify.flow").write_text(SUBFLOW, encoding="utf-8")
    ir = compile_file(tmp_path / "main.flow").ir()
    session = Session(ir)
    out = session.handle(E.CallStarted(caller="+1", at=T0))
    snap = json.loads(json.dumps(session.snapshot()))
    twin = Session.restore(ir, snap)
    for s in (session, twin):
        play = [a for a in out if isinstance(a, A.Play)][-1]
        s.handle(E.PlaybackFinished(playback_id=play.playback_id, at=T0 + 1))
    results = [s.handle(E.Speech(text="march 3rd 1990", at=T0 + 2)) for s in (session, twin)]
    assert results[0] == results[1]
    assert [a.text for a in results[1] if isinstance(a, A.Play)] == [
        "Back with a verified caller.", "Goodbye."]


def test_a_handed_off_session_restores_as_ended() -> None:
    call = Call(HANDOFF)
    call.finish_prompts()
    call.send(E.Speech(text="one two three four five six seven eight"))
    twin = call.restored()
    assert twin.session.ended and twin.send(E.KeyPressed(key="1")) == []


READ_BACK = '''
flow r

queue billing
  skills billing

on failure hangup

start
  ask account as digits(8) sensitive
    prompt "Account?"
    confirm "That's {account as digits}. Right?"
  say "Charging account {account as digits}."
  handoff billing reason "payment"
'''


def test_a_sensitive_answer_read_back_is_masked_in_the_log_and_the_transcript() -> None:
    # The confirm prompt reads the answer before it is kept in its slot, and "as digits" speaks
    # it as "1 2 3 ...": neither may reach the log or the agent's transcript in clear.
    call = Call(READ_BACK)
    call.finish_prompts()
    call.send(E.Speech(text="one two three four five six seven eight"))
    assert call.said()[-1] == "That's 1 2 3 4 5 6 7 8. Right?"  # the caller still hears it
    call.finish_prompts()
    call.send(E.Speech(text="yes"))
    assert call.said()[-1] == "Charging account 1 2 3 4 5 6 7 8."
    handoff = next(a for a in call.actions if isinstance(a, A.Handoff))
    assert [t["text"] for t in handoff.transcript if t["who"] == "bot"] == [
        "Account?", "[redacted]", "[redacted]"]
    log = json.dumps(call.session.log)
    assert "1 2 3 4 5 6 7 8" not in log and "12345678" not in log


DUE_DATE = '''
flow due

queue general
  skills general

on error
  say "Something went wrong on our side."
  handoff general reason "technical problem"

start
  fetch acct = GET "{env.crm}/accounts/42"
  say "Your bill is due on {acct.due_date as date}."
  hangup
'''


def test_a_service_value_that_its_spoken_format_cannot_read_goes_to_on_error() -> None:
    # The checker accepts any format for a web service's field; the runtime checks it, and a
    # value such as "soon" read `as date` is an error the flow handles, not a crashed call.
    call = Call(DUE_DATE, env={"crm": "http://crm.test"})
    fetch = next(a for a in call.actions if isinstance(a, A.Fetch))
    call.send(E.FetchResult(request_id=fetch.request_id, ok=True, body={"due_date": "soon"}))
    assert call.said() == ["Something went wrong on our side."]
    assert next(a for a in call.actions if isinstance(a, A.Handoff)).reason == "technical problem"
    errors = [e["message"] for e in call.session.log if e["kind"] == "error"]
    assert errors == ["a value cannot be spoken as date"]


def test_a_sub_flow_without_a_voice_speaks_in_the_main_flows_voice(tmp_path: Path) -> None:
    main = SUBFLOW_MAIN.replace("flow main\n", "flow main\n  voice en_US-amy-medium\n")
    (tmp_path / "main.flow").write_text(main, encoding="utf-8")
    (tmp_path / "verify.flow").write_text(SUBFLOW, encoding="utf-8")  # a header, no voice
    session = Session(compile_file(tmp_path / "main.flow").ir())
    out = session.handle(E.CallStarted(caller="+1", at=T0))
    play = [a for a in out if isinstance(a, A.Play)][-1]
    assert play.text == "Date of birth?" and play.voice == "en_US-amy-medium"
    session.handle(E.PlaybackFinished(playback_id=play.playback_id, at=T0 + 1))
    out = session.handle(E.Speech(text="july fourth nineteen eighty", at=T0 + 2))
    assert {a.voice for a in out if isinstance(a, A.Play)} == {"en_US-amy-medium"}


def read_back_with_handlers() -> Call:
    flow = READ_BACK.replace("on failure hangup\n", 'on failure hangup\non key 0 handoff billing '
                             'reason "pressed zero"\non intent agent_request\n  handoff billing '
                             'reason "asked for a person"\n')
    call = Call(flow, NLU)
    call.finish_prompts()
    call.send(E.KeyPressed(key="1"))
    for key in "2345678":
        call.send(E.KeyPressed(key=key))
    call.finish_prompts()
    assert call.said()[-1] == "That's 1 2 3 4 5 6 7 8. Right?"
    return call


def test_global_key_and_intent_handlers_apply_during_a_read_back() -> None:
    # A read-back is part of its `ask`: 0 and "a person please" reach the handlers, as anywhere
    # else in the step, instead of counting as a "no" that throws the answer away.
    call = read_back_with_handlers()
    call.send(E.KeyPressed(key="0"))
    assert next(a for a in call.actions if isinstance(a, A.Handoff)).reason == "pressed zero"
    call = read_back_with_handlers()
    call.send(E.Speech(text="let me talk to a person"))
    assert next(a for a in call.actions if isinstance(a, A.Handoff)).reason == "asked for a person"
    call = read_back_with_handlers()  # yes and no still answer it; other keys are a no-match
    call.send(E.KeyPressed(key="7"))
    assert call.outcomes()[-1] == "no-match" and call.said()[-1] == "Account?"


VOICEMAIL = '''
flow v

on failure hangup

start
  record message max 1m
    prompt "Leave a message."
    on noinput say "I didn't hear anything."
  say "Thanks, got it."
  hangup
'''


def test_the_text_chat_takes_a_typed_line_as_the_recording(tmp_path: Path) -> None:
    # `voxflow chat` used to read the typed message and never finish the recording, so the
    # call stayed in the record step for ever (and spun at the end of its input).
    import asyncio
    import io

    from runtime.bot import load_bot
    from runtime.chat import chat

    (tmp_path / "v.flow").write_text(VOICEMAIL, encoding="utf-8")
    lines = iter(["", "hello, call me back please"])

    def read() -> str:
        line = next(lines, None)
        assert line is not None, "the chat kept reading after the last line"
        return line

    out = io.StringIO()
    session = asyncio.run(chat(load_bot(tmp_path), {}, read=read, out=out))
    assert session.state.ended == "flow"
    said = [line for line in out.getvalue().splitlines() if line.startswith("bot: ")]
    assert said == ["bot: Leave a message.", "bot: I didn't hear anything.",
                    "bot: Leave a message.", "bot: Thanks, got it."]
    assert session.state.variables["message"]["duration_ms"] > 0


def test_a_terminator_after_a_complete_entry_does_not_spill_into_the_next_question() -> None:
    flow = '''
flow t

on failure hangup

start
  ask card as digits(4)
    prompt "Last four digits, then pound."
    terminator pound
  ask ok as yes_no
    prompt "Is that your card?"
  hangup
'''
    call = Call(flow)
    call.finish_prompts()
    for key in "1234":
        call.send(E.KeyPressed(key=key))
    call.send(E.KeyPressed(key="pound"))
    call.finish_prompts()
    assert call.outcomes() == ["key-complete"]  # no no-match at the yes/no question
    call.send(E.KeyPressed(key="1"))
    assert call.session.state.variables == {"card": "1234", "ok": True}


def test_a_call_replays_from_its_log() -> None:
    from runtime.events import event_from_json

    call = menu_call()
    call.send(E.KeyPressed(key="7"))
    call.finish_prompts()
    call.send(E.Speech(text="how much do i owe"))
    logged = [e["event"] for e in call.session.log if e["kind"] == "event"]
    replay = Call.__new__(Call)
    replay.session = type(call.session)(call.session.program, intents=call.session.intents)
    actions = []
    for data in logged:
        actions += replay.session.handle(event_from_json(data))
    assert actions == call.actions
    assert all("span" in e for e in call.session.log if e["kind"] == "action")


def test_speech_that_has_started_is_not_cut_off_by_the_silence_timer() -> None:
    call = Call(MENU, NLU)
    call.finish_prompts()
    silence = call.timer("noinput")
    out = call.send(E.Speech(text="", confidence=0.0, final=False))  # the caller starts talking
    cancelled = [a.timer_id for a in out if isinstance(a, A.CancelTimer)]
    restarted = [a for a in out if isinstance(a, A.StartTimer)]
    assert cancelled == [silence]
    # Only a safety net is left: the recogniser's answer ends the turn, long after 5 s.
    assert [a.ms for a in restarted] == [5000 + 30_000]
    call.send(E.Speech(text="balance"))
    assert call.said()[-1] == "Your balance is ten dollars."


TYPED_AHEAD = '''
flow t

on failure hangup

start
  ask account as digits(4)
    prompt "Your account?"
  run found = find_account(account) timeout 3s
  ask pin as digits(4) sensitive
    prompt "Your PIN?"
  say "Thanks."
  hangup
'''

HOOKS = "def find_account(account):\n    return {'ok': True}\n"


def test_keys_typed_ahead_of_a_sensitive_step_never_reach_the_log() -> None:
    # A caller who knows the line keys the PIN while the bot looks the account up: no step
    # is listening, so the keys wait for the next one, the PIN's.
    call = Call(TYPED_AHEAD, files={"hooks.py": HOOKS})
    call.finish_prompts()
    for key in "1234":
        call.send(E.KeyPressed(key=key))
    [hook] = [a for a in call.actions if isinstance(a, A.RunHook)]
    for key in "9876":
        call.send(E.KeyPressed(key=key))
    call.send(E.Speech(text="nine eight seven six", confidence=0.9))
    call.send(E.HookResult(request_id=hook.request_id, ok=True, value={"ok": True}))
    assert call.session.state.variables["pin"] == "9876"
    log = call.session.log
    keys = [e["key"] for e in log if e["kind"] == "input" and "key" in e]
    keys += [e["event"]["key"] for e in log if e["kind"] == "event"
             and e["event"]["type"] == "key_pressed"]
    assert not set(keys) & set("9876"), keys
    assert "nine eight" not in json.dumps(log)
    # The account's keys, pressed at a step that is not sensitive, stay in the log.
    assert [k for k in keys if k in "1234"] == list("12341234")
