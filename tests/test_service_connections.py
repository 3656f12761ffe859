"""The server under connection abuse (issue 17, item 2), against the real
``hotline-nlp serve`` on loopback: an idle-connection flood past the descriptor
limit, slow request heads, slow bodies, more requests than the in-flight limit.
Every loop is bounded in count and time.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from hotline_nlp.service.logs import RepeatFilter
from support import Server

NOFILE = 256  # the server runs under this descriptor limit (soft = hard, so it cannot raise it)


def serve(tmp: Path, models_dir: Path, *extra: str, nofile: int | None = None) -> Server:
    srv = Server(
        "demo",
        f"sqlite:///{tmp / 'c.db'}",
        models_dir=models_dir,
        log_path=tmp / "stdout.log",
        extra=("--log-file", str(tmp / "server.log"), *extra),
    )
    if nofile:
        srv.args = ["prlimit", f"--nofile={nofile}:{nofile}", "--", *srv.args]
    return srv.start(timeout=120)


def timed_healthz(url: str) -> float:
    t = time.monotonic()
    res = httpx.get(url + "/healthz", timeout=10)
    assert res.status_code == 200
    return time.monotonic() - t


def log_bytes(tmp: Path) -> int:
    return sum(p.stat().st_size for p in tmp.glob("*.log*"))


@pytest.mark.slow
def test_idle_flood_past_the_descriptor_limit(tmp_path, service_models_dir):
    """1,100 idle connections against 1,024 descriptors starved the server and
    flooded its log; here 2.5x the limit: /healthz answers promptly, the log stays small."""
    srv = serve(tmp_path, service_models_dir, "--header-timeout", "60", "--log-level", "info", nofile=NOFILE)
    try:
        socks = []
        for _ in range(int(NOFILE * 2.5)):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", srv.port))
            except BlockingIOError:
                pass
            socks.append(s)
        time.sleep(1.0)
        waits = [timed_healthz(srv.url) for _ in range(3)]
        assert max(waits) < 5.0, waits  # the old server never answered (timeouts)
        fds = len(list(Path(f"/proc/{srv.proc.pid}/fd").iterdir()))
        assert fds < NOFILE, fds
        for s in socks:
            s.close()
        text = (tmp_path / "server.log").read_text(errors="replace")
        # A burst of connects can still meet a full descriptor table for a moment in
        # asyncio's accept loop (it then pauses accepting for a second and resumes);
        # what must hold is that healthz answers and the log cannot flood: the repeat
        # filter lets the same error through at most 5 times per 10 s (the old server
        # wrote 15 MB in 20 s).
        assert text.count("out of system resource") <= 10, text.count(
            "out of system resource"
        )  # two windows at most
        assert "closed the longest-idle connection" in text
        assert log_bytes(tmp_path) < 20_000, log_bytes(tmp_path)
        assert "limit 256" in text  # the start-up line states the plan
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory, service_models_dir):
    """A server with short timeouts and two requests in flight at most."""
    tmp = tmp_path_factory.mktemp("strict")
    srv = serve(
        tmp,
        service_models_dir,
        *("--header-timeout", "1.5", "--body-timeout", "2", "--keep-alive-timeout", "1"),
        *("--max-in-flight", "2", "--log-max-mb", "0.02"),
    )
    srv.tmp = tmp
    yield srv
    srv.stop()


def trickle(port: int, head: bytes, limit: float = 12.0) -> tuple[float, bytes]:
    """Send ``head`` then one byte every 0.25 s until the server closes (or ``limit``);
    returns the seconds it took and what the server answered."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.25)
    s.sendall(head)
    t, got = time.monotonic(), b""
    try:
        while time.monotonic() - t < limit:
            try:
                s.sendall(b"X" if b"\r\n\r\n" not in head else b" ")
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            except TimeoutError:
                continue
            except OSError:
                break
    finally:
        s.close()
    return time.monotonic() - t, got


SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
SLOW_BODY = (
    b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
)


@pytest.mark.slow
def test_slow_request_head_is_cut_off(strict):
    took, got = trickle(strict.port, SLOW_HEAD)
    assert took < 1.5 + 2.0, took
    assert got.startswith(b"HTTP/1.1 408")


@pytest.mark.slow
def test_one_byte_a_second_body_is_cut_off(strict):
    took, got = trickle(strict.port, SLOW_BODY)
    assert took < 2.0 + 2.0, took
    assert got.startswith(b"HTTP/1.1 408")
    assert timed_healthz(strict.url) < 2.0


