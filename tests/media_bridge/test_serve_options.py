"""`voxflow serve`'s deployment options: what it refuses before loading anything, and what
reaches the media bridge's settings."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media_bridge.cli import add_commands, bridge_settings
from media_bridge.protocol import PlaybackMode
from media_bridge.standin import StandInSwitch
from runtime.cli import main


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    return parser.parse_args(["serve", "bots/acme", *argv])


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXFLOW_STREAM_TOKEN", "t0ken")
    monkeypatch.setenv("VOXFLOW_ESL_PASSWORD", "s3cret")


@pytest.mark.parametrize(("unset", "message"), [
    ("VOXFLOW_STREAM_TOKEN", "set VOXFLOW_STREAM_TOKEN to the token your dialplan sends in "
     "STREAM_EXTRA_HEADERS (see docs/freeswitch.md); it is never logged"),
    ("VOXFLOW_ESL_PASSWORD", "set VOXFLOW_ESL_PASSWORD to the password in FreeSWITCH's "
     "event_socket.conf.xml (see docs/freeswitch.md); it is never logged"),
])
def test_serve_refuses_to_start_without_either_secret(
        unset: str, message: str, secrets: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(unset)
    assert main(["serve", "bots/acme"]) == 2
    assert capsys.readouterr().err.strip() == f"voxflow: {message}"


@pytest.mark.parametrize(("extra", "message"), [
    (["--handoff-extension", "to queue"],
     "--handoff-extension takes one dialplan word (letters, digits and _ . + * # @ -), not "
     "'to queue': it goes on the uuid_transfer command line"),
    (["--handoff-context", "default;uuid_kill"],
     "--handoff-context takes one dialplan word (letters, digits and _ . + * # @ -), not "
     "'default;uuid_kill': it goes on the uuid_transfer command line"),
    (["--audio-root", "bots"],
     "--audio-root is for the injection modes: in file mode FreeSWITCH plays a flow's "
     "recordings from its own disk, by the path the flow gives"),
    (["--playback", "inject-binary", "--audio-root", "no/such/folder"],
     "--audio-root 'no/such/folder' is not a folder"),
])
def test_options_that_cannot_work_are_refused_before_anything_loads(
        extra: list[str], message: str, secrets: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "bots/acme", *extra]) == 2
    assert capsys.readouterr().err.strip() == f"voxflow: {message}"


def test_a_rate_the_bridge_does_not_take_is_refused_by_the_parser(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse("--default-rate", "44100")
    assert "invalid choice: 44100 (choose from 8000, 16000)" in capsys.readouterr().err


def test_the_options_reach_the_bridge_settings(tmp_path: Path) -> None:
    args = _parse("--playback", "inject-binary", "--default-rate", "16000",
                  "--handoff-extension", "+15550100", "--handoff-context", "public",
                  "--recordings", str(tmp_path / "voicemail"), "--audio-root", str(tmp_path),
                  "--env", "REGION=eu")
    settings = bridge_settings(args, "t0ken")
    assert (settings.playback, settings.default_rate) == (PlaybackMode.INJECT_BINARY, 16000)
    assert (settings.handoff_extension, settings.handoff_context) == ("+15550100", "public")
    assert settings.recordings_dir == tmp_path / "voicemail"
    assert settings.audio_root == tmp_path
    assert settings.env == {"REGION": "eu"}
    assert settings.token == "t0ken"


def test_without_options_the_settings_are_the_documented_defaults() -> None:
    settings = bridge_settings(_parse(), "t0ken")
    assert settings.playback == PlaybackMode.FILE
    assert settings.default_rate == 8000
    assert (settings.handoff_extension, settings.handoff_context) == ("to_queue", "default")
    assert settings.recordings_dir == Path("build/recordings")
    assert settings.audio_root is None


@contextlib.contextmanager
def switch_in_a_thread(**options: Any) -> Iterator[int]:
    """A stand-in switch on its own event loop (`main` runs one of its own); yields its port."""
    loop = asyncio.new_event_loop()
    switch = StandInSwitch(**options)
    port = loop.run_until_complete(switch.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(switch.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture
def root_logging() -> Iterator[None]:
    """`serve` points the root logger at this test's captured stderr: put it back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(("options", "message"), [
    ({"acl": ["192.0.2.1"]},
     "the Event Socket at 127.0.0.1:{port} refused this host before asking for a password; add "
     "this host's address to the ACL list that FreeSWITCH's event_socket.conf.xml names in "
     "apply-inbound-acl, then `fs_cli -x reloadacl` (docs/freeswitch.md, section 3)"),
    ({"password": "not-s3cret"},
     "the Event Socket at 127.0.0.1:{port} refused the password; set VOXFLOW_ESL_PASSWORD to "
     "the password in FreeSWITCH's event_socket.conf.xml (docs/freeswitch.md, section 3)"),
])
def test_serve_says_why_the_event_socket_turned_it_away(
        options: dict[str, Any], message: str, secrets: None, root_logging: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    with switch_in_a_thread(**options) as port:
        code = main(["serve", "bench/voice/menu_loop.flow", "--listen", "127.0.0.1:0",
                     "--esl", f"127.0.0.1:{port}", "--log-level", "error"])
    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"voxflow serve: {message.format(port=port)}")


def test_call_names_the_test_it_cannot_find_and_the_closest_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in `--test` is refused before any model loads, even beside a right name."""
    argv = ["call", "bots/acme", "--test", "goodbye in the callers own words ends the call",
            "--test", "Friday at 8pm sharp is closed"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "voxflow: no test named 'goodbye in the callers own words ends the call' in bots/acme\n"
        "  hint: a test with a similar name exists: "
        "`goodbye in the caller's own words ends the call`\n")
