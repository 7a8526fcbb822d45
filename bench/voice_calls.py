"""Voice benchmark: concurrent phone calls through the real audio path.

    .venv/bin/python bench/voice_calls.py            # the full run (a few minutes)
    .venv/bin/python bench/voice_calls.py --quick    # fewer calls and turns

The bot (`voxflow serve bench/voice/menu_loop.flow`) runs in its own process, connected over
the Event Socket to a stand-in FreeSWITCH in this process, which opens one mod_audio_stream
WebSocket per call and streams 20 ms frames in real time, exactly as the switch does. So the
CPU and memory measured on the serve process are the bot's own.

- speech: N calls at once, each answering the menu by voice K times (piper callers through a
  phone line: 8 kHz, mu-law, noise; each answer said at three speeds, the same audio in every
  run, so that runs hear the same callers), each answer once the bot has
  been quiet 0.5 s and a random 0-2 s more (`--think`; 0 makes calls that started together
  answer together at every turn). `--bot-code DIR` runs the bot from another checkout (a
  worktree of a baseline commit) against the same callers.
  Latency = end of the caller's speech -> first byte of bot audio. A reply is right when its
  audio is byte-for-byte the cached prompt of the choice; the slowest answers are named.
- keys: N calls at once pressing 1-4; latency = key press -> first byte of bot audio. Frames:
  what the switch sent vs what the bridge counted (dropped), sends that missed their 20 ms slot
  (late), and the bridge's event-loop lag.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402
from media_bridge.ear import Ear  # noqa: E402
from media_bridge.server import metadata_for  # noqa: E402
from media_bridge.standin import StandInCall, StandInSwitch  # noqa: E402
from speech.prompts import PromptCache  # noqa: E402
from speech.simulated import CallerVoice  # noqa: E402
from speech.tts import PiperSynthesizer  # noqa: E402

FLOW = ROOT / "bench" / "voice" / "menu_loop.flow"
CHOICES = {  # what the caller says -> what the bot replies
    "balance": "Balance.", "my balance": "Balance.", "billing": "Billing.",
    "pay a bill": "Billing.", "outage": "Outage.", "report an outage": "Outage.",
    "agent": "Agent.", "talk to an agent": "Agent."}
KEYS = {"1": "Balance.", "2": "Billing.", "3": "Outage.", "4": "Agent."}
RATE = 8000
VARIANTS = 3  # each answer said three ways
QUIET_S = 0.5
ANSWER_TIMEOUT_S = 6.0
STUCK_S = 30.0


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # ms
    right: int = 0
    wrong: int = 0
    unanswered: int = 0
    stuck: int = 0  # calls that had not ended STUCK_S after their last turn was due
    sent_frames: int = 0
    late_frames: int = 0
    uuids: list[str] = field(default_factory=list)
    confusions: Counter[str] = field(default_factory=Counter)  # said -> what the bot answered
    by_answer: dict[str, list[float]] = field(default_factory=dict)  # said -> latencies (ms)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bot:
    """`voxflow serve` in a subprocess, and what /proc says about it."""

    def __init__(self, esl_port: int, token: str, stats: Path, workers: int = 1,
                 code: str = "") -> None:
        env = {**os.environ, "VOXFLOW_STREAM_TOKEN": token, "VOXFLOW_ESL_PASSWORD": "ClueCon"}
        if code:  # the bot from another checkout (a baseline commit's worktree)
            env["PYTHONPATH"] = str(Path(code).resolve())
        listen = f"127.0.0.1:{_free_port() if workers > 1 else 0}"
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "voxflow"), "serve", str(FLOW), "--listen", listen,
             "--esl", f"127.0.0.1:{esl_port}", "--stats", str(stats),
             "--workers", str(workers)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
        self.output: deque[str] = deque(maxlen=40)  # serve's last lines, for a failure
        self.workers = workers
        self.stats = stats
        self.url = ""

    async def ready(self) -> str:
        assert self.proc.stdout is not None
        seen = 0
        while True:
            line = await asyncio.to_thread(self.proc.stdout.readline)
            if not line:
                raise RuntimeError("voxflow serve exited:\n" + "".join(self.output))
            self.output.append(line)
            if "answers streams at " in line:
                self.url = line.split("answers streams at ")[1].split("/<uuid>")[0]
                seen += 1
                if seen == self.workers:  # every worker is listening
                    # Keep reading what serve writes: a full pipe would stop its loop (its
                    # log of 10 calls fills one in a few minutes).
                    threading.Thread(target=self._drain, daemon=True).start()
                    return self.url

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def pids(self) -> list[int]:
        """The serving processes: `serve` itself, or its workers (`--workers N`)."""
        if self.workers == 1:
            return [self.proc.pid]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return [int(p) for p in children.split()]

    def cpu_s(self) -> float:
        total = 0.0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mb(self) -> float:
        total = 0.0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        return total

    def calls(self) -> dict[str, dict[str, Any]]:
        """The bridge's record of each finished call (frames counted, why it ended)."""
        return {r["uuid"]: r for r in map(json.loads, self.stats.read_text().splitlines())
                if r["kind"] == "call"}

    def lag_ms(self, since: float) -> list[float]:
        return [r["max_ms"] for r in map(json.loads, self.stats.read_text().splitlines())
                if r["kind"] == "lag" and r["at"] >= since]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def quiet(call: StandInCall, ear: Ear) -> None:
    """Until the bot has sent and played nothing for QUIET_S. In file playback a prompt's
    audio arrives before it plays, and the next prompt comes a moment after one ends: a caller
    who answered in that moment would answer the prompt before. Checked every 0.1 s, not
    20 ms: 200 callers polling cost the load generator more than the calls do."""
    since = None
    while True:
        now = time.monotonic()
        if call.audio_busy or ear.playing() or now - ear.last_audio() < QUIET_S:
            since = None
        elif since is None:
            since = now
        elif now - since >= QUIET_S:
            return
        await asyncio.sleep(0.1)


