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

    def check(self) -> None:
        """Refuse contradictory settings before anything is started."""
        if not self.auth_disabled and not self.api_key:
            raise ValueError(
                "no API key: give --api-key-file FILE (or HOTLINE_NLP_API_KEY), "
                "or --no-auth to run without one on a trusted machine"
            )
        for name in ("max_body_bytes", "max_batch", "max_text_chars", "max_list_limit", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
