"""Console access: who is looking at a page, and may they post this form.

A page is served to a request with a console session cookie or a valid
``X-API-Key`` header (scripts, monitoring). Without either, a page redirects to
the login form. A form post with a session must carry the session's CSRF token
(a hidden field ``csrf`` or the ``X-CSRF-Token`` header); a post authenticated
by the header needs none (a cross-site form cannot set headers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from hotline_nlp.service.auth import (
    ANONYMOUS,
    PERMISSIONS,
    SESSION_COOKIE,
    ApiKey,
    Session,
    Sessions,
    csrf_ok,
    match_key,
)
from hotline_nlp.service.deps import API_KEY_HEADER, roles_with
from hotline_nlp.service.errors import ServiceError
from hotline_nlp.service.ui.render import ROLE_NAMES


class LoginRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


@dataclass
class Viewer:
    who: ApiKey
    session: Session | None  # None: served on the X-API-Key header (or --no-auth)

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def sessions(request: Request) -> Sessions:
    app = request.app
    if getattr(app.state, "ui_sessions", None) is None:
        app.state.ui_sessions = Sessions()
    return app.state.ui_sessions


def viewer(request: Request) -> Viewer:
    settings = request.app.state.settings
    if settings.auth_disabled:
        return Viewer(ANONYMOUS, None)
    header = request.headers.get(API_KEY_HEADER)
    if header:
        who = match_key(settings.keys(), header)
        if who is None:
            raise ServiceError(401, "wrong API key")
        return Viewer(who, None)
    s = sessions(request).get(request.cookies.get(SESSION_COOKIE))
    if s is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return Viewer(s.who, s)


async def checked_form(request: Request, viewer: Annotated[Viewer, Depends(viewer)]) -> dict:
    """The posted form, after the CSRF check (sessions only)."""
    form = dict(await request.form())
    if viewer.session is not None:
        token = form.get("csrf") or request.headers.get("X-CSRF-Token")
        if not csrf_ok(viewer.session, token):
            raise ServiceError(403, "the form's CSRF token is missing or stale; reload the page")
    return form


class Console:
    """The one permission a console route needs (``auth.PERMISSIONS``), like
    ``deps.Requires`` for the API: a page without a session redirects to the
    login form, a key or session whose role lacks the permission is a 403."""

    def __init__(self, permission: str):
        if permission not in PERMISSIONS or permission == "public":
            raise ValueError(f"not a console permission: {permission!r}")
        self.permission = permission

    def __call__(self, viewer: Annotated[Viewer, Depends(viewer)]) -> Viewer:
        if not viewer.who.can(self.permission):
            raise ServiceError(
                403,
                f"{viewer.who.name}（{ROLE_NAMES.get(viewer.who.role, viewer.who.role)}）无此权限："
                f"需要 {self.permission!r}（{', '.join(roles_with(self.permission))}）",
            )
        return viewer

    def __repr__(self) -> str:
        return f"Console({self.permission!r})"


def to_login(request: Request, exc: LoginRequired):
    return RedirectResponse(f"/ui/login?next={quote(exc.next_url, safe='')}", status_code=303)


def set_session_cookie(request: Request, response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",  # behind a TLS proxy (uvicorn honours X-Forwarded-Proto)
        path="/",
        max_age=int(sessions(request).ttl_s),
    )


ViewerDep = Annotated[Viewer, Depends(Console("read"))]
AnalystDep = Annotated[Viewer, Depends(Console("correct"))]
RetrainDep = Annotated[Viewer, Depends(Console("retrain"))]
FormDep = Annotated[dict, Depends(checked_form)]
