"""Integration: a real Rasa 3.6.21 server, installed, trained and started by this module's
setup (loopback only, telemetry off), parsing for the acme bot; then killed by its PID while
conversations go on through the built-in fallback.

Marked `rasa`: the first run on a machine installs Rasa (about 3-4 minutes, 2.7 GB, into
~/.cache/voxflow); training the acme data takes 1-2.5 minutes and starting the server about a
minute (both reused or repeated per run, see `WORKDIR`). `make test` runs it; `make test-fast`
(pytest -m "not rasa") leaves it out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlu.engine import BuiltinEngine
from nlu.rasa.client import RasaNLU
from nlu.rasa.server import RasaServer, default_venv, ensure_rasa, start, stop, train
from runtime.bot import load_bot
from runtime.convtest import load_tests
from runtime.harness import run_tests

pytestmark = pytest.mark.rasa
# Beside the venv, outside the work tree: a fresh checkout (CI's) reuses a model trained on
# the same data, domain and config (the model's name is their fingerprint).
WORKDIR = default_venv().parent / "work" / "acme-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[RasaServer]:
    rasa = ensure_rasa()
    model = train(Path("bots/acme"), rasa, WORKDIR)
    running = start(rasa, model, WORKDIR, free_port())
    yield running
    stop(running.pid)


def test_the_server_listens_on_loopback_only(server: RasaServer) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):  # read, never probed over the network
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1 only


def test_rasa_parses_for_the_bot(server: RasaServer, acme: BuiltinEngine) -> None:
    nlu = RasaNLU(server.url, acme, timeout_s=10)  # the first parse warms TensorFlow up
    text = "the wifi went down yesterday"
    assert asyncio.run(nlu.prepare(text))
    result = nlu.parse(text)
    assert result.engine == "rasa"
    assert result.intent is not None and result.intent.intent == "report_outage"
    by_entity = {e.entity: e for e in result.entities}
    assert by_entity["service"].value == "internet"  # DIET, synonym mapped by Rasa
    assert by_entity["date"].extractor == "typed"  # ours: Rasa has no Duckling here


def test_conversations_go_on_when_rasa_is_killed(server: RasaServer) -> None:
    bot = load_bot(Path("bots/acme"))
    assert isinstance(bot.intents, BuiltinEngine)
    tests = [t for t in load_tests(bot.folder) if Path(t.path).name == "nlu.test.flow"]
    nlu = RasaNLU(server.url, bot.intents, timeout_s=5)
    with_rasa = dataclasses.replace(bot, intents=nlu)

    results = asyncio.run(run_tests(with_rasa, tests))
    assert all(r.ok for r in results), [r.report for r in results if not r.ok]
    assert nlu.fallbacks == 0 and nlu.answers  # Rasa answered every turn

    stop(server.pid)  # Rasa goes away mid-service: by PID, as the fixture would
    nlu.timeout_s = 0.5
    results = asyncio.run(run_tests(with_rasa, tests))
    assert all(r.ok for r in results), [r.report for r in results if not r.ok]
    assert nlu.fallbacks > 0 and nlu.breaker.state == "open"
