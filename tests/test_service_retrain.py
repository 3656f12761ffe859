"""``hotline-nlp train --db``: retrain on the store's human labels, judged on the
most recent corrections. Real SQLite store, real models directory, real CLI."""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta

from hotline_nlp.cli import app
from hotline_nlp.service.store import labels
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.db import open_store
from typer.testing import CliRunner


def test_train_from_the_store_holds_out_the_latest_corrections(tmp_path, service_models_dir):
    from support import synthetic_rows

    models = tmp_path / "models"
    shutil.copytree(service_models_dir, models)  # the session's model stays untouched
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = open_store(url)
    now = datetime(2024, 7, 1, 9)
    rows = synthetic_rows(200, seed=71)
    records = [
        rec.make_record(
            id=r["id"],
            title=r["title"],
            body=r["body"],
            created_at=datetime.fromisoformat(r["created_at"]),
            received_at=now,
            labels=(r["level1"], r["level2"]) if i < 120 else (None, None),
            district=r["district"],
        )
        for i, r in enumerate(rows)
    ]
    repo.ingest(engine, records, tagger=None)
    for i, r in enumerate(rows[120:170]):  # 50 analyst corrections, one a minute
        values = {"label_level1": r["level1"], "label_level2": r["level2"]}
        labels.correct(engine, r["id"], values, "alice", now + timedelta(minutes=i))
    engine.dispose()

    res = CliRunner().invoke(
        app, ["train", "--db", url, "--name", "demo", "--models-dir", str(models), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{") :])
    assert out["data"] == {"labelled": 170, "corrected": 50, "trained_on": 160, "held_out": 10}
    assert out["metrics"]["holdout"]["n"] == 10
    assert "most recent corrections" in out["reason"] and out["previous"]["version"] == "v1"
    assert out["promoted"] == (out["metrics"]["holdout"]["accuracy"] >= out["previous"]["holdout_accuracy"])

    since = CliRunner().invoke(
        app, ["train", "--db", url, "--name", "demo", "--models-dir", str(models), "--since", "2099-01-01"]
    )
    assert since.exit_code != 0 and "0 usable labelled rows" in since.output
    both = CliRunner().invoke(app, ["train", "--db", url, "--data", "demo", "--name", "x"])
    assert both.exit_code != 0 and "not both" in both.output

    # the same retrain, started from the console's metrics page by an analyst
    from fastapi.testclient import TestClient
    from hotline_nlp.service.app import create_app
    from hotline_nlp.service.auth import ApiKey
    from hotline_nlp.service.settings import Settings

    key = "retrain-analyst-key-0001"
    settings = Settings(
        model="demo", db_url=url, models_dir=models, api_keys=(ApiKey("alice", "analyst", key),)
    )
    with TestClient(create_app(settings), follow_redirects=False) as c:
        h = {"X-API-Key": key}
        assert c.post("/ui/retrain", headers=h).status_code == 303
        for _ in range(600):
            page = c.get("/ui/metrics", headers=h).text
            if 'id="retrain-state"' in page and "进行中" not in page:
                break
            time.sleep(0.5)
        assert "重新训练完成" in page, page[page.find("retrain-state") - 100 :][:400]