class Heard:
    """Wakes a caller when the bot's audio arrives (its time is the ear's, taken on arrival)."""

    def __init__(self, call: StandInCall, ear: Ear) -> None:
        self.ear = ear
        self.event = asyncio.Event()
        call.on_audio = self.on_audio

    def on_audio(self, pcm: bytes, rate: int, how: str) -> None:
        self.ear.on_audio(pcm, rate, how)
        self.event.set()


async def one_call(switch: StandInSwitch, bot: Bot, token: str, turns: int, mode: str,
                   lines: dict[str, list[bytes]], replies: dict[str, bytes], result: Result,
                   rng: random.Random, think_s: float) -> None:
    call = switch.new_call(variables={
        "STREAM_EXTRA_HEADERS": json.dumps({"Authorization": f"Bearer {token}"})})
    ear = Ear(transcriber=None)  # type: ignore[arg-type]  # timing only: nothing transcribed
    heard_audio = Heard(call, ear)
    result.uuids.append(call.uuid)
    reply = await switch.api(f"uuid_audio_stream {call.uuid} start {bot.url}/{call.uuid} "
                             f"mono 8k {metadata_for(call.uuid, RATE)}")
    assert reply.startswith("+OK"), reply
    await asyncio.sleep(0.5)
    await quiet(call, ear)
    for _ in range(turns):
        # Callers take their time to answer, each their own: without it, calls that start
        # within a second answer within a second of each other at every turn.
        await asyncio.sleep(rng.uniform(0.0, think_s))
        if mode == "speech":
            phrase = rng.choice(sorted(CHOICES))
            want = CHOICES[phrase]
            pcm = rng.choice(lines[phrase])
            call.say(pcm)
            ended = time.monotonic() + len(pcm) / (2 * RATE)
        else:
            key = rng.choice(sorted(KEYS))
            want = KEYS[key]
            call.press(key)
            ended = time.monotonic()
        seen = len(ear.utterances)
        deadline = ended + ANSWER_TIMEOUT_S
        while time.monotonic() < deadline:
            heard_audio.event.clear()
            fresh = [u for u in ear.utterances[seen:] if u.arrived >= ended]
            if fresh:
                first = fresh[0]
                result.latencies.append((first.arrived - ended) * 1000)
                said = phrase if mode == "speech" else key
                result.by_answer.setdefault(said, []).append(result.latencies[-1])
                await asyncio.sleep(0.05)
                heard = bytes(first.pcm)
                if heard == replies[want]:
                    result.right += 1
                else:
                    result.wrong += 1
                    got = next((t for t, pcm in replies.items() if pcm == heard), "another prompt")
                    result.confusions[f"{phrase if mode == 'speech' else key} -> {got}"] += 1
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard_audio.event.wait(),
                                       max(0.001, deadline - time.monotonic()))
        else:
            result.unanswered += 1
            said = phrase if mode == "speech" else key
            result.confusions[f"{said} -> nothing"] += 1
        await asyncio.sleep(0.3)
        await quiet(call, ear)
    stream = call.stream
    if stream is not None:
        result.sent_frames += stream.sent_frames
        result.late_frames += stream.late_frames
    await call.hang_up()


