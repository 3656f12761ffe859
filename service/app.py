"""The FastAPI application: ``create_app(settings)`` and ``run``.

Nothing is opened at import time. The lifespan opens (and migrates) the store
and loads the model into ``app.state``; ``run`` does both *before* starting
uvicorn, so a wrong model name or an unreachable database is a one-line error
at the command line instead of a traceback from inside the server.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from hotline_nlp import __version__
from hotline_nlp.service import errors
from hotline_nlp.service.limits import BodyLimitMiddleware, InFlightLimitMiddleware
from hotline_nlp.service.model_holder import ModelHolder
from hotline_nlp.service.routers import (
    classify,
    complaints,
    health,
    hotspots,
    review,
    ui,
    ui_bulletin,
    ui_review,
)
from hotline_nlp.service.settings import Settings
from hotline_nlp.service.store.db import open_store
from hotline_nlp.service.ui.access import LoginRequired, to_login
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("hotline_nlp.service")

DESCRIPTION = """Tag 12345 hotline complaints as they arrive, keep them, and ask for the week's hotspots.

Every `/v1` endpoint needs the `X-API-Key` header (unless the server runs with `--no-auth`).
Errors are JSON: `{"error": {"status", "code", "message", "errors": [{"field", "message"}]}}`.
"""


def create_app(
    settings: Settings, *, engine: Engine | None = None, models: ModelHolder | None = None
) -> FastAPI:
    """An app for ``settings``; ``engine``/``models`` may be prepared by the caller
    (``run`` does), otherwise the lifespan opens them."""
    settings.check()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine or open_store(settings.db_url)
        holder = models or ModelHolder(settings.model, settings.models_dir, settings.model_check_interval)
        if holder.model is None:
            holder.load()
        holder.start()
        app.state.models = holder
        try:
            yield
        finally:
            holder.stop()
            app.state.engine.dispose()

    app = FastAPI(title="hotline-nlp", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = None
    app.state.models = None
    app.state.hotspot_cache = hotspots.AlertCache()
    errors.install(app)
    app.add_exception_handler(DBAPIError, _on_db_error)
    app.add_exception_handler(PoolTimeout, _on_db_error)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(InFlightLimitMiddleware, limit=settings.max_in_flight)
    if settings.cors_origins:  # off unless origins are named; outermost, so errors carry the headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    for module in (health, classify, review, complaints, hotspots, ui, ui_review, ui_bulletin):
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, to_login)  # a console page without a session
    return app


async def _on_db_error(request, exc: DBAPIError):
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    return errors.error_response(
        503,
        "the database is unavailable or busy; nothing from this request was stored; retry later",
        code="database_unavailable",
    )


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Open the store, load the model, then serve (blocks). Raises ``StoreError``,
    ``ModelError`` or ``ValueError`` with a message before anything listens.

    The connection limits and timeouts (``service.connections``) and the
    repeat-suppressing, size-bounded log (``service.logs``) are set up here."""
    import logging.config

    import uvicorn
    from hotline_nlp.service import connections, logs

    settings.check()
    logging.config.dictConfig(
        logs.config(log_level, settings.log_file, settings.log_max_bytes, settings.log_backups)
    )
    engine = open_store(settings.db_url)
    holder = ModelHolder(settings.model, settings.models_dir, settings.model_check_interval)
    holder.load()
    plan = connections.plan(settings.max_connections, settings.backlog, settings.fd_headroom)
    log.info(
        "file descriptors: limit %d (was %d); at most %d connections, accept backlog %d; "
        "timeouts: header %gs, body %gs, keep-alive %ds; at most %d requests in flight",
        plan.nofile,
        plan.nofile_before,
        plan.max_connections,
        plan.backlog,
        settings.header_timeout,
        settings.body_timeout,
        settings.keep_alive_timeout,
        settings.max_in_flight,
    )
    app = create_app(settings, engine=engine, models=holder)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # configured above
        http=connections.guarded_protocol(
            max_connections=plan.max_connections,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
        ),
        backlog=plan.backlog,
        timeout_keep_alive=settings.keep_alive_timeout,
        workers=1,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
