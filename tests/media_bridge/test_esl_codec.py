"""The Event Socket codec, byte by byte: replies, api responses, plain events with URL-encoded
headers and bodies, incremental parsing, and every command voxflow sends."""

from __future__ import annotations

import pytest

from media_bridge import esl
from media_bridge import esl_codec as C

UUID = "0b1c1d2e-0000-4000-8000-000000000001"

DTMF_BODY = (b"Event-Name: DTMF\n"
             b"Core-UUID: 9f9e\n"
             b"Event-Date-Local: 2026-11-18%2015%3A00%3A00\n"
             b"Unique-ID: " + UUID.encode() + b"\n"
             b"DTMF-Digit: 7\n"
             b"DTMF-Duration: 2080\n"
             b"DTMF-Source: RTP\n"
             b"\n")
DTMF_WIRE = (b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(DTMF_BODY)
             + DTMF_BODY)

PLAY_JSON = '{"audioDataType":"raw","sampleRate":8000,"file":"/tmp/x_0.tmp.r8"}'
PLAY_BODY = (b"Event-Subclass: mod_audio_stream%3A%3Aplay\n"
             b"Event-Name: CUSTOM\n"
             b"Unique-ID: " + UUID.encode() + b"\n"
             b"variable_STREAM_EXTRA_HEADERS: %7B%22Authorization%22%3A%22Bearer%20t%22%7D\n"
             + f"Content-Length: {len(PLAY_JSON)}\n\n".encode() + PLAY_JSON.encode())
PLAY_WIRE = (b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(PLAY_BODY)
             + PLAY_BODY)


def parse_all(data: bytes, step: int | None = None) -> list[C.EslMessage]:
    parser = C.EslParser()
    if step is None:
        return parser.feed(data)
    out: list[C.EslMessage] = []
    for i in range(0, len(data), step):
        out += parser.feed(data[i:i + step])
    return out


# ---- parsing ---------------------------------------------------------------------------------


