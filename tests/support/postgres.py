"""A throwaway PostgreSQL cluster for the service tests and benchmarks
(skipped where the server binaries are not installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
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
    """A throwaway cluster in ``root`` on a free port (trust auth, loopback only).

    PostgreSQL refuses to run as root; as root the cluster is run as the
    ``postgres`` system user (which the Debian package creates)."""

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why no cluster can be started here (None when one can)."""
        if pg_bin_dir() is None:
            return "no PostgreSQL server binaries (apt-get install -y postgresql)"
        import importlib.util

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

    def __init__(self, root: Path | None = None):
        import tempfile

        reason = self.unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.bin = pg_bin_dir()
        # As root the server runs as 'postgres', which cannot enter pytest's 0700 tmp
        # folders: use a folder of its own under the system tmp then.
        self._own_root = root is None or os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-")) if self._own_root else Path(root)
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "hotline"
        self.url = f"postgresql://{self.user}@127.0.0.1:{self.port}/hotline"

    _shared: PgCluster | None = None

    @classmethod
    def shared(cls) -> PgCluster:
        """One cluster per process (test modules share it); stopped at exit."""
        if cls._shared is None:
            import atexit

            cls._shared = cls().start()
            atexit.register(cls._shared.stop)
        return cls._shared

    def fresh_database(self) -> str:
        """A new empty database in this cluster; returns its URL."""
        import uuid

        name = f"t{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if res.returncode:
            raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stderr.strip()[-1000:]}")

    def start(self) -> PgCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"
        )
        self.start_server()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "hotline")
        return self

    def start_server(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server and keep the data (a database outage)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def stop(self) -> None:
        try:
            self.stop_server("immediate")
        except RuntimeError:
            pass
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
