"""The complaint store without HTTP: migrations, idempotent ingest, import/export.

Real SQLite files in tmp_path; the PostgreSQL cases run on a throwaway cluster
and skip when no server binaries are installed.
"""

from __future__ import annotations

import shutil
import threading
from datetime import datetime

import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.db import (
    StoreError,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    migrations_dir,
    open_store,
)
from sqlalchemy import inspect, text
from support import PgCluster, synthetic_rows, write_corpus_csv
from typer.testing import CliRunner

NOW = datetime(2024, 7, 1, 12, 0, 0)


def _records(n: int, seed: int = 0) -> list[dict]:
    return [
        rec.make_record(
            id=r["id"],
            title=r["title"],
            body=r["body"],
            created_at=pd.Timestamp(r["created_at"]),
            received_at=NOW,
            labels=(r["level1"], r["level2"]),
            district=r["district"],
        )
        for r in synthetic_rows(n, seed)
    ]


@pytest.fixture()
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'store' / 'complaints.db'}"


@pytest.fixture()
def pg_url():
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    return PgCluster.shared().fresh_database()


def test_migrations_create_the_schema_the_models_describe(sqlite_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from hotline_nlp.service.store.search import is_search_object
    from hotline_nlp.service.store.tables import Base

    engine = open_store(sqlite_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": lambda name, *_: not is_search_object(name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
        sync = conn.execute(text("PRAGMA synchronous")).scalar()
    assert diff == [], f"tables.py and the migrations disagree: {diff}"
    assert mode == "wal" and sync == 2  # 2 = FULL: a commit is on disk before it returns


def test_an_upgrade_keeps_stored_complaints(sqlite_url, tmp_path):
    """A later release adds a revision; migrating an old store keeps every row."""
    engine = open_store(sqlite_url)
    repo.ingest(engine, _records(30), tagger=None)
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_add_priority.py").write_text(
        '"""add priority"""\nimport sqlalchemy as sa\nfrom alembic import op\n'
        f'revision = "0099"\ndown_revision = "{head_revision()}"\nbranch_labels = None\ndepends_on = None\n\n'
        'def upgrade():\n    with op.batch_alter_table("complaints", recreate="always") as b:\n'
        '        b.add_column(sa.Column("priority", sa.Integer(), nullable=True))\n\n'
        'def downgrade():\n    with op.batch_alter_table("complaints") as b:\n        b.drop_column("priority")\n',
        encoding="utf-8",
    )
    engine.dispose()
    engine = make_engine(sqlite_url)
    migrate(engine, script_location=scripts)
    assert current_revision(engine) == "0099"
    assert "priority" in {c["name"] for c in inspect(engine).get_columns("complaints")}
    assert repo.count(engine) == 30
    row = repo.fetch_one(engine, "S0-000007")
    assert row["body"] and row["label_level1"] and row["input_hash"] == _records(30)[7]["input_hash"]
    # an older release refuses a store a newer one migrated, with a message, and leaves it alone
    with pytest.raises(StoreError, match="newer hotline-nlp"):
        migrate(engine)
    assert repo.count(engine) == 30
    # the table copy dropped the search index's triggers; migrate put them back and rebuilt the index
    assert "S0-000007" in {r["id"] for r in repo.list_complaints(engine, q=row["text"][2:6], limit=100)[0]}
    late = dict(_records(31)[30], id="AFTER-COPY")
    repo.ingest(engine, [late], tagger=None)
    assert "AFTER-COPY" in {r["id"] for r in repo.list_complaints(engine, q=late["text"][2:6], limit=100)[0]}


def test_bad_database_urls_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="cannot open nonsense://"):
        make_engine("nonsense://")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the store's folder"):
        open_store(f"sqlite:///{blocker / 'sub' / 'x.db'}")
    with pytest.raises(StoreError, match="cannot migrate postgresql.*127.0.0.1:1"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")


def _ingest_semantics(engine):
    recs = _records(20)
    first = repo.ingest(engine, recs, tagger=None)
    assert first.n_created == 20
    again = repo.ingest(engine, recs, tagger=None)
    assert again.n_created == 0 and [r["id"] for r in again.records] == [r["id"] for r in recs]
    changed = dict(recs[3], body="内容被改过了", input_hash="x" * 64)
    fresh = _records(25)[20:]
    with pytest.raises(repo.ConflictError) as e:
        repo.ingest(engine, [*fresh, changed], tagger=None)
    assert e.value.ids == [recs[3]["id"]]
    assert repo.count(engine) == 20  # all or nothing: the fresh ones were not stored either
    rows, total = repo.list_complaints(engine, category="环境保护 > 噪音污染", limit=5)
    assert total == sum(1 for r in recs if r["label_level2"] == "噪音污染") and len(rows) == min(5, total)
    assert all(r["level1"] == "环境保护" for r in rows)


def _concurrent_same_ids(engine):
    """Writers racing on the same ids: every id stored once, nobody sees a conflict."""
    recs = _records(60, seed=5)
    errors: list[Exception] = []

    def worker():
        try:
            repo.ingest(engine, recs, tagger=None)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM complaints WHERE id LIKE 'S5-%'")).scalar()
    assert n == 60


def test_ingest_is_idempotent_and_all_or_nothing_sqlite(sqlite_url):
    engine = open_store(sqlite_url)
    _ingest_semantics(engine)
    _concurrent_same_ids(engine)


@pytest.mark.slow
def test_ingest_is_idempotent_and_all_or_nothing_postgres(pg_url):
    engine = open_store(pg_url)
    assert engine.dialect.name == "postgresql"
    _ingest_semantics(engine)
    _concurrent_same_ids(engine)


def test_store_export_then_import_round_trips(tmp_path):
    runner = CliRunner()
    src = write_corpus_csv(tmp_path / "in.csv", n=50, seed=3)
    db1, db2 = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    res = runner.invoke(app, ["store", "import", "--db", db1, "--input", str(src), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"created": 50' in res.output
    for suffix in (".csv", ".jsonl", ".parquet"):
        out = tmp_path / f"export{suffix}"
        res = runner.invoke(app, ["store", "export", "--db", db1, "--output", str(out)])
        assert res.exit_code == 0, res.output
        target = f"sqlite:///{tmp_path / f'b{suffix}.db'}"
        res = runner.invoke(app, ["store", "import", "--db", target, "--input", str(out)])
        assert res.exit_code == 0, res.output
        a = {r["id"]: r for r in repo.iter_rows(open_store(db1))}
        b = {r["id"]: r for r in repo.iter_rows(open_store(target))}
        assert a.keys() == b.keys() and len(a) == 50
        for k in a:
            for col in (
                "title",
                "body",
                "text",
                "created_at",
                "received_at",
                "district",
                "caller",
                "label_level1",
                "label_level2",
                "level1",
                "input_hash",
            ):
                assert a[k][col] == b[k][col], (suffix, k, col)
    # importing the export back into the original store is a no-op, not a conflict
    res = runner.invoke(app, ["store", "import", "--db", db1, "--input", str(tmp_path / "export.csv")])
    assert res.exit_code == 0 and "0 stored, 50 already stored" in res.output, res.output
    assert db2  # (b.db unused: each format gets its own store)


def test_store_import_reports_conflicts_and_rejects(tmp_path):
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 's.db'}"
    src = write_corpus_csv(tmp_path / "in.csv", n=12, seed=4)
    assert runner.invoke(app, ["store", "import", "--db", db, "--input", str(src)]).exit_code == 0
    frame = pd.read_csv(src, dtype=str)
    frame.loc[0, "诉求内容"] = "这条投诉被改写了"  # same id, new content -> conflict
    frame.loc[1, "受理时间"] = "不是日期"  # rejected by the loader, with its row number
    frame.loc[len(frame)] = [
        "NEW-1",
        "2024-03-01 08:00:00",
        "新投诉",
        "路灯不亮",
        "城乡建设",
        "道路维修",
        "大洼区",
        "",
    ]
    edited = tmp_path / "edited.csv"
    frame.to_csv(edited, index=False)
    res = runner.invoke(app, ["store", "import", "--db", db, "--input", str(edited)])
    assert res.exit_code == 1, res.output
    assert "1 stored" in res.output and "1 conflicts" in res.output and "1 rows rejected" in res.output
    assert "rejected row 3" in res.output and frame.loc[0, "诉求编号"] in res.output
    engine = open_store(db)
    assert repo.fetch_one(engine, "NEW-1") is not None
    assert repo.fetch_one(engine, frame.loc[0, "诉求编号"])["body"] != "这条投诉被改写了"


def test_store_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "store",
            "import",
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "--input",
            str(tmp_path / "missing.csv"),
        ],
    )
    assert res.exit_code == 2 and "no such file" in res.output and "Traceback" not in res.output
    res = runner.invoke(
        app,
        ["store", "export", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--output", str(tmp_path / "out.xls")],
    )
    assert res.exit_code == 2 and "unknown export type" in res.output
