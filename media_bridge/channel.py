"""`MediaChannel`: the runtime's `Channel` for a phone call (one per call).

Actions become audio and Event Socket commands. Playback has three modes (`PlaybackMode`):

- file: a text prompt is synthesised and sent as one `streamAudio` message; the module writes
  it to `<tmp>/<uuid>_<n>.tmp.r8` and fires `::play`; the channel then `uuid_broadcast`s the
  files strictly in prompt order (a `Play(audio=...)` file is broadcast as it is). A prompt ends
  at its PLAYBACK_STOP; barge-in is `uuid_break <uuid> all`.
- inject-binary / inject-stream-audio: PCM goes back over the WebSocket, paced a little ahead of
  real time, and a prompt ends when its last sample is due; barge-in sends the fork's flush
  message. `Play(audio=...)` files are read locally (WAV, L16 mono at the call's rate).

In queue mode (`agent_link.py`) a hand-off goes to `take_handoff` instead of the dialplan and
the caller stays here: `play_pcm` plays their hold audio and announcements, `record` a voicemail.

All socket writes happen on one worker task per call, in order; `perform` only does bookkeeping
and queues work, so the session's event loop never waits on audio. Hang-up and handoff wait for
the prompts before them to finish (a goodbye is heard before `uuid_kill`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import struct
import wave
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from media_bridge import protocol as P
from media_bridge.esl import EslClient, EslUnavailable
from media_bridge.esl_codec import CommandError, EslEvent
from media_bridge.settings import BridgeSettings
from media_bridge.speech import SpeechInput, Synthesizer
from runtime import actions as A
from runtime import events as E
from runtime.driver import CallDriver

log = logging.getLogger("voxflow.media")
HANGUP_CAUSE_FAILED = "NORMAL_TEMPORARY_FAILURE"
BEEP = "voxflow:beep"  # the tone before a recording, made here (no file on the switch needed)


class MediaSink(Protocol):
    """The call's WebSocket, downstream."""

    async def send_str(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...


@dataclass(eq=False)
class _Item:
    playback_id: str
    pcm: bytes = b""  # injection: what is left to send starts at `offset`
    offset: int = 0
    file: str = ""  # file mode: what to broadcast, once known
    index: int = -1  # file mode: the streamAudio counter whose `::play` names the file
    deadline: float = 0.0  # file mode: when to stop waiting for `::play`
    broadcast: bool = False
    started: float = 0.0
    end: float = 0.0  # injection: when the last sample plays
    ready: bool = False  # injection: `pcm` holds the whole prompt


# Queue mode: takes the handed-off caller on; "" when it did, else why not (the flow's
# `on error` runs with that reason, as after a refused transfer).
TakeHandoff = Callable[[A.Handoff], Awaitable[str]]


class MediaChannel:
    def __init__(self, uuid: str, rate: int, settings: BridgeSettings, esl: EslClient,
                 sink: MediaSink, synthesizer: Synthesizer, speech: SpeechInput,
                 post: Callable[[E.Event], None],
                 on_handoff: Callable[[str, A.Handoff], None] | None = None,
                 take_handoff: TakeHandoff | None = None) -> None:
        self.uuid, self.rate, self.settings = uuid, rate, settings
        self.on_handoff = on_handoff  # who takes the caller next (the agents service)
        # Queue mode (media_bridge/agent_link.py): the hand-off goes to voxflow's own queues and
        # the caller stays on this channel; None transfers the call to the dialplan.
        self.take_handoff = take_handoff
        self.esl, self.sink, self.synth, self.speech, self.post = (esl, sink, synthesizer,
                                                                   speech, post)
        self.mode = settings.playback
        self._bytes_per_s = P.bytes_per_ms(rate) * 1000
        self._ops: deque[Callable[[], Awaitable[None]]] = deque()
        self._after_playback: deque[Callable[[], Awaitable[None]]] = deque()
        self._wake = asyncio.Event()
        self._pending: deque[_Item] = deque()  # queued, not finished, in prompt order
        self._stream_count = 0  # streamAudio messages sent (the module's file counter)
        self._cancelled_indices: set[int] = set()
        self._sent_until = 0.0  # injection: when the audio sent so far will have played
        self._worker: asyncio.Task[None] | None = None
        self.played: list[str] = []  # playback ids that finished (for tests and the log)
        self.commands_failed = 0

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._worker = asyncio.ensure_future(self._work())

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.wait({self._worker}, timeout=1.0)
        self.speech.close()

    @property
    def idle(self) -> bool:
        return not self._pending and not self._ops and not self._after_playback

    # ---- the runtime's Channel port -----------------------------------------------------------
    async def perform(self, action: A.Action, driver: CallDriver) -> None:
        if isinstance(action, A.Play):
            self._play(action)
        elif isinstance(action, A.StopPlayback):
            self._stop_playback()
        elif isinstance(action, A.Listen):
            self.speech.listen(action)
        elif isinstance(action, A.StopListening):
            self.speech.stop_listening()
        elif isinstance(action, A.Handoff):
            if self.on_handoff is not None:
                self.on_handoff(self.uuid, action)
            self._after_playback.append(lambda: self._handoff(action))
            self._wake.set()
        elif isinstance(action, A.Hangup):
            self._after_playback.append(self._hang_up)
            self._wake.set()
        elif isinstance(action, A.Record):
            self._record(action)

    # ---- Event Socket events of this call (called on the ESL reader task) ---------------------
    def on_esl_event(self, event: EslEvent) -> None:
        if event.name == "PLAYBACK_START":
            item = self._broadcast_item(event.get("Playback-File-Path"))
            if item is not None:
                item.started = self._now()
        elif event.name == "PLAYBACK_STOP":
            item = self._broadcast_item(event.get("Playback-File-Path"))
            if item is not None:
                self._finish(item, interrupted=event.get("Playback-Status") == "break")
                self._wake.set()
        elif event.name == "CUSTOM" and event.subclass == "mod_audio_stream::play":
            try:
                play = P.parse_stream_event(event.subclass, event.body)
            except P.BadEvent:
                log.warning("malformed ::play event", extra={"call": self.uuid})
                return
            assert isinstance(play, P.StreamPlay)
            self._file_ready(play)

    # ---- playback bookkeeping -----------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _play(self, action: A.Play) -> None:
        item = _Item(action.playback_id)
        self._pending.append(item)
        self._enqueue(lambda: self._prepare(item, action))

    async def _prepare(self, item: _Item, action: A.Play) -> None:
        """Turn a Play into audio (or a file) and hand it to the mode's path."""
        if item not in self._pending:
            return  # stopped before its turn
        if action.audio and action.audio != BEEP and self.mode is P.PlaybackMode.FILE:
            item.file = action.audio
            await self._pump_broadcasts()
            return
        try:
            pcm = await self._audio_of(action)
        except Exception as exc:  # a broken voice or file must not end the call
            log.warning("prompt audio unavailable", extra={"call": self.uuid,
                                                            "playback": item.playback_id,
                                                            "error": type(exc).__name__})
            self._finish(item, interrupted=False)
            return
        if item not in self._pending:
            return
        await self._send_pcm(item, pcm)

    async def _send_pcm(self, item: _Item, pcm: bytes) -> None:
        """The prompt's audio, ready: one streamAudio message (file mode) or paced chunks."""
        if self.mode is P.PlaybackMode.FILE:
            item.index = self._stream_count
            item.deadline = self._now() + self.settings.play_file_timeout_s
            self._stream_count += 1
            await self.sink.send_str(P.stream_audio_message(pcm, self.rate))
        else:
            item.pcm, item.ready = pcm, True

    async def _audio_of(self, action: A.Play) -> bytes:
        pause = bytes(P.bytes_per_ms(self.rate) * action.pause_ms)
        if action.audio == BEEP:
            return beep(self.rate)
        if action.audio:
            return read_wav(self._audio_path(action.audio), self.rate) + pause
        if not action.text:
            return pause
        pcm = await self.synth.synthesize(action.text, rate=self.rate,
                                          language=action.language, voice=action.voice)
        return pcm + pause

    def _audio_path(self, name: str) -> Path:
        path = Path(name)
        root = self.settings.audio_root
        if root is not None and not path.is_absolute():
            path = root / path
        return path

    def _file_ready(self, play: P.StreamPlay) -> None:
        index = play.index
        item = next((i for i in self._pending if i.index == index and index is not None), None)
        if item is None:
            item = next((i for i in self._pending if i.index >= 0 and not i.file), None)
        if item is None or (index is not None and index in self._cancelled_indices):
            return  # stopped by a barge-in before its file was written
        item.file = play.file
        self._enqueue(self._pump_broadcasts)

    async def _pump_broadcasts(self) -> None:
        """Broadcast ready files in prompt order; stop at the first one still being written."""
        for item in list(self._pending):
            if item not in self._pending or item.broadcast:
                continue
            if not item.file:
                return
            item.broadcast = True
            reply = await self._command(self.esl.broadcast(self.uuid, item.file))
            if not reply:
                self._finish(item, interrupted=False)

    def _broadcast_item(self, path: str) -> _Item | None:
        return next((i for i in self._pending if i.broadcast and i.file == path), None)

    def _stop_playback(self) -> None:
        """Barge-in: every queued prompt ends now (interrupted); the switch is told after."""
        was_broadcast = any(i.broadcast for i in self._pending)
        sent = self._sent_until > self._now()
        for item in list(self._pending):
            if item.index >= 0 and not item.file:
                self._cancelled_indices.add(item.index)
            self._finish(item, interrupted=True)
        if self.mode is P.PlaybackMode.FILE:
            if was_broadcast:
                self._enqueue(lambda: self._command(self.esl.break_all(self.uuid)))
        elif sent:
            self._sent_until = 0.0
            message = P.clear_message(self.mode, self.rate)
            if message is not None:
                self._enqueue(lambda: self.sink.send_str(message))

    def _finish(self, item: _Item, interrupted: bool) -> None:
        if item not in self._pending:
            return
        self._pending.remove(item)
        position = 0
        if item.started:
            position = max(0, int((self._now() - item.started) * 1000))
        self.played.append(item.playback_id)
        self.post(E.PlaybackFinished(playback_id=item.playback_id, interrupted=interrupted,
                                     position_ms=position))

    # ---- the worker ---------------------------------------------------------------------------
    def _enqueue(self, op: Callable[[], Awaitable[object]]) -> None:
        async def run() -> None:
            await op()

        self._ops.append(run)
        self._wake.set()

    async def _work(self) -> None:
        while True:
            self._wake.clear()
            while self._ops:
                op = self._ops.popleft()
                try:
                    await op()
                except (ConnectionError, RuntimeError) as exc:
                    # The WebSocket closed under us: the bridge is ending this call.
                    log.info("media write failed", extra={"call": self.uuid,
                                                          "error": type(exc).__name__})
            delay = await self._tick()
            if self._ops:
                continue
            if not self._pending and self._after_playback:
                op = self._after_playback.popleft()
                await op()
                continue
            # A timer sets the same event: unlike wait_for on Python 3.11, this cannot swallow
            # the cancellation that ends the call.
            timer = None if delay is None else asyncio.get_running_loop().call_later(
                max(delay, 0.001), self._wake.set)
            try:
                await self._wake.wait()
            finally:
                if timer is not None:
                    timer.cancel()

    async def _tick(self) -> float | None:
        """Injection pacing, injected prompts ending, files that never came. Returns how long
        the worker may sleep (None: until woken)."""
        now = self._now()
        delays: list[float] = []
        if self.mode is P.PlaybackMode.FILE:
            for item in list(self._pending):
                if item.index >= 0 and not item.file:
                    if now >= item.deadline:
                        log.warning("no ::play for a prompt", extra={"call": self.uuid})
                        self._cancelled_indices.add(item.index)
                        self._finish(item, interrupted=False)
                    else:
                        delays.append(item.deadline - now)
            return min(delays) if delays else None
        lead = self.settings.inject_lead_ms / 1000
        chunk = P.bytes_per_ms(self.rate) * self.settings.inject_chunk_ms
        for item in list(self._pending):
            if item.end:  # all of it sent: it ends when its last sample plays
                if now >= item.end:
                    self._finish(item, interrupted=False)
                else:
                    delays.append(item.end - now)
                continue
            if not item.ready:
                break  # still being synthesised; later prompts wait their turn
            if self._sent_until < now:
                self._sent_until = now  # the caller heard silence since the last audio
            if not item.started:
                item.started = self._sent_until
            while item.offset < len(item.pcm) and self._sent_until < now + lead:
                part = item.pcm[item.offset:item.offset + chunk]
                await self._send_audio(part)
                item.offset += len(part)
                self._sent_until += len(part) / self._bytes_per_s
            if item.offset < len(item.pcm):
                delays.append(self._sent_until - lead - now)
                break
            item.end = max(self._sent_until, now + 0.001)
            delays.append(item.end - now)
        return min(delays) if delays else None

    async def _send_audio(self, pcm: bytes) -> None:
        if self.mode is P.PlaybackMode.INJECT_BINARY:
            await self.sink.send_bytes(pcm)
        else:
            await self.sink.send_str(P.stream_audio_message(pcm, self.rate))

    async def _command(self, call: Awaitable[object]) -> str | None:
        """Run an ESL command; None when the switch could not be asked, "" when it said -ERR."""
        try:
            reply = await call
        except (EslUnavailable, CommandError) as exc:
            self.commands_failed += 1
            log.warning("switch command failed", extra={"call": self.uuid,
                                                        "error": type(exc).__name__})
            return None
        text = getattr(reply, "text", "")
        if not getattr(reply, "ok", False):
            self.commands_failed += 1
            log.warning("switch refused a command", extra={"call": self.uuid, "reply": text})
            return ""
        return text

    # ---- recording (voicemail) -----------------------------------------------------------------
    def _record(self, action: A.Record) -> None:
        record = getattr(self.speech, "record", None)
        if record is None:  # no speech stack: the flow takes its no-input path
            self.post(E.RecordResult(request_id=action.request_id, ok=False))
            return
        if action.beep:
            self._play(A.Play(playback_id=f"{action.request_id}-beep", audio=BEEP))

        async def start() -> None:
            record(action.max_ms, lambda pcm, spoke: self._recorded(action, pcm, spoke))

        # The prompt and the beep end before the recording starts.
        self._after_playback.append(start)
        self._wake.set()

    def _recorded(self, action: A.Record, pcm: bytes, spoke: bool) -> None:
        duration_ms = len(pcm) * 1000 // (2 * self.rate)
        if not spoke:
            self.post(E.RecordResult(request_id=action.request_id, ok=False,
                                     duration_ms=duration_ms))
            return
        folder = self.settings.recordings_dir
        path = folder / f"{self.uuid}-{action.request_id}.wav"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(P.wav_bytes(pcm, self.rate))
        except OSError as exc:
            log.warning("recording not saved", extra={"call": self.uuid,
                                                      "error": type(exc).__name__})
            self.post(E.RecordResult(request_id=action.request_id, ok=False))
            return
        self.post(E.RecordResult(request_id=action.request_id, ok=True,
                                 uri=path.resolve().as_uri(), duration_ms=duration_ms))

    def caller_gone(self) -> None:
        """A recording in progress keeps what the caller said before hanging up."""
        finish = getattr(self.speech, "finish_recording", None)
        if finish is not None:
            finish()

    # ---- queue mode: what a caller waiting for a person hears (media_bridge/agent_link.py) ------
    def play_pcm(self, playback_id: str, pcm: bytes) -> None:
        """Play ready audio (hold audio, an announcement) after what is queued; its end is
        posted as `PlaybackFinished`, as a prompt's is."""
        item = _Item(playback_id)
        self._pending.append(item)

        async def send() -> None:
            if item in self._pending:  # not stopped before its turn
                await self._send_pcm(item, pcm)

        self._enqueue(send)

    def stop_playback(self) -> None:
        """Stop everything queued or playing (each ends as interrupted), as a barge-in does."""
        self._stop_playback()

    def record(self, action: A.Record) -> None:
        """A recording (a voicemail left while waiting); `RecordResult` is posted."""
        self._record(action)

    # ---- leaving the bot -----------------------------------------------------------------------
    async def _handoff(self, action: A.Handoff) -> None:
        if self.take_handoff is not None:
            try:
                refused = await self.take_handoff(action)
            except Exception:  # the queue's failure must not leave the caller in silence
                log.exception("queue hand-off failed", extra={"call": self.uuid})
                refused = "the queue could not take the call"
            self.post(E.HandoffOutcome(request_id=action.request_id, ok=not refused,
                                       reason=refused))
            return
        variables = {"voxflow_handoff_id": action.request_id, "voxflow_queue": action.queue,
                     "voxflow_reason": action.reason, "voxflow_priority": action.priority,
                     "cc_export_vars": "voxflow_handoff_id,voxflow_queue,voxflow_reason,"
                                       "voxflow_priority"}
        ok = await self._command(self.esl.setvar_multi(self.uuid, variables))
        if ok:
            ok = await self._command(self.esl.transfer(self.uuid, self.settings.handoff_extension,
                                                       self.settings.handoff_context))
        self.post(E.HandoffOutcome(request_id=action.request_id, ok=bool(ok),
                                   reason="" if ok else "the switch refused the transfer"))
        if ok:
            # The call has left the bot: stop streaming its audio (the socket then closes).
            await self._command(self.esl.audio_stream_stop(self.uuid))

    async def _hang_up(self) -> None:
        await self._command(self.esl.kill(self.uuid))


def beep(rate: int, hz: float = 800.0, ms: int = 250) -> bytes:
    """The record tone: a short sine with 10 ms fades (no click), then 100 ms of silence."""
    n = rate * ms // 1000
    fade = rate // 100
    out = bytearray()
    for i in range(n):
        gain = min(1.0, i / fade, (n - 1 - i) / fade)
        out += struct.pack("<h", int(8000 * gain * math.sin(2 * math.pi * hz * i / rate)))
    return bytes(out) + bytes(2 * rate // 10)


def read_wav(path: Path, rate: int) -> bytes:
    """L16 mono PCM of a WAV file at the call's rate (resampling comes with the speech pass)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, rate):
            raise ValueError(f"{path.name} is not 16-bit mono at {rate} Hz")
        return wav.readframes(wav.getnframes())