async def bounded(call: Any, turns: int, result: Result) -> None:
    """A call that never ends is counted, not waited for: one stuck call must not hang the
    run (its turns not played are missing from the row's turn count)."""
    try:
        await asyncio.wait_for(call, STUCK_S + turns * (ANSWER_TIMEOUT_S + 10))
    except TimeoutError:
        result.stuck += 1


def caller_lines() -> dict[str, list[bytes]]:
    """Each answer said VARIANTS ways (CallerVoice: the same audio in every run, at three
    speeds), so two runs, or a bot and its baseline, hear the same callers."""
    voice = CallerVoice()
    return {phrase: [voice.line_sync(phrase, RATE, variant) for variant in range(VARIANTS)]
            for phrase in CHOICES}


async def scenario(switch: StandInSwitch, bot: Bot, token: str, calls: int, turns: int,
                   mode: str, lines: dict[str, list[bytes]], replies: dict[str, bytes],
                   think_s: float) -> dict[str, Any]:
    result = Result()
    rng = random.Random(calls * 7919 + len(mode))
    cpu0, t0, wall = bot.cpu_s(), time.monotonic(), time.time()
    own0 = time.process_time()  # the load generator's own CPU: is it keeping up?
    rss0 = bot.rss_mb()
    peak = rss0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, bot.rss_mb())
            await asyncio.sleep(0.25)

    sampler = asyncio.ensure_future(sample())
    # Calls arrive over a second, not in one instant (a real switch answers them one by one).
    tasks = []
    for _ in range(calls):
        tasks.append(asyncio.ensure_future(bounded(
            one_call(switch, bot, token, turns, mode, lines, replies, result, rng, think_s),
            turns, result)))
        await asyncio.sleep(1.0 / calls)
    await asyncio.gather(*tasks)
    sampler.cancel()
    elapsed = time.monotonic() - t0
    cpu = bot.cpu_s() - cpu0
    own = time.process_time() - own0
    await asyncio.sleep(1.5)  # the bridge writes its call records as the sockets close
    records = bot.calls()
    received = sum(records[u]["frames"] for u in result.uuids if u in records)
    # The callers hang up (the hang-up event or the socket's close comes first): any other
    # end is the bridge closing the call (rate-exceeded, a protocol error).
    ended = Counter(str(records[u]["reason"]) for u in result.uuids if u in records)
    for normal in ("hang-up", "socket closed"):
        ended.pop(normal, None)
    lags = bot.lag_ms(wall)
    return {"calls": calls, "turns": len(result.latencies) + result.unanswered,
            "p50": pct(result.latencies, 0.5), "p95": pct(result.latencies, 0.95),
            "max": max(result.latencies, default=float("nan")),
            "right": result.right, "wrong": result.wrong, "unanswered": result.unanswered,
            "stuck": result.stuck,
            "cpu_pct_per_call": 100 * cpu / elapsed / calls,
            "caller_cpu_pct": 100 * own / elapsed,
            "rss_mb_per_call": (peak - rss0) / calls, "rss_mb": peak,
            "sent": result.sent_frames, "received": received,
            "dropped": max(0, result.sent_frames - received), "late": result.late_frames,
            "lag_p95_ms": pct(lags, 0.95), "lag_max_ms": max(lags, default=float("nan")),
            "confusions": dict(result.confusions.most_common(6)), "ended": dict(ended),
            "slowest": sorted(((pct(v, 0.5), k, len(v)) for k, v in result.by_answer.items()),
                              reverse=True)[:3]}


