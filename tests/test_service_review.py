"""Corrections through the API: PATCH, the audit trail, roles, the review queue,
the list filters and the per-week accuracy. In-process app on a real SQLite file
and the real session model; no mocks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.auth import ApiKey, parse_key_file
from hotline_nlp.service.settings import Settings

ANALYST = "analyst-key-0123456789"
READER = "reader-key-0123456789"
PLATFORM = "platform-key-0123456789"
KEYS = (
    ApiKey("alice", "analyst", ANALYST),
    ApiKey("monitor", "read-only", READER),
    ApiKey("platform", "ingest", PLATFORM),
)


def _rows(n: int, seed: int):
    from support import synthetic_rows

    return synthetic_rows(n, seed=seed)


@pytest.fixture(scope="module")
def client(tmp_path_factory, service_models_dir):
    tmp = tmp_path_factory.mktemp("review")
    settings = Settings(
        model="demo", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=service_models_dir, api_keys=KEYS
    )
    with TestClient(create_app(settings)) as c:
        items = [{k: r[k] for k in ("id", "created_at", "title", "body", "district")} for r in _rows(60, 41)]
        res = c.post("/v1/complaints", json={"items": items}, headers={"X-API-Key": PLATFORM})
        assert res.status_code == 201, res.text
        yield c


A = {"X-API-Key": ANALYST}
R = {"X-API-Key": READER}


def _other_path(c, cid):
    """A valid path of the model's taxonomy that is not the complaint's tag."""
    got = c.get(f"/v1/complaints/{cid}", headers=R).json()
    paths = c.app.state.models.model.manifest["labels"]["paths"]
    other = next(p for p in paths if p != got["tags"]["path"])
    return other.split(" > ")


def test_patch_stores_label_makes_it_effective_and_audits_it(client):
    cid = _rows(60, 41)[3]["id"]
    l1, l2 = _other_path(client, cid)
    res = client.patch(f"/v1/complaints/{cid}", json={"label_level1": l1, "label_level2": l2}, headers=A)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["category"] == f"{l1} > {l2}"
    assert body["labels"]["level1"] == l1 and body["correction"]["labelled_by"] == "alice"
    assert body["tags"]["path"] != body["category"]  # the model's tag is kept beside the label
    listed = client.get("/v1/complaints", params={"category": f"{l1} > {l2}", "corrected": "true"}, headers=R)
    assert [x["id"] for x in listed.json()["items"]] == [cid]
    hist = client.get(f"/v1/complaints/{cid}/history", headers=R).json()["items"]
    assert {(h["field"], h["new"], h["who"]) for h in hist} == {
        ("label_level1", l1, "alice"),
        ("label_level2", l2, "alice"),
    }
    assert all(h["old"] is None and h["at"] for h in hist)
    # a unit correction is one more audit row, and the category stays
    res = client.patch(f"/v1/complaints/{cid}", json={"unit": "市住建局"}, headers=A)
    assert res.json()["correction"]["unit"] == "市住建局" and res.json()["category"] == f"{l1} > {l2}"
    assert len(client.get(f"/v1/complaints/{cid}/history", headers=R).json()["items"]) == 3
    # the uncorrected rest
    rest = client.get("/v1/complaints", params={"corrected": "false", "limit": 1000}, headers=R).json()
    assert rest["total"] == 59 and cid not in {x["id"] for x in rest["items"]}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"label_level1": "不存在的分类"}, "label_level1"),
        ({"label_level1": "__L1__", "label_level2": "不存在的二级"}, "label_level2"),
        ({"unit": " "}, "unit"),
        ({}, "body"),
        ({"label_level3": "x"}, "label_level3"),
    ],
)
def test_labels_outside_the_taxonomy_are_422_naming_the_field(client, payload, field):
    cid = _rows(60, 41)[5]["id"]
    if payload.get("label_level1") == "__L1__":
        payload = {**payload, "label_level1": _other_path(client, cid)[0]}
    res = client.patch(f"/v1/complaints/{cid}", json=payload, headers=A)
    assert res.status_code == 422, res.text
    assert (
        field in {e["field"] for e in res.json()["error"]["errors"]}
        or field in res.json()["error"]["message"]
    )
    assert client.get(f"/v1/complaints/{cid}", headers=R).json()["correction"] is None


def test_roles_read_only_may_read_not_correct(client):
    cid = _rows(60, 41)[7]["id"]
    assert client.patch(f"/v1/complaints/{cid}", json={"unit": "x单位"}, headers=R).status_code == 403
    assert client.patch(f"/v1/complaints/{cid}", json={"unit": "x单位"}).status_code == 401
    assert client.patch("/v1/complaints/nope", json={"unit": "x单位"}, headers=A).status_code == 404
    assert client.get(f"/v1/complaints/{cid}", headers=R).status_code == 200


def test_review_queue_is_least_confident_first_and_drops_corrected(client):
    queue = client.get("/v1/review", params={"limit": 50}, headers=R).json()
    conf = [x["tags"]["confidence"] for x in queue]
    assert conf == sorted(conf) and all(x["correction"] is None for x in queue)
    first = queue[0]
    t = first["tags"]
    res = client.patch(
        f"/v1/complaints/{first['id']}",
        json={"label_level1": t["level1"], "label_level2": t["level2"]},
        headers=A,
    )
    assert res.status_code == 200
    again = client.get("/v1/review", params={"limit": 50}, headers=R).json()
    assert first["id"] not in {x["id"] for x in again}
    flagged = client.get("/v1/complaints", params={"needs_review": "true", "limit": 1000}, headers=R).json()
    assert all(x["tags"]["needs_review"] for x in flagged["items"])


def test_metrics_report_accuracy_per_week(client):
    m = client.get("/v1/metrics", headers=R).json()
    assert m["corrected"] >= 1 and m["weeks"]
    assert sum(w["n"] for w in m["weeks"]) == m["corrected"]
    assert all(0 <= w["accuracy"] <= 1 and w["week"][4:6] == "-W" for w in m["weeks"])


def test_key_file_formats(tmp_path):
    old = tmp_path / "old.key"
    old.write_text("a-long-random-key-1234\n")
    assert parse_key_file(old) == (ApiKey("default", "admin", "a-long-random-key-1234"),)
    new = tmp_path / "new.key"
    new.write_text(
        "# name role key\nalice analyst aaaaaaaaaaaaaaaaaaaa\nbob read-only bbbbbbbbbbbbbbbbbbbb\n"
        "hub ingest cccccccccccccccccccc\nops admin dddddddddddddddddddd\n"
    )
    assert [(k.name, k.role) for k in parse_key_file(new)] == [
        ("alice", "analyst"),
        ("bob", "read-only"),
        ("hub", "ingest"),
        ("ops", "admin"),
    ]
    bad = tmp_path / "bad.key"
    bad.write_text("alice root aaaaaaaaaaaaaaaaaaaa\nbob read-only bbbbbbbbbbbbbbbbbbbb\n")
    with pytest.raises(ValueError, match=r"bad.key:1: role 'root'"):
        parse_key_file(bad)


def test_hotspots_see_a_correction_at_once(client):
    rows = _rows(60, 41)
    week = max(r["created_at"] for r in rows)[:10]
    from datetime import date

    y, w, _ = date.fromisoformat(week).isocalendar()
    period = f"{y}-W{w:02d}"
    before = client.get("/v1/hotspots", params={"period": period}, headers=R).json()
    in_week = [r for r in rows if date.fromisoformat(r["created_at"][:10]).isocalendar()[:2] == (y, w)]
    cid = in_week[0]["id"]
    l1, l2 = _other_path(client, cid)
    target = l1
    assert (
        client.patch(
            f"/v1/complaints/{cid}", json={"label_level1": l1, "label_level2": l2}, headers=A
        ).status_code
        == 200
    )
    after = client.get("/v1/hotspots", params={"period": period}, headers=R).json()
    count = lambda alert: {c["category"]: c["count"] for c in alert["categories"]}.get(target, 0)  # noqa: E731
    assert count(after) == count(before) + 1
