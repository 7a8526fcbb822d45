"""The mod_audio_stream wire format, both directions, with no I/O.

Facts from shared/design/freeswitch-protocols.md: FreeSWITCH is the WebSocket client; the first
message is the metadata as one text frame (none when no metadata was given); then binary frames
of raw signed 16-bit little-endian PCM, one codec packet each (320 bytes = 20 ms at 8 kHz mono,
640 at 16 kHz) or `STREAM_BUFFER_SIZE` ms chunks. Downstream, the community module takes
`streamAudio` JSON, writes it to a file and fires `mod_audio_stream::play` (it plays nothing
itself); forks inject audio directly instead. Everything here is pure so it is tested byte by
byte; the sockets are in `server.py` and `standin.py`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import wave
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SUPPORTED_RATES = (8000, 16000)  # what `uuid_audio_stream ... mono <8k|16k>` streams
SAMPLE_BYTES = 2  # L16
PACKET_MS = 20
METADATA_MAX_BYTES = 8192  # the module's own limit on the metadata argument
TEXT_MAX_BYTES = 8192  # later text frames (`send_text`, `stop <text>`) come from the same buffer

# WebSocket close codes (RFC 6455) a bridge answers protocol errors with.
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


# ---- errors: typed, each with the close code a server answers it with ---------------------------


class ProtocolError(Exception):
    """The peer broke the mod_audio_stream protocol; the call's stream must close."""

    close_code = CLOSE_POLICY
    kind = "protocol"


class BadMetadata(ProtocolError):
    kind = "bad-metadata"


class UnsupportedRate(ProtocolError):
    close_code = CLOSE_UNSUPPORTED
    kind = "unsupported-rate"


class OddLength(ProtocolError):
    close_code = CLOSE_INVALID_DATA
    kind = "odd-length"


class WrongFrameSize(ProtocolError):
    close_code = CLOSE_INVALID_DATA
    kind = "wrong-frame-size"


class FrameTooLarge(ProtocolError):
    close_code = CLOSE_TOO_BIG
    kind = "frame-too-large"


class RateExceeded(ProtocolError):
    kind = "rate-exceeded"


class BadEvent(ProtocolError):
    kind = "bad-event"


# ---- upstream: metadata and audio frames ---------------------------------------------------------


@dataclass(frozen=True)
class Metadata:
    """The first text frame. voxflow's own start command sends a JSON object with the channel's
    `uuid` and the stream `rate`; any other JSON fields are kept for the call (caller.*)."""

    raw: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    uuid: str = ""
    rate: int = 0  # 0: not declared (the deployment default applies)


UUID_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,63}")  # FreeSWITCH uuids, and no spaces


def parse_metadata(text: str) -> Metadata:
    if len(text.encode("utf-8")) > METADATA_MAX_BYTES:
        raise BadMetadata(f"metadata is over {METADATA_MAX_BYTES} bytes")
    try:
        data = json.loads(text)
    except ValueError:
        return Metadata(raw=text)  # free text is allowed by the module; it names no call
    if not isinstance(data, dict):
        return Metadata(raw=text)
    uuid = data.get("uuid", "")
    if uuid and not (isinstance(uuid, str) and UUID_RE.fullmatch(uuid)):
        raise BadMetadata("metadata `uuid` is not a channel uuid")
    rate = data.get("rate", 0)
    if rate and rate not in SUPPORTED_RATES:
        raise UnsupportedRate(f"sample rate {rate!r} is not 8000 or 16000")
    return Metadata(raw=text, fields=data, uuid=uuid, rate=int(rate))


def bytes_per_ms(rate: int) -> int:
    if rate not in SUPPORTED_RATES:
        raise UnsupportedRate(f"sample rate {rate!r} is not 8000 or 16000")
    return rate * SAMPLE_BYTES // 1000


def packet_bytes(rate: int, ms: int = PACKET_MS) -> int:
    return bytes_per_ms(rate) * ms


@dataclass(frozen=True)
class FrameLimits:
    """What one call's upstream may send. Defaults fit every observed FreeSWITCH stream: 20 ms
    packets with gaps up to ~45 ms, and `STREAM_BUFFER_SIZE` chunks up to 200 ms."""

    min_frame_ms: int = 10  # frames are whole multiples of this (10/20/30 ms packets, buffers)
    max_frame_ms: int = 200
    burst_ms: int = 1000  # audio a new stream may send ahead of real time (jitter)
    # ...and what it may send at once after its frames were held up: the switch paused, or
    # this process stalled and the frames queued in its socket (30 callers answering at once
    # stalled serve 2-4 s while it made grammar decoders, and closed their calls). A stream
    # behind real time catches up; one faster than real time from the start is still caught
    # within `burst_ms`, one that turns fast later within burst + catch-up.
    catch_up_ms: int = 10_000
    speed: float = 1.02  # allowed long-run rate vs. real time: clock drift, not 2x (16k as 8k)


