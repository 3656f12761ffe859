"""Roles hold on every route: the routes, methods and their permissions are read
from the app itself (so a route added without a permission fails here), every
role is tried on every route over a real SQLite store and the real session
model, refused writes leave the store as it was, outcome updates are in the
audit trail with the key's name, and SECURITY.md's table is the app's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.auth import PERMISSIONS, ROLE_PERMISSIONS, ApiKey
from hotline_nlp.service.deps import Requires
from hotline_nlp.service.settings import Settings
from hotline_nlp.service.ui.access import Console
from sqlalchemy import create_engine, text

SECURITY_MD = Path(__file__).resolve().parents[1] / "SECURITY.md"
KEY = {role: f"{role}-key-for-the-roles-test" for role in ROLE_PERMISSIONS}
NAME = {"read-only": "monitor", "ingest": "platform", "analyst": "alice", "admin": "ops"}
IDS = [f"R{i:03d}" for i in range(30)]


def _rows():
    from support import synthetic_rows

    rows = synthetic_rows(len(IDS), seed=77)
    return [
        {**{k: r[k] for k in ("created_at", "title", "body", "district")}, "id": cid}
        for cid, r in zip(IDS, rows)
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory, service_models_dir):
    tmp = tmp_path_factory.mktemp("roles")
    db = tmp / "c.db"
    settings = Settings(
        # pinned version: the console's retrain answers 409 instead of starting a training
        model="demo@v1",
        db_url=f"sqlite:///{db}",
        models_dir=service_models_dir,
        api_keys=tuple(ApiKey(NAME[r], r, k) for r, k in KEY.items()),
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        res = c.post("/v1/complaints", json={"items": _rows()}, headers={"X-API-Key": KEY["ingest"]})
        assert res.status_code == 201, res.text
        yield app, c, f"sqlite:///{db}"


def routes(app):
    """Every route the app serves, included routers flattened (``app.routes`` holds
    the included routers themselves in this FastAPI)."""
    for ctx in iter_route_contexts(app.routes):
        yield ctx, ctx.original_route


def declared(route) -> list[str]:
    """Every permission dependency of ``route``, however deep."""
    found, todo = [], list(route.dependant.dependencies)
    while todo:
        d = todo.pop()
        if isinstance(d.call, Requires | Console):
            found.append(d.call.permission)
        todo.extend(d.dependencies)
    return found


def doc_paths(app) -> set[str]:
    """FastAPI's own documentation routes (plain routes, no dependencies): public."""
    return {
        p for p in (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p
    }


def route_table(app) -> dict[tuple[str, str], str]:
    """(method, path) -> permission, for every route the app serves."""
    table = {}
    for ctx, original in routes(app):
        if isinstance(original, APIRoute):
            perms = declared(ctx)
            assert len(perms) == 1, f"{ctx.path} {sorted(ctx.methods)} declares {perms or 'no permission'}"
            for m in ctx.methods:
                table[(m, ctx.path)] = perms[0]
        else:
            assert ctx.path in doc_paths(app), f"{ctx.path}: a route that is not an APIRoute"
            for m in ctx.methods or {"GET"}:
                if m != "HEAD":
                    table[(m, ctx.path)] = "public"
    return table


def test_every_route_declares_exactly_one_known_permission(served):
    app, _, _ = served
    table = route_table(app)
    assert set(table.values()) <= set(PERMISSIONS)
    writes = {k: p for k, p in table.items() if k[0] in ("POST", "PATCH", "PUT", "DELETE")}
    # the routes that change the store, and what they need
    assert writes[("POST", "/v1/complaints")] == "ingest"
    assert writes[("PATCH", "/v1/complaints/{complaint_id}")] == "correct"
    assert writes[("POST", "/ui/review/{complaint_id}")] == "correct"
    assert writes[("POST", "/ui/retrain")] == "retrain"
    # a route added without a permission is caught (here: one the test adds to a throwaway app)
    extra = create_app(app.state.settings)
    extra.get("/v1/unguarded")(lambda: {})
    with pytest.raises(AssertionError, match="/v1/unguarded"):
        route_table(extra)


def _snapshot(url: str) -> tuple:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT * FROM complaints ORDER BY id")).all()
            trail = conn.execute(text("SELECT * FROM label_changes ORDER BY id")).all()
        return [tuple(r) for r in rows], [tuple(r) for r in trail]
    finally:
        eng.dispose()


def _request(c: TestClient, method: str, path: str, headers: dict):
    """A request that would change the store where the route writes."""
    url = path.replace("{complaint_id}", IDS[0]).replace("{issue_id}", "1").replace("{name}", "console.css")
    if method == "POST" and path == "/v1/complaints":
        stored = {**_rows()[0], "closed": False, "satisfaction": "不满意"}
        new = {**_rows()[1], "id": "R-NEW-1"}
        return c.post(url, json={"items": [stored, new]}, headers=headers)
    if method == "PATCH":
        return c.patch(url, json={"unit": "被拒绝的单位"}, headers=headers)
    if method == "POST" and path == "/v1/classify":
        return c.post(url, json={"text": "小区物业不让安装充电桩"}, headers=headers)
    if method == "POST" and path.startswith("/ui/review/"):
        return c.post(url, data={"action": "accept"}, headers=headers)
    if method == "POST":
        return c.post(url, data={}, headers=headers)
    return c.request(method, url, headers=headers)


def test_every_role_on_every_route(served):
    """Allowed: never 401/403. Refused: 403 and the store (rows and audit trail) unchanged.
    Without a key: 401 on the API, the login page on the console."""
    app, c, url = served
    console = {
        (m, ctx.path) for ctx, _ in routes(app) for m in ctx.methods or () if ctx.path.startswith("/ui")
    }
    tried = 0
    for (method, path), perm in sorted(route_table(app).items()):
        if path in ("/docs", "/redoc", "/docs/oauth2-redirect") or method == "HEAD":
            continue  # FastAPI's own pages: public, nothing of ours behind them
        for role, key in KEY.items():
            before = _snapshot(url)
            res = _request(c, method, path, {"X-API-Key": key})
            tried += 1
            if perm == "public" or perm in ROLE_PERMISSIONS[role]:
                assert res.status_code not in (401, 403), (method, path, role, res.text[:300])
            else:
                assert res.status_code == 403, (method, path, role, res.status_code, res.text[:300])
                assert _snapshot(url) == before, f"{method} {path} refused to {role} but changed the store"
        if perm != "public":
            before = _snapshot(url)
            res = _request(c, method, path, {})
            expected = 303 if (method, path) in console else 401
            assert res.status_code == expected, (method, path, "no key", res.status_code)
            assert _snapshot(url) == before
    assert tried >= 4 * 15


def test_read_only_key_can_neither_create_nor_overwrite_an_outcome(served):
    """The issue's case: a read-only key created a complaint (201) and overwrote
    ``closed``/``satisfaction`` (200, updated). Both are 403 now, nothing stored."""
    _, c, url = served
    before = _snapshot(url)
    r = {"X-API-Key": KEY["read-only"]}
    new = c.post("/v1/complaints", json={**_rows()[2], "id": "R-BY-READER"}, headers=r)
    assert new.status_code == 403 and "ingest" in new.json()["error"]["message"]
    upd = c.post("/v1/complaints", json={**_rows()[3], "closed": True, "satisfaction": "满意"}, headers=r)
    assert upd.status_code == 403
    assert _snapshot(url) == before
    assert c.get("/v1/complaints/R-BY-READER", headers=r).status_code == 404
    # an analyst corrects, but does not rewrite outcomes either
    a = {"X-API-Key": KEY["analyst"]}
    assert c.post("/v1/complaints", json={**_rows()[3], "closed": True}, headers=a).status_code == 403
    assert _snapshot(url) == before


def test_outcome_updates_are_in_the_history_with_the_keys_name(served):
    _, c, _ = served
    cid = IDS[5]
    row = {**_rows()[5], "closed": True, "satisfaction": "基本满意", "stars": 2}
    res = c.post("/v1/complaints", json=row, headers={"X-API-Key": KEY["ingest"]})
    assert res.status_code == 200 and res.json()["status"] == "updated", res.text
    again = c.post(
        "/v1/complaints", json={**row, "satisfaction": "满意"}, headers={"X-API-Key": KEY["admin"]}
    )
    assert again.json()["status"] == "updated"
    hist = c.get(f"/v1/complaints/{cid}/history", headers={"X-API-Key": KEY["read-only"]}).json()["items"]
    got = [(h["field"], h["old"], h["new"], h["who"]) for h in hist]
    assert got == [
        ("closed", None, "true", "platform"),
        ("satisfaction", None, "基本满意", "platform"),
        ("stars", None, "2", "platform"),
        ("satisfaction", "基本满意", "满意", "ops"),
    ]
    # a repeat with nothing new is not a change
    c.post("/v1/complaints", json={**row, "satisfaction": "满意"}, headers={"X-API-Key": KEY["ingest"]})
    assert (
        len(c.get(f"/v1/complaints/{cid}/history", headers={"X-API-Key": KEY["ingest"]}).json()["items"]) == 4
    )


def _security_table() -> tuple[dict, dict]:
    """SECURITY.md's "Roles" tables: permissions per role, and the permission per route."""
    text_ = SECURITY_MD.read_text(encoding="utf-8")
    roles_part = text_.split("<!-- roles -->", 1)[1].split("<!-- /roles -->", 1)[0]
    routes_part = text_.split("<!-- routes -->", 1)[1].split("<!-- /routes -->", 1)[0]

    def rows(part):
        lines = [ln.strip() for ln in part.splitlines() if ln.strip().startswith("|")]
        return [[c.strip().strip("`") for c in ln.strip("|").split("|")] for ln in lines[2:]]

    header = [c.strip() for c in roles_part.strip().splitlines()[0].strip("|").split("|")]
    roles = {}
    for cells in rows(roles_part):
        roles[cells[0]] = {header[i] for i, v in enumerate(cells) if i and v == "✓"}
    routes = {}
    for cells in rows(routes_part):
        for method in cells[0].split(", "):
            routes[(method, cells[1])] = cells[2]
    return roles, routes


def test_security_md_tables_are_the_apps(served):
    app, _, _ = served
    roles, routes = _security_table()
    assert roles == {r: set(p) | {"public"} for r, p in ROLE_PERMISSIONS.items()}
    table = {k: v for k, v in route_table(app).items() if k[0] != "HEAD"}
    assert routes == table, sorted(set(routes.items()) ^ set(table.items()))


def test_no_auth_is_admin_and_one_line_key_files_are_admin(tmp_path):
    from hotline_nlp.service.auth import ANONYMOUS, parse_key_file

    assert ANONYMOUS.role == "admin" and all(ANONYMOUS.can(p) for p in PERMISSIONS)
    one = tmp_path / "one.key"
    one.write_text("a-single-long-key-000\n")
    (k,) = parse_key_file(one)
    assert k.role == "admin" and k.can("ingest") and k.can("correct")


def test_roles_and_the_outcome_trail_on_either_store(db_url, service_models_dir):
    """The refusals, the outcome audit rows and likes (migration 0007) on SQLite and
    on a real PostgreSQL (the slow tier, tests/support's throwaway cluster)."""
    settings = Settings(
        model="demo@v1",
        db_url=db_url,
        models_dir=service_models_dir,
        api_keys=tuple(ApiKey(NAME[r], r, k) for r, k in KEY.items()),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        first = {**_rows()[0], "likes": 3}
        assert c.post("/v1/complaints", json=first, headers={"X-API-Key": KEY["ingest"]}).status_code == 201
        before = _snapshot(db_url)
        update = {**first, "closed": True, "satisfaction": "不满意", "likes": 9}
        for role in ("read-only", "analyst"):
            assert c.post("/v1/complaints", json=update, headers={"X-API-Key": KEY[role]}).status_code == 403
            res = c.post("/v1/complaints", json={**_rows()[1]}, headers={"X-API-Key": KEY[role]})
            assert res.status_code == 403
        assert _snapshot(db_url) == before
        res = c.post("/v1/complaints", json=update, headers={"X-API-Key": KEY["ingest"]})
        assert res.status_code == 200 and res.json()["likes"] == 9 and res.json()["closed"] is True
        hist = c.get(f"/v1/complaints/{IDS[0]}/history", headers={"X-API-Key": KEY["read-only"]}).json()
        assert [(h["field"], h["old"], h["new"], h["who"]) for h in hist["items"]] == [
            ("closed", None, "true", "platform"),
            ("satisfaction", None, "不满意", "platform"),
            ("likes", "3", "9", "platform"),
        ]
