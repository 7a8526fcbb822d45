"""Runs conversation tests against a bot through the real session and the asyncio driver.

Web services named `mock "name"` are served for real, on loopback, from the fixtures in
`tests/mocks/<name>.yml` (routes: `request: GET /path/*`, `status`, `json`); hooks run from the
bot's hooks.py; time is a fixed clock whose timers fire when the test says the caller is silent.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from runtime import actions as A
from runtime import events as E
from runtime.bot import Bot
from runtime.convtest import ConversationTest, Line
from runtime.driver import CallDriver, ManualClock
from runtime.session import Session

DEFAULT_TIME = "2026-11-18T15:00:00+00:00"  # a Wednesday afternoon


@dataclass
class TestResult:
    test: ConversationTest
    ok: bool
    report: str = ""
    __test__ = False


class TranscriptChannel:
    """The text-channel caller: records what the bot does and ends prompts at once."""

    def __init__(self) -> None:
        self.actions: list[A.Action] = []
        self.transcript: list[str] = []

    async def perform(self, action: A.Action, driver: CallDriver) -> None:
        self.actions.append(action)
        if isinstance(action, A.Play):
            if action.text:
                self.transcript.append(f"bot: {action.text}")
            driver.post(E.PlaybackFinished(playback_id=action.playback_id))
        elif isinstance(action, A.Record):
            self.transcript.append("caller: (leaves a message)")
            driver.post(E.RecordResult(request_id=action.request_id, ok=True,
                                       uri=f"memory://{action.request_id}", duration_ms=4000))
        elif isinstance(action, A.Handoff):
            self.transcript.append(f"bot: (hands off to {action.queue})")
        elif isinstance(action, A.Hangup):
            self.transcript.append("bot: (hangs up)")


@dataclass
class MockServer:
    """Fixture web services on 127.0.0.1 for the `mock "name"` givens."""

    folder: Path
    down: set[str] = field(default_factory=set)
    runner: web.AppRunner | None = None
    base: str = ""

    @classmethod
    def for_test(cls, bot: Bot, test: ConversationTest) -> MockServer:
        """The bot's fixture services, with those the test marks down answering 503."""
        return cls(bot.folder / "tests" / "mocks", set(test.mocks_down))

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{mock}/{path:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["mock"]
        if name in self.down:
            return web.json_response({"error": "service unavailable"}, status=503)
        path = "/" + request.match_info["path"]
        fixture = self.folder / f"{name}.yml"
        routes = (yaml.safe_load(fixture.read_text(encoding="utf-8")) or {}).get("routes", [])
        for route in routes:
            method, _, pattern = str(route.get("request", "")).partition(" ")
            if method.upper() == request.method and fnmatch.fnmatchcase(path, pattern):
                return web.json_response(route.get("json"), status=int(route.get("status", 200)))
        return web.json_response({"error": f"no fixture route for {request.method} {path}"},
                                 status=404)


class Run:
    def __init__(self, bot: Bot, test: ConversationTest, http: aiohttp.ClientSession,
                 mocks: MockServer) -> None:
        self.bot, self.test = bot, test
        self.session = Session(bot.program, intents=bot.intents)
        self.channel = TranscriptChannel()
        self.clock = ManualClock(at=_timestamp(test.givens.get("time", DEFAULT_TIME)))
        self.driver = CallDriver(self.session, self.channel, clock=self.clock, hooks=bot.hooks(),
                                 http=http, knowledge=bot.knowledge)
        self.mocks = mocks
        self.read = 0  # actions already matched by `bot …` lines

    async def play(self) -> str | None:
        """Run the test; None when it passes, else the failure report."""
        caller, env = call_givens(self.test, self.mocks.base)
        await self.driver.send(E.CallStarted(
            caller=str(caller.pop("number", "+15550100")), called=str(caller.pop("called", "")),
            language=str(self.test.givens.get("language", "")), variables=caller, env=env))
        for line in self.test.steps:
            problem = await self.step(line)
            if problem is not None:
                return self.report(line, problem)
        return None

    async def step(self, line: Line) -> str | None:
        if line.kind == "caller_says":
            self.channel.transcript.append(f"caller: {line.value}")
            await self.driver.send(E.Speech(text=line.value, confidence=0.9))
        elif line.kind == "presses":
            self.channel.transcript.append(f"caller: (presses {' '.join(line.value)})")
            for key in line.value:
                self.driver.post(E.KeyPressed(key=key))
            await self.driver.settle()
            if self.clock.fire("interdigit"):  # the caller stops keying in
                await self.driver.settle()
        elif line.kind == "silent":
            self.channel.transcript.append("caller: (silence)")
            if not self.clock.fire("noinput"):
                return "the caller was silent, but the bot was not waiting for an answer"
            await self.driver.settle()
        elif line.kind == "caller_hangs_up":
            self.channel.transcript.append("caller: (hangs up)")
            await self.driver.send(E.HungUp())
        elif line.kind in ("says", "asks"):
            return self.expect_play(line)
        elif line.kind == "hands_off":
            return self.expect_handoff(line)
        elif line.kind == "hangs_up":
            return self.expect_action(A.Hangup, "hang up")
        elif line.kind == "log_excludes" and log_mentions(self.session.log, line.value):
            return f"the call log contains {line.value!r}"
        return None

    def pending(self) -> list[A.Action]:
        return self.channel.actions[self.read:]

    def expect_play(self, line: Line) -> str | None:
        want = str(line.value).lower()
        for offset, action in enumerate(self.pending()):
            if isinstance(action, A.Play) and want in action.text.lower():
                self.read += offset + 1
                if line.kind == "asks" and self.session.state.input is None:
                    return "the bot said it, but is not waiting for an answer"
                return None
        said = [a.text for a in self.pending() if isinstance(a, A.Play) and a.text]
        if not said:
            return "the bot said nothing more"
        return "the bot said instead: " + " / ".join(repr(s) for s in said)

    def expect_action(self, kind: type, what: str) -> str | None:
        for offset, action in enumerate(self.pending()):
            if isinstance(action, kind):
                self.read += offset + 1
                return None
        return f"the bot did not {what}" + self._state()

    def _state(self) -> str:
        st = self.session.state
        if st.input is not None:
            return f" (it is waiting for an answer at {st.input.node})"
        return f" (the call ended: {st.ended})" if st.ended else ""

    def expect_handoff(self, line: Line) -> str | None:
        for offset, action in enumerate(self.pending()):
            if not isinstance(action, A.Handoff):
                continue
            self.read += offset + 1
            return handoff_problem(action, line)
        return "the bot did not hand off" + self._state()

    def report(self, line: Line, problem: str) -> str:
        transcript = "\n".join(f"    {t}" for t in self.channel.transcript) or "    (nothing)"
        return (f"{self.test.path}:{line.line}: test \"{self.test.name}\" failed\n"
                f"  expected: {line.text}\n  instead:  {problem}\n  transcript so far:\n"
                f"{transcript}")


def call_givens(test: ConversationTest, mocks_base: str) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    """A test's `given caller.x` and `given env.x` values, `mock "name"` resolved to its URL."""
    caller: dict[str, Any] = {}
    env: dict[str, Any] = {}
    for name, value in test.givens.items():
        if isinstance(value, tuple) and value[0] == "mock":
            value = f"{mocks_base}/{value[1]}"
        if name.startswith("caller."):
            caller[name[7:]] = value
        elif name.startswith("env."):
            env[name[4:]] = value
    return caller, env


_STAMPS = frozenset({"at", "span"})  # the clock's times and the source's positions


def log_mentions(log: list[dict[str, Any]], value: str) -> bool:
    """Whether `value` is in a call's log (`log does not contain "4821"`), leaving out the
    clock's timestamps and the flow's source positions at any depth: nothing a caller says is
    in them, and a digit string turns up in them by chance (an audio run at 01:47:01 UTC failed
    on "4821" in the timestamp 1795484821.3)."""
    def without_stamps(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: without_stamps(v) for k, v in item.items() if k not in _STAMPS}
        if isinstance(item, list | tuple):
            return [without_stamps(v) for v in item]
        return item

    return value in json.dumps(without_stamps(log), default=str)


def handoff_problem(action: A.Handoff, line: Line) -> str | None:
    """What differs between a hand-off and a `bot hands off to ...` line with its details."""
    if action.queue != line.value:
        return f"the bot handed off to {action.queue!r}, not {line.value!r}"
    fields = {f.name: f for f in action.context}
    for kind, value in line.details:
        if kind in ("reason", "summary") and value.lower() not in getattr(
                action, kind).lower():
            return f"the handoff {kind} is {getattr(action, kind)!r}"
        if kind == "priority" and action.priority != value:
            return f"the handoff priority is {action.priority!r}"
        if kind == "context":
            name, want = value
            if name not in fields:
                return f"the handoff context has no {name!r} (it has {sorted(fields)})"
            if not _same_value(fields[name].value, want):
                return f"context {name} is {fields[name].value!r}, not {want!r}"
        if kind == "sensitive" and not (value in fields and fields[value].sensitive):
            return f"context {value} is not marked sensitive"
    return None


def _same_value(got: Any, want: Any) -> bool:
    """A context value as the test wrote it; words the caller said match whatever case and
    punctuation a recogniser gave them ("The internet keeps dropping." is what they said)."""
    if got == want:
        return True
    if isinstance(got, str) and isinstance(want, str):
        return _spoken(got) == _spoken(want) != ""
    return False


def _spoken(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def _timestamp(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        raise ValueError(f"`given time` needs an ISO date and time such as {DEFAULT_TIME}, "
                         f"not {value!r}") from None


async def run_tests(bot: Bot, tests: list[ConversationTest]) -> list[TestResult]:
    results = []
    async with aiohttp.ClientSession() as http:
        for test in tests:
            async with MockServer.for_test(bot, test) as mocks:
                report = await Run(bot, test, http, mocks).play()
            results.append(TestResult(test, report is None, report or ""))
    return results


def run_tests_sync(bot: Bot, tests: list[ConversationTest]) -> list[TestResult]:
    return asyncio.run(run_tests(bot, tests))
