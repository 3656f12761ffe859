"""Request dependencies: settings, database, model and the API-key check.

Routers ask for what they need with ``Annotated[..., Depends(...)]`` and never
reach into ``app.state`` themselves, so tests and routers see one wiring.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from hotline_nlp.service.errors import ServiceError
from hotline_nlp.service.settings import Settings
from sqlalchemy import Engine

API_KEY_HEADER = "X-API-Key"
_key_header = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="The key from the server's --api-key-file."
)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_model(request: Request):
    """The model in service now. A request keeps this reference to the end, so
    a hot swap during the request does not change the model under it."""
    holder = request.app.state.models
    if holder is None or holder.model is None:
        raise ServiceError(503, "no model loaded yet")
    return holder.model


def require_api_key(request: Request, key: Annotated[str | None, Security(_key_header)]) -> None:
    settings: Settings = request.app.state.settings
    if settings.auth_disabled:
        return
    if not key:
        raise ServiceError(401, f"missing API key: send it in the {API_KEY_HEADER} header")
    if not hmac.compare_digest(key.encode("utf-8"), (settings.api_key or "").encode("utf-8")):
        raise ServiceError(401, "wrong API key")


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ModelDep = Annotated[object, Depends(get_model)]
