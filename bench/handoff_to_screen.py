"""Benchmark: from the bot's handoff to the offer on the agent's screen (WebSocket).

Run: .venv/bin/python bench/handoff_to_screen.py [--agents 1 10 100] [--handoffs 500]

The real pieces, on 127.0.0.1: the acme bot's queues, a real complaint `Handoff` made by the
acme bot through the runtime's text path (transcript, context, sensitive account), the
`AgentService` with a SQLite file (WAL) and the aiohttp web app; N agents signed in over HTTP,
each with its desktop's WebSocket open (aiohttp clients), all available.

Timed: from just before `AgentService.handoff(...)` (the media bridge's call when the bot hands
off) to the moment the agent's socket has received and parsed the `offer` message: the router
step, the records (one SQLite transaction), the screen pop (the stored handoff, the caller's
previous calls, masking for the agent's role), JSON, the socket write and read. Server and
clients share one process and one event loop, as on a single small machine.

Two shapes, each per N agents:
- one at a time: a handoff, its offer, then the agent accepts, the caller hangs up and the
  agent wraps up (untimed) before the next handoff;
- bursts: N handoffs at once (one per available agent); each offer's own latency counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.queues import specs_from_program
from agents.router import Router
from agents.screen import last_intent
from agents.service import AgentService, ServiceConfig
from agents.store import Store
from agents.switch import MemorySwitch
from agents.users import hash_password
from agents.web import make_app
from bench.stats import pct
from runtime import actions as A
from runtime.bot import Bot, load_bot
from runtime.convtest import parse_tests
from runtime.harness import MockServer, Run

PASSWORD = "bench-password-1"
SCRIPT = '''
test "complaint"
  given caller.vip = true and caller.name = "Sam Ortiz" and caller.number = "+15550142"
  given env.crm_url = mock "acme-crm"
  caller presses 1
  caller presses 87654321
  caller presses 1
  bot asks "anything else"
  caller says "yes"
  caller says "I want to file a complaint about the engineer who never came"
  bot hands off to complaints
'''


async def acme_handoff(bot: Bot) -> tuple[A.Handoff, str, float | None]:
    (test,) = parse_tests(SCRIPT, "bench")
    async with aiohttp.ClientSession() as http, MockServer.for_test(bot, test) as mocks:
        run = Run(bot, test, http, mocks)
        problem = await run.play()
    if problem:
        raise SystemExit(problem)
    handoff = next(a for a in run.channel.actions if isinstance(a, A.Handoff))
    intent, confidence = last_intent(run.session.log)
    return handoff, intent, confidence


class Agent:
    def __init__(self, name: str, base: str) -> None:
        self.name, self.base = name, base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.waiters: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        resp = await self.http.post(f"{self.base}/api/sign-in",
                                    json={"user": self.name, "password": PASSWORD})
        assert resp.status == 200, await resp.text()
        self.ws = await self.http.ws_connect(f"{self.base}/api/ws")
        self.reader = asyncio.create_task(self.read())
        await self.post("/api/agent/state", {"state": "available"})

    async def read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = msg.json()
            if data["type"] == "offer":
                arrived = time.perf_counter()
                waiter = self.waiters.pop(data["offer"]["call_id"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result((arrived, data))

    async def post(self, path: str, body: dict[str, Any]) -> None:
        resp = await self.http.post(f"{self.base}{path}", json=body)
        assert resp.status == 200, await resp.text()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        await self.http.close()


async def floor(n: int, handoffs: int, handoff: A.Handoff, intent: str,
                confidence: float | None, specs: dict[str, Any], folder: Path
                ) -> dict[str, list[float]]:
    store = Store(folder / f"agents-{n}.db")
    switch = MemorySwitch()
    service = AgentService(Router(specs), store, switch, config=ServiceConfig())
    switch.service = service
    # Users straight into the table with one shared hash: n scrypt runs would only slow set-up.
    shared = hash_password(PASSWORD)
    store.conn.executemany(
        "INSERT INTO users (id, name, role, skills, endpoint, password_hash, created_at) "
        "VALUES (?, ?, 'agent', '{\"complaints\": 3}', ?, ?, 0)",
        [(f"a{i}", f"Agent {i}", f"user/a{i}", shared) for i in range(n)])
    runner = web.AppRunner(make_app(service), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    agents = {f"a{i}": Agent(f"a{i}", f"http://127.0.0.1:{port}") for i in range(n)}
    for agent in agents.values():
        await agent.start()
    await service.idle()
    seq = 0

    async def one_handoff() -> tuple[float, str, str]:
        """Hand a call off; (latency, agent, offer id) once its offer is on a screen."""
        nonlocal seq
        seq += 1
        call_id = f"call-{seq}"
        caller = {"number": f"+1555{seq % 50:07d}", "name": "Sam Ortiz", "vip": True,
                  "tier": "gold"}
        futures = {}
        for agent in agents.values():  # whoever gets it
            futures[agent.name] = agent.waiters[call_id] = (
                asyncio.get_running_loop().create_future())
        t0 = time.perf_counter()
        result = await service.handoff(call_id, handoff, caller, intent=intent,
                                       intent_confidence=confidence)
        target = agents[result.offered_to]
        arrived, message = await asyncio.wait_for(futures[target.name], 10)
        for agent in agents.values():
            agent.waiters.pop(call_id, None)
        return arrived - t0, target.name, message["offer"]["offer_id"]

    async def finish(agent: str, offer_id: str, call_id: str) -> None:
        await agents[agent].post(f"/api/offers/{offer_id}/accept", {})
        service.hung_up(call_id)
        await agents[agent].post("/api/wrap-up", {"disposition": "resolved"})

    single: list[float] = []
    for _ in range(20):  # warm-up: SQLite pages, code paths
        _, agent, offer = await one_handoff()
        await finish(agent, offer, f"call-{seq}")
    for _ in range(handoffs):
        latency, agent, offer = await one_handoff()
        single.append(latency)
        await finish(agent, offer, f"call-{seq}")

    burst: list[float] = []
    rounds = max(1, handoffs // n)
    for _ in range(rounds):
        results = await asyncio.gather(*(one_handoff() for _ in range(n)))
        first = seq - n + 1
        for i, (latency, agent, offer) in enumerate(results):
            burst.append(latency)
            await finish(agent, offer, f"call-{first + i}")
    await service.idle()
    for agent in agents.values():
        await agent.close()
    await runner.cleanup()
    store.close()
    return {"one at a time": single, f"bursts of {n}": burst}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--handoffs", type=int, default=500)
    args = parser.parse_args()
    bot = load_bot(Path("bots/acme"))
    handoff, intent, confidence = await acme_handoff(bot)
    specs = specs_from_program(bot.program)
    print(f"handoff: queue {handoff.queue}, {len(handoff.transcript)} transcript turns, "
          f"{len(handoff.context)} context fields; intent {intent} ({confidence})")
    print("| agents connected | shape | offers | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.agents:
            results = await floor(n, args.handoffs, handoff, intent, confidence, specs,
                                  Path(tmp))
            for shape, values in results.items():
                ms = [v * 1000 for v in values]
                print(f"| {n} | {shape} | {len(ms)} | {pct(ms, 0.5):.2f} | "
                      f"{pct(ms, 0.95):.2f} | {pct(ms, 0.99):.2f} | {max(ms):.2f} |",
                      flush=True)


if __name__ == "__main__":
    asyncio.run(main())
