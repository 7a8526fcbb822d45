"""`voxflow serve` (a bot on the phone) and `voxflow call` (a test call through the audio path)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from media_bridge.logs import LEVELS
from media_bridge.protocol import PlaybackMode
from media_bridge.workers import WORKER_FLAG

TOKEN_ENV = "VOXFLOW_STREAM_TOKEN"
ESL_PASSWORD_ENV = "VOXFLOW_ESL_PASSWORD"


def add_commands(sub: Any) -> None:
    p = sub.add_parser("serve", help="answer phone calls: the FreeSWITCH media bridge + a bot")
    p.add_argument("bot", help="bot folder (or its .flow file)")
    p.add_argument("--listen", default="127.0.0.1:8090", metavar="HOST:PORT",
                   help="where mod_audio_stream connects (default 127.0.0.1:8090)")
    p.add_argument("--esl", default="127.0.0.1:8021", metavar="HOST:PORT",
                   help="FreeSWITCH's Event Socket (default 127.0.0.1:8021)")
    p.add_argument("--playback", choices=[m.value for m in PlaybackMode], default="file",
                   help="how audio reaches the caller; match your mod_audio_stream build")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set env.NAME for the flow (repeatable)")
    p.add_argument("--standin", action="store_true",
                   help="run a stand-in FreeSWITCH on loopback instead of connecting to one")
    p.add_argument("--default-rate", type=int, choices=(8000, 16000), default=8000,
                   help="the sample rate of a stream whose metadata has no \"rate\" "
                        "(default 8000)")
    p.add_argument("--handoff-extension", default="to_queue", metavar="EXTENSION",
                   help="without --agents: the dialplan extension a hand-off transfers the "
                        "call to (default to_queue)")
    p.add_argument("--handoff-context", default="default", metavar="CONTEXT",
                   help="the XML dialplan context of --handoff-extension (default default)")
    p.add_argument("--recordings", default="build/recordings", metavar="DIR",
                   help="where `record` steps and voicemails are saved, one WAV each "
                        "(default build/recordings)")
    p.add_argument("--audio-root", metavar="DIR",
                   help="injection modes: the folder a flow's relative audio paths are read "
                        "from (in file mode FreeSWITCH plays them from its own disk)")
    p.add_argument("--log-level", choices=LEVELS, default="info",
                   help="what voxflow logs to stderr (default info: calls connected and "
                        "ended, refused streams, the Event Socket connection)")
    p.add_argument("--stats", metavar="FILE",
                   help="append a JSON line per finished call and the event loop's lag")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes answering streams on the --listen port (default 1; one "
                        "process uses about one core, so up to one per core); each has its "
                        "own models and Event Socket connection")
    p.add_argument(WORKER_FLAG, action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    _agents_options(p)
    p.add_argument("--callback-dial", default="sofia/gateway/voxflow/{number}",
                   metavar="TEMPLATE", help="with --agents: the dial string of a callback "
                   "customer, {number} their number (default sofia/gateway/voxflow/{number})")
    p.add_argument("--secure-cookies", action="store_true",
                   help="with --agents: mark the desktop's session cookie Secure (serve it "
                        "through an HTTPS proxy; browsers then send it over HTTPS only)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("call", help="place test calls through the real audio path "
                                    "(a stand-in switch, piper callers, real ASR/TTS)")
    p.add_argument("bot", help="bot folder (or its .flow file)")
    p.add_argument("--script", action="append", default=[], metavar="FILE.test.flow",
                   help="conversation tests to play (default: every test of the bot)")
    p.add_argument("--test", action="append", default=[], metavar="NAME",
                   help="only the tests with this name (repeatable)")
    p.add_argument("--rate", type=int, choices=(8000, 16000), default=8000)
    p.add_argument("--playback", choices=[m.value for m in PlaybackMode], default="file")
    p.add_argument("--concurrency", type=int, default=4, metavar="N",
                   help="calls at the same time (default 4)")
    _agents_options(p)
    p.set_defaults(func=cmd_call)


def _agents_options(p: Any) -> None:
    p.add_argument("--agents", metavar="HOST:PORT",
                   help="queue mode: hand-offs go to voxflow's own queues, and the agent "
                        "desktop and supervisor view are served here (docs/freeswitch.md)")
    p.add_argument("--agents-db", default="build/agents.db", metavar="FILE",
                   help="with --agents: users and records (default build/agents.db)")


def _agents_service(args: argparse.Namespace, bot: Any) -> Any:
    """The agent service of --agents, or None."""
    if not args.agents:
        return None
    from media_bridge.agent_link import LinkSettings, agent_service_for

    _hostport(args.agents, "--agents")
    settings = LinkSettings(callback_dial=getattr(args, "callback_dial", None)
                            or LinkSettings().callback_dial)
    service = agent_service_for(bot, Path(args.agents_db), settings=settings)
    if not service.users.all():
        print("voxflow: no agents yet; add one with `voxflow agents user add NAME --role agent "
              f"--skill SKILL --db {args.agents_db}`", file=sys.stderr)
    return service


async def _start_agents(args: argparse.Namespace, service: Any) -> Any:
    from media_bridge.agent_link import start_agents_web

    host, port = _hostport(args.agents, "--agents")
    runner, url = await start_agents_web(service, host, port, secure_cookies=getattr(
        args, "secure_cookies", False))
    print(f"agent desktop: {url}/  supervisor: {url}/supervisor.html", flush=True)
    return runner


async def _stop_when_orphaned(parent: int, stop: asyncio.Event) -> None:
    """Set `stop` once the supervisor that started this worker is gone (we are re-parented)."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    print("voxflow serve: the supervisor is gone; this worker stops", file=sys.stderr,
          flush=True)
    stop.set()