@pytest.mark.slow
def test_idle_keep_alive_connection_is_closed(strict):
    s = socket.create_connection(("127.0.0.1", strict.port))
    s.settimeout(5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(b"}"):  # the head and the JSON body may come in two reads
        got += s.recv(4096)
    assert got.startswith(b"HTTP/1.1 200")
    t = time.monotonic()
    assert s.recv(4096) == b""  # closed by the server, not by the 5 s socket timeout
    assert time.monotonic() - t < 4.0
    s.close()


@pytest.mark.slow
def test_more_requests_than_in_flight_limit_get_503(strict):
    """Two slow bodies hold both request slots: the third request is a 503 at
    once, health probes still answer, and the slots free up afterwards."""
    holders = []
    for _ in range(2):
        s = socket.create_connection(("127.0.0.1", strict.port))
        s.sendall(SLOW_BODY + b"{")
        holders.append(s)
    time.sleep(0.3)
    res = httpx.post(strict.url + "/v1/classify", json={"text": "噪音扰民"}, timeout=10)
    assert res.status_code == 503 and res.headers["retry-after"] == "1"
    assert res.json()["error"]["code"] == "busy"
    assert timed_healthz(strict.url) < 2.0
    for s in holders:
        s.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        res = httpx.post(strict.url + "/v1/classify", json={"text": "噪音扰民"}, timeout=10)
        if res.status_code == 200:
            break
        time.sleep(0.2)
    assert res.status_code == 200, res.text


@pytest.mark.slow
def test_repeated_errors_cannot_fill_the_log(strict):
    """300 malformed requests each log a warning: a few pass, the rest are
    counted, and the rotating file stays within its bound (0.02 MiB x 4)."""
    for _ in range(300):
        with socket.create_connection(("127.0.0.1", strict.port)) as s:
            s.settimeout(5)
            s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            s.recv(4096)
    text = (strict.tmp / "server.log").read_text(errors="replace")
    assert 1 <= text.count("Invalid HTTP request received") <= 20
    assert log_bytes(strict.tmp) < 4 * 0.02 * 1024 * 1024 + 4096


def test_repeat_filter_passes_a_few_and_counts_the_rest():
    import logging

    now = [0.0]
    f = RepeatFilter(burst=3, window=10.0, budget=50, clock=lambda: now[0])

    def rec(msg, level=logging.ERROR):
        return logging.LogRecord("x", level, __file__, 1, msg, (), None)

    assert [f.filter(rec("accept failed: %s")) for _ in range(10)] == [True] * 3 + [False] * 7
    assert f.filter(rec("another message"))
    assert all(f.filter(rec("access line", logging.INFO)) for _ in range(100))
    now[0] = 11.0
    r = rec("accept failed: %s")
    assert f.filter(r) and "[7 more like this suppressed]" in r.msg
    many = [f.filter(rec(f"distinct {i}")) for i in range(100)]  # f-string messages: the budget holds
    assert sum(many) == 50 - 1


def test_every_limit_is_a_documented_serve_option():
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    help_text = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200).output
    for name in (
        "max_body_mb",
        "max_batch",
        "max_text_chars",
        "header_timeout",
        "body_timeout",
        "keep_alive_timeout",
        "max_in_flight",
        "max_connections",
        "log_file",
        "log_max_mb",
    ):
        option = "--" + name.replace("_", "-")
        assert f"`{option}`" in readme, option
        assert option in help_text, option


@pytest.mark.slow
def test_every_connection_busy_new_one_gets_503(tmp_path, service_models_dir):
    """At the connection cap with no idle connection to close (each holds a request
    whose body is still coming), a new connection is answered 503 + Retry-After at
    once; once the holders go, the server serves again."""
    srv = serve(
        tmp_path,
        service_models_dir,
        *("--max-connections", "8", "--header-timeout", "30", "--body-timeout", "30"),
    )
    try:
        holders = []
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(SLOW_BODY + b"{")
            holders.append(s)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.settimeout(5)
            # the answer comes on accept, before any request: sending one first would race
            # the server's close and turn it into a reset
            got = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        assert got.startswith(b"HTTP/1.1 503"), got[:200]
        assert b"retry-after: 1" in got.lower() and b"too many open connections" in got
        for s in holders:
            s.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(srv.url + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert timed_healthz(srv.url) < 2.0
        assert "all busy: new connection refused (503)" in (tmp_path / "server.log").read_text(
            errors="replace"
        )
    finally:
        srv.stop()
