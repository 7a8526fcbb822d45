"""The stand-in's mod_audio_stream face: the WebSocket client FreeSWITCH runs per channel.

Faithful to what was observed on FreeSWITCH 1.10.12 with mod_audio_stream ec2a781: GET upgrade
with `Origin: http://<host>:<port>`, no subprotocol, no extensions, the extra headers from
`STREAM_EXTRA_HEADERS`; the metadata as the first text frame (none without metadata); `mono`
frames of 20 ms (320 bytes at 8k, 640 at 16k) in real time, silence included, or
`STREAM_BUFFER_SIZE` ms chunks; `mixed`/`stereo` send nothing while nothing plays. `stop <text>`
sends the text then closes 1000; `::disconnect` fires only when the server closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from media_bridge import protocol as P

if TYPE_CHECKING:
    from media_bridge.standin import StandInCall, StandInSwitch

RAW_RATES = (8000, 16000, 24000, 32000, 48000, 64000)  # the module's .r8 ... .r64 files
LATE_S = 0.02  # a frame a whole frame late


class StandInStream:
    def __init__(self, switch: StandInSwitch, call: StandInCall, url: str, mix: str, rate: int,
                 metadata: str) -> None:
        self.switch, self.call = switch, call
        self.url, self.mix, self.rate, self.metadata = url, mix, rate, metadata
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.paused = False
        self.closed = False
        self.sent_frames = 0
        self.late_frames = 0  # frames sent more than LATE_S after their slot
        self.received_text: list[str] = []
        self.refused_status = 0  # HTTP status when the upgrade was refused
        self.close_code: int | None = None
        self.close_reason = ""
        self._files = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def wait_closed(self, timeout: float = 5.0) -> None:
        if self._task is not None:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    # ---- commands (uuid_audio_stream <uuid> stop|pause|resume|send_text) --------------------
    async def stop(self, text: str = "") -> None:
        self._stopping = True
        ws = self.ws
        if ws is not None and not ws.closed:
            if text:
                await ws.send_str(text)
            await ws.close(code=P.CLOSE_NORMAL, message=b"Normal closure")
        self.closed = True

    async def send_text(self, text: str) -> None:
        ws = self.ws
        if ws is not None and not ws.closed:  # after the server closed: silently dropped
            await ws.send_str(text)

    async def send_raw(self, data: bytes | str) -> None:
        """Tests only: put anything on the wire (garbage, oversized frames)."""
        ws = self.ws
        if ws is not None and not ws.closed:
            if isinstance(data, str):
                await ws.send_str(data)
            else:
                await ws.send_bytes(data)

    # ---- the connection -------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        parts = urlsplit(self.url)
        headers = {"Origin": f"http://{parts.hostname}:{parts.port or 80}"}
        extra = self.call.variables.get("STREAM_EXTRA_HEADERS", "")
        if extra:
            with contextlib.suppress(ValueError):
                data = json.loads(extra)
                if isinstance(data, dict):
                    headers.update({k: v for k, v in data.items() if isinstance(v, str)})
        return headers

    async def _run(self) -> None:
        heartbeat = float(self.call.variables.get("STREAM_HEART_BEAT", "0") or 0) or None
        try:
            ws = await self.switch.http.ws_connect(
                self.url, headers=self._headers(), protocols=(), compress=0,
                heartbeat=heartbeat, autoping=True, max_msg_size=16 * 1024 * 1024,
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0))
        except aiohttp.WSServerHandshakeError as exc:
            self.refused_status = exc.status
            # Not pinned down on a real switch: the upgrade answer is not 101.
            self._gone(P.error_body(2, f"HTTP {exc.status}"), "error")
            return
        except (aiohttp.ClientError, OSError) as exc:
            self._gone(P.error_body(6, f"Connection refused ({type(exc).__name__})"), "error")
            return
        self.ws = ws
        self.switch.fire_stream_event(self.call, "connect", P.connect_body())
        sender = None
        reason = ""
        try:
            if self.metadata:
                await ws.send_str(self.metadata)
            sender = asyncio.ensure_future(self._send_audio(ws))
            while True:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT:
                    self._downstream_text(msg.data)
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    self._downstream_binary(msg.data)
                else:
                    if msg.type is aiohttp.WSMsgType.CLOSE:
                        reason = msg.extra or ""
                    break
        finally:
            if sender is not None:
                sender.cancel()
            if not ws.closed:
                await ws.close()
            self.close_code = ws.close_code
            self.close_reason = reason
            self.closed = True
            if not self._stopping and not self.call.hung_up:
                self._gone(P.disconnect_body(ws.close_code or 1006, reason), "disconnect")

    def _gone(self, body: str, kind: str) -> None:
        self.closed = True
        self.switch.fire_stream_event(self.call, kind, body)
        if kind == "error" and self.call.stream is self:
            # An error closes the media bug. After a server close it stays attached: a later
            # `send_text` answers +OK and is dropped.
            self.call.stream = None

    async def _send_audio(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Real-time frames on an absolute schedule (no drift), first one 20 ms after open."""
        buffer_ms = int(self.call.variables.get("STREAM_BUFFER_SIZE", "20") or 20)
        buffer_ms = max(20, buffer_ms - buffer_ms % 20)
        size = P.bytes_per_ms(self.rate) * buffer_ms
        loop = asyncio.get_running_loop()
        start = loop.time()
        tick = 0
        while not ws.closed:
            tick += 1
            due = start + tick * buffer_ms / 1000
            await asyncio.sleep(max(0.0, due - loop.time()))
            if loop.time() - due > LATE_S:
                self.late_frames += 1  # the sender fell behind (a loaded load generator)
            if self.paused or ws.closed:
                continue
            if self.mix != "mono" and not self.call.playing:
                continue  # observed: mixed/stereo stream nothing while nothing is played
            frame = self.call.caller_audio(size)
            if self.mix == "stereo":
                frame = _interleave(frame, bytes(len(frame)))
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_bytes(frame)
                self.sent_frames += 1

    # ---- downstream, per module build ------------------------------------------------------------
    def _downstream_text(self, text: str) -> None:
        self.received_text.append(text)
        flavour = self.switch.flavour
        try:
            audio = P.parse_stream_audio(text)
        except P.BadEvent:
            audio = None  # the module logs it and passes the text on as ::json
        if audio is None:
            if flavour == "cloudfieldcz" and _is_clear_audio(text):
                self.call.clear_injected()
            self.switch.fire_stream_event(self.call, "json", text)
            return
        kind, rate, data, clear = audio
        if flavour == "pr118":
            if clear:
                self.call.clear_injected()
            if data:
                self.call.inject(data, rate or self.rate)
            return
        if kind == "raw" and rate not in RAW_RATES:
            self.switch.fire_stream_event(self.call, "json", text)
            return
        path = Path(self.switch.temp_dir) / (
            f"{self.call.uuid}_{self._files}.tmp.{P.file_extension(kind, rate)}")
        self._files += 1
        path.write_bytes(data)
        self.call.temp_files.append(path)
        pcm, pcm_rate = (data, rate) if kind == "raw" else P.wav_pcm(data)
        self.call.heard(pcm, pcm_rate, "file")
        self.switch.fire_stream_event(self.call, "play", P.play_body(kind, rate, str(path)))

    def _downstream_binary(self, data: bytes) -> None:
        if self.switch.flavour == "cloudfieldcz":
            self.call.inject(data, self.rate)
        # The community module ignores binary frames from the server.


def _is_clear_audio(text: str) -> bool:
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        return isinstance(data, dict) and data.get("type") == "clearAudio"
    return False


def _interleave(left: bytes, right: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(left), 2):
        out += left[i:i + 2] + right[i:i + 2]
    return bytes(out)
