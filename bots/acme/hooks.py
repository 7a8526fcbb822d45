"""Hooks the Acme hotline runs with `run name(...)`.

Each hook is a plain top-level function: the flow passes the values it names, in order, and gets
back JSON-like data (dicts, strings, numbers). These demo hooks are deterministic and touch no
network, so conversation tests can play against them. Never log a caller's digits here: only
the flow decides what is sensitive.
"""

from __future__ import annotations

import hashlib
import re

# Words that suggest the whole household is cut off, not just one device.
_SEVERE_WORDS = (
    "no internet",
    "no service",
    "no signal",
    "nothing works",
    "is down",
    "went down",
    "dead",
)


def _short_id(prefix: str, *parts: object) -> str:
    """A stable id such as "OUT-482913" built from the inputs: same report, same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}-{int(digest[:8], 16) % 1_000_000:06d}"


def log_outage_report(zip_code: str, description: str) -> dict:
    """Log a caller's service problem; returns the ticket the flow reads back.

    `zip_code` is the five digits the caller gave; `description` is what they said, in their
    words. The result has `ticket_id` (spelled out to the caller), `zip_code`, and `severity`
    ("high" when the description sounds like a full loss of service, else "normal").
    """
    zip_code = "".join(ch for ch in str(zip_code) if ch.isdigit())
    # The words alone: a recogniser's capitals and full stops are no different report.
    text = " ".join(re.findall(r"[\w']+", str(description).lower()))
    severity = "high" if any(word in text for word in _SEVERE_WORDS) else "normal"
    return {
        "ticket_id": _short_id("OUT", zip_code, text),
        "zip_code": zip_code,
        "severity": severity,
    }


def log_hangup(caller_number: str) -> dict:
    """Note that a caller hung up before the call ended normally (for abandonment reports).

    Only a hash of the number is kept, so the report holds no personal data.
    """
    digest = hashlib.sha256(str(caller_number).encode("utf-8")).hexdigest()
    return {"logged": True, "caller": digest[:12]}
