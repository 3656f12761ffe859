"""Durability and lifecycle against the real server: kill -9 during a concurrent
ingest loses nothing acknowledged and duplicates nothing (SQLite file, and
PostgreSQL when a server can be started here) and a restart keeps the store;
a newly promoted model version is swapped in without a restart; a database
outage is a 503, not a 500, and the server recovers; a server that cannot
start says why in one line.
"""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest
from hotline_nlp.service.store.db import make_engine
from sqlalchemy import text
from support import (
    PgCluster,
    Server,
    ensure_model,
    ingest_until_killed,
    stored_ids,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytestmark = pytest.mark.slow  # real servers, kill -9, PostgreSQL outages


def test_kill_9_during_concurrent_ingest_loses_nothing_acknowledged(db_url, service_models_dir, tmp_path):
    srv = Server("demo", db_url, models_dir=service_models_dir, log_path=tmp_path / "server.log").start()
    drill = ingest_until_killed(srv, clients=4, batch=5, kill_after_acks=150)
    acked, attempted = drill["acked"], drill["attempted"]
    assert drill["errors"] == [], drill["errors"][:3]
    assert len(acked) >= 150, f"only {len(acked)} acknowledged before the kill"
    assert len(attempted) > len(acked)  # some requests were in flight when it died

    srv2 = Server("demo", db_url, models_dir=service_models_dir, log_path=tmp_path / "server2.log").start()
    try:
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)), "a complaint is stored twice"
        assert acked <= set(ids), f"{len(acked - set(ids))} acknowledged complaints lost"
        assert set(ids) <= set(attempted)
        if db_url.startswith("sqlite"):
            engine = make_engine(db_url)
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            engine.dispose()
        # the clients retry everything that was in flight; repeats are no-ops, the rest are stored once
        payloads = list(attempted.values())
        with httpx.Client(base_url=srv2.url, timeout=30) as client:
            sample = sorted(acked)[:: max(1, len(acked) // 20)]
            for cid in sample:
                assert client.get(f"/v1/complaints/{cid}").status_code == 200
            for i in range(0, len(payloads), 100):
                res = client.post("/v1/complaints", json={"items": payloads[i : i + 100]})
                assert res.status_code in (200, 201), res.text
            total = client.get("/v1/complaints", params={"limit": 1}).json()["total"]
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == len(attempted) == total
    finally:
        srv2.stop()


def _promote_new_version(models_dir) -> str:
    """Train the same model name again and make the new version current."""
    from hotline_nlp.cli import app
    from hotline_nlp.models.store import ModelStore
    from support import write_corpus_csv
    from typer.testing import CliRunner

    store = ModelStore(models_dir)
    before = store.current_version("demo")
    csv = write_corpus_csv(models_dir.parent / "retrain.csv", n=240, seed=7)
    res = CliRunner().invoke(
        app, ["train", "--data", str(csv), "--name", "demo", "--models-dir", str(models_dir), "--fast"]
    )
    assert res.exit_code == 0, res.output
    versions = [v for v in store.versions("demo") if v != before]
    assert versions, "training again made no new version"
    store.promote("demo", versions[-1])
    assert store.current_version("demo") != before
    return store.current_version("demo")


def test_promoting_a_new_version_swaps_it_in_without_a_restart(tmp_path_factory, tmp_path):
    models_dir = ensure_model(tmp_path_factory.mktemp("swap") / "models")
    srv = Server(
        "demo",
        f"sqlite:///{tmp_path / 'c.db'}",
        models_dir=models_dir,
        extra=("--model-check-interval", "0.3"),
        log_path=tmp_path / "server.log",
    ).start()
    try:
        old = httpx.get(srv.url + "/readyz").json()["model_version"]
        failures: list[str] = []
        versions_seen: set[str] = set()
        stop = threading.Event()

        def traffic():
            with httpx.Client(base_url=srv.url, timeout=30) as client:
                while not stop.is_set():
                    res = client.post("/v1/classify", json={"items": [{"text": "夜间施工噪音扰民"}] * 20})
                    if res.status_code != 200:
                        failures.append(res.text)
                    else:
                        versions_seen.add(res.json()["model_version"])

        t = threading.Thread(target=traffic)
        t.start()
        new = _promote_new_version(models_dir)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and httpx.get(srv.url + "/readyz").json()["model_version"] != new:
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        t.join()
        assert new != old
        assert httpx.get(srv.url + "/readyz").json()["model_version"] == new
        assert failures == []  # no request failed across the swap
        assert new in versions_seen
        res = httpx.post(
            srv.url + "/v1/complaints", json={"id": "after-swap", "created_at": "2024-05-01", "text": "噪音"}
        )
        assert res.json()["tags"]["model_version"] == new
    finally:
        srv.stop()


def test_start_up_errors_are_one_line(service_models_dir, tmp_path, monkeypatch):
    """``serve`` checks the key, the store and the model before it listens."""
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    monkeypatch.delenv("HOTLINE_NLP_API_KEY", raising=False)
    base = [
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--port",
        "1",
        "--models-dir",
        str(service_models_dir),
    ]
    short = tmp_path / "short.key"
    short.write_text("abc")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = [
        (["--model", "demo"], "no API key"),
        (["--model", "no-such-model", "--no-auth"], "no-such-model"),
        (["--model", "demo", "--api-key-file", str(short)], "at least 16 characters"),
        (
            ["--model", "demo", "--api-key-file", str(tmp_path / "missing.key")],
            "cannot read the API key file",
        ),
        (
            ["--model", "demo", "--no-auth", "--db", f"sqlite:///{blocker / 'x.db'}"],
            "cannot create the store's folder",
        ),
    ]
    for extra, message in cases:
        res = CliRunner().invoke(app, [*base, *extra])
        assert res.exit_code == 2, (extra, res.output)
        assert message in res.output and "Traceback" not in res.output, (extra, res.output)


def test_a_database_outage_is_a_503_and_the_server_recovers(service_models_dir, tmp_path):
    """PostgreSQL stopped under a running server: ingest and reads answer 503 with a
    message (nothing acknowledged), /readyz says why, and service resumes when it is back."""
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    cluster = PgCluster().start()
    srv = Server("demo", cluster.url, models_dir=service_models_dir, log_path=tmp_path / "server.log").start()
    try:
        one = {"id": "OUT-1", "created_at": "2024-05-01T08:00:00", "text": "路灯不亮"}
        assert httpx.post(srv.url + "/v1/complaints", json=one).status_code == 201
        cluster.stop_server()
        two = {**one, "id": "OUT-2"}
        for res in (
            httpx.post(srv.url + "/v1/complaints", json=two),
            httpx.get(srv.url + "/v1/complaints/OUT-1"),
        ):
            assert res.status_code == 503, res.text
            assert res.json()["error"]["code"] == "database_unavailable" and "Traceback" not in res.text
        ready = httpx.get(srv.url + "/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("unavailable")
        assert (
            httpx.post(srv.url + "/v1/classify", json={"text": "路灯不亮"}).status_code == 200
        )  # no DB needed
        cluster.start_server()
        assert httpx.get(srv.url + "/readyz").status_code == 200
        assert httpx.post(srv.url + "/v1/complaints", json=two).status_code == 201
        assert httpx.get(srv.url + "/v1/complaints/OUT-1").status_code == 200
    finally:
        srv.stop()
        cluster.stop()
