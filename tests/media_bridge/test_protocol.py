"""The mod_audio_stream codec, byte by byte: metadata, frames, limits, downstream messages in
every playback mode, and every `mod_audio_stream::*` event body."""

from __future__ import annotations

import base64
import io
import json
import wave

import pytest

from media_bridge import protocol as P

# ---- metadata ---------------------------------------------------------------------------------


def test_metadata_json_names_the_call_and_rate() -> None:
    meta = P.parse_metadata('{"uuid":"0b1c-77","rate":16000,"caller":"+15550100","leg":"A"}')
    assert (meta.uuid, meta.rate) == ("0b1c-77", 16000)
    assert meta.fields["leg"] == "A"


def test_metadata_as_observed_is_kept_verbatim() -> None:
    meta = P.parse_metadata('{"k":"v","leg":"A"}')
    assert meta.raw == '{"k":"v","leg":"A"}' and meta.uuid == "" and meta.rate == 0


def test_free_text_metadata_names_no_call() -> None:
    assert P.parse_metadata("hello there") == P.Metadata(raw="hello there")


@pytest.mark.parametrize("rate", [44100, 8001, "8k"])
def test_metadata_with_an_unsupported_rate_is_refused(rate: object) -> None:
    with pytest.raises(P.UnsupportedRate) as err:
        P.parse_metadata(json.dumps({"uuid": "abc", "rate": rate}))
    assert err.value.close_code == 1003


@pytest.mark.parametrize("uuid", ["a b", "x\n", "", 12])
def test_metadata_uuid_must_be_one_word(uuid: object) -> None:
    if uuid == "":
        assert P.parse_metadata('{"uuid":""}').uuid == ""
        return
    with pytest.raises(P.BadMetadata):
        P.parse_metadata(json.dumps({"uuid": uuid}))


def test_metadata_over_8192_bytes_is_refused() -> None:
    with pytest.raises(P.BadMetadata):
        P.parse_metadata(json.dumps({"pad": "x" * 8200}))


# ---- frames -------------------------------------------------------------------------------------


def test_packet_sizes() -> None:
    assert P.packet_bytes(8000) == 320 and P.packet_bytes(16000) == 640
    assert P.packet_bytes(8000, 100) == 1600  # STREAM_BUFFER_SIZE=100
    with pytest.raises(P.UnsupportedRate):
        P.packet_bytes(11025)


@pytest.mark.parametrize(("rate", "size"), [(8000, 320), (8000, 160), (8000, 480),
                                            (8000, 1600), (8000, 3200), (16000, 640),
                                            (16000, 3200), (16000, 6400)])
def test_frames_of_whole_packets_pass(rate: int, size: int) -> None:
    P.FrameGate(rate, 0.0).check(size, 0.0)


@pytest.mark.parametrize(("size", "error", "code"), [
    (321, P.OddLength, 1007), (1, P.OddLength, 1007),
    (100, P.WrongFrameSize, 1007), (0, P.WrongFrameSize, 1007), (322, P.WrongFrameSize, 1007),
    (3202, P.FrameTooLarge, 1009), (65536, P.FrameTooLarge, 1009)])
def test_bad_frames_give_typed_errors(size: int, error: type[P.ProtocolError], code: int) -> None:
    with pytest.raises(error) as err:
        P.FrameGate(8000, 0.0).check(size, 0.0)
    assert err.value.close_code == code


def test_a_real_time_stream_with_jitter_never_trips_the_rate_limit() -> None:
    gate = P.FrameGate(8000, 0.0)
    now = 0.0
    for i in range(30_000):  # ten minutes of 20 ms frames; every 7th arrives 25 ms late
        arrival = now + (0.025 if i % 7 == 0 else 0.0)
        gate.check(320, arrival)
        now += 0.02


def test_16k_audio_on_an_8k_stream_is_caught_within_the_burst() -> None:
    gate = P.FrameGate(8000, 0.0)
    with pytest.raises(P.RateExceeded) as err:
        for i in range(100):
            gate.check(640, i * 0.02)  # twice the bytes the rate allows
    assert err.value.close_code == 1008


