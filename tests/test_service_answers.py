"""What the API answers, as a new integrator meets it: every time with its UTC
offset, one text limit with one message, ``created_at`` accepted by classify as
by ingest, and 点赞数/反对数 kept by ``store import`` (the hotspot heat reads
likes). The app in-process on a real SQLite file and the real session model,
the real CLI; no mocks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.db import open_store
from support import InProcessServer, synthetic_rows, write_corpus_csv
from typer.testing import CliRunner

OFFSET = "+08:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory, service_models_dir):
    tmp = tmp_path_factory.mktemp("answers")
    srv = InProcessServer("demo", f"sqlite:///{tmp / 'c.db'}", models_dir=service_models_dir)
    srv.start()
    yield srv
    srv.stop()


def complaint(i: int, **over) -> dict:
    r = synthetic_rows(i + 1, seed=93)[i]
    return {**{k: r[k] for k in ("id", "created_at", "title", "body", "district")}, **over}


def _aware(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    assert dt.utcoffset() is not None, f"{value!r} has no UTC offset"
    return dt


def test_every_timestamp_answered_carries_its_utc_offset(server):
    c = complaint(0, created_at="2024-05-13T09:30:00")
    body = server.post("/v1/complaints", json=c).json()
    assert body["created_at"] == f"2024-05-13T09:30:00{OFFSET}"
    assert _aware(body["received_at"]).utcoffset() == timedelta(hours=8)
    # a UTC time sent in is the same instant answered in hotline time
    utc = server.post("/v1/complaints", json=complaint(1, created_at="2024-05-13T01:30:00Z")).json()
    assert utc["created_at"] == f"2024-05-13T09:30:00{OFFSET}"
    # the outcome update, the correction and the audit trail
    upd = server.post("/v1/complaints", json={**c, "closed": True}).json()
    assert upd["status"] == "updated" and _aware(upd["updated_at"])
    tag = upd["tags"]
    fixed = server.client().patch(
        f"/v1/complaints/{c['id']}", json={"label_level1": tag["level1"], "label_level2": tag["level2"]}
    )
    assert fixed.status_code == 200, fixed.text
    assert _aware(fixed.json()["correction"]["labelled_at"])
    hist = server.get(f"/v1/complaints/{c['id']}/history").json()["items"]
    assert hist and all(_aware(h["at"]) for h in hist)
    listed = server.get("/v1/complaints", params={"limit": 10}).json()["items"]
    assert all(_aware(x["created_at"]) and _aware(x["received_at"]) for x in listed)
    queue = server.get("/v1/review", params={"limit": 5}).json()
    assert all(_aware(x["created_at"]) for x in queue)


@pytest.mark.parametrize("n", [25_000, 1_000_000])
@pytest.mark.parametrize("route", ["/v1/classify", "/v1/complaints"])
def test_one_text_limit_with_one_message(server, n, route):
    """25,000 and 1,000,000 characters get the same answer: the server's limit."""
    c = complaint(2)
    res = server.post(route, json={"id": c["id"], "created_at": c["created_at"], "text": "物" * n})
    assert res.status_code == 422, res.text[:300]
    err = res.json()["error"]
    assert f"text is {n:,} characters; the limit is 20,000" in err["message"], err
    assert "200000" not in res.text and err["errors"][0]["field"] == "text"
    batch = server.post(route, json={"items": [complaint(3), complaint(4, title=None, body="物" * n)]})
    assert batch.status_code == 422 and batch.json()["error"]["errors"][0]["field"] == "items[1].body"


def test_classify_accepts_created_at_as_ingest_does(server):
    c = complaint(5, created_at="2024-05-14T08:00:00")
    one = server.post("/v1/classify", json=c)
    assert one.status_code == 200, one.text
    assert one.json()["created_at"] == f"2024-05-14T08:00:00{OFFSET}" and one.json()["path"]
    batch = server.post("/v1/classify", json={"items": [c, {"text": "公交车班次太少"}]}).json()
    assert [x["created_at"] for x in batch["items"]] == [f"2024-05-14T08:00:00{OFFSET}", None]
    bad = server.post("/v1/classify", json={**c, "created_at": "yesterday"})
    assert bad.status_code == 422 and "created_at" in bad.text
    assert server.get(f"/v1/complaints/{c['id']}").status_code == 404  # classify stores nothing


def test_store_import_keeps_likes_and_dislikes_for_the_hotspot_heat(tmp_path):
    csv = write_corpus_csv(tmp_path / "board.csv", n=120, seed=94)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame["点赞数"] = [str(i % 7) for i in range(len(frame))]
    frame["反对数"] = [str(i % 3) if i % 5 else "" for i in range(len(frame))]
    frame.to_csv(csv, index=False)
    db = f"sqlite:///{tmp_path / 's.db'}"
    runner = CliRunner()
    res = runner.invoke(app, ["store", "import", "--db", db, "--input", str(csv), "--format", "json"])
    assert res.exit_code == 0 and '"created": 120' in res.output, res.output
    assert "does not keep" not in res.output
    engine = open_store(db)
    stored = {r["id"]: r for r in repo.iter_rows(engine)}
    for _, src in frame.iterrows():
        got = stored[src["诉求编号"]]
        assert got["likes"] == int(src["点赞数"])
        assert got["dislikes"] == (int(src["反对数"]) if src["反对数"] else None)
    # a later export of the board has more likes: an update, not a conflict
    frame["点赞数"] = [str(i % 7 + 10) for i in range(len(frame))]
    frame.to_csv(csv, index=False)
    again = runner.invoke(app, ["store", "import", "--db", db, "--input", str(csv), "--format", "json"])
    assert '"updated": 120' in again.output and '"conflicts": []' in again.output, again.output
    assert {r["likes"] for r in repo.iter_rows(engine)} == set(range(10, 17))
    # export keeps them, and the frame the hotspots read carries them
    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["store", "export", "--db", db, "--output", str(out)]).exit_code == 0
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert {"likes", "dislikes"} <= set(exported.columns) and set(exported["likes"]) == {
        str(i) for i in range(10, 17)
    }
    hot = rec.to_frame(repo.iter_rows(engine))
    assert hot["likes"].sum() == sum(i % 7 + 10 for i in range(len(frame)))
    from hotline_nlp.topics.hotspots import HotspotConfig, hot_issues

    days = (hot["created_at"].min().date().isoformat(), hot["created_at"].max().date().isoformat())
    ranked = hot_issues(hot, days, HotspotConfig(listed=5))["issues"]
    assert ranked and all(i["likes"] is not None for i in ranked) and sum(i["likes"] for i in ranked) > 0
    engine.dispose()