class FrameGate:
    """Validates one call's binary frames: sizes, and audio not arriving faster than real time
    (a token bucket counted in bytes of audio). `check` runs for every 20 ms frame, so the common
    case is two comparisons and a little float arithmetic; the caller passes the clock."""

    __slots__ = ("_cap", "_credit", "_last", "_limit", "_packet", "_per_s", "_step")

    def __init__(self, rate: int, now: float, limits: FrameLimits | None = None) -> None:
        limits = limits or FrameLimits()
        per_ms = bytes_per_ms(rate)
        self._packet = per_ms * PACKET_MS
        self._step = per_ms * limits.min_frame_ms
        self._limit = per_ms * limits.max_frame_ms
        self._per_s = per_ms * 1000 * limits.speed
        self._credit = float(per_ms * limits.burst_ms)
        self._cap = self._credit + per_ms * limits.catch_up_ms
        self._last = now

    def check(self, size: int, now: float) -> None:
        if size != self._packet:
            self._check_size(size)
        credit = self._credit + (now - self._last) * self._per_s
        if credit > self._cap:
            credit = self._cap
        credit -= size
        if credit < 0:
            raise RateExceeded("audio is arriving faster than real time")
        self._credit = credit
        self._last = now

    def _check_size(self, size: int) -> None:
        if size > self._limit:
            raise FrameTooLarge(f"a {size}-byte frame is over the {self._limit}-byte limit")
        if size % SAMPLE_BYTES:
            raise OddLength(f"a {size}-byte frame does not hold whole 16-bit samples")
        if size == 0 or size % self._step:
            raise WrongFrameSize(f"a {size}-byte frame is not a multiple of {self._step} bytes")


def check_text(text: str) -> None:
    """A text frame after the metadata (`send_text`, `stop <text>`)."""
    if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
        raise FrameTooLarge(f"a text frame is over {TEXT_MAX_BYTES} bytes")


# ---- downstream: audio back to the caller --------------------------------------------------------


class PlaybackMode(StrEnum):
    """How audio reaches the caller; set per deployment to match its module build."""

    # Community module: `streamAudio` JSON -> a temp file and `::play` -> `uuid_broadcast`.
    # Works everywhere; playback starts ~200 ms after the broadcast.
    FILE = "file"
    # cloudfieldcz fork: binary PCM frames are injected; `{"type":"clearAudio"}` flushes.
    INJECT_BINARY = "inject-binary"
    # PR 118 style: `streamAudio` JSON is injected; a message with `"clear": true` flushes.
    INJECT_STREAM_AUDIO = "inject-stream-audio"


def _compact(data: Any) -> str:
    # The module parses with cJSON; compact output keeps 20 ms of audio small on the wire.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A canonical 44-byte RIFF/WAVE header (PCM, 16-bit) followed by the samples."""
    if len(pcm) % (SAMPLE_BYTES * channels):
        raise OddLength("PCM does not hold whole 16-bit frames")
    block = channels * SAMPLE_BYTES
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(pcm), b"WAVE", b"fmt ", 16,
                         1, channels, rate, rate * block, block, 16, b"data", len(pcm))
    return header + pcm


def wav_pcm(data: bytes) -> tuple[bytes, int]:
    """(samples, rate) of a 16-bit mono WAV file's bytes (what `wav_bytes` writes)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != SAMPLE_BYTES or wav.getnchannels() != 1:
            raise BadEvent("the WAV audio is not 16-bit mono")
        return wav.readframes(wav.getnframes()), wav.getframerate()


def stream_audio_message(pcm: bytes, rate: int, *, clear: bool = False) -> str:
    """`streamAudio` JSON for L16 mono PCM: raw at 8000/16000 (the module names those files
    .r8/.r16); any other rate goes as wav, because the module misreads its .r24/.r32 files."""
    if rate in SUPPORTED_RATES:
        kind, payload = "raw", pcm
    else:
        kind, payload = "wav", wav_bytes(pcm, rate)
    message: dict[str, Any] = {"type": "streamAudio", "data": {
        "audioDataType": kind, "sampleRate": rate,
        "audioData": base64.b64encode(payload).decode("ascii")}}
    if clear:
        message["clear"] = True
    return _compact(message)


CLEAR_AUDIO = _compact({"type": "clearAudio"})


def clear_message(mode: PlaybackMode, rate: int) -> str | None:
    """What flushes audio already sent, per mode (None: file mode uses `uuid_break`)."""
    if mode is PlaybackMode.INJECT_BINARY:
        return CLEAR_AUDIO
    if mode is PlaybackMode.INJECT_STREAM_AUDIO:
        return stream_audio_message(b"", rate, clear=True)
    return None


def parse_stream_audio(text: str) -> tuple[str, int, bytes, bool] | None:
    """(audioDataType, sampleRate, audio bytes, clear) of a `streamAudio` message, or None for
    any other text (the module turns that into a `::json` event). Used by the stand-in."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "streamAudio":
        return None
    body = data.get("data")
    if not isinstance(body, dict):
        raise BadEvent("streamAudio without data")
    kind = body.get("audioDataType", "")
    if kind not in ("raw", "wav", "mp3", "ogg", "pcmu", "pcma"):
        raise BadEvent(f"unsupported audioDataType {kind!r}")
    try:
        audio = base64.b64decode(body.get("audioData", ""), validate=True)
    except (ValueError, TypeError):
        raise BadEvent("audioData is not base64") from None
    return kind, int(body.get("sampleRate", 0) or 0), audio, bool(data.get("clear", False))


