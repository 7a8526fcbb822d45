"""A stand-in for FreeSWITCH, faithful to the two faces the bridge talks to (read from
shared/design/freeswitch-protocols.md): an Event Socket server and, per channel, a
mod_audio_stream WebSocket client (`standin_stream.py`). FreeSWITCH cannot be installed from the
package registries, so the tests (and later `voxflow call`) run against this.

The ESL face: an `acl` of client addresses (others get the rude rejection), `auth` (then
`-ERR invalid` and a disconnect notice for a wrong password), `event plain` with the CUSTOM
rule (every word after CUSTOM is a subclass), `filter`, `api` and `bgapi` with the switch's own
reply texts, `exit`; events in plain format with URL-encoded
values, every channel variable included. Calls are simulated: DTMF (RTP or APP), hang-up,
`uuid_broadcast` playback (PLAYBACK_START ~200 ms later, PLAYBACK_STOP done|break, broadcasts
queued), transfers (to the XML dialplan, or `inline`: `bridge:<endpoint>` "rings" the agent and
fires CHANNEL_BRIDGE; a bridge that fails sets `originate_disposition` and, with
`continue_on_fail`, goes on to the next application, else hangs the caller up with its cause;
`park` fires CHANNEL_PARK; `hangup_after_bridge` decides what the caller does when the agent
hangs up), channel variables, `originate {vars}<endpoint> &bridge(<dial string>)` (the
originated leg is a call of its own: answered, then CHANNEL_BRIDGE when the far end answers;
`no_answer` names dial strings that ring out for `ring_s`, `refuse` those that fail at once
with a cause such as USER_BUSY) and `bgapi <command>` as an API command (`+OK Job-UUID: ...`,
then BACKGROUND_JOB). `flavour` picks the module build: "community" (files
and `::play`), "cloudfieldcz" (binary injection, `clearAudio`) or "pr118" (`streamAudio`
injection, `"clear": true`).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import uuid as uuidlib
import wave
from collections import deque
from collections.abc import Callable, Collection, Coroutine
from pathlib import Path
from typing import Any

import aiohttp

from media_bridge import esl_codec as C
from media_bridge import protocol as P
from media_bridge.standin_stream import StandInStream

EVENT_NAMES = frozenset({
    "ALL", "CUSTOM", "DTMF", "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_PARK", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
    "PLAYBACK_START", "PLAYBACK_STOP", "BACKGROUND_JOB", "HEARTBEAT", "CHANNEL_DATA",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"})
DTMF_DURATION = "2080"  # what an RFC 2833 key press from a SIP phone reported


class _Listener:
    """One Event Socket connection and what it subscribed to."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.authed = False
        self.events: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []

    def subscribe(self, words: list[str]) -> None:
        custom = False
        for word in words:
            if custom:
                self.subclasses.add(word)  # the switch's rule: after CUSTOM, all subclasses
            elif word in EVENT_NAMES:
                self.events.add(word)
                custom = word == "CUSTOM"

    def wants(self, name: str, subclass: str, headers: dict[str, str]) -> bool:
        if self.filters and not any(headers.get(h) == v for h, v in self.filters):
            return False
        if "ALL" in self.events:
            return True
        if name not in self.events:
            return False
        return name != "CUSTOM" or not subclass or subclass in self.subclasses


