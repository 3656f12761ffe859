"""The same API as a real server: ``hotline-nlp serve`` in a subprocess on a free
loopback port (the slow tier; ``test_service_api.py`` covers the endpoints
in-process). What only a real server shows: it starts from the CLI, answers
over HTTP, and a body streamed without Content-Length is cut off at the limit.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
from support import Server, synthetic_rows

pytestmark = pytest.mark.slow
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


def test_health_readiness_and_the_api_key(server):
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    ready = httpx.get(server.url + "/readyz").json()
    assert ready["status"] == "ok" and ready["checks"] == {"model": "ok", "database": "ok"}
    res = httpx.post(server.url + "/v1/classify", json={"text": "噪音扰民"}, headers={"X-API-Key": "wrong"})
    assert res.status_code == 401 and res.json()["error"]["status"] == 401


def test_ingest_then_fetch_over_http(server):
    r = synthetic_rows(1, seed=31)[0]
    item = {k: r[k] for k in ("id", "created_at", "title", "body", "district")}
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=30) as api:
        res = api.post("/v1/complaints", json=item)
        assert res.status_code == 201, res.text
        got = api.get(f"/v1/complaints/{item['id']}")
        assert got.status_code == 200 and got.json()["body"] == item["body"]
        assert got.json()["tags"]["model"] == "demo"  # tagged on arrival by the served model


def test_limits_and_cors_over_http(small_limits):
    url = small_limits.url
    pre = {"Origin": "https://ops.example.gov.cn", "Access-Control-Request-Method": "POST"}
    assert httpx.options(url + "/v1/classify", headers=pre).headers.get("access-control-allow-origin") == (
        "https://ops.example.gov.cn"
    )
    big = json.dumps({"text": "噪" * 5000}, ensure_ascii=False).encode()  # ~15 kB > 0.01 MiB
    res = httpx.post(url + "/v1/classify", content=big, headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and "too large" in res.json()["error"]["message"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"text": "'
        for _ in range(20):
            yield "噪".encode() * 300
        yield b'"}'

    res = httpx.post(url + "/v1/classify", content=chunks(), headers={"Content-Type": "application/json"})
    assert res.status_code == 413
    assert httpx.get(url + "/healthz").status_code == 200  # and the server is fine