def show(mode: str, row: dict[str, Any]) -> None:
    print(f"{mode:<6} {row['calls']:>4} calls {row['turns']:>5} turns | latency p50 "
          f"{row['p50']:6.0f} ms p95 {row['p95']:6.0f} ms max {row['max']:6.0f} ms | right "
          f"{row['right']} wrong {row['wrong']} unanswered {row['unanswered']} | CPU "
          f"{row['cpu_pct_per_call']:.2f}%/call RSS +{row['rss_mb_per_call']:.1f} MB/call "
          f"(peak {row['rss_mb']:.0f} MB) | callers' CPU {row['caller_cpu_pct']:.0f}% | frames "
          f"sent {row['sent']} dropped {row['dropped']} "
          f"late {row['late']} | loop lag p95 {row['lag_p95_ms']:.1f} ms max "
          f"{row['lag_max_ms']:.1f} ms", flush=True)
    if row["stuck"]:
        print(f"       {row['stuck']} call(s) never ended and were left", flush=True)
    if row["ended"]:
        print(f"       calls the bridge ended: {row['ended']}", flush=True)
    if row["confusions"]:
        print(f"       wrong or unanswered: {row['confusions']}", flush=True)
    if mode == "speech" and row["slowest"]:
        print("       slowest answers (p50, turns): " + ", ".join(
            f"{said!r} {ms:.0f} ms ({n})" for ms, said, n in row["slowest"]), flush=True)


async def main(args: argparse.Namespace) -> None:
    token = secrets.token_urlsafe(16)
    switch = StandInSwitch(password="ClueCon", flavour="community", broadcast_delay_s=0.0)
    port = await switch.start()
    stats = Path(tempfile.mkstemp(prefix="voxflow-stats-", suffix=".jsonl")[1])
    bot = Bot(port, token, stats, workers=args.workers, code=args.bot_code)
    try:
        await bot.ready()
        synth = PiperSynthesizer()
        cache = PromptCache()
        replies = {}
        for text in set(CHOICES.values()):
            pcm = cache.get(text, synth.voice_id(), RATE, synth.engine)
            assert pcm is not None, f"{text!r} is not in the prompt cache"
            replies[text] = pcm
        lines = caller_lines()
        print(f"bot: voxflow serve {FLOW.relative_to(ROOT)} (pid {bot.proc.pid}, "
              f"{bot.workers} worker(s), code from {args.bot_code or 'this checkout'}), "
              f"idle RSS {bot.rss_mb():.0f} MB; {os.cpu_count()} CPUs",
              flush=True)
        for calls in args.speech:
            show("speech", await scenario(switch, bot, token, calls, args.turns, "speech",
                                          lines, replies, args.think))
        for calls in args.keys:
            show("keys", await scenario(switch, bot, token, calls, args.turns, "keys", lines,
                                        replies, args.think))
    finally:
        bot.stop()
        await switch.close()
        stats.unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=1,
                        help="voxflow serve --workers N (default 1)")
    parser.add_argument("--bot-code", default="",
                        help="run voxflow serve from this checkout (e.g. a git worktree of a "
                             "baseline commit), with the same callers")
    parser.add_argument("--speech", type=int, nargs="*", default=None)
    parser.add_argument("--keys", type=int, nargs="*", default=None)
    parser.add_argument("--turns", type=int, default=None)
    parser.add_argument("--think", type=float, default=2.0,
                        help="each answer waits 0.5 s after the prompt and a random 0-THINK s "
                             "more (default 2; 0: every call answers as soon as it can)")
    ns = parser.parse_args()
    ns.speech = ns.speech if ns.speech is not None else ([1, 10] if ns.quick else [1, 10, 30])
    ns.keys = ns.keys if ns.keys is not None else ([1, 50] if ns.quick else [1, 10, 100, 200])
    ns.turns = ns.turns or (3 if ns.quick else 6)
    asyncio.run(main(ns))