def test_auth_request_and_reply() -> None:
    [hello] = parse_all(b"Content-Type: auth/request\n\n")
    assert hello.content_type == "auth/request" and hello.body == b""
    [reply] = parse_all(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    assert reply.reply_text == "+OK accepted"


@pytest.mark.parametrize("step", [None, 1, 7])
def test_api_response_in_any_chunking(step: int | None) -> None:
    wire = b"Content-Type: api/response\nContent-Length: 12\n\n+OK Success\n"
    [message] = parse_all(wire, step)
    assert message.content_type == "api/response" and message.body == b"+OK Success\n"


def test_dtmf_event_headers_are_url_decoded() -> None:
    [message] = parse_all(DTMF_WIRE)
    event = C.parse_event_plain(message.body)
    assert (event.name, event.unique_id, event.get("DTMF-Digit")) == ("DTMF", UUID, "7")
    assert event.get("Event-Date-Local") == "2026-11-18 15:00:00"
    assert event.get("DTMF-Source") == "RTP" and event.body == ""


@pytest.mark.parametrize("step", [None, 1, 13])
def test_custom_event_with_a_body(step: int | None) -> None:
    [message] = parse_all(PLAY_WIRE, step)
    event = C.parse_event_plain(message.body)
    assert event.name == "CUSTOM" and event.subclass == "mod_audio_stream::play"
    assert event.body == PLAY_JSON
    assert event.get("variable_STREAM_EXTRA_HEADERS") == '{"Authorization":"Bearer t"}'


def test_several_messages_in_one_read() -> None:
    wire = (b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n"
            + DTMF_WIRE + b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n" + PLAY_WIRE)
    kinds = [m.content_type for m in parse_all(wire)]
    assert kinds == ["command/reply", "text/event-plain", "api/response", "text/event-plain"]


def test_disconnect_notice_byte_by_byte() -> None:
    assert C.disconnect_notice() == (
        b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
        b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")


@pytest.mark.parametrize("wire", [b"Content-Length: lots\n\n", b"no colon here\n\n",
                                  b"Content-Length: 99999999\n\n"])
def test_broken_framing_is_a_protocol_error(wire: bytes) -> None:
    with pytest.raises(C.EslProtocolError):
        parse_all(wire)


def test_an_endless_header_block_is_refused() -> None:
    with pytest.raises(C.EslProtocolError):
        C.EslParser().feed(b"X-Pad: " + b"x" * 70_000)


# ---- encoding (the stand-in's side) --------------------------------------------------------------


@pytest.mark.parametrize(("value", "encoded"), [
    ("mod_audio_stream::play", "mod_audio_stream%3A%3Aplay"),
    ("2026-11-18 15:00:00", "2026-11-18%2015%3A00%3A00"),
    ('{"a":1}', "%7B%22a%22%3A1%7D"),
    ("a/b.c-d_e,f!~", "a/b.c-d_e,f!~"),
    ("é\n", "%C3%A9%0A")])
def test_url_encode_like_the_switch(value: str, encoded: str) -> None:
    assert C.url_encode(value) == encoded


def test_event_plain_encoding_byte_by_byte() -> None:
    dtmf = C.encode_event_plain([("Event-Name", "DTMF"), ("Core-UUID", "9f9e"),
                                 ("Event-Date-Local", "2026-11-18 15:00:00"),
                                 ("Unique-ID", UUID), ("DTMF-Digit", "7"),
                                 ("DTMF-Duration", "2080"), ("DTMF-Source", "RTP")])
    assert dtmf == DTMF_WIRE
    play = C.encode_event_plain([("Event-Subclass", "mod_audio_stream::play"),
                                 ("Event-Name", "CUSTOM"), ("Unique-ID", UUID),
                                 ("variable_STREAM_EXTRA_HEADERS",
                                  '{"Authorization":"Bearer t"}')], PLAY_JSON)
    assert play == PLAY_WIRE


def test_replies_byte_by_byte() -> None:
    assert C.command_reply("+OK accepted") == (
        b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    assert C.command_reply("+OK Job-UUID: j1", [("Job-UUID", "j1")]) == (
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: j1\nJob-UUID: j1\n\n")
    assert C.api_response("+OK Message sent\n") == (
        b"Content-Type: api/response\nContent-Length: 17\n\n+OK Message sent\n")


# ---- commands (the client's side) ----------------------------------------------------------------


def test_the_subscription_puts_plain_events_before_custom() -> None:
    assert C.event_subscription(["CUSTOM", "DTMF", "CHANNEL_HANGUP_COMPLETE"],
                                ["mod_audio_stream::connect"]) == (
        "event plain DTMF CHANNEL_HANGUP_COMPLETE CUSTOM mod_audio_stream::connect")
    assert C.event_subscription(["DTMF"]) == "event plain DTMF"


def test_the_clients_subscription() -> None:
    client = esl.EslClient("127.0.0.1", 1, "ClueCon")
    assert client._subscription == (
        "event plain DTMF CHANNEL_HANGUP_COMPLETE PLAYBACK_START PLAYBACK_STOP CUSTOM "
        "mod_audio_stream::connect mod_audio_stream::disconnect mod_audio_stream::error "
        "mod_audio_stream::json mod_audio_stream::play")


def test_commands_byte_by_byte() -> None:
    assert C.encode_command("auth ClueCon") == b"auth ClueCon\n\n"
    assert C.uuid_audio_stream_start(UUID, "ws://127.0.0.1:8080/stream", 8000,
                                     '{"uuid":"u", "rate":8000}') == (
        f'uuid_audio_stream {UUID} start ws://127.0.0.1:8080/stream mono 8k '
        '{"uuid":"u", "rate":8000}')
    assert C.uuid_audio_stream_start(UUID, "ws://h/s", 16000) == (
        f"uuid_audio_stream {UUID} start ws://h/s mono 16k")
    assert C.uuid_audio_stream_stop(UUID) == f"uuid_audio_stream {UUID} stop"
    assert C.uuid_audio_stream_pause(UUID) == f"uuid_audio_stream {UUID} pause"
    assert C.uuid_audio_stream_resume(UUID) == f"uuid_audio_stream {UUID} resume"
    assert C.uuid_broadcast(UUID, "/tmp/x_0.tmp.r8") == (
        f"uuid_broadcast {UUID} /tmp/x_0.tmp.r8 aleg")
    assert C.uuid_break(UUID) == f"uuid_break {UUID} all"
    assert C.uuid_setvar(UUID, "voxflow_queue", "billing") == (
        f"uuid_setvar {UUID} voxflow_queue billing")
    assert C.uuid_setvar_multi(UUID, {"a": "1", "b": "two words"}) == (
        f"uuid_setvar_multi {UUID} a=1;b=two words")
    assert C.uuid_transfer(UUID, "to_queue", "default") == (
        f"uuid_transfer {UUID} to_queue XML default")
    assert C.uuid_kill(UUID) == f"uuid_kill {UUID}"
    assert C.uuid_kill(UUID, "NORMAL_TEMPORARY_FAILURE") == (
        f"uuid_kill {UUID} NORMAL_TEMPORARY_FAILURE")


def test_values_survive_the_switchs_string_splitting() -> None:
    assert C.plain_value("didn't pay; \"late\"\\\n again") == "didnt pay late again"
    assert C.uuid_setvar_multi(UUID, {"voxflow_reason": "a;b=c"}) == (
        f"uuid_setvar_multi {UUID} voxflow_reason=ab=c")


@pytest.mark.parametrize("build", [
    lambda: C.encode_command("api uuid_kill x\n\napi fsctl shutdown"),
    lambda: C.uuid_kill("a b"),
    lambda: C.uuid_broadcast(UUID, "/tmp/a file.wav"),
    lambda: C.uuid_setvar(UUID, "bad name", "x"),
    lambda: C.uuid_setvar_multi(UUID, {"x;y": "1"}),
    lambda: C.uuid_audio_stream_start(UUID, "ws://h/" + "x" * 5000, 8000),
    lambda: C.event_subscription(["DTMF CUSTOM"])])
def test_commands_cannot_be_smuggled(build: object) -> None:
    with pytest.raises(C.CommandError):
        build()  # type: ignore[operator]
