"""Request dependencies: settings, database, model and the permission check.

Routers ask for what they need with ``Annotated[..., Depends(...)]`` and never
reach into ``app.state`` themselves, so tests and routers see one wiring.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from hotline_nlp.service.auth import ANONYMOUS, PERMISSIONS, ROLE_PERMISSIONS, ApiKey, match_key
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


def authenticate(request: Request, key: Annotated[str | None, Security(_key_header)]) -> ApiKey:
    """The caller's ``auth.ApiKey`` (401 without a known key); also left in ``request.state.who``."""
    settings: Settings = request.app.state.settings
    if settings.auth_disabled:
        request.state.who = ANONYMOUS
        return ANONYMOUS
    if not key:
        raise ServiceError(401, f"missing API key: send it in the {API_KEY_HEADER} header")
    who = match_key(settings.keys(), key)
    if who is None:
        raise ServiceError(401, "wrong API key")
    request.state.who = who
    return who


class Requires:
    """The one permission an API route needs (``auth.PERMISSIONS``), as its dependency.

    Every route names exactly one, here or as ``ui.access.Console`` for console
    pages; a test reads them back from ``app.routes`` (so a route without one
    fails it) and SECURITY.md's table is checked against them. "public" routes
    take no key."""

    def __init__(self, permission: str):
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        self.permission = permission

    def __call__(self, request: Request, key: Annotated[str | None, Security(_key_header)]) -> ApiKey:
        who = authenticate(request, key)
        if not who.can(self.permission):
            raise ServiceError(
                403,
                f"the key {who.name!r} (role {who.role}) may not do this: it needs the "
                f"{self.permission!r} permission ({PERMISSIONS[self.permission]}), "
                f"which the roles {', '.join(roles_with(self.permission))} have",
            )
        return who

    def __repr__(self) -> str:
        return f"Requires({self.permission!r})"


class Public(Requires):
    """A route anyone may call (probes, the login form, static files): no key read,
    so the OpenAPI page shows no lock on it."""

    def __init__(self) -> None:
        super().__init__("public")

    def __call__(self) -> None:
        return None


def roles_with(permission: str) -> list[str]:
    return [r for r, perms in ROLE_PERMISSIONS.items() if permission in perms]


PUBLIC = Depends(Public())
READ = Depends(Requires("read"))
IngestKey = Annotated[ApiKey, Depends(Requires("ingest"))]
CorrectKey = Annotated[ApiKey, Depends(Requires("correct"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ModelDep = Annotated[object, Depends(get_model)]
