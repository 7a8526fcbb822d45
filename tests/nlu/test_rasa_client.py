"""The Rasa client and its fallback, against a stand-in for `rasa run --enable-api` on
loopback (the real server is in test_rasa_server.py): answers used, slow or dead servers
sending the turn to the built-in engine, the circuit breaker, and a call through the driver."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from aiohttp import web

from nlu.engine import BuiltinEngine
from nlu.rasa.breaker import CircuitBreaker
from nlu.rasa.client import RasaNLU
from runtime.bot import load_bot
from runtime.convtest import load_tests
from runtime.harness import run_tests


class StandIn:
    """Answers POST /model/parse like Rasa 3.6, with a chosen intent, delay or status."""

    def __init__(self) -> None:
        self.intent = "check_balance"
        self.delay_s = 0.0
        self.status = 200
        self.calls = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def parse(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.json()
        await asyncio.sleep(self.delay_s)
        if self.status != 200:
            return web.json_response({"error": "boom"}, status=self.status)
        ranking: list[dict[str, Any]] = [{"name": self.intent, "confidence": 0.93},
                                         {"name": "goodbye", "confidence": 0.05}]
        return web.json_response({
            "text": body["text"], "intent": ranking[0], "intent_ranking": ranking,
            "entities": [{"entity": "service", "value": "internet", "start": 3, "end": 7,
                          "extractor": "DIETClassifier"}] if "wifi" in body["text"] else []})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/model/parse", self.parse)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_rasas_answer_is_used(acme: BuiltinEngine) -> None:
    async def go() -> None:
        server = StandIn()
        await server.start()
        try:
            nlu = RasaNLU(server.url, acme)
            text = "my wifi is down"  # the built-in engine says report_outage
            assert await nlu.prepare(text)
            assert nlu.best(text).intent == "check_balance"  # type: ignore[union-attr]
            result = nlu.parse(text)
            assert result.engine == "rasa" and result.intent.intent == "check_balance"  # type: ignore[union-attr]
            assert [(e.entity, e.value, e.extractor) for e in result.entities] == [
                ("service", "internet", "rasa")]
            assert nlu.rank(text, ["goodbye"])[0].intent == "goodbye"
        finally:
            await server.stop()
    run(go())


def test_slow_and_failing_rasa_falls_back_then_the_breaker_opens(acme: BuiltinEngine) -> None:
    async def go() -> None:
        server = StandIn()
        await server.start()
        clock = Clock()
        nlu = RasaNLU(server.url, acme, timeout_s=0.1,
                      breaker=CircuitBreaker(failures=2, cooldown_s=30, clock=clock))
        try:
            server.delay_s = 0.5  # slower than the turn may wait
            assert not await nlu.prepare("my internet is down")
            assert nlu.best("my internet is down").intent == "report_outage"  # type: ignore[union-attr]
            assert nlu.parse("my internet is down").engine == "builtin (rasa unavailable)"
            server.delay_s, server.status = 0.0, 500
            assert not await nlu.prepare("agent")
            assert nlu.breaker.state == "open"
            calls = server.calls
            assert not await nlu.prepare("agent")  # open: Rasa is not even asked
            assert server.calls == calls and nlu.fallbacks == 3
            server.status = 200
            clock.now = 31  # cooled down: one trial call, which succeeds and closes it
            assert await nlu.prepare("agent") and nlu.breaker.state == "closed"
        finally:
            await server.stop()
    run(go())


def test_a_dead_server_costs_nothing_once_the_breaker_is_open(acme: BuiltinEngine) -> None:
    nlu = RasaNLU("http://127.0.0.1:9", acme, timeout_s=0.5)  # nothing listens on port 9
    assert not run(nlu.prepare("hello"))
    assert nlu.best("i want to pay my bill").intent == "pay_bill"  # type: ignore[union-attr]


def test_breaker_states() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        breaker.failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 10
    assert breaker.state == "half-open" and breaker.allow()
    breaker.failure()  # the trial failed: open again, for a whole cooldown
    assert breaker.state == "open"
    clock.now = 20
    breaker.success()
    assert breaker.state == "closed" and breaker.failed == 0


def test_conversations_go_on_through_rasa_and_without_it() -> None:
    """The acme NLU conversation tests pass with the stand-in answering every turn (it
    echoes the built-in engine's intent) and again with the server gone."""
    bot = load_bot(Path("bots/acme"))
    tests = [t for t in load_tests(bot.folder) if Path(t.path).name == "nlu.test.flow"]
    assert tests

    async def go() -> None:
        engine = bot.intents
        assert isinstance(engine, BuiltinEngine)

        class Echo(StandIn):
            async def parse(self, request: web.Request) -> web.Response:
                text = (await request.json())["text"]
                ranked = engine.rank(text)
                self.calls += 1
                return web.json_response({"text": text, "intent_ranking": [
                    {"name": s.intent, "confidence": s.confidence} for s in ranked],
                    "entities": []})

        server = Echo()
        await server.start()
        nlu = RasaNLU(server.url, engine, threshold=engine.threshold)
        results = await run_tests(dataclasses.replace(bot, intents=nlu), tests)
        assert all(r.ok for r in results), [r.report for r in results if not r.ok]
        assert server.calls > 0 and nlu.fallbacks == 0
        await server.stop()
        results = await run_tests(dataclasses.replace(bot, intents=nlu), tests)
        assert all(r.ok for r in results), [r.report for r in results if not r.ok]
        assert nlu.fallbacks > 0
    run(go())
