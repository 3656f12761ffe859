"""Run the real server for tests and benchmarks: a ``hotline-nlp serve``
subprocess on a free loopback port, a throwaway PostgreSQL cluster, and a
small synthetic labelled corpus to train a model on.

Lives in the package (not in tests/) because the load and fault benchmarks
start servers the same way the tests do.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``hotline-nlp serve`` in a subprocess; ``url`` once ``start`` returns."""

    def __init__(
        self,
        model: str,
        db_url: str,
        *,
        models_dir: Path | None = None,
        api_key_file: Path | None = None,
        extra: tuple[str, ...] = (),
        log_path: Path | None = None,
        env: dict | None = None,
        cpus: list[int] | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url
        args = [
            sys.executable,
            "-m",
            "hotline_nlp.cli",
            "serve",
            "--model",
            model,
            "--db",
            db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        if models_dir:
            args += ["--models-dir", str(models_dir)]
        args += ["--api-key-file", str(api_key_file)] if api_key_file else ["--no-auth"]
        self.args = [*args, *extra]
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log_path = log_path
        self.cpus = cpus
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        pre = (lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None
        self.proc = subprocess.Popen(
            self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pre
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode} before answering; "
                    f"log: {self.log_text()[-2000:]}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(
            f"server did not answer /healthz within {timeout}s; log: {self.log_text()[-2000:]}"
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self) -> int | None:
        """SIGKILL: no shutdown handler runs (the fault test)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- PostgreSQL ---------------------------------------------------------------


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


# --- a small labelled corpus --------------------------------------------------

_TOPICS = {
    ("物业管理", "物业服务"): [
        "小区物业不作为，楼道垃圾多日无人清理",
        "物业公司乱收费，停车费上涨没有公示",
        "小区电梯经常故障，物业维修不及时",
        "物业保安不在岗，小区门禁形同虚设",
    ],
    ("新能源汽车充电设施", "物业阻挠安装充电桩"): [
        "物业拒绝业主安装新能源汽车充电桩",
        "申请在自家车位安装充电桩被物业阻挠",
        "物业以安全为由不让安装电动汽车充电桩",
        "供电公司已同意报装，物业不开具充电桩安装证明",
    ],
    ("环境保护", "噪音污染"): [
        "夜间工地施工噪音扰民，影响休息",
        "楼下烧烤店深夜噪音很大",
        "广场舞音响声音过大扰民",
        "附近工厂机器轰鸣噪音严重",
    ],
    ("交通运输", "公交服务"): [
        "公交车班次太少，等车时间过长",
        "公交司机不按站点停车",
        "希望增开通往开发区的公交线路",
        "公交车到站时间与站牌不符",
    ],
    ("城乡建设", "道路维修"): [
        "小区门前道路坑洼不平，雨天积水",
        "路面塌陷存在安全隐患，请尽快维修",
        "人行道地砖破损无人修复",
        "道路井盖缺失，夜间行人容易跌倒",
    ],
    ("劳动保障", "拖欠工资"): [
        "公司拖欠工资三个月不发",
        "工地包工头拖欠农民工工资",
        "离职后单位不结清工资",
        "饭店老板拖欠员工两个月工资",
    ],
}
_DISTRICTS = ["兴隆台区", "双台子区", "大洼区", "盘山县"]
_TAILS = ["，请有关部门尽快处理。", "，希望尽快解决。", "，多次反映未果。", "，请给予答复。", "。"]

HEADERS = ["诉求编号", "受理时间", "诉求标题", "诉求内容", "一级分类", "二级分类", "所属区县", "来电号码"]


def synthetic_rows(n: int, seed: int = 0, start: str = "2024-01-01", days: int = 180) -> list[dict]:
    """``n`` labelled complaints (canonical names) spread over ``days`` days."""
    import pandas as pd

    rng = random.Random(seed)
    keys = list(_TOPICS)
    t0 = pd.Timestamp(start)
    rows = []
    for i in range(n):
        l1, l2 = keys[i % len(keys)]
        phrase = rng.choice(_TOPICS[(l1, l2)])
        district = rng.choice(_DISTRICTS)
        when = t0 + pd.Timedelta(minutes=rng.randrange(days * 24 * 60))
        rows.append(
            {
                "id": f"S{seed}-{i:06d}",
                "created_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
                "title": phrase[:8],
                "body": f"{district}{phrase}{rng.choice(_TAILS)}",
                "level1": l1,
                "level2": l2,
                "district": district,
                "caller": f"1{rng.randrange(10**9, 10**10)}",
            }
        )
    return rows


def write_corpus_csv(path: Path, n: int = 240, seed: int = 0) -> Path:
    """The synthetic corpus as a CSV with the hotline platform's Chinese headers."""
    import pandas as pd

    rows = synthetic_rows(n, seed)
    frame = pd.DataFrame(
        [
            [
                r["id"],
                r["created_at"],
                r["title"],
                r["body"],
                r["level1"],
                r["level2"],
                r["district"],
                r["caller"],
            ]
            for r in rows
        ],
        columns=HEADERS,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def ensure_model(models_dir: Path, name: str = "demo", n: int = 240, seed: int = 0) -> Path:
    """Train a small real model once per ``models_dir`` with ``hotline-nlp train`` on
    the synthetic corpus (the tests' session model); returns ``models_dir``."""
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    models_dir = Path(models_dir)
    done = models_dir / f".{name}-trained"
    if done.exists():
        return models_dir
    csv = write_corpus_csv(models_dir.parent / f"{name}-train.csv", n=n, seed=seed)
    res = CliRunner().invoke(
        app, ["train", "--data", str(csv), "--name", name, "--models-dir", str(models_dir)]
    )
    if res.exit_code != 0:
        raise RuntimeError(f"hotline-nlp train failed ({res.exit_code}): {res.output[-2000:]}")
    done.write_text("ok")
    return models_dir


# --- the kill -9 fault drill (tests and benchmarks) ------------------------------


def fault_payload(client: int, i: int) -> dict:
    r = synthetic_rows(1, seed=1000 + client * 100_000 + i)[0]
    return {
        "id": f"F{client}-{i:07d}",
        "created_at": r["created_at"],
        "title": r["title"],
        "body": r["body"],
        "district": r["district"],
    }


def ingest_until_killed(
    server: Server,
    *,
    clients: int = 4,
    batch: int = 5,
    kill_after_acks: int = 200,
    max_seconds: float = 20.0,
    headers: dict | None = None,
) -> dict:
    """Concurrent ingest clients record what the server acknowledged (a 2xx);
    the server is SIGKILLed once ``kill_after_acks`` complaints are acknowledged.

    Returns ``{"acked": set, "attempted": {id: payload}, "errors": [...], "killed_after_s": float}``."""
    import threading

    acked: set[str] = set()
    attempted: dict[str, dict] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def run(k: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers or {}) as client:
            i = 0
            while not stop.is_set():
                items = [fault_payload(k, i + j) for j in range(batch)]
                i += batch
                with lock:
                    attempted.update({p["id"]: p for p in items})
                try:
                    res = client.post("/v1/complaints", json={"items": items})
                except httpx.HTTPError:
                    return  # the server is gone: these items are unacknowledged
                if 200 <= res.status_code < 300:
                    with lock:
                        acked.update(p["id"] for p in items)
                else:
                    errors.append(f"{res.status_code}: {res.text[:200]}")

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - t0 < max_seconds:
        with lock:
            if len(acked) >= kill_after_acks:
                break
        time.sleep(0.005)
    server.kill()
    killed_after = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join(30)
    return {"acked": acked, "attempted": attempted, "errors": errors, "killed_after_s": killed_after}


def stored_ids(db_url: str) -> list[str]:
    """Every id in the store, read straight from the database (duplicates kept)."""
    from hotline_nlp.service.store.db import make_engine
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT id FROM complaints"))]
    finally:
        engine.dispose()
