"""The HTTP API against the real server: ``hotline-nlp serve`` in a subprocess on
a free loopback port, a real SQLite file, a real (small) trained model.

Covers every endpoint, the API key, the limits, idempotency and the bad inputs
the issue lists: none of them may produce a 5xx or a stack trace.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
from support import Server, synthetic_rows

os.environ.setdefault("HF_HUB_OFFLINE", "1")
KEY = "test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory, service_models_dir):
    tmp = tmp_path_factory.mktemp("api")
    (tmp / "key").write_text(KEY + "\n")
    srv = Server(
        "demo",
        f"sqlite:///{tmp / 'data' / 'complaints.db'}",
        models_dir=service_models_dir,
        api_key_file=tmp / "key",
        log_path=tmp / "server.log",
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory, service_models_dir):
    """A second server with tight limits and CORS on for one origin."""
    tmp = tmp_path_factory.mktemp("api-limits")
    srv = Server(
        "demo",
        f"sqlite:///{tmp / 'c.db'}",
        models_dir=service_models_dir,
        log_path=tmp / "server.log",
        extra=(
            "--max-batch",
            "5",
            "--max-text-chars",
            "200",
            "--max-body-mb",
            "0.01",
            "--cors-origin",
            "https://ops.example.gov.cn",
        ),
    ).start()
    yield srv
    srv.stop()


@pytest.fixture()
def api(server):
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=30) as client:
        yield client


def as_stored(body: dict) -> dict:
    """An ingest answer without its ``status``: the record as GET returns it."""
    return {k: v for k, v in body.items() if k != "status"}


def complaint(i: int, seed: int = 1, **over) -> dict:
    r = synthetic_rows(i + 1, seed=seed)[i]
    body = {k: r[k] for k in ("id", "created_at", "title", "body", "district", "caller")}
    return {**body, **over}


def assert_error(res: httpx.Response, status: int, field: str | None = None) -> dict:
    assert res.status_code == status, res.text
    assert "Traceback" not in res.text and 'File "' not in res.text
    err = res.json()["error"]
    assert err["status"] == status and err["message"]
    if field is not None:
        assert field in err["message"], err
        assert any(e["field"] == field for e in err["errors"]), err
    return err


# --- health, docs, auth ---------------------------------------------------------


def test_health_and_readiness(server):
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    ready = httpx.get(server.url + "/readyz").json()
    assert ready["status"] == "ok" and ready["checks"] == {"model": "ok", "database": "ok"}
    assert ready["model"] == "demo" and ready["model_version"]


def test_openapi_documents_every_endpoint(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/classify", "post"),
        ("/v1/complaints", "post"),
        ("/v1/complaints", "get"),
        ("/v1/complaints/{complaint_id}", "get"),
        ("/v1/hotspots", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]
    assert {"ComplaintIn", "ComplaintOut", "TagOut", "ErrorOut"} <= set(spec["components"]["schemas"])


def test_api_key_is_required(server):
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}):
        res = httpx.post(server.url + "/v1/classify", json={"text": "噪音扰民"}, headers=headers)
        assert_error(res, 401)
        res = httpx.get(server.url + "/v1/complaints", headers=headers)
        assert_error(res, 401)
    assert (
        httpx.post(
            server.url + "/v1/classify", json={"text": "噪音扰民"}, headers={"X-API-Key": KEY}
        ).status_code
        == 200
    )


def test_cors_is_off_by_default_and_on_for_named_origins(server, small_limits):
    pre = {"Origin": "https://ops.example.gov.cn", "Access-Control-Request-Method": "POST"}
    res = httpx.options(server.url + "/v1/classify", headers=pre)
    assert "access-control-allow-origin" not in res.headers
    res = httpx.options(small_limits.url + "/v1/classify", headers=pre)
    assert res.headers.get("access-control-allow-origin") == "https://ops.example.gov.cn"
    res = httpx.options(small_limits.url + "/v1/classify", headers={**pre, "Origin": "https://evil.example"})
    assert res.headers.get("access-control-allow-origin") is None


# --- classify -------------------------------------------------------------------


def test_classify_one_and_many_without_storing(api, service_models_dir):
    from hotline_nlp.models.store import load_model

    before = api.get("/v1/complaints").json()["total"]
    one = api.post("/v1/classify", json={"id": "q1", "text": "物业拒绝业主安装新能源汽车充电桩"})
    assert one.status_code == 200, one.text
    tag = one.json()
    model = load_model("demo", models_dir=service_models_dir)
    expected = model.predict(["物业拒绝业主安装新能源汽车充电桩"], top_k=3)[0]
    assert tag["id"] == "q1" and tag["model"] == "demo" and tag["model_version"] == str(model.version)
    assert tag["path"] == expected["pred_path"] and tag["level1"] == expected["pred_level1"]
    assert abs(tag["confidence"] - expected["confidence"]) < 1e-6
    assert tag["needs_review"] == expected["needs_review"] and isinstance(tag["needs_review"], bool)
    assert tag["top_k"] == expected["top_k"] and len(tag["top_k"]) == 3

    texts = [{"text": r["body"]} for r in synthetic_rows(30, seed=9)]
    many = api.post("/v1/classify", params={"top_k": 2}, json={"items": texts})
    assert many.status_code == 200
    body = many.json()
    assert len(body["items"]) == 30 and body["model"] == "demo"
    assert all(len(t["top_k"]) == 2 for t in body["items"])
    hits = sum(t["level1"] == r["level1"] for t, r in zip(body["items"], synthetic_rows(30, seed=9)))
    assert hits >= 24  # the toy topics are easy: a model that learnt nothing fails this
    assert api.get("/v1/complaints").json()["total"] == before  # nothing stored


def test_classify_title_and_body(api):
    res = api.post("/v1/classify", json={"title": "工资", "body": "公司拖欠工资三个月不发"})
    assert res.status_code == 200 and res.json()["level1"]


# --- ingest, fetch, list ----------------------------------------------------------


def test_ingest_one_then_fetch_it(api):
    c = complaint(0, seed=11, level1="劳动保障", level2="拖欠工资")
    res = api.post("/v1/complaints", json=c)
    assert res.status_code == 201, res.text
    rec = res.json()
    assert rec["id"] == c["id"] and rec["district"] == c["district"]
    assert rec["tags"]["model"] == "demo" and rec["tags"]["model_version"]
    assert rec["labels"] == {"level1": "劳动保障", "level2": "拖欠工资"}
    assert rec["category"] == "劳动保障 > 拖欠工资"  # the human label wins over the tag
    assert rec["status"] == "created"
    got = api.get(f"/v1/complaints/{c['id']}")
    assert got.status_code == 200 and got.json() == as_stored(rec)


def test_ingest_is_idempotent_by_id(api):
    c = complaint(1, seed=12)
    first = api.post("/v1/complaints", json=c)
    assert first.status_code == 201
    again = api.post("/v1/complaints", json=c)
    assert again.status_code == 200 and as_stored(again.json()) == as_stored(
        first.json()
    )  # the stored record
    assert (first.json()["status"], again.json()["status"]) == ("created", "existing")
    clash = api.post("/v1/complaints", json={**c, "body": c["body"] + "（补充：已经第三次反映）"})
    assert_error(clash, 409, "id")
    assert api.get(f"/v1/complaints/{c['id']}").json()["body"] == first.json()["body"]


def test_batch_of_100_and_its_repeat(api):
    items = [complaint(i, seed=13) for i in range(100)]
    res = api.post("/v1/complaints", json={"items": items})
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["created"] == 100 and body["existing"] == 0
    assert [r["id"] for r in body["items"]] == [c["id"] for c in items]
    res = api.post("/v1/complaints", json={"items": items})
    assert res.status_code == 200 and res.json()["created"] == 0 and res.json()["existing"] == 100


def test_batch_with_one_conflict_stores_nothing(api):
    stored = complaint(0, seed=14)
    assert api.post("/v1/complaints", json=stored).status_code == 201
    fresh = [complaint(i, seed=14) for i in range(1, 6)]
    res = api.post("/v1/complaints", json={"items": [*fresh, {**stored, "district": "盘山县X"}]})
    assert_error(res, 409, "items[5].id")
    for c in fresh:
        assert api.get(f"/v1/complaints/{c['id']}").status_code == 404


def test_same_id_twice_in_one_batch(api):
    c = complaint(0, seed=15)
    res = api.post("/v1/complaints", json={"items": [c, c]})
    assert res.status_code == 201 and res.json()["created"] == 1
    d = complaint(1, seed=15)
    res = api.post("/v1/complaints", json={"items": [d, {**d, "body": "另一件事"}]})
    assert_error(res, 422, "items[1].id")


def test_list_by_time_and_category(api):
    items = [
        complaint(
            i,
            seed=16,
            created_at=f"2023-02-{1 + i % 20:02d}T10:00:00",
            level1="城乡建设" if i % 2 else None,
            level2="道路维修" if i % 2 else None,
        )
        for i in range(40)
    ]
    assert api.post("/v1/complaints", json={"items": items}).status_code == 201
    res = api.get("/v1/complaints", params={"since": "2023-02-01", "until": "2023-02-10"})
    body = res.json()
    expected = [c for c in items if c["created_at"] < "2023-02-11"]
    assert body["total"] == len(expected) and body["next_offset"] is None
    times = [r["created_at"] for r in body["items"]]
    assert times == sorted(times)
    res = api.get(
        "/v1/complaints",
        params={"since": "2023-02-01", "until": "2023-02-28", "category": "城乡建设 > 道路维修"},
    ).json()
    assert res["total"] >= 20 and all(r["category"] == "城乡建设 > 道路维修" for r in res["items"])
    page = api.get(
        "/v1/complaints", params={"since": "2023-02-01", "until": "2023-02-28", "limit": 15}
    ).json()
    assert len(page["items"]) == 15 and page["next_offset"] == 15
    rest = api.get(
        "/v1/complaints", params={"since": "2023-02-01", "until": "2023-02-28", "limit": 100, "offset": 15}
    ).json()
    ids = [r["id"] for r in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 40


def test_unknown_id_is_404(api):
    assert_error(api.get("/v1/complaints/NO-SUCH-ID"), 404, "complaint_id")


# --- hotspots ---------------------------------------------------------------------


def test_hotspots_is_the_engines_json_for_the_stored_week(api, server):
    items = [complaint(i, seed=17, created_at=f"2024-05-{13 + i % 7:02d}T09:00:00") for i in range(60)]
    assert api.post("/v1/complaints", json={"items": items}).status_code in (200, 201)
    res = api.get("/v1/hotspots", params={"period": "2024-W20"})
    try:
        from hotline_nlp.topics.hotspots import weekly_alert
    except ImportError:
        assert_error(res, 503)
        assert "hotspot engine" in res.json()["error"]["message"]
        return
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["kind"] == "weekly_alert" and body["period"]["label"] == "2024-W20"
    assert body["total"] >= 60
    # the same computation the CLI runs, on the same stored complaints
    import pandas as pd
    from hotline_nlp.service.routers.hotspots import HISTORY_DAYS
    from hotline_nlp.service.store import records, repository
    from hotline_nlp.service.store.db import make_engine

    engine = make_engine(server.db_url)
    start = pd.Timestamp("2024-05-13")
    frame = records.to_frame(
        repository.iter_rows(
            engine,
            since=(start - pd.Timedelta(days=HISTORY_DAYS)).to_pydatetime(),
            until=(start + pd.Timedelta(days=7)).to_pydatetime(),
        )
    )
    engine.dispose()
    expected = json.loads(json.dumps(weekly_alert(frame, "2024-W20"), ensure_ascii=False, default=str))
    assert body == expected
    again = api.get("/v1/hotspots", params={"period": "2024-W20"})  # cached: the window did not change
    assert again.json() == body and again.elapsed.total_seconds() < 1


def test_hotspot_cache_recomputes_when_the_window_changes():
    """The cache key is (week, rows in the window); one computation per key even under concurrency."""
    import threading

    from hotline_nlp.service.routers.hotspots import AlertCache

    cache, calls = AlertCache(size=2), []

    def compute(n):
        def run():
            calls.append(n)
            return {"n": n}

        return run

    threads = [
        threading.Thread(target=cache.get_or_compute, args=(("2024-W20", 10), compute(10))) for _ in range(5)
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert calls == [10]
    assert cache.get_or_compute(("2024-W20", 11), compute(11)) == {"n": 11} and calls == [10, 11]
    cache.get_or_compute(("2024-W21", 3), compute(3))
    cache.get_or_compute(("2024-W20", 10), compute(10))  # evicted (size 2): computed again
    assert calls == [10, 11, 3, 10]


def test_hotspots_bad_periods(api):
    assert_error(api.get("/v1/hotspots", params={"period": "2024-W99"}), 422, "period")
    assert_error(api.get("/v1/hotspots", params={"period": "2031-W02"}), 422, "period")  # nothing stored then
    assert_error(api.get("/v1/hotspots", params={"period": "2024-05"}), 422, "period")
    assert_error(api.get("/v1/hotspots"), 422, "period")


# --- bad input: always a 4xx naming the field, never a 5xx --------------------------

GOOD = {"id": "BAD-0", "created_at": "2024-05-13T09:30:00", "text": "噪音扰民"}
BAD_INGEST = [
    ({k: v for k, v in GOOD.items() if k != "id"}, 422, "id"),
    ({k: v for k, v in GOOD.items() if k != "created_at"}, 422, "created_at"),
    ({k: v for k, v in GOOD.items() if k != "text"}, 422, "text"),
    ({**GOOD, "text": ""}, 422, "text"),
    ({**GOOD, "text": " \n\t "}, 422, "text"),
    ({**GOOD, "text": 123}, 422, "text"),
    ({**GOOD, "text": ["a"]}, 422, "text"),
    ({**GOOD, "text": "x" * 20_001}, 422, "text"),
    ({**GOOD, "id": ""}, 422, "id"),
    ({**GOOD, "id": "a/b"}, 422, "id"),
    ({**GOOD, "id": 7}, 422, "id"),
    ({**GOOD, "created_at": "2024-13-40"}, 422, "created_at"),
    ({**GOOD, "created_at": "yesterday"}, 422, "created_at"),
    ({**GOOD, "created_at": 1715563800}, 422, "created_at"),
    ({**GOOD, "created_at": "1899-01-01"}, 422, "created_at"),
    ({**GOOD, "create_at": "2024-05-13"}, 422, "create_at"),
    ({**GOOD, "body": "两个正文"}, 422, "text"),
    ({**GOOD, "district": "区" * 300}, 422, "district"),
    ({"items": []}, 422, "items"),
    ({"items": "not a list"}, 422, "items"),
    ({"items": [GOOD, {**GOOD, "id": "BAD-1", "created_at": None}]}, 422, "items[1].created_at"),
    ({"items": [GOOD, {**GOOD, "id": "BAD-2", "text": "y" * 20_001}]}, 422, "items[1].text"),
    ([GOOD], 422, "body"),
    ("just a string", 422, "body"),
    (None, 422, "body"),
]


@pytest.mark.parametrize(
    "payload,status,field", BAD_INGEST, ids=[f"ingest-{i}" for i in range(len(BAD_INGEST))]
)
def test_bad_ingest_input_is_4xx_naming_the_field(api, payload, status, field):
    assert_error(api.post("/v1/complaints", json=payload), status, field)
    assert api.get("/v1/complaints/BAD-0").status_code == 404  # nothing stored


@pytest.mark.parametrize(
    "payload,field",
    [
        ({}, "text"),
        ({"text": None}, "text"),
        ({"text": 1.5}, "text"),
        ({"items": [{"text": "a"}, {}]}, "items[1].text"),
        ({"items": [{"text": "a", "lang": "zh"}]}, "items[0].lang"),
        ({"text": "a", "top_k": 3}, "top_k"),
    ],
)
def test_bad_classify_input(api, payload, field):
    assert_error(api.post("/v1/classify", json=payload), 422, field)


def test_malformed_json_and_wrong_content_type(api):
    res = api.post(
        "/v1/complaints", content=b'{"id": "x", "text": ', headers={"Content-Type": "application/json"}
    )
    assert_error(res, 400, "body")
    res = api.post("/v1/classify", content=b"\xff\xfe garbage", headers={"Content-Type": "application/json"})
    assert 400 <= res.status_code < 500 and "Traceback" not in res.text
    res = api.post(
        "/v1/classify", content=b"text=hello", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(res, 415)


@pytest.mark.parametrize(
    "params,field",
    [
        ({"since": "2024-02-30"}, "since"),
        ({"until": "next week"}, "until"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since"),
        ({"limit": "ten"}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": 100_000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"top_k": 3}, None),
    ],
)
def test_bad_list_queries(api, params, field):
    res = api.get("/v1/complaints", params=params)
    if field is None:  # unknown query parameters are ignored, like most HTTP APIs
        assert res.status_code == 200
    else:
        assert_error(res, 422, field)


def test_unknown_routes_and_methods(api):
    assert_error(api.get("/v1/nothing"), 404)
    assert_error(api.delete("/v1/complaints/x"), 405)
    assert_error(api.put("/v1/classify", json={"text": "a"}), 405)


# --- limits ----------------------------------------------------------------------------


def test_limits(small_limits):
    url = small_limits.url
    assert_error(httpx.post(url + "/v1/classify", json={"items": [{"text": "噪音"}] * 6}), 413, "items")
    assert httpx.post(url + "/v1/classify", json={"items": [{"text": "噪音"}] * 5}).status_code == 200
    assert_error(httpx.post(url + "/v1/classify", json={"text": "噪" * 201}), 422, "text")
    assert_error(
        httpx.post(url + "/v1/complaints", json={**GOOD, "title": "标题", "text": "噪" * 199}), 422, "text"
    )
    big = json.dumps({"text": "噪" * 5000}, ensure_ascii=False).encode()  # ~15 kB > 0.01 MiB
    res = httpx.post(url + "/v1/classify", content=big, headers={"Content-Type": "application/json"})
    assert_error(res, 413)
    assert "too large" in res.json()["error"]["message"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"text": "'
        for _ in range(20):
            yield "噪".encode() * 300
        yield b'"}'

    res = httpx.post(url + "/v1/classify", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(res, 413)
    assert httpx.get(url + "/healthz").status_code == 200  # and the server is fine
