"""The agent service and its web app on a test server, over a real SQLite file, with a clock
that moves only when a test says and a switch in memory. Helpers speak for the people."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from agents.router import Router
from agents.service import AgentService, ManualClock, ServiceConfig
from agents.store import Store
from agents.switch import MemorySwitch
from agents.web import make_app
from runtime.actions import ContextField, Handoff
from tests.agents.floor import T0, spec

PASSWORD = "correct horse battery"
T = TypeVar("T")

ACCOUNT = "87654321"


def handoff(queue: str = "complaints", *, summary: str = "", priority: str = "normal",
            request_id: str = "handoff-1") -> Handoff:
    """A handoff as the acme bot makes one: a sensitive account, a transcript with steps."""
    return Handoff(
        request_id=request_id, queue=queue, reason="complaint", priority=priority,
        context=(ContextField(name="account", value=ACCOUNT, type="digits", sensitive=True),
                 ContextField(name="caller_number", value="+15550142", type="phone")),
        summary=summary or f"Sam called to complain about account {ACCOUNT}.",
        transcript=(
            {"who": "bot", "text": "For your balance, press 1.", "step": "main_menu", "at": T0},
            {"who": "caller", "text": "[redacted]", "step": "balance", "at": T0 + 1},
            {"who": "bot", "text": "That's 8 7 6 5 4 3 2 1. Is that right?", "step": "balance",
             "at": T0 + 2},
            {"who": "caller", "text": "I want to file a complaint", "step": "main_menu",
             "at": T0 + 3}),
        consulted=({"question": "how do I complain", "source": "acme-help/complaints.md",
                    "confidence": 0.82},),
        slots=(ContextField(name="account", value=ACCOUNT, type="digits", sensitive=True),))


CALLER = {"number": "+15550142", "name": "Sam Ortiz", "vip": True, "tier": "gold"}


class Rig:
    def __init__(self, tmp: Path, config: ServiceConfig | None = None,
                 dist: Path | None = None, secure_cookies: bool = False) -> None:
        self.store = Store(tmp / "agents.db")
        self.clock = ManualClock(T0)
        self.switch = MemorySwitch()
        queues = {q.name: q for q in (spec("complaints"), spec("general"))}
        self.service = AgentService(
            Router(queues), self.store, self.switch, clock=self.clock,
            config=config or ServiceConfig(snapshot_interval_s=0.0))
        self.switch.service = self.service
        self.app = make_app(self.service, dist or tmp / "no-dist",
                            secure_cookies=secure_cookies)
        self.users = self.service.users
        self.clients: list[TestClient[Any, Any]] = []
        self.server: TestServer | None = None

    async def __aenter__(self) -> Rig:
        self.server = TestServer(self.app)
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients:
            await client.close()
        assert self.server is not None
        await self.server.close()
        self.store.close()

    def add(self, user: str, role: str = "agent", skills: str = "complaints general",
            name: str = "") -> None:
        levels = {}
        for word in skills.split():
            skill, _, level = word.partition(":")
            levels[skill] = int(level or 1)
        self.users.add(user, PASSWORD, name=name or user.title(), role=role,
                       skills=levels if role != "supervisor" else {}, now=T0)

    async def client(self) -> TestClient[Any, Any]:
        assert self.server is not None
        client: TestClient[Any, Any] = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def signed_in(self, user: str, password: str = PASSWORD) -> TestClient[Any, Any]:
        client = await self.client()
        resp = await client.post("/api/sign-in", json={"user": user, "password": password})
        assert resp.status == 200, await resp.text()
        return client

    async def desk(self, user: str, first: str = "hello") -> Desk:
        """A screen open for `user`: an agent's desktop (whose first push is `hello`) or a
        supervisor's view (`snapshot`)."""
        client = await self.signed_in(user)
        ws = await client.ws_connect("/api/ws")
        desk = Desk(client, ws)
        hello = await desk.next(first)
        desk.hello = hello
        return desk


class Desk:
    """A signed-in screen: its HTTP client and its socket, reading pushes in order."""

    def __init__(self, client: TestClient[Any, Any], ws: ClientWebSocketResponse) -> None:
        self.client, self.ws = client, ws
        self.seen: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.hello: dict[str, Any] = {}

    async def next(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next pushed message of this type (others before it are kept in `seen`)."""
        async def read() -> dict[str, Any]:
            while True:
                msg = await self.ws.receive()
                if msg.type != WSMsgType.TEXT:
                    raise AssertionError(f"the socket closed ({msg.type}, {msg.data!r}) "
                                         f"waiting for {kind}; seen: {self.kinds()}")
                self.raw.append(msg.data)
                message = json.loads(msg.data)
                self.seen.append(message)
                if message["type"] == kind:
                    return message

        return await asyncio.wait_for(read(), timeout)

    def kinds(self) -> list[str]:
        return [m["type"] for m in self.seen]

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   status: int = 200) -> dict[str, Any]:
        resp = await self.client.post(path, json=body or {})
        data = await resp.json()
        assert resp.status == status, (resp.status, data)
        return data


def run(coro: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro(), timeout)

    return asyncio.run(bounded())
