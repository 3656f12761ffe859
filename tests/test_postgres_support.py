"""The tests' throwaway PostgreSQL is pytest-postgresql's, over Debian's server
(issue 29): the cluster really runs under its executor, a missing piece is a
skip that says what to install, and CI installs the server where it is missing."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import support.postgres as pg
from support import PgCluster

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # starts a PostgreSQL server
def test_the_cluster_is_run_by_pytest_postgresql_and_serves_fresh_utf8_databases():
    reason = PgCluster.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL: {reason}")
    import psycopg
    from pytest_postgresql.executors import PostgreSQLExecutor

    cluster = PgCluster.shared()
    assert isinstance(cluster.executor, PostgreSQLExecutor) and cluster.executor.running()
    one, two = cluster.fresh_database(), cluster.fresh_database()
    assert one != two
    with psycopg.connect(one) as con:
        assert con.execute("SHOW server_encoding").fetchone()[0] == "UTF8"
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_a_missing_piece_is_a_skip_that_says_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(pg, "pg_bin_dir", lambda: Path("/usr/lib/postgresql/15/bin"))
    monkeypatch.setattr(
        pg.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pytest_postgresql" else real_find_spec(name, *a),
    )
    assert "pytest-postgresql" in PgCluster.unavailable_reason()
    monkeypatch.setattr(pg, "pg_bin_dir", lambda: None)
    assert "apt-get install -y postgresql" in PgCluster.unavailable_reason()


def test_ci_installs_the_server_and_the_test_extra_has_pytest_postgresql():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    test_extra = re.search(r"^test = \[(.*?)^\]", pyproject, re.S | re.M).group(1)
    assert '"pytest-postgresql>=' in test_extra
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"missing\+=\(postgresql\)", ci) and "apt-get install" in ci
