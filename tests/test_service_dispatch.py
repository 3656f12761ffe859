"""Dispatch through the real server: classify and ingest answers carry the
recommended unit, the store keeps it beside the assigned unit, and
GET /v1/dispatch/accuracy reports first-dispatch accuracy per unit and week."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest
from support import Server
from test_dispatch import _rows


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from hotline_nlp.classifier.training import train
    from hotline_nlp.corpus.loaders import load_complaints

    tmp = tmp_path_factory.mktemp("dispatch-api")
    _rows().to_csv(tmp / "history.csv", index=False)
    data = load_complaints(tmp / "history.csv", require=("labels",))
    train(data, name="city", models_dir=tmp / "m", params={"embedder": None, "cv": 2})
    srv = Server(
        "city", f"sqlite:///{tmp / 'c.db'}", models_dir=tmp / "m", log_path=tmp / "server.log"
    ).start()
    yield srv
    srv.stop()


def test_classify_ingest_and_first_dispatch_accuracy(server):
    api = httpx.Client(base_url=server.url, timeout=60)
    res = api.post("/v1/classify", json={"text": "柳岸小区楼道漏水，墙皮脱落，物业不管。"})
    assert res.status_code == 200, res.text
    d = res.json()["dispatch"]
    assert d["unit"] == "西河区住房和城乡建设局" and 0 < d["confidence"] <= 1 and len(d["top_k"]) >= 1
    items = [
        # recommended right, then wrong, in two weeks
        {
            "id": "d1",
            "created_at": "2024-03-04T09:00:00",
            "text": "翠湖小区暖气不热，室温很低。",
            "unit": "市热力公司",
        },
        {
            "id": "d2",
            "created_at": "2024-03-05T09:00:00",
            "text": "柳岸小区楼道漏水，墙皮脱落。",
            "unit": "西河区住房和城乡建设局",
        },
        {
            "id": "d3",
            "created_at": "2024-03-12T09:00:00",
            "text": "翠湖小区楼道漏水，墙皮脱落。",
            "unit": "东山区教育局",
        },
        {"id": "d4", "created_at": "2024-03-12T10:00:00", "text": "东山一中乱收补课费。"},  # no unit yet
    ]
    res = api.post("/v1/complaints", json={"items": items})
    assert res.status_code == 201, res.text
    stored = {i["id"]: i for i in res.json()["items"]}
    assert stored["d2"]["tags"]["dispatch"]["unit"] == "西河区住房和城乡建设局"
    assert stored["d4"]["tags"]["dispatch"]["unit"] == "东山区教育局"
    again = api.get("/v1/complaints/d1").json()
    assert again["tags"]["dispatch"]["unit"] == "市热力公司" and again["unit"] == "市热力公司"
    acc = api.get("/v1/dispatch/accuracy").json()
    assert acc["n"] == 3 and acc["top1"] == pytest.approx(2 / 3, abs=1e-3)
    assert acc["per_unit"]["东山区教育局"] == {"n": 1, "top1": 0.0}
    assert acc["per_week"] == {"2024-W10": {"n": 2, "top1": 1.0}, "2024-W11": {"n": 1, "top1": 0.0}}
    since = api.get("/v1/dispatch/accuracy", params={"since": "2024-03-11T00:00:00"}).json()
    assert since["n"] == 1


def test_store_export_keeps_the_recommendation(server, tmp_path):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    out = tmp_path / "store.csv"
    res = CliRunner().invoke(app, ["store", "export", "--db", server.db_url, "--output", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert {"rec_unit", "rec_unit_confidence", "rec_unit_top_k"} <= set(frame.columns)


@pytest.mark.parametrize("district", ["东山区", "西河区"])
def test_the_district_field_places_a_complaint_that_names_no_place(server, district):
    """A text naming no compound or district: only 所属区县 can say whose 住建局 it is,
    over /v1/classify and /v1/complaints alike (the same field classify reads in a batch)."""
    api = httpx.Client(base_url=server.url, timeout=60)
    text = "楼道漏水，墙皮脱落，物业不管。"
    want = f"{district}住房和城乡建设局"
    res = api.post("/v1/classify", json={"text": text, "district": district})
    assert res.status_code == 200, res.text
    assert res.json()["dispatch"]["unit"] == want
    item = {"id": f"nd-{district}", "created_at": "2024-03-20T09:00:00", "text": text, "district": district}
    res = api.post("/v1/complaints", json=item)
    assert res.status_code == 201, res.text
    assert res.json()["tags"]["dispatch"]["unit"] == want


def test_dispatch_accuracy_command_matches_the_endpoint(server):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    api = httpx.Client(base_url=server.url, timeout=60)
    want = api.get("/v1/dispatch/accuracy").json()
    run = CliRunner().invoke(app, ["store", "dispatch-accuracy", "--db", server.db_url, "--format", "json"])
    assert run.exit_code == 0, run.output
    import json

    assert json.loads(run.output) == want and want["n"] >= 3
    text = CliRunner().invoke(app, ["store", "dispatch-accuracy", "--db", server.db_url])
    assert text.exit_code == 0 and "first dispatch right" in text.output and "2024-W10" in text.output
    bad = CliRunner().invoke(
        app, ["store", "dispatch-accuracy", "--db", server.db_url, "--since", "last week"]
    )
    assert bad.exit_code != 0 and "--since" in bad.output and "Traceback" not in bad.output


def test_a_reviewers_unit_correction_is_the_truth(tmp_path):
    """label_unit (the console's correction) overrides the assigned unit in the figure."""
    from datetime import datetime

    from hotline_nlp.service.store.db import open_store
    from hotline_nlp.service.store.dispatch_stats import first_dispatch_accuracy
    from hotline_nlp.service.store.tables import Complaint
    from sqlalchemy import insert

    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    base = {"text": "x", "created_at": datetime(2024, 3, 4, 9), "received_at": datetime(2024, 3, 4, 9)}
    rows = [
        {**base, "id": "a", "input_hash": "a", "rec_unit": "甲", "unit": "乙", "label_unit": "甲"},
        {**base, "id": "b", "input_hash": "b", "rec_unit": "甲", "unit": None, "label_unit": "甲"},
        {**base, "id": "c", "input_hash": "c", "rec_unit": "甲", "unit": "乙", "label_unit": None},
    ]
    with engine.begin() as conn:
        conn.execute(insert(Complaint.__table__), rows)
    acc = first_dispatch_accuracy(engine)
    assert acc["n"] == 3 and acc["top1"] == pytest.approx(2 / 3, abs=1e-3)
    assert acc["per_unit"] == {"甲": {"n": 2, "top1": 1.0}, "乙": {"n": 1, "top1": 0.0}}
