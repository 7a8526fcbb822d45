"""`voxflow serve`'s log lines: the message, then the call's details as key=value."""

from __future__ import annotations

import logging
import subprocess
import sys

from media_bridge.logs import KeyValueFormatter


def _record(msg: str, extra: dict[str, object], exc_info: object = None) -> logging.LogRecord:
    logger = logging.getLogger("voxflow.media")
    return logger.makeRecord("voxflow.media", logging.INFO, __file__, 1, msg, (), exc_info,
                             extra=extra)


def test_a_line_carries_the_details_after_the_message() -> None:
    line = KeyValueFormatter().format(_record("call ended", {
        "call": "5f0c1d2e-0000-4000-8000-000000000001", "reason": "hang-up", "frames": 412}))
    assert line.endswith(" INFO voxflow.media: call ended "
                         "call=5f0c1d2e-0000-4000-8000-000000000001 reason=hang-up frames=412")


def test_values_with_spaces_are_quoted_so_the_line_still_splits() -> None:
    line = KeyValueFormatter().format(_record("switch refused a command",
                                              {"reply": "-ERR no such channel", "empty": ""}))
    assert line.endswith("switch refused a command reply='-ERR no such channel' empty=''")


def test_a_traceback_stays_below_the_details() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        line = KeyValueFormatter().format(_record("call bridge failed", {"call": "abc"},
                                                  exc_info=sys.exc_info()))
    first, rest = line.split("\n", 1)
    assert first.endswith("call bridge failed call=abc")
    assert rest.startswith("Traceback") and rest.endswith("ValueError: boom")


def test_serve_logs_at_info_by_default_and_quiet_libraries() -> None:
    # In a fresh interpreter: configure() replaces the root logger's handlers.
    code = ("import logging; from media_bridge.logs import configure; configure('info'); "
            "logging.getLogger('voxflow.esl').info('Event Socket connected'); "
            "logging.getLogger('voxflow.media').debug('media write failed'); "
            "logging.getLogger('aiohttp.access').info('GET /calls/x 101')")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stderr
    assert err.count("\n") == 1 and err.rstrip().endswith(
        "INFO voxflow.esl: Event Socket connected")
