"""`voxflow serve --workers N`: N processes answering streams on one port.

One Python process holds the GIL while pocketsphinx decodes, so one process uses about one core
however many calls it carries (docs/benchmarks.md). Workers are whole `voxflow serve`
processes, each with its own models and its own Event Socket connection, listening on the same
port with SO_REUSEPORT: the kernel spreads mod_audio_stream's connections over them, and each
worker ignores Event Socket events for calls that are not its own (as every bridge does).

The supervisor (this module) only starts the workers, passes SIGINT/SIGTERM on, and restarts a
worker that dies, with a growing delay; a worker that keeps dying at once stops the service.
A call lives in one worker: when that worker dies its calls end, the others carry on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

WORKER_FLAG = "--worker"  # added to a worker's arguments (hidden in --help)
QUICK_DEATH_S = 5.0  # a worker that dies sooner than this after starting failed to start
MAX_QUICK_DEATHS = 3  # in a row: the configuration is wrong, restarting will not help
MAX_DELAY_S = 30.0
STOP_GRACE_S = 15.0


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None


def worker_command(argv: Sequence[str]) -> list[str]:
    """The command line of one worker: the same `voxflow` arguments, marked as a worker."""
    return [sys.executable, "-c", "import sys; from runtime.cli import main; sys.exit(main())",
            *argv, WORKER_FLAG]


def supervise(argv: Sequence[str], workers: int, *,
              spawn: Callable[[list[str]], subprocess.Popen[bytes]] | None = None,
              say: Callable[[str], None] | None = None,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> int:
    """Run `workers` copies of `voxflow <argv>` until SIGINT/SIGTERM; the exit status.
    (`spawn`, `clock` and `sleep` are for tests.)"""
    spawn = spawn or (lambda cmd: subprocess.Popen(cmd))  # output goes where ours goes
    say = say or (lambda text: print(f"voxflow serve: {text}", file=sys.stderr, flush=True))
    command = worker_command(argv)
    pool = [_Worker(i) for i in range(workers)]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        for w in pool:
            _start(w, command, spawn, clock())
        while not stopping:
            sleep(0.2)
            now = clock()
            for w in pool:
                if w.restart_at is not None and now >= w.restart_at:
                    _start(w, command, spawn, now)
                    continue
                code = w.proc.poll() if w.proc is not None else None
                if code is None or w.restart_at is not None:
                    continue
                quick = now - w.started < QUICK_DEATH_S
                w.quick_deaths = w.quick_deaths + 1 if quick else 0
                if w.quick_deaths >= MAX_QUICK_DEATHS:
                    say(f"worker {w.index} exited with status {code} right after starting, "
                        f"{w.quick_deaths} times in a row: stopping (its error is above)")
                    status, stopping = 1, True
                    break
                delay = min(MAX_DELAY_S, 2.0 ** w.quick_deaths)
                say(f"worker {w.index} exited with status {code}; its calls ended. Starting "
                    f"it again in {delay:g} s")
                w.restart_at = now + delay
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(pool)
    return status


def _start(w: _Worker, command: list[str],
           spawn: Callable[[list[str]], subprocess.Popen[bytes]], now: float) -> None:
    w.proc = spawn([*command, f"--worker-index={w.index}"])
    w.started = now
    w.restart_at = None


def _stop_all(pool: list[_Worker]) -> None:
    live = [w.proc for w in pool if w.proc is not None and w.proc.poll() is None]
    for proc in live:
        proc.send_signal(signal.SIGTERM)  # each worker hangs up cleanly, as `serve` does
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in live:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
