"""Hooks the Riverstone Bank card line runs with `run name(...)` (bank.flow and identity.flow).

Each hook is a plain top-level function: the flow passes the values it names, in order, and gets
back JSON-like data. These demo hooks read a fixed table of made-up customers and touch no
network, so conversation tests can play against them. They never log or return a caller's
digits: date of birth, card digits and codes are only compared, never echoed back.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

# Made-up demo customers. `code` stands in for the one-time code a real system would text to
# the mobile number on file; here it is fixed so that tests can key it in.
DEMO_CUSTOMERS: tuple[dict, ...] = (
    {
        "customer_id": "C-100231",
        "first_name": "Maria",
        "birth_date": "1985-07-04",
        "last4": "4821",
        "card_id": "card_7f3a21",
        "code": "246810",
        "branch": "Main Street",
    },
    {
        "customer_id": "C-100587",
        "first_name": "James",
        "birth_date": "1972-11-30",
        "last4": "0093",
        "card_id": "card_19bc04",
        "code": "135790",
        "branch": "Riverside Mall",
    },
    {
        "customer_id": "C-101142",
        "first_name": "Aisha",
        "birth_date": "1999-02-14",
        "last4": "7765",
        "card_id": "card_a02e9d",
        "code": "864209",
        "branch": "Oak Park",
    },
)

MAIL_DAYS = 5  # working days for a card sent by mail
BRANCH_DAYS = 2  # working days until a card is ready at a branch


def _iso_date(value: object) -> str:
    """A date slot arrives as a date or an ISO string; compare them as "YYYY-MM-DD"."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()[:10]


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


def _find(birth_date: object, last4: object) -> dict | None:
    dob, digits = _iso_date(birth_date), _digits(last4)
    for customer in DEMO_CUSTOMERS:
        if customer["birth_date"] == dob and customer["last4"] == digits:
            return customer
    return None


def send_one_time_code(birth_date: object, last4: object) -> dict:
    """Text a one-time code to the customer's mobile, if the details match a customer.

    The result says only whether a code was sent; the flow tells the caller the same thing
    either way, so a stranger learns nothing from it.
    """
    return {"sent": _find(birth_date, last4) is not None}


def verify_identity(birth_date: object, last4: object, code: object) -> dict:
    """Check date of birth, last four card digits and the one-time code together.

    Returns `ok` and, when it is true, `customer_id`, `card_id` and `first_name`.
    """
    customer = _find(birth_date, last4)
    if customer is None or _digits(code) != customer["code"]:
        return {"ok": False}
    return {
        "ok": True,
        "customer_id": customer["customer_id"],
        "card_id": customer["card_id"],
        "first_name": customer["first_name"],
    }


def order_replacement_card(customer_id: str, card_id: str, delivery: str) -> dict:
    """Order a new card for a blocked one, by "mail" or for collection at a "branch".

    Returns `order_id`, `delivery`, `days` (working days until it arrives or is ready) and, for
    a branch, `branch_name` (the customer's home branch).
    """
    customer = next((c for c in DEMO_CUSTOMERS if c["customer_id"] == customer_id), None)
    if customer is None or customer["card_id"] != card_id:
        raise ValueError("unknown customer or card")
    if delivery not in ("mail", "branch"):
        raise ValueError(f"unknown delivery {delivery!r}")
    digest = hashlib.sha256(f"{customer_id}|{card_id}|{delivery}".encode()).hexdigest()
    order = {
        "order_id": f"RC-{int(digest[:8], 16) % 1_000_000:06d}",
        "delivery": delivery,
        "days": MAIL_DAYS if delivery == "mail" else BRANCH_DAYS,
    }
    if delivery == "branch":
        order["branch_name"] = customer["branch"]
    return order


def log_voicemail(caller_number: str, message: object) -> dict:
    """File a voicemail for the card services team's call-back list.

    `message` is the recording the flow made (a reference to the audio, not the audio itself).
    """
    digest = hashlib.sha256(f"{caller_number}|{message}".encode()).hexdigest()
    return {"callback_id": f"CB-{int(digest[:8], 16) % 1_000_000:06d}", "queued": True}


def log_hangup(caller_number: str) -> dict:
    """Note that a caller hung up before the call ended normally (for abandonment reports).

    Only a hash of the number is kept, so the report holds no personal data.
    """
    digest = hashlib.sha256(str(caller_number).encode("utf-8")).hexdigest()
    return {"logged": True, "caller": digest[:12]}
