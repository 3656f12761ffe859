"""Input no store or output can hold is a 4xx naming the field, never a 5xx
(issue 17, item 3): lone UTF-16 surrogates from JSON escapes, NUL characters,
and integers past a database's range. In-process (TestClient) against a real
store (SQLite and PostgreSQL) and a real small model.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.settings import Settings

GOOD = {"id": "H-0", "created_at": "2024-05-13T09:30:00", "text": "噪音扰民"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(request, tmp_path_factory, service_models_dir):
    """One app per store kind for the module (the model loads once each)."""
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'complaints.db'}"
    else:
        from support import PgCluster

        reason = PgCluster.unavailable_reason()
        if reason:
            pytest.skip(f"PostgreSQL: {reason}")
        db_url = PgCluster.shared().fresh_database()
    settings = Settings(model="demo", db_url=db_url, models_dir=service_models_dir, auth_disabled=True)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def post_raw(client, path: str, body: dict, **escapes: str):
    """POST ``body`` as JSON with placeholders replaced by raw JSON escapes
    (``json.dumps`` of a str holding a lone surrogate would not survive httpx)."""
    text = json.dumps(body)
    for placeholder, escape in escapes.items():
        text = text.replace(placeholder, escape)
    return client.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def assert_4xx_naming(res, field: str) -> None:
    assert 400 <= res.status_code < 500, (res.status_code, res.text)
    err = res.json()["error"]
    assert any(e["field"] == field for e in err["errors"]), err
    assert err["message"].startswith(field + ":"), err


BAD_STRINGS = [
    ("/v1/complaints", {**GOOD, "id": "SUR"}, "id"),
    ("/v1/classify", {"id": "SUR", "text": "噪音"}, "id"),
    ("/v1/classify", {"items": [{"text": "a"}, {"id": "x-SUR", "text": "b"}]}, "items[1].id"),
    ("/v1/complaints", {**GOOD, "text": "噪音SUR扰民"}, "text"),
    ("/v1/complaints", {**GOOD, "district": "SUR"}, "district"),
    ("/v1/complaints", {**GOOD, "level1": "SUR"}, "level1"),
    ("/v1/complaints", {"items": [{**GOOD, "title": "SUR"}]}, "items[0].title"),
    ("/v1/complaints", {**GOOD, "id": "H-NUL"}, "id"),
    ("/v1/complaints", {**GOOD, "text": "噪音NUL"}, "text"),
    ("/v1/complaints", {**GOOD, "caller": "NUL"}, "caller"),
    ("/v1/classify", {"text": "NUL"}, "text"),
]


def test_lone_surrogates_and_nul_are_422_naming_the_field(client):
    for path, body, field in BAD_STRINGS:
        res = post_raw(client, path, body, SUR="\\ud800", NUL="\\u0000")
        assert res.status_code == 422, (path, body, res.text)
        assert_4xx_naming(res, field)
    # a proper surrogate pair (an astral character) is fine
    res = post_raw(client, "/v1/complaints", {**GOOD, "text": "噪音PAIR"}, PAIR="\\ud83d\\ude00")
    assert res.status_code == 201, res.text
    assert res.json()["text"] == "噪音\U0001f600"
    ids = [r["id"] for r in client.get("/v1/complaints").json()["items"]]
    assert ids == ["H-0"]  # nothing else was stored


@pytest.mark.parametrize(
    "query,field",
    [
        ("offset=9223372036854775808", "offset"),
        ("offset=9223372036854775807", "offset"),
        ("offset=99999999999999999999999999", "offset"),
        ("limit=99999999999999999999999999", "limit"),
        ("category=%00", "category"),
        ("since=2024-01-01%00", "since"),
        ("changed_since=%00", "changed_since"),
    ],
)
def test_out_of_range_and_nul_query_parameters(client, query, field):
    res = client.get("/v1/complaints?" + query)
    assert res.status_code == 422, res.text
    assert_4xx_naming(res, field)


def test_largest_offset_still_answers(client):
    from hotline_nlp.service.schemas import MAX_OFFSET

    res = client.get(f"/v1/complaints?offset={MAX_OFFSET}")
    assert res.status_code == 200 and res.json()["items"] == []
    assert_4xx_naming(client.get("/v1/complaints/bad%00id"), "complaint_id")
    assert_4xx_naming(client.get("/v1/hotspots?period=2024-W20%00"), "period")
