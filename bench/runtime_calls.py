"""Benchmark: scripted calls through the acme bot — call turns per second and snapshot size.

Run: .venv/bin/python bench/runtime_calls.py [--calls 10000] [--driver-calls 1000]

Three caller scripts (balance by keypad with confirmation and a CRM lookup, an outage report by
voice with a hook, a complaint hand-off) are played round robin:
- "session": the session alone, answered by a synchronous loop (prompts end at once, web
  service answers from a table, hooks are the bot's real functions) — the interpreter's cost;
- "text channel": the same scripts through the asyncio driver and the text channel used by
  `voxflow chat` and `voxflow test`, web services answered by the driver's real HTTP client
  from a loopback fixture server — the cost of a whole text call.
A turn is one caller event (key press, utterance, silence). Every call is checked to end the
way its script says, so the figure measures real paths. Also reports the JSON size of a session
snapshot taken after every event (what a worker would persist to survive a restart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime import actions as A
from runtime import events as E
from runtime.bot import load_bot
from runtime.session import Session

T0 = 1_795_006_800.0 + 2 * 3600  # Wednesday 2026-11-18 15:00 UTC: the hotline is open

SCRIPTS: list[tuple[str, list[E.Event], str]] = [
    ("balance", [E.KeyPressed(key="1"), *[E.KeyPressed(key=k) for k in "12345678"],
                 E.Speech(text="yes"), E.Speech(text="no thanks"), E.Speech(text="nope")],
     "flow"),
    ("outage", [E.Speech(text="my internet is down"), E.Speech(text="one oh oh oh one"),
                E.Speech(text="yes please"), E.Speech(text="no internet since this morning"),
                E.Speech(text="no"), E.Speech(text="no that's all")], "flow"),
    ("complaint", [E.Speech(text="i want to make a complaint")], "handoff"),
]
FIXTURES = {
    "/accounts/12345678": {"balance": 42.5, "due_date": "2026-12-01"},
    "/outages": {"active": False},
}
ENV = {"crm_url": "http://crm", "network_status_url": "http://net", "payments_url": "http://pay"}


def fixture(url: str) -> Any:
    for path, body in FIXTURES.items():
        if path in url:
            return body
    return None


def play_sync(session: Session, script: list[E.Event], hooks: Any, sizes: list[int]) -> int:
    """One call through the bare session; returns the number of caller turns."""
    at = T0
    pending: list[E.Event] = []
    turns = 0
    queue = list(script)

    def feed(event: E.Event) -> None:
        nonlocal at
        at += 0.5
        for action in session.handle(type(event)(**{**event.__dict__, "at": at})):
            if isinstance(action, A.Play):
                pending.append(E.PlaybackFinished(playback_id=action.playback_id))
            elif isinstance(action, A.Fetch):
                body = fixture(action.url)
                pending.append(E.FetchResult(request_id=action.request_id, ok=body is not None,
                                             body=body, status=200 if body else 404))
            elif isinstance(action, A.RunHook):
                value = getattr(hooks.module, action.hook)(*action.args)
                pending.append(E.HookResult(request_id=action.request_id, ok=True, value=value))
            elif isinstance(action, A.AskKnowledge):
                pending.append(E.KnowledgeResult(request_id=action.request_id))
        if sizes is not None:
            sizes.append(len(json.dumps(session.snapshot())))

    feed(E.CallStarted(caller="+15550100", env=ENV))
    while not session.ended:
        while pending:
            feed(pending.pop(0))
        if session.ended:
            break
        if not queue:
            feed(E.HungUp())
            break
        turns += 1
        feed(queue.pop(0))
    return turns


def bench_session(calls: int, bot: Any) -> tuple[float, int, list[int]]:
    hooks = bot.hooks()
    sizes: list[int] = []
    turns = 0
    start = time.process_time()
    for i in range(calls):
        name, script, expect = SCRIPTS[i % len(SCRIPTS)]
        session = Session(bot.program, intents=bot.intents)
        turns += play_sync(session, script, hooks, sizes if i < len(SCRIPTS) * 20 else None)
        if session.state.ended != expect:
            raise SystemExit(f"call {i} ({name}) ended with {session.state.ended!r}, "
                             f"expected {expect!r}")
    return time.process_time() - start, turns, sizes


async def bench_driver(calls: int, bot: Any) -> tuple[float, int]:
    import aiohttp
    from aiohttp import web

    from runtime.driver import CallDriver, ManualClock
    from runtime.harness import TranscriptChannel

    async def serve(request: web.Request) -> web.Response:
        body = fixture(str(request.rel_url))
        return web.json_response(body, status=200 if body is not None else 404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {k: f"http://127.0.0.1:{port}" for k in ENV}
    hooks = bot.hooks()
    turns = 0
    start = time.process_time()
    async with aiohttp.ClientSession() as http:
        for i in range(calls):
            name, script, expect = SCRIPTS[i % len(SCRIPTS)]
            session = Session(bot.program, intents=bot.intents)
            driver = CallDriver(session, TranscriptChannel(), clock=ManualClock(at=T0),
                                hooks=hooks, http=http)
            await driver.send(E.CallStarted(caller="+15550100", env=env))
            for event in script:
                if session.ended:
                    break
                turns += 1
                await driver.send(event)
            if session.state.ended != expect:
                raise SystemExit(f"driver call {i} ({name}) ended with {session.state.ended!r}")
    elapsed = time.process_time() - start
    await runner.cleanup()
    return elapsed, turns


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--driver-calls", type=int, default=1_000)
    args = ap.parse_args()
    bot = load_bot(Path("bots/acme"))
    cpu, turns, sizes = bench_session(args.calls, bot)
    print(f"session:      {args.calls} calls, {turns} turns in {cpu:.2f} s CPU "
          f"-> {turns / cpu:,.0f} turns/s per core ({args.calls / cpu:,.0f} calls/s)")
    dcpu, dturns = asyncio.run(bench_driver(args.driver_calls, bot))
    print(f"text channel: {args.driver_calls} calls, {dturns} turns in {dcpu:.2f} s CPU "
          f"-> {dturns / dcpu:,.0f} turns/s per core (asyncio driver, real HTTP on loopback; "
          f"{(dturns / dcpu) / (turns / cpu):.2f}x the bare session)")
    print(f"snapshot JSON: median {statistics.median(sizes):,.0f} B, max {max(sizes):,} B "
          f"over {len(sizes)} snapshots")


if __name__ == "__main__":
    main()
