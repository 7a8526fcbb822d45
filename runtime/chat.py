"""`voxflow chat BOT`: talk to a bot in a terminal (the text channel).

Type words to speak; `#1` presses 1 (`#1234#` presses 1 2 3 4 pound, `#*` star); an empty line
is silence; `/quit` hangs up. At a `record` step the line typed is the message (empty: none).
Web services and hooks are called for real; `--env NAME=VALUE` sets env.* (for example the CRM
address); `--trace` shows the flow line behind each turn.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import aiohttp

from runtime import actions as A
from runtime import events as E
from runtime.bot import Bot
from runtime.driver import CallDriver, ManualClock, RealClock
from runtime.session import Session

KEY_NAMES = {"*": "star", "#": "pound"}
TRACED = (A.Play, A.Listen, A.Fetch, A.RunHook, A.AskKnowledge, A.Handoff, A.Record, A.Hangup)


def parse_keys(text: str) -> list[str]:
    """`#1234#` -> 1 2 3 4 pound: the leading # marks keys, later # and * are keys."""
    return [KEY_NAMES.get(ch, ch) for ch in text[1:] if ch in "0123456789*#"]


class PrintChannel:
    def __init__(self, out: TextIO, bot: Bot, trace: bool) -> None:
        self.out, self.bot, self.trace = out, bot, trace

    async def perform(self, action: A.Action, driver: CallDriver) -> None:
        if isinstance(action, A.Play):
            if action.text:
                self.out.write(f"bot: {action.text}\n")
            driver.post(E.PlaybackFinished(playback_id=action.playback_id))
        elif isinstance(action, A.Handoff):
            self.out.write(f"[handed off to queue {action.queue}: {action.reason}]\n")
            for f in action.context:
                shown = "••••" if f.sensitive else f.value
                self.out.write(f"  {f.name} ({f.type}): {shown}\n")
        elif isinstance(action, A.Record):
            self.out.write("[recording: type the message, then Enter]\n")
        elif isinstance(action, A.Hangup):
            self.out.write("[the bot hung up]\n")
        node = driver.session.origins.get(id(action))
        if self.trace and node is not None and isinstance(action, TRACED):
            self.out.write(f"    ({node.id} at line {node.span.line}: {action.type})\n")
        self.out.flush()


async def chat(bot: Bot, env: dict[str, str], *, trace: bool = False,
               read: Callable[[], str | None] | None = None, out: TextIO = sys.stdout,
               caller: str = "+15550100") -> Session:
    session = Session(bot.program, intents=bot.intents)
    clock = ManualClock(at=RealClock().now())
    channel = PrintChannel(out, bot, trace)

    def read_line() -> str | None:
        line = sys.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    read = read or read_line
    async with aiohttp.ClientSession() as http:
        driver = CallDriver(session, channel, clock=clock, hooks=bot.hooks(), http=http,
                            knowledge=bot.knowledge)
        await driver.send(E.CallStarted(caller=caller, env=env))
        while not session.ended:
            if session.state.input is not None and session.state.input.phase == "recording":
                # The typed message stands in for the recording; an empty line records nothing.
                message = read()
                if message is None or message.strip() == "/quit":
                    await driver.send(E.HungUp())
                    break
                request = session.state.input.request
                spoken = bool(message.strip())
                await driver.send(E.RecordResult(
                    request_id=request, ok=spoken, uri=f"memory://{request}" if spoken else "",
                    duration_ms=4000 if spoken else 0))
                continue
            line = read()
            if line is None or line.strip() == "/quit":
                await driver.send(E.HungUp())
                break
            clock.at = RealClock().now()
            if not line.strip():
                if not clock.fire("noinput"):
                    out.write("[the bot is not waiting for an answer]\n")
                await driver.settle()
            elif line.startswith("#"):
                for key in parse_keys(line.strip()):
                    driver.post(E.KeyPressed(key=key))
                await driver.settle()
                if clock.fire("interdigit"):
                    await driver.settle()
            else:
                await driver.send(E.Speech(text=line.strip(), confidence=0.9))
    return session


def run_chat(path: Path, env: dict[str, str], trace: bool) -> int:
    from runtime.bot import BotError, load_bot

    try:
        bot = load_bot(path)
    except BotError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.ERROR)  # driver warnings would interleave with the chat
    print(f"Talking to {bot.flow_path} — type to speak, #1 to press 1, an empty line is "
          "silence, /quit hangs up.")
    asyncio.run(chat(bot, env, trace=trace))
    return 0
