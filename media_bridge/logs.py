"""What `voxflow serve` writes to its log: one line per event, with the call it concerns.

Log calls pass their details as `extra` (`log.info("call ended", extra={"call": uuid,
"reason": ...})`); this formatter prints them after the message as `key=value`, so an operator
can grep a call's uuid. Nothing sensitive is ever passed as an extra: no DTMF digits, no
transcripts, no tokens, no Event Socket command lines.
"""

from __future__ import annotations

import logging
import sys

LEVELS = ("error", "warning", "info", "debug")

# Every attribute a plain LogRecord has; anything else on a record came from `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


class KeyValueFormatter(logging.Formatter):
    """`2026-11-23 16:20:41,512 INFO voxflow.media: call ended call=<uuid> reason=hang-up`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{key}={_value(value)}" for key, value in vars(record).items()
                  if key not in _STANDARD and not key.startswith("_")]
        if not extras:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the details
        return f"{head} {' '.join(extras)}{newline}{rest}"


def _value(value: object) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() or c in "\"'=" for c in text) else text


def configure(level: str) -> None:
    """Send every voxflow log line at `level` or above to stderr, one per line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries (aiohttp's access chatter) stay quiet
    logging.getLogger("voxflow").setLevel(getattr(logging, level.upper()))
