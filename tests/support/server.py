"""Run the real server for tests and benchmarks: a ``hotline-nlp serve``
subprocess on a free loopback port.

Test code, kept out of the runtime package; the service benchmarks import it
too (they put ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


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
