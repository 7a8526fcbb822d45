"""`MediaChannel`: the runtime's `Channel` for a phone call (one per call).

Actions become audio and Event Socket commands. Playback has three modes (`PlaybackMode`):

- file: a text prompt is sent as `streamAudio` messages, one per piece of audio (a cached
  prompt is one piece; a prompt synthesised live is one piece per sentence, sent as each is
  synthesised); the module writes each to `<tmp>/<uuid>_<n>.tmp.r8` and fires `::play`; the
  channel then `uuid_broadcast`s the files strictly in prompt order (a `Play(audio=...)` file
  is broadcast as it is), and the switch plays them back to back. A prompt ends at the
  PLAYBACK_STOP of its last file; barge-in is `uuid_break <uuid> all`, which ends it all.
- inject-binary / inject-stream-audio: PCM goes back over the WebSocket, paced a little ahead of
  real time, from the first sentence on; a prompt ends when its last sample is due; barge-in
  sends the fork's flush message. `Play(audio=...)` files are read locally (WAV, L16 mono at
  the call's rate).

Audio is made by one preparer task per call, a prompt at a time in prompt order (a later
prompt's synthesis waits for the earlier one's sentences); a barge-in cancels the synthesis
in progress, so no later sentence is made or played. Synthesizers without `stream` (see
`media_bridge.speech.sentences`) give the whole prompt as one piece.

In queue mode (`agent_link.py`) a hand-off goes to `take_handoff` instead of the dialplan and
the caller stays here: `play_pcm` plays their hold audio and announcements, `record` a voicemail.

All socket writes happen on one worker task per call, in order; `perform` only does bookkeeping
and queues work, so the session's event loop never waits on audio, and neither does the worker
(synthesis is the preparer's). Hang-up and handoff wait for the prompts before them to finish
(a goodbye is heard before `uuid_kill`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import struct
import wave
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from media_bridge import protocol as P
from media_bridge.esl import EslClient, EslUnavailable
from media_bridge.esl_codec import CommandError, EslEvent
from media_bridge.settings import BridgeSettings
from media_bridge.speech import SpeechInput, Synthesizer, sentences
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
class _Part:
    """File mode: one file of a prompt (a sentence, a whole cached prompt, a recording)."""

    index: int = -1  # the streamAudio counter whose `::play` names the file (-1: a given file)
    file: str = ""  # what to broadcast, once known
    deadline: float = 0.0  # when to stop waiting for `::play`
    broadcast: bool = False
    done: bool = False  # played, or given up on


@dataclass(eq=False)
class _Item:
    """One prompt (or hold audio, an announcement) from queued to finished."""

    playback_id: str
    complete: bool = False  # all its audio is in; until then more sentences may come
    parts: list[_Part] = field(default_factory=list)  # file mode, in playing order
    pcm: bytearray = field(default_factory=bytearray)  # injection: what came so far
    offset: int = 0  # injection: what was sent of `pcm`
    started: float = 0.0
    end: float = 0.0  # injection: when the last sample plays


# Makes a prompt's audio, piece by piece (`_Item` is filled as they come).
Pieces = Callable[[], AsyncIterator[bytes]]

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
        # The preparer: prompts whose audio is still to be made, in order, and the one being
        # made now (cancelled when that prompt is stopped).
        self._to_prepare: deque[tuple[_Item, Pieces]] = deque()
        self._prepare_wake = asyncio.Event()
        self._preparer: asyncio.Task[None] | None = None
        self._preparing: tuple[_Item, asyncio.Task[None]] | None = None
        self.played: list[str] = []  # playback ids that finished (for tests and the log)
        self.commands_failed = 0

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._worker = asyncio.ensure_future(self._work())
        self._preparer = asyncio.ensure_future(self._prepare_in_order())

    async def close(self) -> None:
        tasks = {t for t in (self._worker, self._preparer) if t is not None}
        if self._preparing is not None:
            tasks.add(self._preparing[1])
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
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
            found = self._broadcast_part(event.get("Playback-File-Path"))
            if found is not None and not found[0].started:
                found[0].started = self._now()
        elif event.name == "PLAYBACK_STOP":
            found = self._broadcast_part(event.get("Playback-File-Path"))
            if found is not None:
                self._part_stopped(*found, broken=event.get("Playback-Status") == "break")
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
        if action.audio and action.audio != BEEP and self.mode is P.PlaybackMode.FILE:
            audio = action.audio

            async def given_file() -> None:
                # A file on the switch: nothing to make. Known on the worker, in turn, so a
                # barge-in's `uuid_break` queued before it cannot cut it.
                if item in self._pending:
                    item.parts.append(_Part(file=audio))
                await self._complete(item)

            self._enqueue(given_file)
            return
        self._to_prepare.append((item, lambda: self._pieces(action)))
        self._prepare_wake.set()

    async def _pieces(self, action: A.Play) -> AsyncIterator[bytes]:
        """A Play's audio: a sentence at a time where the synthesizer streams, else whole."""
        pause = bytes(P.bytes_per_ms(self.rate) * action.pause_ms)
        if action.audio == BEEP:
            yield beep(self.rate)
            return
        if action.audio:
            yield read_wav(self._audio_path(action.audio), self.rate) + pause
            return
        if action.text:
            async with contextlib.aclosing(sentences(
                    self.synth, action.text, rate=self.rate, language=action.language,
                    voice=action.voice)) as pieces:
                async for pcm in pieces:
                    yield pcm
        if pause:
            yield pause  # its own piece: the sentences before it were not held back for it

    def _audio_path(self, name: str) -> Path:
        path = Path(name)
        root = self.settings.audio_root
        if root is not None and not path.is_absolute():
            path = root / path
        return path

    # ---- the preparer -------------------------------------------------------------------------
    async def _prepare_in_order(self) -> None:
        """Make the prompts' audio one prompt at a time, in prompt order."""
        while True:
            while self._to_prepare:
                item, pieces = self._to_prepare.popleft()
                if item not in self._pending:
                    continue  # stopped before its turn
                task = asyncio.ensure_future(self._prepare(item, pieces))
                self._preparing = (item, task)
                try:
                    # wait(), not await: a barge-in cancels `task`, not the preparer.
                    await asyncio.wait({task})
                finally:
                    self._preparing = None
            self._prepare_wake.clear()
            await self._prepare_wake.wait()

    async def _prepare(self, item: _Item, pieces: Pieces) -> None:
        """Hand each piece to the worker as it is made; then mark the prompt complete."""
        try:
            async with contextlib.aclosing(pieces()) as made:
                async for pcm in made:
                    if item not in self._pending:
                        return  # stopped meanwhile: nothing more of it is made or sent
                    if pcm:
                        self._enqueue(lambda pcm=pcm: self._send_part(item, pcm))
        except Exception as exc:  # a broken voice or file must not end the call
            log.warning("prompt audio unavailable", extra={"call": self.uuid,
                                                            "playback": item.playback_id,
                                                            "error": type(exc).__name__})
        self._enqueue(lambda: self._complete(item))  # what was made before a failure plays

    # ---- the prompt's audio, on the worker ----------------------------------------------------
    async def _send_part(self, item: _Item, pcm: bytes) -> None:
        """A piece of the prompt: one streamAudio message (file mode) or more PCM to pace."""
        if item not in self._pending:
            return  # stopped after it was made
        if self.mode is P.PlaybackMode.FILE:
            item.parts.append(_Part(index=self._stream_count,
                                    deadline=self._now() + self.settings.play_file_timeout_s))
            self._stream_count += 1
            await self.sink.send_str(P.stream_audio_message(pcm, self.rate))
        else:
            item.pcm += pcm

    async def _complete(self, item: _Item) -> None:
        item.complete = True
        if self.mode is P.PlaybackMode.FILE:
            self._finish_if_played(item)  # nothing made, or every file already played
            await self._pump_broadcasts()  # the next prompt's files may go now

    async def _send_pcm(self, item: _Item, pcm: bytes) -> None:
        """Ready audio, whole (hold audio, an announcement)."""
        if pcm:
            await self._send_part(item, pcm)
        await self._complete(item)

    def _file_ready(self, play: P.StreamPlay) -> None:
        index = play.index
        parts = [p for i in self._pending for p in i.parts if p.index >= 0 and not p.done]
        part = next((p for p in parts if p.index == index and index is not None), None)
        if part is None:
            part = next((p for p in parts if not p.file), None)
        if part is None or (index is not None and index in self._cancelled_indices):
            return  # stopped by a barge-in before its file was written
        part.file = play.file
        self._enqueue(self._pump_broadcasts)

    async def _pump_broadcasts(self) -> None:
        """Broadcast ready files in prompt order; stop at the first one still being written or
        still being synthesised (the switch plays broadcasts back to back, in order)."""
        for item in list(self._pending):
            for part in item.parts:
                if item not in self._pending:
                    break  # stopped while a broadcast was being sent
                if part.broadcast or part.done:
                    continue
                if not part.file:
                    return
                part.broadcast = True
                reply = await self._command(self.esl.broadcast(self.uuid, part.file))
                if not reply:
                    part.done = True
                    self._finish_if_played(item)
            if item in self._pending and not item.complete:
                return  # more of this prompt is coming: nothing after it may start before it

    def _broadcast_part(self, path: str) -> tuple[_Item, _Part] | None:
        return next(((i, p) for i in self._pending for p in i.parts
                     if p.broadcast and not p.done and p.file == path), None)

    def _part_stopped(self, item: _Item, part: _Part, broken: bool) -> None:
        part.done = True
        if broken:  # `uuid_break ... all` drops the files queued after it too
            self._cancel_parts(item)
            self._finish(item, interrupted=True)
        else:
            self._finish_if_played(item)

    def _finish_if_played(self, item: _Item) -> None:
        if item.complete and all(p.done for p in item.parts):
            self._finish(item, interrupted=False)

    def _cancel_parts(self, item: _Item) -> None:
        """Files sent but not yet written: their `::play` must not be broadcast later."""
        for part in item.parts:
            if part.index >= 0 and not part.file:
                self._cancelled_indices.add(part.index)

    def _stop_playback(self) -> None:
        """Barge-in: every queued prompt ends now (interrupted); the switch is told after."""
        was_broadcast = any(p.broadcast for i in self._pending for p in i.parts)
        sent = self._sent_until > self._now()
        for item in list(self._pending):
            self._cancel_parts(item)
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
        if self._preparing is not None and self._preparing[0] is item:
            self._preparing[1].cancel()  # its later sentences are not made
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
                    log.debug("media write failed", extra={"call": self.uuid,
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
        if self.mode is P.PlaybackMode.FILE:
            return self._files_overdue()
        now = self._now()
        delays: list[float] = []
        lead = self.settings.inject_lead_ms / 1000
        chunk = P.bytes_per_ms(self.rate) * self.settings.inject_chunk_ms
        for item in list(self._pending):
            if item.end:  # all of it sent: it ends when its last sample plays
                if now >= item.end:
                    self._finish(item, interrupted=False)
                else:
                    delays.append(item.end - now)
                continue
            if not item.complete and item.offset >= len(item.pcm):
                break  # its next sentence is being synthesised; later prompts wait their turn
            if self._sent_until < now:
                self._sent_until = now  # the caller heard silence since the last audio
            if not item.started:
                item.started = self._sent_until
            while item.offset < len(item.pcm) and self._sent_until < now + lead:
                part = bytes(item.pcm[item.offset:item.offset + chunk])
                await self._send_audio(part)
                item.offset += len(part)
                self._sent_until += len(part) / self._bytes_per_s
            if item.offset < len(item.pcm):
                delays.append(self._sent_until - lead - now)
                break
            if not item.complete:
                break  # sent all there is so far; the worker wakes when more comes
            item.end = max(self._sent_until, now + 0.001)
            delays.append(item.end - now)
        return min(delays) if delays else None

    def _files_overdue(self) -> float | None:
        """File mode: a file whose `::play` never came is given up on (the prompt goes on
        without it). Returns how long until the next such deadline."""
        now = self._now()
        delays: list[float] = []
        for item in list(self._pending):
            for part in item.parts:
                if part.index < 0 or part.file or part.done:
                    continue
                if now >= part.deadline:
                    log.warning("no ::play for a prompt", extra={"call": self.uuid})
                    self._cancelled_indices.add(part.index)
                    part.done = True
                    self._finish_if_played(item)
                    self._enqueue(self._pump_broadcasts)  # the files after it may go
                else:
                    delays.append(part.deadline - now)
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
