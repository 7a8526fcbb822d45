"""`voxflow call`: plays a conversation test (`.test.flow`) through the real audio path.

The caller is a stand-in FreeSWITCH (ESL server + mod_audio_stream client, `standin.py`): it
starts the stream the way a dialplan does, speaks its lines in real time (piper, degraded like
a phone line: 8 kHz, mu-law, noise), presses keys as ESL DTMF events, hears the bot's audio and
transcribes it back for the `bot says` lines, and times each turn: from the end of the caller's
speech (or the last key) to the first byte of bot audio.

Hand-off details and `log does not contain` need the session, so they are checked when the bot
runs in the same process (`VoiceService`), which is how `voxflow call` runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from media_bridge.ear import Ear
from media_bridge.hearing import FOREIGN_SOUND_RATIO, LETTER_RATIO
from media_bridge.server import metadata_for
from media_bridge.standin import StandInCall
from media_bridge.voice import VoiceService
from runtime.convtest import ConversationTest, Line
from runtime.harness import (
    DEFAULT_TIME,
    MockServer,
    _timestamp,
    call_givens,
    handoff_problem,
    log_mentions,
)
from speech.tts import english_sounds

EXPECT_TIMEOUT_S = 20.0  # a silent caller waits out noinput timers (5 s each) before a reply
QUIET_S = 0.4  # the caller waits this long after the bot's audio before speaking
KEY_GAP_S = 0.12  # between key presses, as a quick human
HUMAN_PAUSE_S = 0.3
FIRST_WORDS_S = 2.0  # how long the caller waits for the bot to say something before speaking
BUSY_LIMIT = 4  # while the bot talks a timeout waits, but never more than this many times
VOICEMAIL = "Hi, this is a test call. Please call me back when you can. Thank you."


@dataclass
class Turn:
    what: str  # what the caller did, as the transcript shows it
    kind: str  # speech | keys
    ended: float  # monotonic time the caller's input ended
    latency_ms: float | None = None  # to the first bot audio (None: the bot said nothing)


@dataclass
class CallResult:
    test: ConversationTest
    ok: bool
    report: str = ""
    transcript: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0  # the call's length, dialled to hung up and heard


class AudioCaller:
    """Plays one conversation test as one phone call."""

    def __init__(self, service: VoiceService, test: ConversationTest, ear: Ear, *,
                 voice: Any, rate: int = 8000) -> None:
        self.service, self.test, self.ear, self.voice, self.rate = (service, test, ear, voice,
                                                                    rate)
        self.call: StandInCall | None = None
        self.turns: list[Turn] = []
        self.transcript: list[str] = []
        self._shown = 0  # utterances already in the transcript
        self._last_action = 0.0  # when the caller last spoke or pressed a key
        # The ear is English: a call in another language is matched by its sounds too.
        language = str(test.givens.get("language", "") or "en")
        english = language.lower().startswith("en")
        self._letter_ratio = LETTER_RATIO if english else FOREIGN_SOUND_RATIO
        self._sounds: Callable[[str], str] | None = None if english else english_sounds

    async def run(self) -> CallResult:
        started = time.monotonic()
        async with MockServer.for_test(self.service.bot, self.test) as mocks:
            try:
                problem, line = await self._play(mocks)
            finally:
                await self._hang_up_and_wait()
        self._settle_latencies()
        self._show_heard()
        self._show_recognised()
        report = "" if problem is None else self._report(line, problem)
        return CallResult(self.test, problem is None, report, self.transcript, self.turns,
                          time.monotonic() - started)

    # ---- the call -------------------------------------------------------------------------------
    async def _play(self, mocks: MockServer) -> tuple[str | None, Line | None]:
        caller, env = call_givens(self.test, mocks.base)
        when = _timestamp(self.test.givens.get("time", DEFAULT_TIME))
        number = str(caller.pop("number", "+15550100"))
        called = str(caller.pop("called", "1000"))
        svc = self.service
        call = svc.switch.new_call(caller=number, called=called, variables={
            "STREAM_EXTRA_HEADERS": json.dumps({"Authorization": f"Bearer {svc.token}"})})
        self.call = call
        call.on_audio = self.ear.on_audio
        svc.test_env[call.uuid] = env
        svc.test_clock[call.uuid] = when - time.time()
        meta = metadata_for(call.uuid, self.rate, caller=number, called=called,
                            language=str(self.test.givens.get("language", "")),
                            **{k: v for k, v in caller.items() if isinstance(v, str | int | float)})
        reply = await svc.switch.api(
            f"uuid_audio_stream {call.uuid} start {svc.stream_url} mono "
            f"{self.rate // 1000}k {meta}")
        if not reply.startswith("+OK"):
            return f"the switch could not start the stream: {reply.strip()}", None
        answering = asyncio.ensure_future(self._answer_beeps())
        try:
            for line in self.test.steps:
                problem = await self._step(line)
                if problem is not None:
                    return problem, line
        finally:
            answering.cancel()
        return None, None

    async def _answer_beeps(self) -> None:
        """After a record tone the caller leaves a message, as the text channel assumes."""
        answered = 0
        while True:
            await asyncio.sleep(0.05)
            await self.ear.transcribe_closed()
            tones = [u for u in self.ear.utterances if u.tone]
            if len(tones) > answered and self.call is not None:
                answered = len(tones)
                await self._wait_quiet()
                self._show_heard()
                self.transcript.append("caller: (leaves a message)")
                self.call.say(await self.voice.line(VOICEMAIL, self.rate))

    async def _step(self, line: Line) -> str | None:
        call = self.call
        assert call is not None
        if line.kind in ("says", "asks"):
            match = await self.ear.expect(str(line.value), EXPECT_TIMEOUT_S, self._busy,
                                          letter_ratio=self._letter_ratio,
                                          sounds=self._sounds)
            if match is None:
                rest = self.ear.unmatched()
                return ("the bot did not say it; heard after the last match: "
                        + (repr(rest) if rest else "nothing"))
        elif line.kind == "caller_says":
            await self._wait_quiet()
            pcm = await self.voice.line(str(line.value), self.rate)
            call.say(pcm)
            ended = time.monotonic() + len(pcm) / (2 * self.rate)
            self._turn(f'"{line.value}"', "speech", ended)
            await asyncio.sleep(max(0.0, ended - time.monotonic()))
        elif line.kind == "presses":
            await self._wait_quiet()
            for i, key in enumerate(line.value):
                if i:
                    await asyncio.sleep(KEY_GAP_S)
                call.press({"star": "*", "pound": "#"}.get(key, key))
            self._turn(f"(presses {' '.join(line.value)})", "keys", time.monotonic())
        elif line.kind == "silent":
            await self._wait_quiet()
            self._show_heard()
            self.transcript.append("caller: (silence)")
        elif line.kind == "caller_hangs_up":
            self._show_heard()
            self.transcript.append("caller: (hangs up)")
            await call.hang_up()
        elif line.kind == "hands_off":
            return await self._expect_handoff(line)
        elif line.kind == "hangs_up":
            if not await _until(lambda: call.hung_up, EXPECT_TIMEOUT_S, self._busy):
                return "the bot did not hang up"
        elif line.kind == "log_excludes":
            session = self.service.session_of(call.uuid)
            if session is not None and log_mentions(session.log, line.value):
                return f"the call log contains {line.value!r}"
        return None

    async def _expect_handoff(self, line: Line) -> str | None:
        call = self.call
        assert call is not None
        if not await _until(lambda: call.transferred_to is not None, EXPECT_TIMEOUT_S,
                            self._busy):
            return "the bot did not hand off (no transfer reached the switch)"
        queue = call.variables.get("voxflow_queue", "")
        if queue != line.value:
            return f"the call was transferred for queue {queue!r}, not {line.value!r}"
        action = self.service.handoffs.get(call.uuid)
        if action is None:
            return "the switch saw a transfer, but the bot made no hand-off"
        return handoff_problem(action, line)

    def _busy(self) -> bool:
        """The bot is talking or the caller is: an expectation's timeout waits."""
        call = self.call
        return call is not None and not call.hung_up and (
            call.audio_busy or call.speech_pending > 0 or self.ear.playing())

    async def _wait_quiet(self) -> None:
        """A polite caller: lets the bot speak first (up to FIRST_WORDS_S), then speaks when it
        has finished talking (and a moment after)."""
        call = self.call
        assert call is not None
        since = self._last_action
        first = time.monotonic() + FIRST_WORDS_S
        while time.monotonic() < first and self.ear.first_audio_after(since) is None:
            await asyncio.sleep(0.02)
        deadline = time.monotonic() + EXPECT_TIMEOUT_S
        while time.monotonic() < deadline:
            busy = (call.audio_busy or self.ear.playing()
                    or time.monotonic() - self.ear.last_audio() < QUIET_S)
            if not busy:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(HUMAN_PAUSE_S)

    def _turn(self, what: str, kind: str, ended: float) -> None:
        self._show_heard()
        self.transcript.append(f"caller: {what}")
        self.turns.append(Turn(what, kind, ended))
        self._last_action = ended

    def _show_heard(self) -> None:
        for utt in self.ear.utterances[self._shown:]:
            if utt.text is None:
                break
            self.transcript.append(f"bot:    {utt.text.strip()}")
            self._shown += 1

    def _show_recognised(self) -> None:
        """What the bot's recogniser made of each spoken line (from the session's log, so
        sensitive answers stay redacted)."""
        session = self.service.session_of(self.call.uuid) if self.call is not None else None
        if session is None:
            return
        heard = iter(e["event"] for e in session.log if e["kind"] == "event"
                     and e["event"]["type"] == "speech" and e["event"].get("final"))
        for i, entry in enumerate(self.transcript):
            if entry.startswith('caller: "'):
                event = next(heard, None)
                if event is not None:
                    self.transcript[i] = (f"{entry}  [bot heard {event['text']!r} "
                                          f"{event['confidence']:.2f}]")

    def _settle_latencies(self) -> None:
        for i, turn in enumerate(self.turns):
            before = self.turns[i + 1].ended if i + 1 < len(self.turns) else None
            first = self.ear.first_audio_after(turn.ended, before)
            turn.latency_ms = None if first is None else (first - turn.ended) * 1000

    async def _hang_up_and_wait(self) -> None:
        call = self.call
        if call is None:
            return
        if not call.hung_up:
            await call.hang_up()
        bridge = self.service.bridge
        if bridge is not None:
            with contextlib.suppress(TimeoutError):
                await bridge.wait_finished(call.uuid, timeout=10.0)
        await self.ear.transcribe_closed()

    def _report(self, line: Line | None, problem: str) -> str:
        where = f"{self.test.path}:{line.line}" if line is not None else self.test.path
        expected = line.text if line is not None else "(the call to start)"
        transcript = "\n".join(f"    {t}" for t in self.transcript) or "    (nothing)"
        return (f"{where}: test \"{self.test.name}\" failed (audio)\n"
                f"  expected: {expected}\n  instead:  {problem}\n  transcript:\n{transcript}")


