"""The screen pop: what an agent's desktop shows about the caller it is offered.

Built on the server from the stored handoff, for one viewer. A viewer whose role may not see
sensitive values never receives them: the fields are masked, and any text the bot composed
(summary, reason, transcript turns, knowledge questions) has those values scrubbed too, so a
flow that wrote an account number into its summary does not leak it to the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agents.store.recorder import MASK

MIN_SCRUB_LEN = 3  # shorter values ("1", "no") would scrub ordinary words


def last_intent(log: Iterable[dict[str, Any]]) -> tuple[str, float | None]:
    """The last intent the NLU matched in a session's log (`Session.log`): (name, confidence),
    or ("", None) when the caller never spoke one."""
    found: tuple[str, float | None] = ("", None)
    for entry in log:
        if entry.get("kind") == "intent" and entry.get("intent"):
            confidence = entry.get("confidence")
            found = (str(entry["intent"]),
                     float(confidence) if isinstance(confidence, int | float) else None)
    return found


def screen_pop(stored: dict[str, Any], *, reveal: bool, now: float,
               previous: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`stored` is `Store.handoff(call_id, reveal=True)`; the result is JSON for one viewer."""
    secrets = _secret_values(stored) if not reveal else []

    def scrub(text: Any) -> Any:
        if not secrets or not isinstance(text, str):
            return text
        for pattern in secrets:
            text = pattern.sub(MASK, text)
        return text

    def fields(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for f in items:
            hidden = f["sensitive"] and not reveal
            out.append({"name": f["name"], "type": f["type"], "sensitive": f["sensitive"],
                        "masked": hidden, "value": MASK if hidden else f["value"]})
        return out

    return {
        "call_id": stored["call_id"],
        "handoff_id": stored["handoff_id"],
        "queue": stored["queue"],
        "reason": scrub(stored["reason"]),
        "priority": stored["priority"],
        "priority_level": stored["priority_level"],
        "caller": {"number": stored["caller_number"], "name": stored["caller_name"],
                   "tier": stored["tier"], "vip": bool(stored["vip"]),
                   "callback_number": stored["callback_number"]},
        "intent": ({"name": stored["intent"], "confidence": stored["intent_confidence"]}
                   if stored.get("intent") else None),
        "context": fields(stored["context"]),
        "slots": fields(stored["slots"]),
        "summary": scrub(stored["summary"]),
        "transcript": [{"who": str(t.get("who", "")), "text": scrub(str(t.get("text", ""))),
                        "step": str(t.get("step", "")), "at": t.get("at")}
                       for t in stored["transcript"] if isinstance(t, dict)],
        "consulted": [{"question": scrub(str(c.get("question", ""))),
                       "source": str(c.get("source", "")),
                       "confidence": c.get("confidence")}
                      for c in stored["consulted"] if isinstance(c, dict)],
        "queued_at": stored["queued_at"],
        "waited_s": max(0.0, now - stored["queued_at"]),
        "previous_calls": [{**p, "notes": scrub(p.get("notes", ""))} for p in previous or []],
        "revealed": reveal,
    }


def _secret_values(stored: dict[str, Any]) -> list[re.Pattern[str]]:
    """Patterns for every sensitive value, as written and as read out digit by digit."""
    patterns: dict[str, re.Pattern[str]] = {}
    for f in (*stored["context"], *stored["slots"]):
        if not f["sensitive"] or f["value"] is None:
            continue
        text = str(f["value"]).strip()
        if len(text) < MIN_SCRUB_LEN:
            continue
        patterns[text] = re.compile(re.escape(text), re.IGNORECASE)
        compact = re.sub(r"\W+", "", text)
        if compact.isdigit():  # "12345678" also as "1 2 3 4 5 6 7 8" or "1234-5678"
            spaced = r"[\s.-]*".join(compact)
            patterns[compact + "/spaced"] = re.compile(spaced)
    # Longest first, so a value containing another is scrubbed whole.
    return [patterns[k] for k in sorted(patterns, key=len, reverse=True)]