FILE_EXTENSIONS = {"wav": "wav", "mp3": "mp3", "ogg": "ogg", "pcmu": "pcmu", "pcma": "pcma"}


def file_extension(kind: str, rate: int) -> str:
    """The extension the module gives the temp file: .r8/.r16 for raw, else the type."""
    return f"r{rate // 1000}" if kind == "raw" else FILE_EXTENSIONS[kind]


# ---- mod_audio_stream::* events (ESL CUSTOM bodies) ----------------------------------------------

SUBCLASS_PREFIX = "mod_audio_stream::"
SUBCLASSES = tuple(SUBCLASS_PREFIX + s for s in ("connect", "disconnect", "error", "json", "play"))

ERROR_NAMES = {1: "IO", 2: "INVALID_HEADER", 3: "SERVER_MASKED", 4: "NOT_SUPPORTED",
               5: "PING_TIMEOUT", 6: "CONNECT_FAILED", 7: "TLS_INIT_FAILED",
               8: "SSL_HANDSHAKE_FAILED", 9: "SSL_ERROR", 10: "TIMEOUT", 11: "PROTOCOL"}


@dataclass(frozen=True)
class StreamConnected:
    pass


@dataclass(frozen=True)
class StreamDisconnected:
    """Fires only when the server closed the socket (not on `stop` or hang-up)."""

    code: int
    reason: str


@dataclass(frozen=True)
class StreamError:
    """The module closes the media bug after this one."""

    code: int
    error: str

    @property
    def name(self) -> str:
        return ERROR_NAMES.get(self.code, "UNKNOWN")


@dataclass(frozen=True)
class StreamJson:
    """A non-`streamAudio` text message from the server, verbatim."""

    text: str


@dataclass(frozen=True)
class StreamPlay:
    """The module wrote a `streamAudio` message to `file`; somebody must `uuid_broadcast` it."""

    audio_data_type: str
    sample_rate: int
    file: str

    @property
    def index(self) -> int | None:
        """The per-stream message counter in `<uuid>_<n>.tmp.<ext>` (0 for the first)."""
        match = PLAY_FILE_RE.search(self.file)
        return int(match.group(1)) if match else None


PLAY_FILE_RE = re.compile(r"_(\d+)\.tmp\.[A-Za-z0-9]+$")

StreamEvent = StreamConnected | StreamDisconnected | StreamError | StreamJson | StreamPlay


def parse_stream_event(subclass: str, body: str) -> StreamEvent:
    name = subclass.removeprefix(SUBCLASS_PREFIX)
    if subclass not in SUBCLASSES:
        raise BadEvent(f"not a mod_audio_stream event: {subclass!r}")
    if name == "json":
        return StreamJson(body)
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError
        if name == "connect":
            return StreamConnected()
        if name == "play":
            return StreamPlay(str(data["audioDataType"]), int(data["sampleRate"]),
                              str(data["file"]))
        message = data["message"]
        if name == "disconnect":
            return StreamDisconnected(int(message["code"]), str(message.get("reason", "")))
        return StreamError(int(message["code"]), str(message.get("error", "")))
    except (ValueError, KeyError, TypeError):
        raise BadEvent(f"malformed {subclass} body") from None


def connect_body() -> str:
    return _compact({"status": "connected"})


def disconnect_body(code: int, reason: str) -> str:
    return _compact({"status": "disconnected", "message": {"code": code, "reason": reason}})


def error_body(code: int, error: str) -> str:
    return _compact({"status": "error", "message": {"code": code, "error": error}})


def play_body(kind: str, rate: int, file: str) -> str:
    return _compact({"audioDataType": kind, "sampleRate": rate, "file": file})
