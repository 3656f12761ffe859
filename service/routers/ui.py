"""The console's pages: login, this week's alert, an issue, complaint search.

Review and metrics are in ``ui_review``, the bulletin in ``ui_bulletin``; the
access rules (session or X-API-Key, CSRF) in ``service.ui.access``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from hotline_nlp.service.auth import SESSION_COOKIE, match_key
from hotline_nlp.service.deps import PUBLIC, EngineDep
from hotline_nlp.service.errors import ServiceError
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.ui import alerts
from hotline_nlp.service.ui.access import FormDep, ViewerDep, sessions, set_session_cookie
from hotline_nlp.service.ui.render import STATIC, page
from hotline_nlp.topics.periods import PeriodError, parse_period

router = APIRouter(prefix="/ui", include_in_schema=False)
LOGIN_CSRF = "hotline_login_csrf"
FONT = "NotoSansCJKsc-Regular.otf"
PAGE_SIZE = 50
COUNT_CAP = 2000  # "2000+": counting every match of a word over 100,000 texts is a full scan


def font_path() -> Path:
    """The Noto Sans CJK SC that ``mplfonts`` ships (the charts use it too)."""
    return Path(str(resources.files("mplfonts") / "fonts" / FONT))


@router.get("/static/{name}", dependencies=[PUBLIC])
def static(name: str):
    """console.css, console.js and the CJK web font; cached by browsers for a day."""
    path = font_path() if name == FONT else STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ServiceError(404, f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/ui") and not url.startswith("//") else "/ui/"


@router.get("/login", dependencies=[PUBLIC])
def login_form(request: Request, next: str | None = None, error: str | None = None):
    token = secrets.token_urlsafe(16)
    res = page(request, "login.html", next=_safe_next(next), csrf=token, error=error)
    res.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return res


@router.post("/login", dependencies=[PUBLIC])
def login(
    request: Request,
    key: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/ui/",
):
    if not csrf or csrf != request.cookies.get(LOGIN_CSRF):
        return page(
            request,
            "login.html",
            next=_safe_next(next),
            csrf="",
            error="表单已过期，请刷新页面后重试",
            status=403,
        )
    who = match_key(request.app.state.settings.keys(), key.strip())
    if who is None:
        return login_form(request, next, error="密钥不正确")
    token, _ = sessions(request).open(who)
    res = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, res, token)
    res.delete_cookie(LOGIN_CSRF)
    return res


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep, form: FormDep):
    sessions(request).close(request.cookies.get(SESSION_COOKIE))
    res = RedirectResponse("/ui/login", status_code=303)
    res.delete_cookie(SESSION_COOKIE, path="/")
    return res


def _week(engine, week: str | None) -> str | None:
    if not week:
        return alerts.latest_week(engine)
    try:
        p = parse_period(week)
    except PeriodError as e:
        raise ServiceError(422, f"week: {e}") from None
    if p.kind != "week":
        raise ServiceError(422, f"week: {week!r} is not an ISO week such as 2024-W20")
    return p.label


def _weeks_before(week: str, n: int = 8) -> list[str]:
    p = parse_period(week)
    out = []
    for i in range(n):
        y, w, _ = (p.start - timedelta(weeks=i)).isocalendar()
        out.append(f"{y}-W{w:02d}")
    return out


@router.get("/")
def alert_page(request: Request, viewer: ViewerDep, engine: EngineDep, week: str | None = None):
    wk = _week(engine, week)
    if wk is None:
        return page(request, "alert.html", viewer, week=None, alert=None, fresh=True, error=None, weeks=[])
    alert, fresh, error = alerts.get_alert(request.app, engine, wk)
    issues = (alert or {}).get("issues", [])
    return page(
        request,
        "alert.html",
        viewer,
        week=wk,
        weeks=_weeks_before(alerts.latest_week(engine) or wk),
        alert=alert,
        fresh=fresh,
        error=error,
        emerging=[i for i in issues if i.get("emerging")],
        top=[i for i in issues if not i.get("emerging")],
    )


@router.get("/issues/{issue_id}")
def issue_page(
    request: Request, viewer: ViewerDep, engine: EngineDep, issue_id: int, week: str | None = None
):
    wk = _week(engine, week)
    alert, fresh, error = alerts.get_alert(request.app, engine, wk) if wk else (None, True, None)
    issue = next((i for i in (alert or {}).get("issues", []) if i["id"] == issue_id), None)
    if alert is not None and issue is None:
        raise ServiceError(404, f"问题 {issue_id} 不在 {wk} 的预警中")
    rows = []
    if issue:
        found = repo.fetch_many(engine, issue["complaint_ids"][:PAGE_SIZE])
        rows = [rec.to_out(found[i]) for i in issue["complaint_ids"][:PAGE_SIZE] if i in found]
    return page(request, "issue.html", viewer, week=wk, issue=issue, rows=rows, fresh=fresh, error=error)


def _date(value: str | None, field: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError(422, f"{field}: {value!r} 不是日期（如 2024-05-13）") from None
    return d + timedelta(days=1) if end and len(value.strip()) == 10 else d


@router.get("/complaints")
def search_page(
    request: Request,
    viewer: ViewerDep,
    engine: EngineDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=201)] = None,
    since: str | None = None,
    until: str | None = None,
    corrected: str | None = None,
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
):
    flag = {"yes": True, "no": False}.get(corrected or "")
    text = (q or "").strip()
    exact = text and repo.fetch_one(engine, text) is not None  # an id: one indexed lookup
    rows, total = repo.list_complaints(
        engine,
        id=text if exact else None,
        count_cap=COUNT_CAP,
        since=_date(since, "since"),
        until=_date(until, "until", end=True),
        category=category or None,
        q=None if exact else text or None,
        corrected=flag,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
        newest_first=True,
    )
    args = {
        "q": q or "",
        "category": category or "",
        "since": since or "",
        "until": until or "",
        "corrected": corrected or "",
    }
    return page(
        request,
        "complaints.html",
        viewer,
        rows=[rec.to_out(r) for r in rows],
        total=total,
        capped=total >= COUNT_CAP,
        page_no=page_no,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
    )
