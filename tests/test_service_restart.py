"""Durability and lifecycle against the real server: kill -9 during a concurrent
ingest loses nothing acknowledged and duplicates nothing (SQLite file, and
PostgreSQL when a server can be started here); a restart keeps the store; a
newly promoted model version is swapped in without a restart; a server that
cannot start says why in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import text

from hotline_nlp.service.store.db import make_engine
from hotline_nlp.service.testing import (
    PgCluster, Server, ensure_model, ingest_until_killed, stored_ids, synthetic_rows,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    return ensure_model(tmp_path_factory.getbasetemp() / "service-models")


@pytest.fixture(scope="module")
def pg_cluster():
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    cluster = PgCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'complaints.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    engine = make_engine(cluster.url)
    with engine.begin() as conn:  # a clean table for each test (the schema is created by the server)
        conn.execute(text("DROP TABLE IF EXISTS complaints"))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return cluster.url


def test_kill_9_during_concurrent_ingest_loses_nothing_acknowledged(db_url, models_dir, tmp_path):
    srv = Server("demo", db_url, models_dir=models_dir, log_path=tmp_path / "server.log").start()
    drill = ingest_until_killed(srv, clients=4, batch=5, kill_after_acks=150)
    acked, attempted = drill["acked"], drill["attempted"]
    assert drill["errors"] == [], drill["errors"][:3]
    assert len(acked) >= 150, f"only {len(acked)} acknowledged before the kill"
    assert len(attempted) > len(acked)  # some requests were in flight when it died

    srv2 = Server("demo", db_url, models_dir=models_dir, log_path=tmp_path / "server2.log").start()
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
                res = client.post("/v1/complaints", json={"items": payloads[i:i + 100]})
                assert res.status_code in (200, 201), res.text
            total = client.get("/v1/complaints", params={"limit": 1}).json()["total"]
        ids = stored_ids(db_url)
        assert len(ids) == len(set(ids)) == len(attempted) == total
    finally:
        srv2.stop()


def test_restart_keeps_the_store(models_dir, tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    items = [{k: r[k] for k in ("id", "created_at", "body")} for r in synthetic_rows(20, seed=21)]
    with Server("demo", db, models_dir=models_dir) as srv:
        first = httpx.post(srv.url + "/v1/complaints", json={"items": items}).json()["items"]
    with Server("demo", db, models_dir=models_dir) as srv:
        res = httpx.post(srv.url + "/v1/complaints", json={"items": items})
        assert res.status_code == 200 and res.json()["items"] == first


def _promote_new_version(models_dir) -> str:
    """Train the same model name again and make the new version current."""
    from hotline_nlp.models.store import ModelStore
    from hotline_nlp.service.testing import write_corpus_csv
    from typer.testing import CliRunner

    from hotline_nlp.cli import app

    store = ModelStore(models_dir)
    before = store.current_version("demo")
    csv = write_corpus_csv(models_dir.parent / "retrain.csv", n=240, seed=7)
    res = CliRunner().invoke(app, ["train", "--data", str(csv), "--name", "demo", "--models-dir", str(models_dir)])
    assert res.exit_code == 0, res.output
    versions = [v for v in _versions(store, "demo") if str(v) != str(before)]
    assert versions, "training again made no new version"
    store.promote("demo", versions[-1])
    assert str(store.current_version("demo")) != str(before)
    return str(store.current_version("demo"))


def _versions(store, name) -> list[str]:
    listed = store.list()
    out = []
    for item in listed:
        if isinstance(item, dict):
            if item.get("name") == name:
                out.append(str(item.get("version")))
        elif getattr(item, "name", None) == name:
            out.append(str(item.version))
    return out


def test_promoting_a_new_version_swaps_it_in_without_a_restart(tmp_path_factory, tmp_path):
    models_dir = ensure_model(tmp_path_factory.mktemp("swap") / "models")
    srv = Server("demo", f"sqlite:///{tmp_path / 'c.db'}", models_dir=models_dir,
                 extra=("--model-check-interval", "0.3"), log_path=tmp_path / "server.log").start()
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
        res = httpx.post(srv.url + "/v1/complaints", json={"id": "after-swap", "created_at": "2024-05-01", "text": "噪音"})
        assert res.json()["tags"]["model_version"] == new
    finally:
        srv.stop()


def test_start_up_errors_are_one_line(models_dir, tmp_path):
    cli = [sys.executable, "-m", "hotline_nlp.cli", "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", "1"]
    env = {**os.environ, "HOTLINE_NLP_API_KEY": ""}
    res = subprocess.run([*cli, "--model", "demo", "--models-dir", str(models_dir)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert res.returncode == 2 and "no API key" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([*cli, "--model", "no-such-model", "--models-dir", str(models_dir), "--no-auth"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 2 and "no-such-model" in res.stderr and "Traceback" not in res.stderr
    short = tmp_path / "short.key"
    short.write_text("abc")
    res = subprocess.run([*cli, "--model", "demo", "--models-dir", str(models_dir), "--api-key-file", str(short)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 2 and "at least 16 characters" in res.stderr
