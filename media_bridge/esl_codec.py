"""FreeSWITCH's Event Socket wire format, both directions, with no I/O.

A message is a block of `Name: value` lines ended by a blank line, then `Content-Length` bytes
of body when that header is present. Replies come in command order: `command/reply` (with
`Reply-Text`) for socket commands, `api/response` (the command's output as the body) for `api`.
Events in plain format are `text/event-plain` messages whose body is itself a header block with
URL-encoded values, then the event's own body after `Content-Length` (mod_audio_stream's JSON).
The client (`esl.py`) and the stand-in switch (`standin.py`) both use this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

MAX_HEADER_BYTES = 64 * 1024  # an event with every channel variable is a few KiB
MAX_BODY_BYTES = 4 * 1024 * 1024

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
DISCONNECT_TEXT = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
# What mod_event_socket sends, instead of auth/request, to an address its apply-inbound-acl
# refuses (then a disconnect notice).
RUDE_REJECTION = "text/rude-rejection"
REJECTION_TEXT = "Access Denied, go away.\n"

# switch_url_encode leaves everything printable except these (SWITCH_URL_UNSAFE).
URL_UNSAFE = frozenset('\r\n #%&+:;<=>?@[\\]^`{|}"')


class EslProtocolError(Exception):
    """The peer sent something that is not the Event Socket protocol."""


class CommandError(ValueError):
    """A command argument would break the one-line command format (newline, space in a uuid)."""


@dataclass(frozen=True)
class EslMessage:
    headers: dict[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        return self.headers.get("Reply-Text", "")


@dataclass(frozen=True)
class EslEvent:
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")

    @property
    def subclass(self) -> str:
        return self.headers.get("Event-Subclass", "")

    @property
    def unique_id(self) -> str:
        return self.headers.get("Unique-ID", "")

    def get(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


def _header_lines(block: bytes, decode_values: bool) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw in block.decode("utf-8", errors="replace").split("\n"):
        line = raw.rstrip("\r")
        if not line:
            continue
        name, sep, value = line.partition(": ")
        if not sep:
            name, sep, value = line.partition(":")
            if not sep:
                raise EslProtocolError("a header line without a colon")
        headers[name] = unquote(value) if decode_values else value
    return headers


class EslParser:
    """Incremental: `feed` bytes as they arrive, get whole messages back."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pending: dict[str, str] | None = None
        self._length = 0

    def feed(self, data: bytes) -> list[EslMessage]:
        self._buf += data
        out: list[EslMessage] = []
        while True:
            if self._pending is None:
                end = self._buf.find(b"\n\n")
                if end < 0:
                    if len(self._buf) > MAX_HEADER_BYTES:
                        raise EslProtocolError("a header block over 64 KiB")
                    return out
                headers = _header_lines(bytes(self._buf[:end]), decode_values=False)
                del self._buf[:end + 2]
                length = _content_length(headers)
                if not length:
                    out.append(EslMessage(headers))
                    continue
                self._pending, self._length = headers, length
            if len(self._buf) < self._length:
                return out
            body = bytes(self._buf[:self._length])
            del self._buf[:self._length]
            out.append(EslMessage(self._pending, body))
            self._pending = None


def _content_length(headers: Mapping[str, str]) -> int:
    value = headers.get("Content-Length", "0")
    if not value.isdigit():
        raise EslProtocolError("Content-Length is not a number")
    length = int(value)
    if length > MAX_BODY_BYTES:
        raise EslProtocolError("a body over 4 MiB")
    return length


def parse_event_plain(body: bytes) -> EslEvent:
    """The body of a `text/event-plain` message: URL-encoded headers, then the event body."""
    end = body.find(b"\n\n")
    block, rest = (body, b"") if end < 0 else (body[:end], body[end + 2:])
    headers = _header_lines(block, decode_values=True)
    text = ""
    if "Content-Length" in headers:
        text = rest[:_content_length(headers)].decode("utf-8", errors="replace")
    return EslEvent(headers, text)


# ---- encoding (the switch's side, used by the stand-in) ------------------------------------------


def url_encode(value: str) -> str:
    """switch_url_encode: unsafe ASCII and every non-ASCII byte become %XX (upper case)."""
    out = []
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if byte < 32 or byte > 126 or ch in URL_UNSAFE:
            out.append(f"%{byte:02X}")
        else:
            out.append(ch)
    return "".join(out)


def encode_message(headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{name}: {value}\n" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}\n")
    return ("".join(lines) + "\n").encode("utf-8") + body


def encode_event_plain(headers: Iterable[tuple[str, str]], body: str = "") -> bytes:
    """A whole `text/event-plain` message, as switch_event_serialize and mod_event_socket
    write it: values URL-encoded; the event body after its own Content-Length."""
    text = "".join(f"{name}: {url_encode(value)}\n" for name, value in headers)
    raw_body = body.encode("utf-8")
    if raw_body:
        inner = text.encode("utf-8") + f"Content-Length: {len(raw_body)}\n\n".encode() + raw_body
    else:
        inner = (text + "\n").encode("utf-8")
    return (f"Content-Length: {len(inner)}\nContent-Type: text/event-plain\n\n"
            ).encode() + inner


