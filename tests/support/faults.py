"""The kill -9 fault drill shared by the restart tests and the service benchmark."""

from __future__ import annotations

import time

import httpx

from support.corpus import synthetic_rows
from support.server import Server


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
