"""Request dependencies: settings, database, model and the API-key check.

Routers ask for what they need with ``Annotated[..., Depends(...)]`` and never
reach into ``app.state`` themselves, so tests and routers see one wiring.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from hotline_nlp.service.auth import ANONYMOUS, ApiKey, match_key
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
    """Accept a known key; the caller's ``auth.ApiKey`` is left in ``request.state.who``."""
    settings: Settings = request.app.state.settings
    if settings.auth_disabled:
        request.state.who = ANONYMOUS
        return
    if not key:
        raise ServiceError(401, f"missing API key: send it in the {API_KEY_HEADER} header")
    who = match_key(settings.keys(), key)
    if who is None:
        raise ServiceError(401, "wrong API key")
    request.state.who = who


def require_analyst(request: Request, _: Annotated[None, Depends(require_api_key)]) -> ApiKey:
    """Only keys with the ``analyst`` role may change labels."""
    who: ApiKey = request.state.who
    if not who.may_correct:
        raise ServiceError(403, f"the key {who.name!r} is read-only; corrections need an analyst key")
    return who


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ModelDep = Annotated[object, Depends(get_model)]