class StandInCall:
    def __init__(self, switch: StandInSwitch, uuid: str, variables: dict[str, str],
                 caller: str, called: str, direction: str = "inbound") -> None:
        self.switch, self.uuid = switch, uuid
        self.variables = dict(variables)
        self.caller, self.called = caller, called
        self.direction = direction  # outbound: a leg `originate` placed
        self.answered = False
        self.hung_up = False
        self.stream: StandInStream | None = None
        self.streams: list[StandInStream] = []
        self.transferred_to: tuple[str, str, str] | None = None
        self.inline: list[tuple[str, str]] = []  # (application, argument) of inline transfers
        self.bridged_to = ""  # the dial string this channel was bridged to
        self.parked = 0  # times an inline `park` parked it
        self._after_bridge: list[tuple[str, str]] = []  # inline applications after the bridge
        self.hangup_cause = ""
        self.playing = False
        self.broadcasts: list[tuple[str, str]] = []  # (file, "done" | "break")
        self.injected = bytearray()  # audio the forks were given to play
        self.clears = 0
        self.temp_files: list[Path] = []
        # Bot audio as it arrives (L16, rate, "file" | "inject"): what `voxflow call` hears.
        self.on_audio: Callable[[bytes, int, str], None] | None = None
        self._speech = bytearray()  # caller audio waiting to be streamed
        self._queue: deque[str] = deque()
        self._player: asyncio.Task[None] | None = None
        self._break = asyncio.Event()

    # ---- the caller ------------------------------------------------------------------------------
    def press(self, digit: str, source: str = "RTP") -> None:
        """A key press: RTP (RFC 2833 from a phone) or APP (uuid_recv_dtmf)."""
        self.switch.fire("DTMF", self, [("DTMF-Digit", digit), ("DTMF-Duration", DTMF_DURATION),
                                        ("DTMF-Source", source)])

    def say(self, pcm: bytes) -> None:
        """Caller audio (L16 at the stream's rate), streamed in real time after what is queued."""
        self._speech += pcm

    def caller_audio(self, size: int) -> bytes:
        frame = bytes(self._speech[:size])
        del self._speech[:size]
        return frame + bytes(size - len(frame))  # silence when the caller says nothing

    async def hang_up(self, cause: str = "NORMAL_CLEARING") -> None:
        if self.hung_up:
            return
        self.hung_up = True
        self.hangup_cause = cause
        if self._player is not None:
            self._player.cancel()
        stream = self.stream
        if stream is not None:
            await stream.stop()  # the media bug closes with the channel; no ::disconnect
        self.switch.fire("CHANNEL_HANGUP_COMPLETE", self, [("Hangup-Cause", cause),
                                                           ("variable_hangup_cause", cause)])
        for path in self.temp_files:  # the module deletes its files at hang-up
            path.unlink(missing_ok=True)
        self.switch.calls.pop(self.uuid, None)

    async def far_end_hangs_up(self) -> None:
        """The agent this channel is bridged to hangs up: with `hangup_after_bridge` the caller
        hangs up too, else the rest of the inline dialplan runs (a `park` would keep them)."""
        if self.hung_up or not self.bridged_to:
            return
        self.bridged_to = ""
        self.switch.fire("CHANNEL_UNBRIDGE", self, [])
        if _true(self.variables.get("hangup_after_bridge", "")):
            await self.hang_up("NORMAL_CLEARING")
        else:
            rest, self._after_bridge = self._after_bridge, []
            await self.switch._run_inline(self, rest)

    # ---- what the caller hears -------------------------------------------------------------------
    def inject(self, pcm: bytes, rate: int) -> None:
        self.injected += pcm
        self.heard(pcm, rate, "inject")

    def heard(self, pcm: bytes, rate: int, how: str) -> None:
        if self.on_audio is not None:
            self.on_audio(pcm, rate, how)

    @property
    def audio_busy(self) -> bool:
        """Something is playing to the caller or queued to play (file playback)."""
        return self.playing or bool(self._queue) or (
            self._player is not None and not self._player.done())

    @property
    def speech_pending(self) -> int:
        """Bytes of caller audio not yet streamed."""
        return len(self._speech)

    def clear_injected(self) -> None:
        self.clears += 1

    def broadcast(self, path: str) -> None:
        self._queue.append(path)
        if self._player is None or self._player.done():
            self._player = asyncio.ensure_future(self._play_queue())

    def break_all(self) -> None:
        self._queue.clear()
        self._break.set()

    async def _play_queue(self) -> None:
        while self._queue and not self.hung_up:
            path = self._queue.popleft()
            await asyncio.sleep(self.switch.broadcast_delay_s)
            self._break.clear()
            self.playing = True
            self.switch.fire("PLAYBACK_START", self, [("Playback-File-Path", path)])
            status = "done"
            try:
                await asyncio.wait_for(self._break.wait(), self.switch.file_seconds(path))
                status = "break"
            except TimeoutError:
                pass
            self.playing = False
            self.broadcasts.append((path, status))
            self.switch.fire("PLAYBACK_STOP", self, [("Playback-File-Path", path),
                                                     ("Playback-Status", status)])

    def channel_data(self) -> list[tuple[str, str]]:
        state = "CS_HANGUP" if self.hung_up else "CS_EXECUTE"
        return [("Channel-State", state), ("Channel-Call-State",
                                           "HANGUP" if self.hung_up else "ACTIVE"),
                ("Channel-Name", f"sofia/internal/{self.caller}@127.0.0.1"),
                ("Unique-ID", self.uuid), ("Call-Direction", self.direction),
                ("Answer-State", "answered" if self.answered else "ringing"),
                ("Caller-Caller-ID-Number", self.caller),
                ("Caller-Destination-Number", self.called), ("Caller-Unique-ID", self.uuid),
                ("Caller-Context", "default"), ("Channel-Call-UUID", self.uuid),
                *((f"variable_{k}", v) for k, v in self.variables.items())]


