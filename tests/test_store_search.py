"""Free-text search from the index (migration 0006) returns exactly what the
old ``text LIKE '%q%'`` scan returned, newest first: on rows stored before the
migration (backfill), inserted, updated and deleted after it (triggers), for
short queries (the scan fallback) and for FTS syntax in the query."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.db import make_engine, migrate, open_store
from hotline_nlp.service.store.search import FTS_TABLE, PG_INDEX, fts_phrase
from hotline_nlp.service.store.tables import Complaint
from sqlalchemy import MetaData, Table, insert, select, text
from support import PgCluster, synthetic_rows

TABLE = Complaint.__table__
SPECIAL = ['气"不热', "AND OR NOT", "NEAR(暖气 供热)", "a*b^c:d", "100%_/", "'); DROP TABLE complaints;--"]


def _record(id: str, body: str, day: int) -> dict:
    return rec.make_record(
        id=id,
        title="",
        body=body,
        created_at=pd.Timestamp(datetime(2024, 1, 1) + timedelta(days=day)),
        received_at=datetime(2024, 7, 1),
        labels=("供热", "供热质量"),
    )


def _records(n: int, seed: int, start: int) -> list[dict]:
    return [
        _record(r["id"], r["title"] + r["body"], start + i) for i, r in enumerate(synthetic_rows(n, seed))
    ]


def _specials(prefix: str, start: int) -> list[dict]:
    texts = [f"家里{s}已经三天了" for s in SPECIAL] + ["小区暖气不热", "ABC物业", "abc物业"]
    return [_record(f"{prefix}{i}", t, start + i) for i, t in enumerate(texts)]


def _like_ids(engine, q: str) -> list[str]:
    """Today's search: the LIKE scan, newest first."""
    cond = TABLE.c.text.contains(q.strip(), autoescape=True)
    order = (TABLE.c.created_at.desc(), TABLE.c.id.desc())
    with engine.connect() as conn:
        return list(conn.execute(select(TABLE.c.id).where(cond).order_by(*order)).scalars())


def _search_ids(engine, q: str) -> list[str]:
    rows, total = repo.list_complaints(engine, q=q, limit=10_000, newest_first=True)
    assert total == len(rows)
    return [r["id"] for r in rows]


def _queries(engine) -> list[str]:
    with engine.connect() as conn:
        texts = list(conn.execute(select(TABLE.c.text).order_by(TABLE.c.id).limit(40)).scalars())
    picked = [t[4:7] for t in texts[::4]] + [t[6:8] for t in texts[::8]] + [t[2:12] for t in texts[::10]]
    return [*picked, "暖气", "气不热", "abc", "ABC", *SPECIAL, '"', '""', "*", "x", "不存在的词语"]


def _check(engine, queries) -> int:
    hits = 0
    for q in queries:
        expected = _like_ids(engine, q)
        assert _search_ids(engine, q) == expected, q
        hits += len(expected)
    return hits


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'complaints.db'}"
    engine = make_engine(url)
    migrate(engine, "0005")  # a store from before the index
    old = Table("complaints", MetaData(), autoload_with=engine)  # its columns as they were then
    rows = [repo._effective(r) for r in (*_records(150, 1, 0), *_specials("OLD", 200))]
    with engine.begin() as conn:
        conn.execute(insert(old), [{k: v for k, v in r.items() if k in old.c} for r in rows])
    migrate(engine)  # 0006 fills the index from those rows
    return engine


def test_the_index_is_used_and_filled_from_existing_rows(sqlite_store):
    with sqlite_store.connect() as conn:
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM complaints WHERE complaints.rowid IN "
                    f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q)"
                ),
                {"q": fts_phrase("暖气不热")},
            )
        )
        n = conn.execute(
            text(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"), {"q": fts_phrase("abc物业")}
        ).scalar_one()
    assert "VIRTUAL TABLE INDEX" in plan
    assert n == 2  # OLD7 and OLD8, stored before the migration
    assert _search_ids(sqlite_store, "暖气不热") == ["OLD6"]


def test_search_equals_the_like_scan_after_inserts_updates_and_deletes(sqlite_store):
    assert _check(sqlite_store, _queries(sqlite_store)) > 50  # the queries do find rows
    repo.ingest(sqlite_store, [*_records(60, 2, 400), *_specials("NEW", 500)], tagger=None)
    with sqlite_store.begin() as conn:  # the store only appends, but the triggers cover all three
        conn.execute(text("UPDATE complaints SET text = '改过的文本：暖气片漏水' WHERE id = 'OLD7'"))
        conn.execute(text("DELETE FROM complaints WHERE id = 'OLD8'"))
    assert _search_ids(sqlite_store, "暖气片漏水") == ["OLD7"]
    assert _search_ids(sqlite_store, "abc物业") == ["NEW8", "NEW7"]  # case-blind like LIKE; OLD7/8 gone
    assert _check(sqlite_store, _queries(sqlite_store)) > 50
    assert set(_search_ids(sqlite_store, "NEAR(暖气 供热)")) == {"OLD2", "NEW2"}


def test_postgres_search_equals_the_like_scan_and_has_its_trigram_index():
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    engine = open_store(PgCluster.shared().fresh_database())
    repo.ingest(engine, [*_records(80, 3, 0), *_specials("PG", 100)], tagger=None)
    with engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'complaints'")).scalars()
        )
    assert PG_INDEX in names
    assert _check(engine, _queries(engine)) > 20
