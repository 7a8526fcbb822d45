"""`voxflow serve --workers N`: the supervisor (media_bridge/workers.py) and its arguments."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from media_bridge.workers import WORKER_FLAG, supervise, worker_command
from runtime.cli import main


class FakeProcess:
    """A worker process: alive until `die(code)`; SIGTERM ends it like `serve` does."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd, self.code, self.signals = cmd, None, []  # type: ignore[var-annotated]

    def poll(self) -> int | None:
        return self.code

    def die(self, code: int) -> None:
        self.code = code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.code = 0

    def wait(self, timeout: float | None = None) -> int:
        assert self.code is not None
        return self.code

    def kill(self) -> None:  # pragma: no cover - only when SIGTERM is ignored
        self.code = -9


class Rig:
    """A clock that moves 0.2 s per supervisor tick and a script of what happens when."""

    def __init__(self, script: dict[float, Any]) -> None:
        self.now, self.script = 0.0, dict(script)
        self.spawned: list[FakeProcess] = []
        self.said: list[str] = []

    def spawn(self, cmd: list[str]) -> FakeProcess:
        proc = FakeProcess(cmd)
        self.spawned.append(proc)
        return proc

    def sleep(self, seconds: float) -> None:
        self.now = round(self.now + seconds, 3)
        for at in [t for t in self.script if t <= self.now]:
            self.script.pop(at)(self)
        assert self.now < 600, "the supervisor never stopped"

    def run(self, workers: int = 2) -> int:
        return supervise(["serve", "bots/acme", "--workers", str(workers)], workers,
                         spawn=self.spawn, say=self.said.append,  # type: ignore[arg-type]
                         clock=lambda: self.now, sleep=self.sleep)


def sigterm(rig: Rig) -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # what an operator's `kill` or systemd sends


def test_workers_run_the_same_arguments_marked_as_workers() -> None:
    command = worker_command(["serve", "bots/acme", "--workers", "2"])
    assert command[0] == sys.executable
    assert command[-4:] == ["bots/acme", "--workers", "2", WORKER_FLAG]
    rig = Rig({1.0: sigterm})
    assert rig.run() == 0
    assert [p.cmd[-1] for p in rig.spawned] == ["--worker-index=0", "--worker-index=1"]
    assert all(p.signals == [signal.SIGTERM] for p in rig.spawned)  # passed on at the stop


def test_a_worker_that_dies_is_started_again_and_the_others_carry_on() -> None:
    rig = Rig({10.0: lambda r: r.spawned[1].die(-9), 20.0: sigterm})
    assert rig.run() == 0
    assert len(rig.spawned) == 3 and rig.spawned[2].cmd[-1] == "--worker-index=1"
    assert rig.spawned[0].signals == [signal.SIGTERM]  # worker 0 was never disturbed
    assert rig.said == ["worker 1 exited with status -9; its calls ended. Starting it again "
                        "in 1 s"]


def test_a_worker_that_cannot_start_stops_the_service() -> None:
    def die_at_once(rig: Rig) -> None:
        for proc in rig.spawned:
            if proc.cmd[-1] == "--worker-index=0" and proc.code is None:
                proc.die(2)

    script: dict[float, Any] = {t / 10: die_at_once for t in range(1, 200)}
    rig = Rig(script)
    assert rig.run() == 1
    assert rig.said[-1] == ("worker 0 exited with status 2 right after starting, 3 times in a "
                            "row: stopping (its error is above)")
    assert rig.spawned[1].signals == [signal.SIGTERM]  # the healthy worker is stopped too


