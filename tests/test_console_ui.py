"""The console's access rules and pages, in process (TestClient on a real SQLite
store and the real session model): login for a session cookie, redirect without
one, the X-API-Key header instead of a cookie, CSRF on forms, roles, and that
every page renders in Chinese."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.auth import SESSION_COOKIE, ApiKey
from hotline_nlp.service.settings import Settings

ANALYST = "console-analyst-key-0001"
READER = "console-reader-key-00001"
PLATFORM = "console-platform-key-001"
KEYS = (
    ApiKey("wang", "analyst", ANALYST),
    ApiKey("li", "read-only", READER),
    ApiKey("hub", "ingest", PLATFORM),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory, service_models_dir):
    from support import synthetic_rows

    tmp = tmp_path_factory.mktemp("console")
    settings = Settings(
        model="demo", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=service_models_dir, api_keys=KEYS
    )
    application = create_app(settings)
    with TestClient(application) as c:
        items = [
            {k: r[k] for k in ("id", "created_at", "title", "body", "district")}
            for r in synthetic_rows(40, 51)
        ]
        assert (
            c.post("/v1/complaints", json={"items": items}, headers={"X-API-Key": PLATFORM}).status_code
            == 201
        )
        yield application


def _client(app, base="http://testserver") -> TestClient:
    c = TestClient(app, base_url=base, follow_redirects=False)
    return c


def login(app, key: str, base="http://testserver") -> tuple[TestClient, str]:
    c = _client(app, base)
    form = c.get("/ui/login?next=/ui/review")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    res = c.post("/ui/login", data={"key": key, "csrf": token, "next": "/ui/review"})
    assert res.status_code == 303 and res.headers["location"] == "/ui/review", res.text
    return c, res.headers["set-cookie"]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)


@pytest.mark.parametrize(
    "path", ["/ui/", "/ui/review", "/ui/complaints?q=x", "/ui/metrics", "/ui/bulletin", "/ui/issues/1"]
)
def test_pages_redirect_to_login_without_a_session(app, path):
    res = _client(app).get(path)
    assert res.status_code == 303 and res.headers["location"].startswith("/ui/login?next=")


def test_login_sets_a_hardened_cookie_and_wrong_keys_fail(app):
    c, cookie = login(app, ANALYST)
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    _, https_cookie = login(app, ANALYST, base="https://testserver")
    assert "Secure" in https_cookie
    page = c.get("/ui/review")
    assert page.status_code == 200 and "审核队列" in page.text and "wang（分析员）" in page.text
    bad = _client(app)
    form = bad.get("/ui/login")
    res = bad.post("/ui/login", data={"key": "nope-nope-nope-nope", "csrf": csrf_of(form.text)})
    assert (
        res.status_code == 200
        and "密钥不正确" in res.text
        and SESSION_COOKIE not in res.headers.get("set-cookie", "")
    )
    # a login post without the login form's token is refused
    res = _client(app).post("/ui/login", data={"key": ANALYST, "csrf": "forged"})
    assert res.status_code == 403


def test_review_posts_need_csrf_and_an_analyst(app):
    c, _ = login(app, ANALYST)
    page = c.get("/ui/review").text
    cid = re.search(r'data-id="([^"]+)"', page).group(1)
    assert c.post(f"/ui/review/{cid}", data={"action": "accept"}).status_code == 403  # no token
    res = c.post(
        f"/ui/review/{cid}",
        data={"action": "accept", "csrf": csrf_of(page)},
        headers={"X-Requested-With": "fetch"},
    )
    assert res.status_code == 200 and f"已确认 {cid}" in res.text
    assert re.search(r'data-id="([^"]+)"', res.text).group(1) != cid  # the next item
    got = c.get(f"/v1/complaints/{cid}", headers={"X-API-Key": READER}).json()
    assert got["correction"]["labelled_by"] == "wang" and got["labels"]["level1"] == got["tags"]["level1"]
    r, _ = login(app, READER)
    rpage = r.get("/ui/review").text
    assert "只读账号" in rpage
    rid = re.search(r'data-id="([^"]+)"', rpage).group(1)
    assert r.post(f"/ui/review/{rid}", data={"action": "accept", "csrf": csrf_of(rpage)}).status_code == 403


def test_api_key_header_serves_pages_without_a_cookie(app):
    c = _client(app)
    for path in ("/ui/review", "/ui/complaints", "/ui/metrics", "/ui/bulletin"):
        res = c.get(path, headers={"X-API-Key": READER})
        assert res.status_code == 200 and 'lang="zh-CN"' in res.text, path
    assert c.get("/ui/review", headers={"X-API-Key": "wrong-key-wrong-key"}).status_code == 401


def test_search_by_id_text_and_category(app):
    from support import synthetic_rows

    row = synthetic_rows(40, 51)[9]
    c = _client(app)
    h = {"X-API-Key": READER}
    assert row["id"] in c.get("/ui/complaints", params={"q": row["id"]}, headers=h).text
    words = row["body"][3:9]
    assert row["id"] in c.get("/ui/complaints", params={"q": words}, headers=h).text
    assert row["id"] in c.get("/ui/complaints", params={"q": row["body"][3:5]}, headers=h).text  # 2: scan
    for q in ['"', '气" OR 热*', "NEAR(a b)", "'); --", "%_"]:  # FTS syntax is plain text: no 500
        assert c.get("/ui/complaints", params={"q": q}, headers=h).status_code == 200, q
    res = c.get("/ui/complaints", params={"since": "2030-01-01"}, headers=h)
    assert "共 0 件" in res.text


def test_static_files_and_the_cjk_font(app):
    c = _client(app)
    font = c.get("/ui/static/NotoSansCJKsc-Regular.otf")
    assert font.status_code == 200 and font.content[:4] == b"OTTO" and len(font.content) > 10_000_000
    assert "@font-face" in c.get("/ui/static/console.css").text
    assert c.get("/ui/static/..%2Fapp.py").status_code == 404


def test_logout_ends_the_session(app):
    c, _ = login(app, ANALYST)
    page = c.get("/ui/metrics").text
    assert c.post("/ui/logout", data={"csrf": csrf_of(page)}).status_code == 303
    assert c.get("/ui/metrics").status_code == 303


def test_bulletin_page_builds_and_downloads_the_report(app):
    from support import synthetic_rows

    month = synthetic_rows(40, 51)[0]["created_at"][:7]
    c, _ = login(app, READER)
    page = c.get("/ui/bulletin").text
    for kind, magic in (("docx", b"PK"), ("html", b"<!")):
        res = c.post("/ui/bulletin", data={"period": month, "format": kind, "csrf": csrf_of(page)})
        assert res.status_code == 200, res.text[:300]
        assert res.content[:2] == magic and "attachment" in res.headers["content-disposition"]
    if kind == "html":
        assert "专报" in res.text or "热线" in res.text
    bad = c.post("/ui/bulletin", data={"period": "2024-13", "format": "docx", "csrf": csrf_of(page)})
    assert bad.status_code == 422 and "时段有误" in bad.text
    assert (
        c.post("/ui/bulletin", data={"period": month, "format": "docx"}).status_code == 403
    )  # no CSRF token