class StandInSwitch:
    def __init__(self, password: str = "ClueCon", *, flavour: str = "community",
                 broadcast_delay_s: float = 0.2, default_file_s: float = 0.5,
                 temp_dir: str | None = None, acl: Collection[str] | None = None) -> None:
        if flavour not in ("community", "cloudfieldcz", "pr118"):
            raise ValueError(f"unknown mod_audio_stream flavour {flavour!r}")
        self.password, self.flavour = password, flavour
        # The client addresses the Event Socket admits (apply-inbound-acl); None admits all.
        self.acl = None if acl is None else frozenset(acl)
        self.broadcast_delay_s, self.default_file_s = broadcast_delay_s, default_file_s
        self._tmp = None if temp_dir else tempfile.TemporaryDirectory(prefix="standin-")
        self.temp_dir = temp_dir or (self._tmp.name if self._tmp else "")
        self.core_uuid = str(uuidlib.uuid4())
        self.calls: dict[str, StandInCall] = {}
        self.api_log: list[str] = []  # the api commands received, for assertions
        # Dial strings (an agent's endpoint, a customer's number) that ring out unanswered, and
        # those that fail at once with a cause (USER_BUSY, CALL_REJECTED, USER_NOT_REGISTERED).
        self.no_answer: set[str] = set()
        self.refuse: dict[str, str] = {}
        self.ring_s = 0.05  # how long a dial string rings before it answers (or gives up)
        self.ring_until: asyncio.Event | None = None  # tests: ring until it is set, not ring_s
        self.originated: list[StandInCall] = []  # legs placed by `originate`
        self.port = 0
        self._server: asyncio.Server | None = None
        self._listeners: set[_Listener] = set()
        self._seq = 0
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            # No connection limit: a switch opens one stream per call however many there are
            # (aiohttp's default of 100 left the 101st call without a stream).
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._http

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop_esl(self) -> None:
        """The Event Socket goes away (a switch restart, as the client sees it)."""
        if self._server is not None:
            self._server.close()
            for listener in list(self._listeners):
                listener.writer.close()
            self._listeners.clear()
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        for call in list(self.calls.values()):
            await call.hang_up()
        await self.stop_esl()
        if self._http is not None:
            await self._http.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def new_call(self, *, variables: dict[str, str] | None = None, caller: str = "+15550100",
                 called: str = "1000", uuid: str | None = None,
                 direction: str = "inbound") -> StandInCall:
        call = StandInCall(self, uuid or str(uuidlib.uuid4()), variables or {}, caller, called,
                           direction)
        self.calls[call.uuid] = call
        return call

    # ---- events ----------------------------------------------------------------------------------
    def fire(self, name: str, call: StandInCall | None, extra: list[tuple[str, str]],
             body: str = "", subclass: str = "") -> None:
        self._seq += 1
        now = time.time()
        headers = [("Event-Subclass", subclass)] if subclass else []
        headers += [("Event-Name", name), ("Core-UUID", self.core_uuid),
                    ("FreeSWITCH-Hostname", "standin"), ("FreeSWITCH-Switchname", "standin"),
                    ("FreeSWITCH-IPv4", "127.0.0.1"),
                    ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S",
                                                       time.localtime(now))),
                    ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                     time.gmtime(now))),
                    ("Event-Date-Timestamp", str(int(now * 1_000_000))),
                    ("Event-Calling-File", "standin.py"), ("Event-Calling-Function", name),
                    ("Event-Calling-Line-Number", "1"), ("Event-Sequence", str(self._seq))]
        if call is not None:
            headers += call.channel_data()
        headers += extra
        data = C.encode_event_plain(headers, body)
        lookup = dict(headers)
        for listener in list(self._listeners):
            if listener.authed and listener.wants(name, subclass, lookup):
                listener.writer.write(data)

    def fire_stream_event(self, call: StandInCall, kind: str, body: str) -> None:
        self.fire("CUSTOM", call, [], body, subclass=P.SUBCLASS_PREFIX + kind)

    def file_seconds(self, path: str) -> float:
        file = Path(path)
        if not file.is_file():
            return self.default_file_s
        if file.suffix == ".wav":
            with wave.open(str(file), "rb") as wav:
                return wav.getnframes() / wav.getframerate()
        if file.suffix.startswith(".r") and file.suffix[2:].isdigit():
            return file.stat().st_size / (int(file.suffix[2:]) * 1000 * 2)
        return self.default_file_s

    # ---- the Event Socket ------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if self.acl is not None and (not peer or peer[0] not in self.acl):
            writer.write(C.rude_rejection() + C.disconnect_notice())
            writer.close()
            return
        listener = _Listener(writer)
        self._listeners.add(listener)
        writer.write(C.AUTH_REQUEST)
        try:
            while True:
                block = await reader.readuntil(b"\n\n")
                line = block.decode("utf-8", errors="replace").split("\n", 1)[0].rstrip("\r")
                if not await self._command(listener, line):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._listeners.discard(listener)
            writer.close()

    async def _command(self, listener: _Listener, line: str) -> bool:
        """Answers one command; False closes the connection."""
        write = listener.writer.write
        verb, _, rest = line.partition(" ")
        if verb == "auth":
            if rest == self.password:
                listener.authed = True
                write(C.command_reply("+OK accepted"))
                return True
            write(C.command_reply("-ERR invalid") + C.disconnect_notice())
            return False
        if not listener.authed:
            write(C.command_reply("-ERR command not found"))
            return True
        if verb == "event":
            kind, _, words = rest.partition(" ")
            listener.subscribe(words.split())
            write(C.command_reply(f"+OK event listener enabled {kind}"))
        elif verb == "filter":
            header, _, value = rest.partition(" ")
            listener.filters.append((header, value))
            write(C.command_reply(f"+OK filter added. [{header}]=[{value}]"))
        elif verb == "api":
            write(C.api_response(await self.api(rest)))
        elif verb == "bgapi":
            job = str(uuidlib.uuid4())
            write(C.command_reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)]))
            output = await self.api(rest)
            command, _, args = rest.partition(" ")
            self.fire("BACKGROUND_JOB", None, [("Job-UUID", job), ("Job-Command", command),
                                               ("Job-Command-Arg", args)], output)
        elif verb == "exit":
            write(C.command_reply("+OK bye") + C.disconnect_notice())
            return False
        elif verb == "noevents":
            listener.events.clear()
            listener.subclasses.clear()
            write(C.command_reply("+OK no longer listening for events"))
        else:
            write(C.command_reply("-ERR command not found"))
        return True

    # ---- API commands, with the switch's reply texts ---------------------------------------------
    async def api(self, line: str) -> str:
        self.api_log.append(line)
        command, _, args = line.partition(" ")
        handler = {"uuid_audio_stream": self._audio_stream, "uuid_broadcast": self._broadcast,
                   "uuid_break": self._break, "uuid_setvar": self._setvar,
                   "uuid_setvar_multi": self._setvar_multi, "uuid_transfer": self._transfer,
                   "uuid_kill": self._kill, "uuid_recv_dtmf": self._recv_dtmf,
                   "originate": self._originate, "bgapi": self._bgapi}.get(command)
        if handler is None:
            return f"-ERR {command} Command not found!\n"
        return await handler(args)

    def _call(self, uuid: str) -> StandInCall | None:
        call = self.calls.get(uuid)
        return call if call is not None and not call.hung_up else None

    async def _audio_stream(self, args: str) -> str:
        failed = "-ERR Operation Failed\n"
        parts = args.split(" ", 5)  # uuid start url mix rate [metadata = the rest of the line]
        call = self._call(parts[0]) if parts else None
        if call is None or len(parts) < 2:
            return failed
        action = parts[1]
        if action == "start":
            if len(parts) < 5 or call.stream is not None or parts[3] not in ("mono", "mixed",
                                                                             "stereo"):
                return failed  # "bug already attached!" for a second start
            rate = {"8k": 8000, "16k": 16000}.get(parts[4]) or int(parts[4] or 0)
            if rate not in P.SUPPORTED_RATES:
                return failed
            call.answered = True  # start pre-answers
            stream = StandInStream(self, call, parts[2], parts[3], rate,
                                   parts[5] if len(parts) > 5 else "")
            call.stream = stream
            call.streams.append(stream)
            stream.start()
            return "+OK Success\n"
        stream = call.stream
        if stream is None:
            return failed
        text = " ".join(parts[2:])
        if action == "stop":
            call.stream = None
            self._spawn(stream.stop(text))  # the reply does not wait for the close handshake
        elif action in ("pause", "resume"):
            stream.paused = action == "pause"
        elif action == "send_text":
            await stream.send_text(text)
        else:
            return failed
        return "+OK Success\n"

    async def _broadcast(self, args: str) -> str:
        parts = args.split()
        call = self._call(parts[0]) if parts else None
        if call is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        call.broadcast(parts[1])
        return "+OK Message sent\n"

    async def _break(self, args: str) -> str:
        call = self._call(args.split(" ")[0])
        if call is None:
            return "-ERR No such channel!\n"
        call.break_all()
        return "+OK\n"

    async def _setvar(self, args: str) -> str:
        parts = args.split(" ", 2)
        call = self._call(parts[0])
        if call is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        call.variables[parts[1]] = parts[2] if len(parts) > 2 else ""
        return "+OK\n"

    async def _setvar_multi(self, args: str) -> str:
        uuid, _, pairs = args.partition(" ")
        call = self._call(uuid)
        if call is None:
            return "-ERR No such channel!\n"
        for pair in pairs.split(";"):
            name, _, value = pair.partition("=")
            if name.strip():
                call.variables[name.strip()] = value.strip()
        return "+OK\n"

    async def _transfer(self, args: str) -> str:
        parts = args.split()
        call = self._call(parts[0]) if parts else None
        if call is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        rest = [p for p in parts[1:] if p not in ("-bleg", "-both")]
        if len(rest) > 1 and rest[1] == "inline":
            call.transferred_to = (rest[0], "inline", "")
            self._spawn(self._run_inline(call, inline_apps(rest[0])))
            return "+OK\n"
        call.transferred_to = (rest[0], rest[1] if len(rest) > 1 else "XML",
                               rest[2] if len(rest) > 2 else "default")
        return "+OK\n"

    async def _run_inline(self, call: StandInCall, apps: list[tuple[str, str]]) -> None:
        """The inline dialplan's applications in order; when they are done the channel hangs
        up, as at the end of any dialplan. A failed `bridge` sets `originate_disposition` to
        its cause; with `continue_on_fail` (true, or a list of causes that has it) the next
        application runs, else the caller is hung up with that cause (mod_dptools' bridge)."""
        for i, (app, arg) in enumerate(apps):
            if call.hung_up:
                return
            call.inline.append((app, arg))
            if app == "set":
                name, _, value = arg.partition("=")
                call.variables[name] = value
            elif app == "bridge":
                cause = await self._ring(arg)
                if call.hung_up:
                    return  # the caller hung up while the agent's phone rang
                if not cause:
                    call._after_bridge = apps[i + 1:]
                    self._bridged(call, arg)
                    return  # bridged: the call ends when either side hangs up
                call.variables["originate_disposition"] = cause
                if not continues_on_fail(call.variables.get("continue_on_fail", ""), cause):
                    await call.hang_up(cause)
                    return
            elif app == "park":
                call.parked += 1
                self.fire("CHANNEL_PARK", call, [])
                return  # parked until moved (a transfer) or hung up
        await call.hang_up("NORMAL_CLEARING")

    async def _ring(self, dial: str) -> str:
        """How a dial string answers: "" when it does, else the failure's cause."""
        target = dial_target(dial)
        if target in self.refuse:
            return self.refuse[target]
        if self.ring_until is not None:
            await self.ring_until.wait()
        else:
            await asyncio.sleep(self.ring_s)
        return "NO_ANSWER" if target in self.no_answer else ""

    def _bridged(self, call: StandInCall, dial: str) -> None:
        call.bridged_to = dial
        self.fire("CHANNEL_BRIDGE", call, [("Bridge-A-Unique-ID", call.uuid),
                                           ("Bridge-B-Unique-ID", str(uuidlib.uuid4()))])

    async def _originate(self, args: str) -> str:
        """`originate {vars}<endpoint> &bridge(<dial>)`: answers `+OK <uuid>` once the
        endpoint answers (the application then runs), or `-ERR NO_ANSWER`."""
        parts = args.split()
        if len(parts) < 2:
            return "-USAGE: <call url> <exten>|&<application_name>(<app_args>)\n"
        variables, endpoint = split_dial_string(parts[0])
        leg = self.new_call(uuid=variables.get("origination_uuid"), variables=variables,
                            caller=variables.get("origination_caller_id_number", "0000000000"),
                            called=endpoint, direction="outbound")
        self.originated.append(leg)
        cause = await self._ring(endpoint)
        if cause:
            await leg.hang_up(cause)
            return f"-ERR {cause}\n"
        leg.answered = True
        self.fire("CHANNEL_ANSWER", leg, [])
        app = re.fullmatch(r"&(\w+)\((.*)\)", parts[1])
        if app is not None:
            self._spawn(self._run_inline(leg, [(app[1], app[2])]))
        else:
            leg.transferred_to = (parts[1], parts[2] if len(parts) > 2 else "XML",
                                  parts[3] if len(parts) > 3 else "default")
        return f"+OK {leg.uuid}\n"

    async def _bgapi(self, args: str) -> str:
        """mod_commands' `bgapi`: the job runs on its own; BACKGROUND_JOB carries its output."""
        if not args:
            return "-ERR Invalid syntax\n"
        job = str(uuidlib.uuid4())

        async def run() -> None:
            output = await self.api(args)
            command, _, arg = args.partition(" ")
            self.fire("BACKGROUND_JOB", None, [("Job-UUID", job), ("Job-Command", command),
                                               ("Job-Command-Arg", arg)], output)

        self._spawn(run())
        return f"+OK Job-UUID: {job}\n"

    async def _kill(self, args: str) -> str:
        parts = args.split()
        call = self._call(parts[0]) if parts else None
        if call is None:
            return "-ERR No such channel!\n"
        cause = parts[1] if len(parts) > 1 else "NORMAL_CLEARING"
        # The reply goes out first; the hang-up (socket close, events) follows, as on a switch.
        self._spawn(call.hang_up(cause))
        return "+OK\n"

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recv_dtmf(self, args: str) -> str:
        parts = args.split()
        call = self._call(parts[0]) if parts else None
        if call is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        for digit in parts[1]:
            call.press(digit, source="APP")
        return "+OK\n"


