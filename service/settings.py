"""Settings of one running service, built by the CLI (or a test) and passed to
``create_app``.

Nothing here is read at import time: two apps with different settings can live
in one process (the tests do that), and every limit the server enforces is a
field here, so the limits are documented in one place and shown by
``hotline-nlp serve --help``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hotline_nlp import paths


def default_db_url(data_dir: Path | None = None) -> str:
    path = (data_dir or paths.service_dir()) / "complaints.db"
    return f"sqlite:///{path}"


def db_url_from(value: str | None, data_dir: Path | None = None) -> str:
    """Accept a SQLAlchemy URL or a bare file path (taken as a SQLite file)."""
    if not value:
        return default_db_url(data_dir)
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def read_api_keys(path: Path) -> tuple:
    """The keys of an API-key file (one key, or ``name role key`` lines; see ``auth``)."""
    from hotline_nlp.service.auth import parse_key_file

    return parse_key_file(path)


def read_api_key(path: Path) -> str:
    """The key is the file's first line; an empty file is an error (an empty key
    would accept an empty header)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"{path}: cannot read the API key file ({e.strerror})") from None
    key = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(key) < 16:
        raise ValueError(f"{path}: the API key must be at least 16 characters (found {len(key)})")
    return key


@dataclass(frozen=True)
class Settings:
    """Everything one server needs.

    ``api_key`` None with ``auth_disabled`` False is refused by ``create_app``:
    running without a key must be an explicit choice (``--no-auth``).
    """

    model: str
    db_url: str
    models_dir: Path | None = None
    api_key: str | None = None
    # Named keys with roles (auth.parse_key_file); ``api_key`` alone is one admin key named "default".
    api_keys: tuple = ()
    auth_disabled: bool = False
    # Limits. A batch of 100 complaints of ~1,000 characters is ~0.3 MB of JSON.
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch: int = 500
    max_text_chars: int = 20_000  # same bound as the file loader (corpus.validate.Limits)
    max_list_limit: int = 1000
    top_k: int = 3
    # How often (seconds) the model holder looks for a newly promoted version; 0 = never.
    model_check_interval: float = 5.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Connections (service.connections) and logging (service.logs); see README
    # "Service limits and timeouts". Timeouts in seconds.
    max_connections: int = 1000  # open at once; at the cap the longest-idle one is closed
    max_in_flight: int = 64  # requests handled at once; above: 503 + Retry-After
    header_timeout: float = 10.0  # connection open -> complete request head, else 408
    body_timeout: float = 60.0  # request head -> complete body, else 408
    keep_alive_timeout: int = 5  # idle keep-alive connection closed after this
    backlog: int = 1024  # listen queue (lowered to fit the descriptor limit)
    fd_headroom: int = 64  # descriptors kept free for the database, models and logs
    log_file: Path | None = None  # rotating log file; None: stderr
    log_max_bytes: int = 10 * 1024 * 1024  # per log file; log_backups + 1 files at most
    log_backups: int = 3

    def keys(self) -> tuple:
        """Every accepted key as ``auth.ApiKey`` (name, role, key)."""
        from hotline_nlp.service.auth import ApiKey

        legacy = (ApiKey("default", "admin", self.api_key),) if self.api_key else ()
        return tuple(self.api_keys) + legacy

    def check(self) -> None:
        """Refuse contradictory settings before anything is started."""
        if not self.auth_disabled and not self.keys():
            raise ValueError(
                "no API key: give --api-key-file FILE (or HOTLINE_NLP_API_KEY), "
                "or --no-auth to run without one on a trusted machine"
            )
        for name in (
            "max_body_bytes",
            "max_batch",
            "max_text_chars",
            "max_list_limit",
            "top_k",
            "max_connections",
            "max_in_flight",
            "keep_alive_timeout",
            "backlog",
            "log_max_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("header_timeout", "body_timeout"):
            if not 0 < getattr(self, name) <= 3600:
                raise ValueError(f"{name} must be between 0 and 3600 seconds, got {getattr(self, name)}")
        if self.fd_headroom < 0 or self.log_backups < 0:
            raise ValueError("fd_headroom and log_backups cannot be negative")