def test_frames_held_up_by_a_stall_of_ours_pass_when_they_come_at_once() -> None:
    # serve's loop stalled 3 s (30 callers answering at once made grammar decoders): the
    # frames mod_audio_stream sent meanwhile queued in the socket and are read in a burst.
    # 8 kHz frames are 320 bytes. Closing the call for it dropped every call of the process.
    gate = P.FrameGate(8000, 0.0)
    now = 0.0
    for _ in range(50):
        now += 0.02
        gate.check(320, now)
    now += 3.0
    for _ in range(150):  # the stall's 3 s of frames, read in the same instant
        gate.check(320, now)
    for _ in range(500):  # then real time again, with no credit to spare
        now += 0.02
        gate.check(320, now)


def test_after_a_pause_no_more_than_the_time_that_passed_may_come_at_once() -> None:
    gate = P.FrameGate(8000, 0.0)
    with pytest.raises(P.RateExceeded):  # 3 s quiet, then 5 s of audio (1 s burst + 3 s)
        for _ in range(250):
            gate.check(320, 3.0)
    gate = P.FrameGate(8000, 0.0)
    with pytest.raises(P.RateExceeded):  # owed time is capped: an hour's pause buys 10 s
        for _ in range(600):
            gate.check(320, 3600.0)


def test_a_stream_that_turns_twice_real_time_later_is_caught_within_its_catch_up() -> None:
    gate = P.FrameGate(8000, 0.0)
    now = 0.0
    for _ in range(30_000):  # ten minutes of real time: the 2 % drift allowance fills the
        now += 0.02          # catch-up (after one minute, 2.2 s would be allowed)
        gate.check(320, now)
    sent_fast = 0.0
    with pytest.raises(P.RateExceeded):
        while sent_fast < 20.0:
            now += 0.02
            gate.check(640, now)
            sent_fast += 0.02
    assert 10.5 < sent_fast < 11.5  # burst + catch-up: 11 s of audio ahead, at most


def test_twice_real_time_is_caught_after_a_stall_too() -> None:
    gate = P.FrameGate(8000, 0.0)
    for _ in range(150):
        gate.check(320, 3.0)
    with pytest.raises(P.RateExceeded):
        for i in range(200):
            gate.check(640, 3.0 + i * 0.02)


def test_a_flood_is_caught_at_once() -> None:
    gate = P.FrameGate(8000, 0.0, P.FrameLimits(burst_ms=100))
    with pytest.raises(P.RateExceeded):
        for _ in range(10):
            gate.check(320, 0.0)


def test_text_frames_have_the_metadata_limit() -> None:
    P.check_text("x" * 8192)
    with pytest.raises(P.FrameTooLarge):
        P.check_text("x" * 8193)


# ---- downstream ----------------------------------------------------------------------------------