def command_reply(text: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    return encode_message([("Content-Type", "command/reply"), ("Reply-Text", text), *extra])


def api_response(text: str) -> bytes:
    return (f"Content-Type: api/response\nContent-Length: {len(text.encode())}\n\n"
            ).encode() + text.encode("utf-8")


def disconnect_notice() -> bytes:
    return encode_message([("Content-Type", "text/disconnect-notice")], DISCONNECT_TEXT.encode())


def rude_rejection() -> bytes:
    return encode_message([("Content-Type", RUDE_REJECTION)], REJECTION_TEXT.encode())


# ---- commands (the client's side) ----------------------------------------------------------------

TOKEN_RE = re.compile(r"\S+")
VAR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def encode_command(line: str) -> bytes:
    """One command: a newline inside it would end it early and start another (injection)."""
    if "\n" in line or "\r" in line:
        raise CommandError("a command must be one line")
    return (line + "\n\n").encode("utf-8")


def _token(value: str, what: str) -> str:
    if not TOKEN_RE.fullmatch(value):
        raise CommandError(f"{what} must be one word")
    return value


def event_subscription(events: Iterable[str], subclasses: Iterable[str] = ()) -> str:
    """`event plain A B CUSTOM x::y ...`: every word after CUSTOM is taken as a subclass, so the
    plain event names must come first (`CUSTOM ... DTMF` would silently drop DTMF)."""
    names = [_token(e, "an event name") for e in events if e != "CUSTOM"]
    subs = [_token(s, "a subclass") for s in subclasses]
    return " ".join(["event plain", *names, *(["CUSTOM", *subs] if subs else [])])


def rate_word(rate: int) -> str:
    return {8000: "8k", 16000: "16k"}.get(rate, str(rate))


def uuid_audio_stream_start(uuid: str, url: str, rate: int, metadata: str = "",
                            mix: str = "mono") -> str:
    """Metadata is the rest of the line (JSON with spaces is fine); ≤ 8192 bytes, URL ≤ 4096."""
    if len(url) > 4096 or len(metadata.encode()) > 8192:
        raise CommandError("stream URL or metadata too long")
    parts = ["uuid_audio_stream", _token(uuid, "uuid"), "start", _token(url, "the URL"),
             _token(mix, "mix"), rate_word(rate)]
    return " ".join(parts + ([metadata] if metadata else []))


def uuid_audio_stream_stop(uuid: str, text: str = "") -> str:
    """`stop [text]`: the text is sent as a last frame; keep it free of spaces and quotes."""
    return " ".join(["uuid_audio_stream", _token(uuid, "uuid"), "stop"]
                    + ([_token(text, "stop text")] if text else []))


def uuid_audio_stream_pause(uuid: str) -> str:
    """`pause`: the module stops sending frames; the WebSocket stays open (`resume` goes on)."""
    return f"uuid_audio_stream {_token(uuid, 'uuid')} pause"


def uuid_audio_stream_resume(uuid: str) -> str:
    return f"uuid_audio_stream {_token(uuid, 'uuid')} resume"


def uuid_broadcast(uuid: str, path: str, leg: str = "aleg") -> str:
    return f"uuid_broadcast {_token(uuid, 'uuid')} {_token(path, 'the file')} {leg}"


def uuid_break(uuid: str) -> str:
    return f"uuid_break {_token(uuid, 'uuid')} all"


def uuid_setvar(uuid: str, name: str, value: str) -> str:
    if not VAR_NAME_RE.fullmatch(name):
        raise CommandError("a variable name is letters, digits and _")
    return f"uuid_setvar {_token(uuid, 'uuid')} {name} {plain_value(value)}"


def uuid_setvar_multi(uuid: str, variables: Mapping[str, str]) -> str:
    pairs = []
    for name, value in variables.items():
        if not VAR_NAME_RE.fullmatch(name):
            raise CommandError("a variable name is letters, digits and _")
        pairs.append(f"{name}={plain_value(value)}")
    return f"uuid_setvar_multi {_token(uuid, 'uuid')} {';'.join(pairs)}"


def plain_value(value: str) -> str:
    """A channel variable value that survives switch_separate_string: `;` separates pairs, `'`
    quotes and `\\` escapes, so those go; whitespace (newlines too) folds to one space."""
    cleaned = "".join(" " if ch.isspace() else ch for ch in value if ch not in ";'\\\"")
    return " ".join(cleaned.split())


def uuid_transfer(uuid: str, exten: str, context: str, dialplan: str = "XML") -> str:
    return (f"uuid_transfer {_token(uuid, 'uuid')} {_token(exten, 'extension')} "
            f"{_token(dialplan, 'dialplan')} {_token(context, 'context')}")


def uuid_kill(uuid: str, cause: str = "") -> str:
    return " ".join(["uuid_kill", _token(uuid, "uuid")] + ([_token(cause, "cause")] if cause
                                                            else []))