def _workers_problem(args: argparse.Namespace, port: int) -> str:
    if args.workers < 1:
        return f"--workers must be 1 or more, not {args.workers}"
    if args.workers == 1 or args.worker:
        return ""
    if port == 0:
        return ("--workers needs a fixed --listen port: every worker listens on it "
                "(SO_REUSEPORT), and FreeSWITCH's dialplan names it")
    if args.agents:
        return ("--agents keeps its queues in one process: run queue mode with --workers 1 "
                "(the default)")
    if args.standin:
        return "--standin is a switch inside one process: use it with --workers 1"
    return ""


# One word of a `uuid_transfer` command line: FreeSWITCH splits it at spaces, and quotes,
# backslashes and ';' would be eaten by its argument parser or the command separator.
_DIALPLAN_WORD = re.compile(r"[A-Za-z0-9_.+*#@-]+")


def _handoff_problem(args: argparse.Namespace) -> str:
    for option, value in (("--handoff-extension", args.handoff_extension),
                          ("--handoff-context", args.handoff_context)):
        if not _DIALPLAN_WORD.fullmatch(value):
            return (f"{option} takes one dialplan word (letters, digits and _ . + * # @ -), "
                    f"not {value!r}: it goes on the uuid_transfer command line")
    return ""


def _audio_root_problem(args: argparse.Namespace) -> str:
    if not args.audio_root:
        return ""
    if args.playback == PlaybackMode.FILE.value:
        return ("--audio-root is for the injection modes: in file mode FreeSWITCH plays a "
                "flow's recordings from its own disk, by the path the flow gives")
    if not Path(args.audio_root).is_dir():
        return f"--audio-root {args.audio_root!r} is not a folder"
    return ""


def _hostport(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"voxflow: {what} takes HOST:PORT, not {text!r}")
    return host or "127.0.0.1", int(port)


def _env(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"voxflow: --env takes NAME=VALUE, not {item!r}")
        env[name] = value
    return env


def _load(path: str) -> Any:
    from runtime.bot import BotError, load_bot

    try:
        return load_bot(Path(path))
    except BotError as exc:
        raise SystemExit(f"voxflow: {exc}") from None