def test_wav_header_byte_by_byte() -> None:
    wav = P.wav_bytes(b"\x01\x00\x02\x00", 24000)
    assert wav == (b"RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
                   b"\xc0\x5d\x00\x00\x80\xbb\x00\x00\x02\x00\x10\x00"
                   b"data\x04\x00\x00\x00\x01\x00\x02\x00")
    with wave.open(io.BytesIO(wav)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (1, 2, 24000)
        assert read.readframes(2) == b"\x01\x00\x02\x00"


def test_wav_needs_whole_samples() -> None:
    with pytest.raises(P.OddLength):
        P.wav_bytes(b"\x01", 8000)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_stream_audio_is_raw_at_8k_and_16k(rate: int) -> None:
    assert P.stream_audio_message(b"\x01\x00\xff\x7f", rate) == (
        '{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":' + str(rate)
        + ',"audioData":"AQD/fw=="}}')


@pytest.mark.parametrize("rate", [24000, 32000, 22050])
def test_stream_audio_is_wav_at_other_rates(rate: int) -> None:
    message = json.loads(P.stream_audio_message(b"\x01\x00\xff\x7f", rate))
    assert message["data"]["audioDataType"] == "wav" and message["data"]["sampleRate"] == rate
    assert base64.b64decode(message["data"]["audioData"]) == P.wav_bytes(b"\x01\x00\xff\x7f",
                                                                        rate)


def test_clear_messages_per_playback_mode() -> None:
    assert P.clear_message(P.PlaybackMode.FILE, 8000) is None  # uuid_break instead
    assert P.clear_message(P.PlaybackMode.INJECT_BINARY, 8000) == '{"type":"clearAudio"}'
    assert P.clear_message(P.PlaybackMode.INJECT_STREAM_AUDIO, 8000) == (
        '{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,'
        '"audioData":""},"clear":true}')


def test_playback_modes_are_named_for_settings() -> None:
    assert [m.value for m in P.PlaybackMode] == ["file", "inject-binary", "inject-stream-audio"]


def test_stream_audio_reads_back() -> None:
    text = P.stream_audio_message(b"\x05\x00", 16000, clear=True)
    assert P.parse_stream_audio(text) == ("raw", 16000, b"\x05\x00", True)
    assert P.parse_stream_audio('{"type":"hello"}') is None
    assert P.parse_stream_audio("not json") is None
    with pytest.raises(P.BadEvent):
        P.parse_stream_audio('{"type":"streamAudio","data":{"audioDataType":"flac"}}')
    with pytest.raises(P.BadEvent):
        P.parse_stream_audio('{"type":"streamAudio","data":{"audioDataType":"raw",'
                             '"audioData":"***"}}')


def test_temp_file_extensions() -> None:
    assert [P.file_extension("raw", r) for r in (8000, 16000)] == ["r8", "r16"]
    assert [P.file_extension(k, 8000) for k in ("wav", "mp3", "ogg", "pcmu", "pcma")] == [
        "wav", "mp3", "ogg", "pcmu", "pcma"]


# ---- events --------------------------------------------------------------------------------------


def test_connect_event() -> None:
    assert P.connect_body() == '{"status":"connected"}'
    assert P.parse_stream_event("mod_audio_stream::connect", P.connect_body()) == (
        P.StreamConnected())


def test_disconnect_event_as_observed() -> None:
    body = '{"status":"disconnected","message":{"code":4000,"reason":"server bye"}}'
    assert P.disconnect_body(4000, "server bye") == body
    assert P.parse_stream_event("mod_audio_stream::disconnect", body) == (
        P.StreamDisconnected(4000, "server bye"))


def test_error_event_as_observed() -> None:
    body = ('{"status":"error","message":{"code":6,'
            '"error":"Connection refused (system error 111)"}}')
    assert P.error_body(6, "Connection refused (system error 111)") == body
    event = P.parse_stream_event("mod_audio_stream::error", body)
    assert event == P.StreamError(6, "Connection refused (system error 111)")
    assert isinstance(event, P.StreamError) and event.name == "CONNECT_FAILED"


def test_every_error_code_has_a_name() -> None:
    assert [P.ERROR_NAMES[c] for c in range(1, 12)] == [
        "IO", "INVALID_HEADER", "SERVER_MASKED", "NOT_SUPPORTED", "PING_TIMEOUT",
        "CONNECT_FAILED", "TLS_INIT_FAILED", "SSL_HANDSHAKE_FAILED", "SSL_ERROR", "TIMEOUT",
        "PROTOCOL"]


def test_play_event_as_observed() -> None:
    body = '{"audioDataType":"raw","sampleRate":8000,"file":"/tmp/0b1c_0.tmp.r8"}'
    assert P.play_body("raw", 8000, "/tmp/0b1c_0.tmp.r8") == body
    event = P.parse_stream_event("mod_audio_stream::play", body)
    assert event == P.StreamPlay("raw", 8000, "/tmp/0b1c_0.tmp.r8")
    assert isinstance(event, P.StreamPlay) and event.index == 0
    assert P.StreamPlay("wav", 24000, "/tmp/u_12.tmp.wav").index == 12
    assert P.StreamPlay("raw", 8000, "/tmp/elsewhere.r8").index is None


def test_json_event_is_verbatim() -> None:
    assert P.parse_stream_event("mod_audio_stream::json", '{"type":"x"} ') == (
        P.StreamJson('{"type":"x"} '))


@pytest.mark.parametrize(("subclass", "body"), [
    ("mod_audio_stream::play", "{}"), ("mod_audio_stream::play", "[1]"),
    ("mod_audio_stream::disconnect", '{"status":"disconnected"}'),
    ("mod_audio_stream::error", "not json"), ("mod_audio_fork::json", "{}")])
def test_malformed_events_give_typed_errors(subclass: str, body: str) -> None:
    with pytest.raises(P.BadEvent):
        P.parse_stream_event(subclass, body)


def test_subclasses() -> None:
    assert P.SUBCLASSES == ("mod_audio_stream::connect", "mod_audio_stream::disconnect",
                            "mod_audio_stream::error", "mod_audio_stream::json",
                            "mod_audio_stream::play")
