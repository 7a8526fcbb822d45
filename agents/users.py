"""Who may sign in to the agent desktop and the supervisor view, and the signed-in browsers.

Users live in the embedded database (`users`, schema version 2): a sign-in name, a display
name, a role, skills and the endpoint the switch bridges their calls to. Passwords are kept
only as scrypt hashes (standard library); a browser holds a random token whose SHA-256 is all
the database keeps. Nothing here logs a password or a token.

Roles: `agent` takes calls; `senior` takes calls and may see sensitive handoff values;
`supervisor` watches the floor and changes agents' states. Which roles may see sensitive values
is the service's setting (`ServiceConfig.reveal_roles`), enforced on the server.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

ROLES = ("agent", "senior", "supervisor")
DESK_ROLES = frozenset({"agent", "senior"})  # roles that take calls
MIN_PASSWORD = 8
SESSION_TTL_S = 12 * 3600.0  # a shift, then sign in again
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

# scrypt's cost: 16 MiB and about 50 ms a hash here; stored with each hash, so it can change.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                            maxmem=256 * n * r + 1024 * 1024)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want),
                             maxmem=256 * int(n) * int(r) + 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user name is unknown, so a wrong name costs as long as a
    wrong password and timing does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(12))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    skills: dict[str, int] = field(default_factory=dict)
    endpoint: str = ""
    disabled: bool = False

    @property
    def takes_calls(self) -> bool:
        return self.role in DESK_ROLES

    def public(self) -> dict[str, Any]:
        """What the browser may know about the user."""
        return {"id": self.id, "name": self.name, "role": self.role}


class SignInError(Exception):
    """Sign-in refused. `status` is the HTTP status; the message is for the person."""

    def __init__(self, status: int, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class Throttle:
    """At most `limit` failed sign-ins per user name within `window_s`; then a wait."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit, self.window_s = limit, window_s
        self.failures: dict[str, deque[float]] = {}

    def wait_s(self, name: str, now: float) -> float:
        times = self.failures.get(name)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window_s - now

    def failed(self, name: str, now: float) -> None:
        self.failures.setdefault(name, deque()).append(now)

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)


class Users:
    """The users and web sessions tables of a `Store`'s connection."""

    def __init__(self, conn: sqlite3.Connection, throttle: Throttle | None = None) -> None:
        self.conn = conn
        self.throttle = throttle or Throttle()

    # --- managing users ---------------------------------------------------------------------

    def add(self, user_id: str, password: str, *, name: str = "", role: str = "agent",
            skills: dict[str, int] | None = None, endpoint: str = "",
            now: float | None = None) -> User:
        user_id = user_id.strip().lower()
        if not _ID.fullmatch(user_id):
            raise UserError("a user name is 1-64 lowercase letters, digits, '.', '_' or '-', "
                            f"starting with a letter or digit; not {user_id!r}")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}; not {role!r}")
        _check_password(password)
        skills = dict(skills or {})
        for skill, level in skills.items():
            if not (isinstance(level, int) and 1 <= level <= 10):
                raise UserError(f"skill {skill!r}: a level is a whole number 1..10")
        if self.get(user_id) is not None:
            raise UserError(f"user {user_id!r} already exists")
        self.conn.execute(
            "INSERT INTO users (id, name, role, skills, endpoint, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, name or user_id, role, json.dumps(skills), endpoint or f"user/{user_id}",
             hash_password(password), time.time() if now is None else now))
        user = self.get(user_id)
        assert user is not None
        return user

    def set_password(self, user_id: str, password: str) -> None:
        _check_password(password)
        self._update(user_id, "password_hash", hash_password(password))
        self.conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        self._update(user_id, "disabled", int(disabled))
        if disabled:
            self.conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))

    def _update(self, user_id: str, column: str, value: Any) -> None:
        cur = self.conn.execute(f"UPDATE users SET {column} = ? WHERE id = ?", (value, user_id))
        if cur.rowcount == 0:
            raise UserError(f"no user {user_id!r}")

    def get(self, user_id: str) -> User | None:
        row = self.conn.execute(
            "SELECT id, name, role, skills, endpoint, disabled FROM users WHERE id = ?",
            (user_id,)).fetchone()
        return _user(row) if row else None

    def all(self) -> list[User]:
        rows = self.conn.execute(
            "SELECT id, name, role, skills, endpoint, disabled FROM users ORDER BY name, id")
        return [_user(row) for row in rows]

    # --- signing in -------------------------------------------------------------------------

    def check(self, user_id: str, password: str, now: float) -> User:
        """The user, if the password is theirs; else `SignInError` with a message to show."""
        user_id = user_id.strip().lower()
        if not user_id or not password:
            raise SignInError(400, "Enter your user name and your password.")
        wait = self.throttle.wait_s(user_id, now)
        if wait > 0:
            seconds = int(wait) + 1
            raise SignInError(429, f"Too many failed sign-ins for {user_id}. Try again in "
                              f"{seconds} seconds.", retry_after=seconds)
        row = self.conn.execute("SELECT password_hash FROM users WHERE id = ?",
                                (user_id,)).fetchone()
        ok = verify_password(password, row[0] if row else _dummy_hash()) and row is not None
        if not ok:
            self.throttle.failed(user_id, now)
            raise SignInError(401, "The user name or the password is wrong. Check both and "
                              "try again.")
        user = self.get(user_id)
        assert user is not None
        if user.disabled:
            raise SignInError(403, "This account is disabled. Ask your supervisor.")
        self.throttle.succeeded(user_id)
        return user

    def start_session(self, user: User, now: float, ttl_s: float = SESSION_TTL_S) -> str:
        token = secrets.token_urlsafe(32)
        self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now,))
        self.conn.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                          (token_hash(token), user.id, now, now + ttl_s))
        return token

    def session_user(self, token: str, now: float) -> User | None:
        if not token:
            return None
        row = self.conn.execute(
            "SELECT u.id, u.name, u.role, u.skills, u.endpoint, u.disabled FROM web_sessions "
            "AS s JOIN users AS u ON u.id = s.user_id WHERE s.token_hash = ? AND "
            "s.expires_at > ?", (token_hash(token), now)).fetchone()
        if row is None:
            return None
        user = _user(row)
        return None if user.disabled else user

    def end_session(self, token: str) -> None:
        self.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash(token),))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


def _user(row: tuple[Any, ...]) -> User:
    user_id, name, role, skills, endpoint, disabled = row
    return User(id=user_id, name=name, role=role,
                skills={k: int(v) for k, v in json.loads(skills or "{}").items()},
                endpoint=endpoint, disabled=bool(disabled))