def bridge_settings(args: argparse.Namespace, token: str) -> Any:
    """The media bridge's settings from `voxflow serve`'s options."""
    from media_bridge.settings import BridgeSettings

    return BridgeSettings(
        token=token, playback=PlaybackMode(args.playback), env=_env(args.env),
        default_rate=args.default_rate, handoff_extension=args.handoff_extension,
        handoff_context=args.handoff_context, recordings_dir=Path(args.recordings),
        audio_root=Path(args.audio_root) if args.audio_root else None)


def cmd_serve(args: argparse.Namespace) -> int:
    from media_bridge.logs import configure
    from media_bridge.voice import EslTarget, SpeechStack, VoiceService
    from speech.prompts import warm

    configure(args.log_level)
    token = os.environ.get(TOKEN_ENV, "")
    password = os.environ.get(ESL_PASSWORD_ENV, "")
    # FreeSWITCH's default password ("ClueCon") is never assumed: a switch still using it is
    # open to anyone who reaches port 8021, and voxflow would hide that.
    missing = [f"set {name} to {what} (see docs/freeswitch.md); it is never logged"
               for name, value, what in (
                   (TOKEN_ENV, token, "the token your dialplan sends in STREAM_EXTRA_HEADERS"),
                   (ESL_PASSWORD_ENV, password,
                    "the password in FreeSWITCH's event_socket.conf.xml"))
               if not value and not args.standin]
    if missing:
        print(f"voxflow: {missing[0]}", file=sys.stderr)
        return 2
    host, port = _hostport(args.listen, "--listen")
    esl_host, esl_port = _hostport(args.esl, "--esl")
    problem = _workers_problem(args, port) or _handoff_problem(args) or _audio_root_problem(args)
    if problem:
        print(f"voxflow: {problem}", file=sys.stderr)
        return 2
    bot = _load(args.bot)
    if not args.worker:  # workers find the prompts their supervisor made
        report = warm(bot.ir)
        print(f"{bot.folder}: {report.prompts} static prompts and sentences ready ({report.new} "
              "synthesised now)", flush=True)
    if args.workers > 1 and not args.worker:
        from media_bridge.workers import supervise

        print(f"voxflow serve: starting {args.workers} workers on {host}:{port}", flush=True)
        return supervise(args.argv, args.workers)
    settings = bridge_settings(args, token)
    agents = _agents_service(args, bot)
    service = VoiceService(bot, SpeechStack.load(), settings=settings, standin=args.standin,
                           esl=EslTarget(esl_host, esl_port, password or "ClueCon"),
                           agents=agents)

    who = f"worker {args.worker_index}: " if args.worker else ""
    began = time.monotonic()
    engines = service.warm_speech()
    print(f"voxflow serve: {who}speech models loaded ({', '.join(engines) or 'no speech input'})"
          f" in {time.monotonic() - began:.1f} s", flush=True)

    async def main() -> None:
        url = await service.start(host, port, reuse_port=args.worker)
        desk = None if agents is None else await _start_agents(args, agents)
        stats = None
        if args.stats:
            from media_bridge.stats import StatsWriter

            stats = StatsWriter(Path(args.stats))
            assert service.bridge is not None
            service.bridge.on_finished.append(stats.call_finished)
            stats.start()
        where = "a stand-in switch" if args.standin else f"FreeSWITCH at {esl_host}:{esl_port}"
        print(f"voxflow serve: {who}{bot.folder.name} answers streams at {url}/<uuid> "
              f"({args.playback} playback; events from {where}). Ctrl-C stops.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        if args.worker:  # a supervisor killed outright must not leave its workers running
            orphaned = asyncio.ensure_future(_stop_when_orphaned(os.getppid(), stop))
        try:
            await stop.wait()
        finally:
            if args.worker:
                orphaned.cancel()
            await service.stop()
            if desk is not None:
                await desk.cleanup()  # closes the agent service too
            if stats is not None:
                stats.close()

    from media_bridge.esl import EslAuthError, EslRejected, EslUnavailable

    try:
        asyncio.run(main())
    except EslRejected:
        print(f"voxflow serve: the Event Socket at {esl_host}:{esl_port} refused this host "
              "before asking for a password; add this host's address to the ACL list that "
              "FreeSWITCH's event_socket.conf.xml names in apply-inbound-acl, then "
              "`fs_cli -x reloadacl` (docs/freeswitch.md, section 3)", file=sys.stderr)
        return 1
    except EslAuthError:
        print(f"voxflow serve: the Event Socket at {esl_host}:{esl_port} refused the password; "
              f"set {ESL_PASSWORD_ENV} to the password in FreeSWITCH's event_socket.conf.xml "
              "(docs/freeswitch.md, section 3)", file=sys.stderr)
        return 1
    except EslUnavailable:
        print(f"voxflow serve: no Event Socket at {esl_host}:{esl_port} within 5 s; check that "
              "FreeSWITCH runs, that --esl names its event_socket.conf.xml listen-ip and "
              "listen-port, and that its apply-inbound-acl admits this host "
              "(docs/freeswitch.md, section 3)", file=sys.stderr)
        return 1
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from dsl.diagnostics import did_you_mean
    from media_bridge.caller import format_result, run_calls
    from media_bridge.settings import BridgeSettings
    from media_bridge.voice import SpeechStack, VoiceService
    from runtime.convtest import TestFormatError, load_tests, parse_tests
    from speech.prompts import warm
    from speech.simulated import CallerVoice, WhisperTranscriber

    bot = _load(args.bot)
    try:
        if args.script:
            tests = []
            for script in args.script:
                path = Path(script)
                if not path.is_file():
                    print(f"voxflow: no such test script: {script}", file=sys.stderr)
                    return 2
                tests += parse_tests(path.read_text(encoding="utf-8"), str(path))
        else:
            tests = load_tests(bot.folder)
    except TestFormatError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1
    if args.test:
        names = {t.name for t in tests}
        missing = [name for name in args.test if name not in names]
        for name in missing:
            print(f"voxflow: no test named {name!r} in {args.bot}\n"
                  f"  hint: {did_you_mean(name, names, 'test')}", file=sys.stderr)
        if missing:
            return 2
        tests = [t for t in tests if t.name in args.test]
    print(f"loading speech models and {len(tests)} test(s)...", file=sys.stderr)
    warm(bot.ir, rates=(args.rate,))
    speech = SpeechStack.load()
    voice, ear = CallerVoice(), WhisperTranscriber(workers=1 if args.concurrency <= 1 else 2)
    agents = _agents_service(args, bot)
    service = VoiceService(bot, speech, settings=BridgeSettings(
        playback=PlaybackMode(args.playback)), standin=True, agents=agents)
    service.warm_speech()  # the first turn's latency is then the call's, not model loading

    async def main() -> list[Any]:
        await service.start()
        desk = None if agents is None else await _start_agents(args, agents)
        try:
            if agents is not None:
                await _an_agent_ready(agents)
            return await run_calls(service, tests, voice=voice, transcriber=ear, rate=args.rate,
                                   concurrency=max(1, args.concurrency),
                                   on_result=lambda r: print(format_result(r) + "\n"))
        finally:
            await service.stop()
            if desk is not None:
                await desk.cleanup()

    started = time.monotonic()
    results = asyncio.run(main())
    failed = sum(not r.ok for r in results)
    latencies = sorted(t.latency_ms for r in results for t in r.turns
                       if t.latency_ms is not None)
    summary = f"{len(results) - failed} passed, {failed} failed"
    if latencies:
        p50 = latencies[len(latencies) // 2]
        summary += f"; turn latency p50 {p50:.0f} ms, max {latencies[-1]:.0f} ms"
    print(f"{summary} ({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0


async def _an_agent_ready(agents: Any) -> None:
    """With --agents the calls wait for a person: someone signed in and available."""
    if any(state == "available" for state, _ in agents.router.agent_states().values()):
        return
    print("waiting for an agent: sign in to the desktop and go available; the calls start "
          "then (a hand-off waits 20 s for the agent to accept)", flush=True)
    while not any(state == "available" for state, _ in agents.router.agent_states().values()):
        await asyncio.sleep(0.2)
