"""Hypothesis strategies that write valid .flow programs with every construct in play."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = ["balance", "billing", "outage", "agent", "help", "payment", "card", "account"]
word = st.sampled_from(WORDS)
comment = st.sampled_from(["", "", "", "# why this step exists", "# TODO: ask legal"])
duration = st.sampled_from(["500ms", "2s", "5s", "1m", "90s"])


@st.composite
def say(draw: st.DrawFn, depth: int) -> list[str]:
    pad = "  " * depth
    text = draw(st.sampled_from([
        "Thanks for calling.", "Your number is {caller.number as digits}.",
        "We are open until eight.", "Please hold \\\"just a moment\\\".",
        "You said {last_utterance}.",
    ]))
    lines = [f'{pad}say "{text}"' + draw(st.sampled_from(["", " pause 300ms \"Next.\"",
                                                           " barge_in off"]))]
    if draw(st.booleans()):
        lines.append(f'{pad}  es-US "Gracias por llamar."')
    return lines


@st.composite
def statement(draw: st.DrawFn, depth: int, nxt: str) -> list[str]:
    pad = "  " * depth
    kind = draw(st.sampled_from(["say", "ask", "fetch", "set", "if", "pause", "run_like"]))
    note = draw(comment)
    lines = [f"{pad}{note}"] if note else []
    if kind == "say":
        lines += draw(say(depth))
    elif kind == "ask":
        slot = draw(st.sampled_from(["account", "amount", "when", "ok", "color", "code"]))
        typ = {"account": "digits(8)", "amount": "currency", "when": "date", "ok": "yes_no",
               "color": 'choice("red", "green")', "code": 'pattern("[A-Z]{2}[0-9]{4}")'}[slot]
        sens = draw(st.sampled_from(["", " sensitive"]))
        lines += [f"{pad}ask {slot} as {typ}{sens}", f'{pad}  prompt "Tell me your {slot}."']
        if draw(st.booleans()):
            lines.append(f"{pad}  noinput after {draw(duration)}")
        if draw(st.booleans()):
            lines.append(f'{pad}  on nomatch 1 say "Sorry, what was your {slot}?"')
        lines.append(f'{pad}  on failure handoff general reason "could not get {slot}"')
    elif kind == "fetch":
        lines += [f'{pad}fetch acct = GET "{{env.api}}/accounts" timeout {draw(duration)}',
                  f'{pad}  header "Authorization": "Bearer {{env.token}}"',
                  f"{pad}  on error",
                  f'{pad}    handoff general reason "api down"']
    elif kind == "set":
        lines.append(f"{pad}set total = {draw(st.integers(0, 99))} * 2 + 1")
    elif kind == "pause":
        lines.append(f"{pad}pause {draw(duration)}")
    elif kind == "run_like":
        lines += [f"{pad}handoff general", f'{pad}  reason "wants {draw(word)}"',
                  f"{pad}  priority high if caller.vip", f"{pad}  context",
                  f"{pad}    number: caller.number", f'{pad}  summary "Caller {{caller.number}}"']
        return lines
    else:
        cond = draw(st.sampled_from(["caller.vip", "open(office)", "not caller.vip",
                                     'caller.tier == "gold"', "caller.vip and open(office)"]))
        lines.append(f"{pad}if {cond}")
        lines += draw(say(depth + 1))
        if draw(st.booleans()):
            lines.append(f"{pad}elif caller.tier != \"basic\"")
            lines.append(f"{pad}  pause 1s")
        if draw(st.booleans()):
            lines.append(f"{pad}else")
            lines.append(f"{pad}  go {nxt}")
    return lines


@st.composite
def flows(draw: st.DrawFn) -> str:
    """A complete, valid flow of a few steps and menus chained together."""
    n = draw(st.integers(1, 6))
    out = ['flow gen "Generated"', "  language en-US", "  defaults",
           f"    noinput after {draw(duration)}", f"    attempts {draw(st.integers(2, 4))}", "",
           "hours office", '  timezone "America/Chicago"', "  mon-fri 08:00-17:00",
           "  closed 2026-12-25", "", "queue general", "  skills general, billing:3",
           "  strategy round_robin", "  announce position every 45s", "",
           "on key 0 handoff general reason \"zero\"" if draw(st.booleans()) else
           "on key 0\n  handoff general reason \"zero\"", "", "start", '  say "Hello."',
           "  go n0"]
    for i in range(n):
        nxt = f"n{i + 1}" if i + 1 < n else "bye"
        out.append("")
        note = draw(comment)
        if note:
            out.append(note)
        if draw(st.booleans()):
            out += [f"menu n{i}", f'  prompt "Press 1 for {draw(word)} or 2 for the next menu."',
                    f'  1 "{draw(word)} {i}" -> bye', f'  2 "next {i}", "more {i}" -> {nxt}',
                    '  on nomatch 1 say "Sorry."', "  on failure go bye"]
        else:
            out.append(f"step n{i}")
            for _ in range(draw(st.integers(1, 4))):
                out += draw(statement(1, nxt))
            out.append(f"  go {nxt}")
    out += ["", "step bye", '  say "Goodbye."', "  hangup", ""]
    return "\n".join(out)
