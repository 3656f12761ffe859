"""The service in-process: ``create_app(settings)`` behind Starlette's TestClient,
with the same settings ``hotline-nlp serve`` builds. No port, no subprocess, the
lifespan (store, model holder) runs as in the real server; so most API tests
run here and only a few real-server tests (the slow tier) start ``Server``."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.settings import Settings


class InProcessServer:
    """``start()`` opens the store and loads the model; ``client(headers)`` gives
    an httpx-compatible client; ``get``/``post``/... send without an API key."""

    url = "http://testserver"

    def __init__(
        self,
        model: str,
        db_url: str,
        *,
        models_dir: Path | None = None,
        api_key: str | None = None,
        **limits,
    ):
        self.db_url = db_url
        self.settings = Settings(
            model=model,
            db_url=db_url,
            models_dir=models_dir,
            api_key=api_key,
            auth_disabled=api_key is None,
            **limits,
        )
        self.app = create_app(self.settings)
        self._main = TestClient(self.app, raise_server_exceptions=False)

    def start(self) -> InProcessServer:
        self._main.__enter__()  # runs the lifespan: store opened, model loaded
        return self

    def stop(self) -> None:
        self._main.__exit__(None, None, None)

    def client(self, headers: dict | None = None) -> TestClient:
        """Another client on the same running app (the lifespan runs once)."""
        return TestClient(self.app, headers=headers or {}, raise_server_exceptions=False)

    def __getattr__(self, method: str):
        if method in ("get", "post", "put", "delete", "options"):
            return getattr(self._main, method)
        raise AttributeError(method)