async def _until(check: Any, timeout_s: float, busy: Any = lambda: False) -> bool:
    """Wait for `check()`; the timeout counts only the time `busy()` is False, up to
    BUSY_LIMIT timeouts in all (hold music keeps a queued call busy for ever)."""
    now = time.monotonic()
    deadline, limit = now + timeout_s, now + BUSY_LIMIT * timeout_s
    while not check():
        now = time.monotonic()
        if busy() and now < limit:
            deadline = now + timeout_s
        elif now > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def format_result(result: CallResult) -> str:
    """The transcript with each turn's latency, as `voxflow call` prints it."""
    lines = [f"call: {result.test.name}  ({result.test.path}:{result.test.line})"]
    latencies = iter(result.turns)
    for entry in result.transcript:
        if entry.startswith("caller: ") and entry not in ("caller: (silence)",
                                                          "caller: (hangs up)"):
            turn = next(latencies, None)
            if turn is not None and turn.latency_ms is not None:
                entry = f"{entry:<60} -> bot audio after {turn.latency_ms:.0f} ms"
        lines.append("  " + entry)
    lines.append(("ok    " if result.ok else "FAIL  ") + result.test.name)
    if not result.ok:
        lines.append(result.report)
    return "\n".join(lines)



async def run_calls(service: VoiceService, tests: list[ConversationTest], *, voice: Any,
                    transcriber: Any, rate: int = 8000, concurrency: int = 4,
                    gate: asyncio.Semaphore | None = None,
                    heard_cache: dict[str, str] | None = None,
                    on_result: Any = None) -> list[CallResult]:
    """Plays tests as calls on a started stand-in `VoiceService`, `concurrency` at a time, or
    as `gate` allows (a gate shared by several services' runs), in the order given."""
    gate = gate or asyncio.Semaphore(concurrency)
    heard_cache = {} if heard_cache is None else heard_cache  # identical audio heard once

    async def one(test: ConversationTest) -> CallResult:
        async with gate:
            ear = Ear(transcriber, heard_cache)
            result = await AudioCaller(service, test, ear, voice=voice, rate=rate).run()
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(t) for t in tests)))
