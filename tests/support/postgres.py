"""A throwaway PostgreSQL cluster for the service tests and benchmarks.

The cluster is run by pytest-postgresql's ``PostgreSQLExecutor`` (initdb,
``pg_ctl start -w``, readiness on the port, ``pg_ctl stop``) over the installed
server binaries (Debian's ``postgresql`` package, which ``.ci/run`` installs
where missing), and each test's empty database comes from its
``DatabaseJanitor``. Its pytest fixtures are not used as they stand: the suite
runs as root in CI, PostgreSQL refuses to run as root, and the fixtures'
folders under pytest's 0700 tmp cannot be entered by another user. So the
cluster lives in a folder of its own and, as root, ``pg_ctl`` is run as the
``postgres`` system user (the Debian package creates it) through a two-line
wrapper. Everything is skipped, saying why, where a piece is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from support.server import free_port

PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def pg_bin_dir() -> Path | None:
    """Folder with initdb/pg_ctl/postgres, or None when no server is installed."""
    for d in PG_BIN_DIRS:
        if all((Path(d) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(d)
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "postgres").exists():
        return Path(found).resolve().parent
    return None


class PgCluster:
    """A throwaway cluster in its own folder on a free port (trust auth, loopback only)."""

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why no cluster can be started here (None when one can)."""
        if pg_bin_dir() is None:
            return "no PostgreSQL server binaries (apt-get install -y postgresql)"
        if importlib.util.find_spec("pytest_postgresql") is None:
            return "pytest-postgresql is not installed (pip install -e '.[test]')"
        if importlib.util.find_spec("psycopg") is None:
            return "no PostgreSQL driver (pip install 'hotline-nlp[postgres]')"
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run the server as"
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
        return None

    def __init__(self):
        reason = self.unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.bin = pg_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "hotline"
        self.url = f"postgresql://{self.user}@127.0.0.1:{self.port}/hotline"
        self.executor = None

    _shared: PgCluster | None = None

    @classmethod
    def shared(cls) -> PgCluster:
        """One cluster per process (test modules share it); stopped at exit."""
        if cls._shared is None:
            import atexit

            cls._shared = cls().start()
            atexit.register(cls._shared.stop)
        return cls._shared

    def _pg_ctl(self) -> str:
        """``pg_ctl``, or as root a wrapper that runs it as the ``postgres`` user."""
        pg_ctl = self.bin / "pg_ctl"
        if os.geteuid() != 0:
            return str(pg_ctl)
        shutil.chown(self.root, "postgres")
        wrapper = self.root / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- {pg_ctl} "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
        return str(wrapper)

    def start(self) -> PgCluster:
        from pytest_postgresql.executors import PostgreSQLExecutor

        self.executor = PostgreSQLExecutor(
            executable=self._pg_ctl(),
            host="127.0.0.1",
            port=self.port,
            datadir=str(self.data),
            unixsocketdir=str(self.root),
            logfile=str(self.root / "server.log"),
            startparams="-w -t 60",
            dbname="hotline",
            user=self.user,
            postgres_options="-c listen_addresses=127.0.0.1",
            timeout=120,
        )
        self._start_and_wait()
        self._create_database("hotline")
        return self

    def _start_and_wait(self) -> None:
        """Start, and return once the server accepts connections: the executor
        returns when the port opens, which is before recovery is over; ``pg_ctl
        start -w`` itself exits only then."""
        self.executor.start()
        launcher = self.executor.process
        if launcher is not None and launcher.wait(timeout=120) != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed ({launcher.returncode}): {log}")

    def _create_database(self, name: str) -> None:
        from pytest_postgresql.janitor import DatabaseJanitor

        DatabaseJanitor(user=self.user, host="127.0.0.1", port=self.port, dbname=name).init()

    def fresh_database(self) -> str:
        """A new empty database in this cluster; returns its URL."""
        import uuid

        name = f"t{uuid.uuid4().hex[:12]}"
        self._create_database(name)
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def start_server(self) -> None:
        """Start the stopped server again on the same data (the end of an outage)."""
        self._start_and_wait()

    def stop_server(self) -> None:
        """Stop the server and keep the data (a database outage)."""
        self.executor.stop()

    def stop(self) -> None:
        try:
            if self.executor is not None and self.executor.running():
                self.executor.stop()
        except Exception:  # noqa: BLE001 - at exit: the folder goes either way
            pass
        shutil.rmtree(self.root, ignore_errors=True)
