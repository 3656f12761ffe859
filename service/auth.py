"""Who is calling: API keys with names and roles, console sessions, CSRF tokens.

The API-key file keeps its old meaning (a file whose first line is the key is
one key, named ``default``, with the ``admin`` role: it may do everything, as a
single key always could) and may instead list several keys, one a line::

    # name      role       key
    platform    ingest     5be0...long random...
    alice       analyst    3f9c...long random...
    monitor     read-only  8a1d...long random...

A role is a set of permissions (``ROLE_PERMISSIONS``), shaped on how a 12345
centre works: ``read-only`` for dashboards and monitoring (reads, tags without
storing); ``ingest`` for the hotline platform that pushes complaints and, weeks
later, their outcomes (the bulletin's 办结率 and 满意率 come from those); ``analyst``
for the people who review and correct tags and retrain, who must not be able
to rewrite outcomes; ``admin`` for the operator doing a
one-off backfill or a single-key set-up: everything. Each route names the one
permission it needs (``deps.Requires``, ``ui.access.Console``); SECURITY.md has
the table. The key's *name* (never the key) is what the audit trail records.

The console exchanges a key for a session cookie (a random token kept in this
process: HttpOnly, SameSite=Lax, Secure behind HTTPS); each session carries its
own CSRF token that every console form and fetch must send back.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# What a route may need. "public": no key (probes, the login page, static files).
PERMISSIONS = {
    "public": "no key needed",
    "read": "read complaints, hotspots, review queue, metrics, the console and its bulletin; tag without storing",
    "ingest": "store complaints and update their outcome (closed, satisfaction, ...)",
    "correct": "correct or confirm categories and units",
    "retrain": "start a retraining on the reviewed labels",
}
ROLE_PERMISSIONS = {
    "read-only": frozenset({"read"}),
    "ingest": frozenset({"read", "ingest"}),
    "analyst": frozenset({"read", "correct", "retrain"}),
    "admin": frozenset({"read", "ingest", "correct", "retrain"}),
}
ROLES = tuple(ROLE_PERMISSIONS)
MIN_KEY_CHARS = 16
SESSION_COOKIE = "hotline_session"
SESSION_TTL_S = 12 * 3600  # one working day


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: str
    key: str = ""

    def can(self, permission: str) -> bool:
        return permission == "public" or permission in ROLE_PERMISSIONS.get(self.role, ())

    @property
    def may_correct(self) -> bool:
        return self.can("correct")


ANONYMOUS = ApiKey("anonymous", "admin")  # --no-auth: a trusted machine, everyone may do everything


def parse_key_file(path: Path) -> tuple[ApiKey, ...]:
    """Read a key file (either format); one-line errors name the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"{path}: cannot read the API key file ({e.strerror})") from None
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)]
    lines = [(n, ln) for n, ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ValueError(f"{path}: the API key must be at least {MIN_KEY_CHARS} characters (found 0)")
    parts = lines[0][1].split()
    if len(lines) == 1 and not (len(parts) == 3 and parts[1] in ROLES):  # the original format
        key = lines[0][1]
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(
                f"{path}: the API key must be at least {MIN_KEY_CHARS} characters (found {len(key)})"
            )
        return (ApiKey("default", "admin", key),)
    keys, names = [], set()
    for n, line in lines:
        parts = line.split()
        if len(parts) != 3:
            raise ValueError(f"{path}:{n}: expected `name role key`, found {len(parts)} field(s)")
        name, role, key = parts
        if role not in ROLES:
            raise ValueError(f"{path}:{n}: role {role!r} is not one of {', '.join(ROLES)}")
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"{path}:{n}: the key of {name!r} must be at least {MIN_KEY_CHARS} characters")
        if name in names:
            raise ValueError(f"{path}:{n}: the name {name!r} is used twice")
        names.add(name)
        keys.append(ApiKey(name, role, key))
    return tuple(keys)


def match_key(keys: tuple[ApiKey, ...], presented: str | None) -> ApiKey | None:
    """The key that ``presented`` is, compared in constant time against every key."""
    if not presented:
        return None
    found = None
    for k in keys:
        if hmac.compare_digest(presented.encode("utf-8"), k.key.encode("utf-8")):
            found = k
    return found


@dataclass
class Session:
    who: ApiKey
    csrf: str
    expires: float


class Sessions:
    """Console sessions of this process (a restart logs everyone out)."""

    def __init__(self, ttl_s: float = SESSION_TTL_S):
        self.ttl_s = ttl_s
        self._data: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, who: ApiKey) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        s = Session(who, secrets.token_urlsafe(24), time.time() + self.ttl_s)
        with self._lock:
            now = time.time()
            for t in [t for t, v in self._data.items() if v.expires < now]:
                del self._data[t]
            self._data[token] = s
        return token, s

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            s = self._data.get(token)
            if s is None or s.expires < time.time():
                self._data.pop(token, None)
                return None
            return s

    def close(self, token: str | None) -> None:
        with self._lock:
            self._data.pop(token or "", None)


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(presented.encode(), session.csrf.encode())