def _true(value: str) -> bool:
    """switch_true: what FreeSWITCH takes as a true channel variable."""
    word = value.strip().lower()
    return word in ("yes", "on", "true", "t", "enabled", "enable", "active", "allow") or (
        word.lstrip("-").isdigit() and int(word) != 0)


def continues_on_fail(value: str, cause: str) -> bool:
    """`continue_on_fail`: true for every cause, or a comma-separated list of causes."""
    if _true(value):
        return True
    return cause in {word.strip().upper() for word in value.split(",") if word.strip()}


def inline_apps(data: str) -> list[tuple[str, str]]:
    """`app:arg,app:arg` (or `m:<d>:app:arg<d>app:arg` with its own delimiter), as
    mod_dialplan_inline reads it."""
    delimiter = ","
    if data.startswith("m:") and len(data) > 3 and data[3] == ":":
        delimiter, data = data[2], data[4:]
    apps = []
    for part in data.split(delimiter):
        app, _, arg = part.partition(":")
        if app:
            apps.append((app, arg))
    return apps


def split_dial_string(dial: str) -> tuple[dict[str, str], str]:
    """`{a=1,b=2}sofia/...` -> ({"a": "1", "b": "2"}, "sofia/...")."""
    if not dial.startswith("{") or "}" not in dial:
        return {}, dial
    inner, _, rest = dial[1:].partition("}")
    variables = {}
    for pair in inner.split(","):
        name, _, value = pair.partition("=")
        if name:
            variables[name] = value
    return variables, rest


def dial_target(dial: str) -> str:
    """The dial string without its leading {variables}: what `no_answer` names."""
    return split_dial_string(dial)[1]