@pytest.mark.parametrize(("extra", "message"), [
    (["--workers", "0"], "--workers must be 1 or more, not 0"),
    (["--workers", "2", "--listen", "127.0.0.1:0"],
     "--workers needs a fixed --listen port: every worker listens on it (SO_REUSEPORT), and "
     "FreeSWITCH's dialplan names it"),
    (["--workers", "2", "--agents", "127.0.0.1:8095"],
     "--agents keeps its queues in one process: run queue mode with --workers 1 (the default)"),
    (["--workers", "2", "--standin"],
     "--standin is a switch inside one process: use it with --workers 1"),
])
def test_worker_options_that_cannot_work_are_refused(extra: list[str], message: str,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXFLOW_STREAM_TOKEN", "t0ken")
    monkeypatch.setenv("VOXFLOW_ESL_PASSWORD", "s3cret")
    assert main(["serve", "bots/acme", *extra]) == 2
    assert capsys.readouterr().err.strip() == f"voxflow: {message}"


def test_the_worker_flags_are_not_in_the_help() -> None:
    out = subprocess.run([sys.executable, "-m", "runtime.cli", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--workers N" in out and "--worker-index" not in out and "--worker " not in out


# ---- two real worker processes on one port -------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    from pathlib import Path

    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


async def _until(check: Any, timeout_s: float) -> bool:
    import asyncio
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


async def _key_call(switch: Any, url: str, token: str) -> bool:
    """A call that presses 1 at the menu; True when the bot answers it with audio."""
    import json

    from media_bridge.ear import Ear
    from media_bridge.server import metadata_for

    call = switch.new_call(variables={
        "STREAM_EXTRA_HEADERS": json.dumps({"Authorization": f"Bearer {token}"})})
    ear = Ear(transcriber=None)  # type: ignore[arg-type]  # timing only
    call.on_audio = ear.on_audio
    reply = await switch.api(f"uuid_audio_stream {call.uuid} start {url}/{call.uuid} mono 8k "
                             f"{metadata_for(call.uuid, 8000)}")
    assert reply.startswith("+OK"), reply
    greeted = await _until(lambda: len(ear.utterances) >= 1, 20)
    before = len(ear.utterances)
    call.press("1")
    answered = await _until(lambda: len(ear.utterances) > before, 10)
    await call.hang_up()
    return greeted and answered


def test_two_workers_answer_calls_on_one_port_and_a_dead_one_comes_back() -> None:
    import asyncio
    import secrets

    from media_bridge.standin import StandInSwitch

    async def scenario() -> None:
        switch = StandInSwitch(password="ClueCon", broadcast_delay_s=0.0)
        esl_port = await switch.start()
        port, token = _free_port(), secrets.token_urlsafe(12)
        env = {**os.environ, "VOXFLOW_STREAM_TOKEN": token, "VOXFLOW_ESL_PASSWORD": "ClueCon"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "serve", "bench/voice/menu_loop.flow",
             "--listen", f"127.0.0.1:{port}", "--esl", f"127.0.0.1:{esl_port}",
             "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # Each worker has its own Event Socket connection.
            assert await _until(lambda: len(switch._listeners) == 2, 90)
            url = f"ws://127.0.0.1:{port}/calls"
            results = await asyncio.gather(*(_key_call(switch, url, token) for _ in range(6)))
            assert all(results), results
            workers = _children(proc.pid)
            assert len(workers) == 2
            os.kill(workers[0], signal.SIGKILL)  # a worker crashes
            assert await _until(lambda: len(switch._listeners) == 1, 10)
            assert await _until(lambda: len(switch._listeners) == 2, 90)  # started again
            assert workers[1] in _children(proc.pid)  # the other one carried on
            assert await _key_call(switch, url, token)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
            await switch.close()
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert code == 0, err
        assert "worker 0 exited with status -9; its calls ended." in err

    asyncio.run(scenario())


def test_workers_stop_when_their_supervisor_is_killed_outright() -> None:
    import asyncio
    import secrets
    from pathlib import Path

    from media_bridge.standin import StandInSwitch

    async def scenario() -> None:
        switch = StandInSwitch(password="ClueCon", broadcast_delay_s=0.0)
        esl_port = await switch.start()
        env = {**os.environ, "VOXFLOW_STREAM_TOKEN": secrets.token_urlsafe(12),
               "VOXFLOW_ESL_PASSWORD": "ClueCon"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "serve", "bench/voice/menu_loop.flow",
             "--listen", f"127.0.0.1:{_free_port()}", "--esl", f"127.0.0.1:{esl_port}",
             "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        workers: list[int] = []
        try:
            assert await _until(lambda: len(switch._listeners) == 2, 90)
            workers = _children(proc.pid)
            proc.kill()  # SIGKILL: the supervisor cannot pass anything on
            proc.wait()
            assert await _until(lambda: not any(Path(f"/proc/{pid}").exists()
                                                and "zombie" not in _state(pid)
                                                for pid in workers), 30)
        finally:
            for pid in workers:  # if a worker outlived the check, it must not outlive the test
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await switch.close()

    asyncio.run(scenario())


def _state(pid: int) -> str:
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "zombie"
    return next((line for line in status.splitlines() if line.startswith("State:")), "")
