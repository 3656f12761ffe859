"""The handling outcome (是否办结, 满意度评价, 是否按时反馈, 是否有效回访, 评星) in
the complaint store, end to end: posted with a complaint or weeks later (an
update, not a conflict), exported and imported, carried over an upgrade of a
store created before the columns existed, and read by the bulletin's rates.

Real SQLite files (and PostgreSQL when a server can be started here), the app
in-process (``create_app``, as ``serve`` builds it), the real CLI; no mocks.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.db import current_revision, head_revision, make_engine, migrate, open_store
from hotline_nlp.service.store.tables import OUTCOME_FIELDS
from sqlalchemy import MetaData, Table, insert, inspect
from support import InProcessServer, synthetic_rows
from typer.testing import CliRunner

os.environ.setdefault("HF_HUB_OFFLINE", "1")
BULLETIN_CSV = Path(__file__).parent / "data" / "bulletin_small.csv"
DONE = {"closed": True, "satisfaction": "满意", "on_time": True, "revisited": False, "stars": 3.0}


@pytest.fixture(scope="module")
def server(tmp_path_factory, service_models_dir):
    tmp = tmp_path_factory.mktemp("outcomes")
    srv = InProcessServer(
        "demo", f"sqlite:///{tmp / 'data' / 'complaints.db'}", models_dir=service_models_dir
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def api(server):
    with server.client() as client:
        yield client


def complaint(i: int, seed: int = 21, **over) -> dict:
    r = synthetic_rows(i + 1, seed=seed)[i]
    return {**{k: r[k] for k in ("id", "created_at", "title", "body", "district")}, **over}


def outcome_of(body: dict) -> dict:
    return {f: body[f] for f in OUTCOME_FIELDS}


# --- the API ------------------------------------------------------------------------


def test_ingest_with_outcome_then_fetch_it(api):
    c = complaint(0, closed="是", satisfaction="满意", on_time=True, revisited="否", stars=3)
    res = api.post("/v1/complaints", json=c)
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["status"] == "created" and outcome_of(body) == DONE  # 是/否 read as the loader reads them
    got = api.get(f"/v1/complaints/{c['id']}").json()
    assert got == {k: v for k, v in body.items() if k != "status"}


def test_outcome_posted_later_updates_the_stored_complaint(api):
    c = complaint(1)
    first = api.post("/v1/complaints", json=c)
    assert first.status_code == 201 and outcome_of(first.json()) == dict.fromkeys(OUTCOME_FIELDS)
    assert api.post("/v1/complaints", json=c).json()["status"] == "existing"

    assert first.json()["updated_at"] is None  # never updated yet

    later = api.post("/v1/complaints", json={**c, **DONE})  # closed and rated weeks later
    assert later.status_code == 200, later.text
    assert later.json()["status"] == "updated" and outcome_of(later.json()) == DONE
    assert (
        later.json()["tags"] == first.json()["tags"]
        and later.json()["received_at"] == first.json()["received_at"]
    )
    assert (
        later.json()["updated_at"] is not None and later.json()["updated_at"] >= first.json()["received_at"]
    )
    assert outcome_of(api.get(f"/v1/complaints/{c['id']}").json()) == DONE
    assert api.get(f"/v1/complaints/{c['id']}").json()["updated_at"] == later.json()["updated_at"]

    again = api.post("/v1/complaints", json={**c, **DONE})
    assert again.status_code == 200 and again.json()["status"] == "existing"
    assert again.json()["updated_at"] == later.json()["updated_at"]  # nothing changed, nothing stamped
    retry = api.post("/v1/complaints", json=c)  # a late retry of the first post erases nothing
    assert retry.json()["status"] == "existing" and outcome_of(retry.json()) == DONE
    rerated = api.post("/v1/complaints", json={**c, "satisfaction": "不满意", "stars": 1})
    assert rerated.json()["status"] == "updated"
    assert outcome_of(rerated.json()) == {**DONE, "satisfaction": "不满意", "stars": 1.0}

    clash = api.post("/v1/complaints", json={**c, **DONE, "body": c["body"] + "（已解决）"})
    assert clash.status_code == 409 and clash.json()["error"]["errors"][0]["field"] == "id"
    assert outcome_of(api.get(f"/v1/complaints/{c['id']}").json())["satisfaction"] == "不满意"


def test_changed_since_lists_new_rows_and_late_outcomes(api):
    """An integrator syncing every few minutes asks for what changed since its
    last sync: complaints stored since, and older ones whose outcome came in."""
    import time

    old, untouched, new = (complaint(i, seed=31) for i in range(3))
    assert api.post("/v1/complaints", json=old).status_code == 201
    assert api.post("/v1/complaints", json=untouched).status_code == 201
    time.sleep(1.1)  # stamps have one-second resolution
    updated = api.post("/v1/complaints", json={**old, **DONE}).json()
    assert updated["status"] == "updated"
    assert api.post("/v1/complaints", json=new).status_code == 201
    since = updated["updated_at"]
    got = api.get("/v1/complaints", params={"changed_since": since, "limit": 500}).json()
    ids = {item["id"] for item in got["items"]}
    assert ids & {old["id"], untouched["id"], new["id"]} == {old["id"], new["id"]}
    assert all(max(i["received_at"], i["updated_at"] or "") >= since for i in got["items"])
    bad = api.get("/v1/complaints", params={"changed_since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["errors"][0]["field"] == "changed_since"


def test_batch_reports_created_updated_and_existing(api):
    old, rated, fresh = complaint(2), complaint(3), complaint(4)
    assert api.post("/v1/complaints", json={"items": [old, rated]}).status_code == 201
    res = api.post("/v1/complaints", json={"items": [old, {**rated, "closed": False}, fresh]})
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["created"], body["updated"], body["existing"]) == (1, 1, 1)
    assert [r["status"] for r in body["items"]] == ["existing", "updated", "created"]
    assert body["items"][1]["closed"] is False
    res = api.post("/v1/complaints", json={"items": [old, {**rated, "closed": False}]})
    assert res.status_code == 200 and (res.json()["updated"], res.json()["existing"]) == (0, 2)


def test_same_id_twice_in_a_batch_with_different_outcomes_is_refused(api):
    c = complaint(5)
    res = api.post("/v1/complaints", json={"items": [{**c, "closed": True}, {**c, "closed": False}]})
    assert res.status_code == 422
    err = res.json()["error"]
    assert err["errors"][0]["field"] == "items[1].id" and "outcome" in err["message"]
    assert api.get(f"/v1/complaints/{c['id']}").status_code == 404


@pytest.mark.parametrize(
    "over,field",
    [
        ({"closed": "也许"}, "closed"),
        ({"on_time": 3}, "on_time"),
        ({"revisited": [True]}, "revisited"),
        ({"stars": -1}, "stars"),
        ({"stars": "many"}, "stars"),
        ({"satisfaction": "满" * 201}, "satisfaction"),
        ({"satisfied": "满意"}, "satisfied"),
    ],
)
def test_bad_outcome_values_are_422_naming_the_field(api, over, field):
    c = complaint(6)
    res = api.post("/v1/complaints", json={**c, **over})
    assert res.status_code == 422, res.text
    assert any(e["field"] == field for e in res.json()["error"]["errors"]), res.text
    assert api.get(f"/v1/complaints/{c['id']}").status_code == 404


def test_store_export_of_the_served_store_has_the_outcome_columns(api, server, tmp_path):
    c, pending = complaint(7), complaint(8)
    assert api.post("/v1/complaints", json={"items": [c, pending]}).status_code == 201
    assert api.post("/v1/complaints", json={**c, **DONE}).json()["status"] == "updated"
    out = tmp_path / "export.csv"
    res = CliRunner().invoke(app, ["store", "export", "--db", server.db_url, "--output", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("id")
    assert set(OUTCOME_FIELDS) <= set(frame.columns)
    assert frame.loc[c["id"], list(OUTCOME_FIELDS)].tolist() == ["True", "满意", "True", "False", "3.0"]
    assert frame.loc[pending["id"], list(OUTCOME_FIELDS)].tolist() == [""] * 5  # not known yet: empty cells


# --- the store: upgrade, import/export --------------------------------------------------


def test_a_store_from_0001_upgrades_in_place_and_takes_outcomes(db_url):
    """A store created before the outcome columns keeps its rows, gains the
    columns (empty), and the same complaint posted again with its outcome is an
    update: outcome fields were never hashed, so the old hash still matches."""
    engine = make_engine(db_url)
    migrate(engine, "0001")
    sent = {k: v for k, v in complaint(0, seed=22).items() if k != "created_at"}
    r = rec.make_record(
        **sent, created_at=datetime(2024, 3, 1, 9, 30), received_at=datetime(2024, 3, 1, 9, 31)
    )
    old_table = Table("complaints", MetaData(), autoload_with=engine)  # the table as 0001 made it
    assert not set(OUTCOME_FIELDS) & set(old_table.columns.keys())
    row = {**{c: r.get(c) for c in old_table.columns.keys()}, "level1": "城乡建设", "level2": "道路维修"}
    with engine.begin() as conn:
        conn.execute(insert(old_table), row)
    engine.dispose()

    engine = open_store(db_url)  # what the server and the CLI run at start-up
    assert current_revision(engine) == head_revision() != "0001"
    assert set(OUTCOME_FIELDS) <= {c["name"] for c in inspect(engine).get_columns("complaints")}
    stored = repo.fetch_one(engine, r["id"])
    assert {c: stored[c] for c in row} == row
    assert all(stored[f] is None for f in (*OUTCOME_FIELDS, "updated_at"))

    later = rec.make_record(**sent, created_at=r["created_at"], received_at=datetime(2024, 4, 2), **DONE)
    assert later["input_hash"] == r["input_hash"]
    result = repo.ingest(engine, [later], tagger=None, now=datetime(2024, 4, 2, 10, 0))
    assert (result.n_created, result.n_updated) == (0, 1) and result.status(0) == "updated"
    stored = repo.fetch_one(engine, r["id"])
    assert {f: stored[f] for f in OUTCOME_FIELDS} == DONE and stored["level1"] == "城乡建设"
    assert stored["updated_at"] == datetime(2024, 4, 2, 10, 0) and stored["received_at"] == r["received_at"]
    assert repo.count(engine) == 1
    engine.dispose()


def test_import_of_an_export_restores_outcomes_and_a_later_export_updates_them(tmp_path):
    runner = CliRunner()
    db1, db2 = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    res = runner.invoke(
        app, ["store", "import", "--db", db1, "--input", str(BULLETIN_CSV), "--format", "json"]
    )
    assert res.exit_code == 0 and '"created": 38' in res.output, res.output
    assert "does not keep" not in res.output  # the outcome columns are kept now
    source = pd.read_csv(BULLETIN_CSV, dtype=str, keep_default_na=False).set_index("诉求编号")
    a = {r["id"]: r for r in repo.iter_rows(open_store(db1))}
    flag = {"是": True, "否": False, "": None}
    for cid, src in source.iterrows():
        assert (
            a[cid]["closed"] is flag[src["是否办结"]] and a[cid]["revisited"] is flag[src["是否有效回访"]]
        ), cid
        assert a[cid]["satisfaction"] == (src["满意度评价"] or None)
        assert a[cid]["stars"] == (float(src["评星"]) if src["评星"] else None)

    for suffix in (".csv", ".jsonl", ".parquet"):
        out = tmp_path / f"export{suffix}"
        assert runner.invoke(app, ["store", "export", "--db", db1, "--output", str(out)]).exit_code == 0
        target = f"sqlite:///{tmp_path / f'b{suffix}.db'}"
        res = runner.invoke(app, ["store", "import", "--db", target, "--input", str(out)])
        assert res.exit_code == 0, res.output
        b = {r["id"]: r for r in repo.iter_rows(open_store(target))}
        for cid in a:
            assert {f: b[cid][f] for f in OUTCOME_FIELDS} == {f: a[cid][f] for f in OUTCOME_FIELDS}, (
                suffix,
                cid,
            )
            assert b[cid]["input_hash"] == a[cid]["input_hash"] and b[cid]["updated_at"] is None

    # a store seeded before the outcomes were known takes them from a later export of the same rows
    bare = source.drop(
        columns=["是否办结", "满意度评价", "是否按时反馈", "是否有效回访", "评星"]
    ).reset_index()
    bare.to_csv(tmp_path / "bare.csv", index=False)
    assert (
        runner.invoke(app, ["store", "import", "--db", db2, "--input", str(tmp_path / "bare.csv")]).exit_code
        == 0
    )
    res = runner.invoke(
        app, ["store", "import", "--db", db2, "--input", str(BULLETIN_CSV), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rated = sum(any(a[cid][f] is not None for f in OUTCOME_FIELDS) for cid in a)
    assert (
        f'"updated": {rated}' in res.output
        and '"created": 0' in res.output
        and '"conflicts": []' in res.output
    )
    b = {r["id"]: r for r in repo.iter_rows(open_store(db2))}
    assert all({f: b[c][f] for f in OUTCOME_FIELDS} == {f: a[c][f] for f in OUTCOME_FIELDS} for c in a)
    assert sum(b[c]["updated_at"] is not None for c in a) == rated  # stamped: exactly the rows it changed

    # the stamp survives an export and an import into another store
    out = tmp_path / "updated.csv"
    assert runner.invoke(app, ["store", "export", "--db", db2, "--output", str(out)]).exit_code == 0
    assert runner.invoke(app, ["store", "import", "--db", db1 + "x", "--input", str(out)]).exit_code == 0
    c = {r["id"]: r for r in repo.iter_rows(open_store(db1 + "x"))}
    assert all(c[cid]["updated_at"] == b[cid]["updated_at"] for cid in a)


def test_the_bulletin_rates_from_a_store_export_match_the_source_file(tmp_path):
    """Import an export into the store, export the store, build the 专报 from the
    store's export: every printed figure, rates included, is the one the source
    file gives."""
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.report import build_report
    from hotline_nlp.corpus.loaders import load_complaints

    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert runner.invoke(app, ["store", "import", "--db", db, "--input", str(BULLETIN_CSV)]).exit_code == 0
    out = tmp_path / "store.csv"
    assert runner.invoke(app, ["store", "export", "--db", db, "--output", str(out)]).exit_code == 0

    def figures(path: Path) -> dict:
        loaded = load_complaints(path)
        assert loaded.rejects.empty
        report = build_report(
            loaded.frame,
            "2024H1",
            Options(min_volume=3, city="测试市", date="2024年7月18日"),
        )
        return {
            f.key: (f.value, f.display, sorted(f.complaint_ids), sorted(f.numerator_ids or []))
            for f in report.figures
        }

    from_store, from_source = figures(out), figures(BULLETIN_CSV)
    for key in (
        "overview.closed",
        "overview.satisfied",
        "overview.on_time",
        "overview.revisited",
        "overview.stars",
    ):
        assert key in from_store, key
    assert from_store["overview.closed"][0] == pytest.approx(
        14 / 16
    )  # as counted by hand in test_bulletin.py
    assert from_store == from_source
