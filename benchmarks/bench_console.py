"""The analyst console's targets (issue 15).

    nice -n 10 .venv/bin/python benchmarks/bench_console.py pages   [--rows 100000]
    nice -n 10 .venv/bin/python benchmarks/bench_console.py search  [--rows 100000]
    nice -n 10 .venv/bin/python benchmarks/bench_console.py review  [--items 20]
    nice -n 10 .venv/bin/python benchmarks/bench_console.py retrain [--corrections 300]

pages    server time of each console page on a store of ``--rows`` complaints (the demo
         corpus repeated with new ids), measured in process around the app (TestClient):
         median and p95 of 15 requests, the alert cache warm; plus the one background
         computation of the week's alert.
search   only the search page, each query with the index (migration 0006) and with the old
         LIKE scan forced, alternately in one process; plus the index's backfill time.
review   a real headless Chromium works through the review queue (accept 3 of 4, correct
         1 of 4): clicks per item and machine seconds per item.
retrain  the demo corpus with a constructed mis-tagged class: in the 2023 history 80% of
         供热 > 供热质量 complaints are labelled 物业管理 > 物业维修服务. Model v1 is
         trained on that history; 2024 complaints are stored tagged by it; an analyst
         works through ``--corrections`` items of the review queue (uncertainty order) and,
         separately, ``--corrections`` complaints found by searching the wrong category;
         ``train --db`` retrains; accuracy on a fixed test part of 2024 (stable hash of the
         id, never corrected) before and after, on the mis-tagged kind and overall.

Each writes its table to stdout; results/console.md holds the figures with the machine load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpus" / "data" / "demo_complaints.csv"
KEY = "bench-analyst-key-000001"
WRONG_FROM, WRONG_TO = ("供热", "供热质量"), ("物业管理", "物业维修服务")


def load_demo() -> pd.DataFrame:
    from hotline_nlp.corpus.loaders import load_complaints

    return load_complaints(DEMO, require=("labels",)).frame


def test_part(ids: pd.Series, share: float = 0.2) -> pd.Series:
    return ids.map(lambda i: int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) / 16**8 < share)


def records_of(
    frame: pd.DataFrame,
    tags: list[dict] | None,
    suffix: str = "",
    shift: timedelta = timedelta(0),
    labels=False,
):
    from hotline_nlp.service.store import records as rec

    now = datetime(2025, 1, 6, 8)
    out = []
    for i, r in enumerate(frame.itertuples(index=False)):
        row = rec.make_record(
            id=f"{r.id}{suffix}",
            title=r.title,
            body=r.body,
            created_at=pd.Timestamp(r.created_at).to_pydatetime() + shift,
            received_at=now,
            labels=(r.level1, r.level2) if labels else (None, None),
            district=getattr(r, "district", None),
            unit=getattr(r, "unit", None),
        )
        if tags is not None:
            row.update(tags[i])
        out.append(row)
    return out


def tags_for(model, texts: list[str]) -> list[dict]:
    from hotline_nlp.service.store import records as rec

    preds = []
    for i in range(0, len(texts), 2000):
        preds += model.predict(texts[i : i + 2000], top_k=3)
    return [rec.tag_columns(p, model) for p in preds]


def train_demo_model(models_dir: Path, frame: pd.DataFrame, name: str = "demo"):
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.training import train
    from hotline_nlp.corpus import columns as cols
    from hotline_nlp.corpus.loaders import LoadResult

    f = (
        frame[["id", "text", "level1", "level2"]]
        .reset_index(drop=True)
        .assign(row=lambda x: range(1, len(x) + 1))
    )
    data = LoadResult(Path("history.csv"), f, f, pd.DataFrame(columns=["row"]), cols.ColumnMap({}))
    train(data, name=name, models_dir=models_dir)
    return load_model(name, models_dir)


def timed(client, method: str, url: str, n: int = 15, **kw) -> tuple[float, float, int]:
    times, status = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        res = client.request(method, url, headers={"X-API-Key": KEY, **kw.pop("headers", {})}, **kw)
        times.append((time.perf_counter() - t0) * 1000)
        status = res.status_code
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], status


def build_store(tmp: Path, demo: pd.DataFrame, rows: int) -> tuple[str, int]:
    """A SQLite store of ``rows`` complaints (the demo corpus repeated with new ids),
    tagged by a demo model. Filled at revision 0005, then migrated: the time of
    migration 0006 (the search index's backfill) is printed."""
    from hotline_nlp.service.store import repository as repo
    from hotline_nlp.service.store.db import make_engine, migrate

    t0 = time.time()
    model = train_demo_model(tmp / "models", demo.sample(1500, random_state=0))  # tag quality is not timed
    tags = tags_for(model, demo["text"].tolist())
    url = f"sqlite:///{tmp / 'c.db'}"
    engine = make_engine(url)
    migrate(engine, "0005")
    copies = -(-rows // len(demo))
    n = 0
    for k in range(copies):
        part = demo.iloc[: min(len(demo), rows - n)]
        recs = records_of(part, tags[: len(part)], suffix=f"-{k}", shift=timedelta(minutes=k))
        for i in range(0, len(recs), 5000):
            repo.ingest(engine, recs[i : i + 5000], tagger=None)
        n += len(part)
    print(f"store: {n} complaints, built in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    migrate(engine)
    print(
        f"migration to head (0006: search index backfill of {n:,} texts): {time.time() - t0:.1f} s",
        flush=True,
    )
    engine.dispose()
    return url, n


def bench_search(rows: int) -> None:
    """Only the search page: each query timed with the index and with the old
    LIKE scan forced (``search.MIN_INDEXED`` raised), alternately, in one process."""
    from fastapi.testclient import TestClient
    from hotline_nlp.service.app import create_app
    from hotline_nlp.service.auth import ApiKey
    from hotline_nlp.service.settings import Settings
    from hotline_nlp.service.store import search

    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    demo = load_demo()
    url, n = build_store(tmp, demo, rows)
    settings = Settings(
        model="demo", db_url=url, models_dir=tmp / "models", api_keys=(ApiKey("bench", "analyst", KEY),)
    )
    word = demo["text"].iloc[100][5:9]
    queries = [
        (f"text, 4 characters: {word}", word),
        ("text, 2 characters: 暖气 (scan fallback)", "暖气"),
        ("text, 2 characters, rare: 鹦鹉 (scan fallback, reads every row)", "鹦鹉"),
        ("text, absent: 不存在的投诉内容", "不存在的投诉内容"),
        ('text with FTS syntax: 气" OR 热*', '气" OR 热*'),
    ]
    indexed_min = search.MIN_INDEXED
    out = []
    with TestClient(create_app(settings)) as c:
        c.get("/ui/complaints", headers={"X-API-Key": KEY})
        for label, q in queries:
            res = {}
            for variant in ("index", "like", "index", "like"):  # alternate: same load for both
                search.MIN_INDEXED = indexed_min if variant == "index" else 10**9
                res.setdefault(variant, []).append(timed(c, "GET", "/ui/complaints", n=8, params={"q": q}))
            search.MIN_INDEXED = indexed_min
            row = [label]
            for variant in ("index", "like"):
                times = res[variant]
                row += [statistics.median([t[0] for t in times]), max(t[1] for t in times), times[0][2]]
            out.append(row)
            print(row, flush=True)
    print(
        f"\n| `/ui/complaints?q=` ({n:,} complaints) | index: median ms | p95 ms | status | old LIKE scan: median ms | p95 ms | status |"
        "\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for label, m1, p1, s1, m2, p2, s2 in out:
        print(f"| {label} | {m1:.0f} | {p1:.0f} | {s1} | {m2:.0f} | {p2:.0f} | {s2} |")
    shutil.rmtree(tmp, ignore_errors=True)


def bench_pages(rows: int) -> None:
    from fastapi.testclient import TestClient
    from hotline_nlp.service.app import create_app
    from hotline_nlp.service.auth import ApiKey
    from hotline_nlp.service.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    demo = load_demo()
    url, n = build_store(tmp, demo, rows)
    settings = Settings(
        model="demo", db_url=url, models_dir=tmp / "models", api_keys=(ApiKey("bench", "analyst", KEY),)
    )
    app = create_app(settings)
    with TestClient(app) as c:
        first = timed(c, "GET", "/ui/", n=1)  # starts the alert's background computation
        t_alert = time.time()
        cid = demo["id"].iloc[100] + "-3"
        word = demo["text"].iloc[100][5:9]
        rows_out = [('`/ui/` before the alert is computed (answers "computing")', *first)]
        pages = [
            (f"`/ui/review` (queue of {n:,})", "/ui/review"),
            ("`/ui/complaints` (newest 50)", "/ui/complaints"),
            ("`/ui/complaints?q=<id>`", f"/ui/complaints?q={cid}"),
            (f"`/ui/complaints?q=<text: {word}>`", f"/ui/complaints?q={word}"),
            (
                "`/ui/complaints?category=供热&since=2024-11-01`",
                "/ui/complaints?category=供热&since=2024-11-01",
            ),
            ("`/ui/metrics`", "/ui/metrics"),
            ("`/ui/bulletin` (form)", "/ui/bulletin"),
            ("`/v1/review?limit=20`", "/v1/review?limit=20"),
            ("`/v1/metrics`", "/v1/metrics"),
        ]
        for label, path in pages:
            rows_out.append((label, *timed(c, "GET", path)))
            print(rows_out[-1], flush=True)
        times = []  # a decision: accept the next item and get the card after it
        for _ in range(15):
            item = c.get("/v1/review?limit=1", headers={"X-API-Key": KEY}).json()[0]
            t0 = time.perf_counter()
            res = c.post(
                f"/ui/review/{item['id']}",
                data={"action": "accept"},
                headers={"X-API-Key": KEY, "X-Requested-With": "fetch"},
            )
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows_out.append(
            (
                "`POST /ui/review/{id}` accept + next card",
                statistics.median(times),
                times[13],
                res.status_code,
            )
        )
        print(rows_out[-1], flush=True)
        while 'p class="summary"' not in c.get("/ui/", headers={"X-API-Key": KEY}).text:
            time.sleep(5)
            if time.time() - t_alert > 3000:
                raise SystemExit("the alert took more than 50 minutes")
        alert_s = time.time() - t_alert
        print(f"alert computed after {alert_s:.0f} s", flush=True)
        import re

        page = c.get("/ui/", headers={"X-API-Key": KEY}).text
        issue = re.search(r'href="(/ui/issues/[^"]+)"', page).group(1).replace("&amp;", "&")
        rows_out.insert(1, ("`/ui/issues/{id}`", *timed(c, "GET", issue)))
        rows_out.insert(1, ("`/ui/` this week's alert (cached)", *timed(c, "GET", "/ui/")))
        t0 = time.perf_counter()
        res = c.post("/ui/bulletin", data={"period": "2024-11", "format": "docx"}, headers={"X-API-Key": KEY})
        bulletin_s = time.perf_counter() - t0
    print(
        f"\n| page ({n:,} complaints in the store) | median ms | p95 ms | status |\n| --- | ---: | ---: | ---: |"
    )
    for label, med, p95, status in rows_out:
        print(f"| {label} | {med:.0f} | {p95:.0f} | {status} |")
    print(
        f"\nThe week's alert, computed once in the background: {alert_s:.0f} s. "
        f"专报 2024-11 as DOCX (POST /ui/bulletin): {bulletin_s:.1f} s, {len(res.content):,} bytes, status {res.status_code}."
    )
    shutil.rmtree(tmp, ignore_errors=True)


def bench_retrain(corrections: int, variants=("queue", "search"), v1_dir: str | None = None) -> None:
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.service.retrain import train_from_store
    from hotline_nlp.service.store import labels
    from hotline_nlp.service.store import repository as repo
    from hotline_nlp.service.store.db import open_store

    tmp = Path(tempfile.mkdtemp(prefix="bench-retrain-"))
    demo = load_demo()
    year = demo["created_at"].dt.year
    hist, live = demo[year == 2023].copy(), demo[year == 2024].copy()
    wrong = (hist["level1"] == WRONG_FROM[0]) & (hist["level2"] == WRONG_FROM[1])
    flip = wrong & ~test_part(hist["id"], 0.2)  # 80% of the class, chosen by a stable hash
    hist.loc[flip, ["level1", "level2"]] = WRONG_TO
    live["test"] = test_part(live["id"])
    test = live[live["test"]]
    kind = (test["level1"] == WRONG_FROM[0]) & (test["level2"] == WRONG_FROM[1])
    print(
        f"history 2023: {len(hist)} labelled, {int(flip.sum())} of {int(wrong.sum())} {'>'.join(WRONG_FROM)} labelled {'>'.join(WRONG_TO)}"
    )
    print(f"2024: {len(live)} complaints, test part {len(test)} ({int(kind.sum())} of the mis-tagged kind)")

    def acc(model) -> tuple[float, float]:
        """(accuracy on the mis-tagged kind, on the whole test part): the best full path
        (top-1, as ``classifier.training.Holdout`` judges) against the true one."""
        from hotline_nlp.classifier.training import best_path

        preds = model.predict(test["text"].tolist(), top_k=1)
        ok = [best_path(p) == f"{a} > {b}" for p, a, b in zip(preds, test["level1"], test["level2"])]
        s = pd.Series(ok, index=test.index)
        return float(s[kind].mean()), float(s.mean())

    results = []
    if v1_dir:  # a v1 trained by an earlier run of this script (same history, same settings)
        from hotline_nlp.classifier.model import load_model as _load

        shutil.copytree(v1_dir, tmp / "v1")
        v1 = _load("demo", tmp / "v1")
    else:
        v1 = train_demo_model(tmp / "v1", hist)
    before = acc(v1)
    print(f"v1 trained; test accuracy (mis-tagged kind, all) {before}", flush=True)
    for how in variants:
        models = tmp / how / "models"
        shutil.copytree(tmp / "v1", models)
        url = f"sqlite:///{tmp / how / 'c.db'}"
        engine = open_store(url)
        repo.ingest(engine, records_of(hist, None, labels=True), tagger=None)  # `store import` of the history
        train_ids = live[~live["test"]]
        repo.ingest(engine, records_of(train_ids, tags_for(v1, train_ids["text"].tolist())), tagger=None)
        truth = train_ids.set_index("id")[["level1", "level2"]]
        now, changed, done = datetime(2025, 1, 6, 9), 0, 0
        clicks = 0
        while done < corrections:
            if how == "queue":
                batch = labels.review_queue(engine, limit=1)
            else:  # the analyst searches the suspect category and corrects what is wrong in it
                rows, _ = repo.list_complaints(
                    engine,
                    category=" > ".join(WRONG_TO),
                    corrected=False,
                    since=datetime(2024, 1, 1),
                    limit=1,
                )
                batch = rows or labels.review_queue(engine, limit=1)
            if not batch:
                break
            row = batch[0]
            l1, l2 = truth.loc[row["id"]]
            changed += (l1, l2) != (row["tag_level1"], row["tag_level2"])
            clicks += 1
            labels.correct(
                engine,
                row["id"],
                {"label_level1": l1, "label_level2": l2},
                "bench",
                now + timedelta(seconds=done),
            )
            done += 1
        engine.dispose()
        t0 = time.time()
        report, used = train_from_store(url, name="demo", models_dir=models)
        train_s = time.time() - t0
        after = acc(load_model(models / "demo" / report.version))
        print(how, done, changed, before, after, report.reason, flush=True)
        results.append((how, done, changed, before, after, report, used, train_s))
    print(
        f"\n| corrections chosen by | reviewed | of which tag was wrong | {'>'.join(WRONG_FROM)} test acc. before → after | all test acc. before → after | promoted (on the newest corrections) | retrain s |"
    )
    print("| --- | ---: | ---: | --- | --- | --- | ---: |")
    for how, done, changed, before, after, report, _used, s in results:
        what = (
            "review queue (uncertainty order)"
            if how == "queue"
            else f"search: category {'>'.join(WRONG_TO)}, uncorrected"
        )
        print(
            f"| {what} | {done} | {changed} | {before[0]:.3f} → {after[0]:.3f} | {before[1]:.3f} → {after[1]:.3f} | {report.promoted}: {report.reason} | {s:.0f} |"
        )
    shutil.rmtree(tmp, ignore_errors=True)


def bench_review(items: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import threading

    import httpx
    import uvicorn
    from hotline_nlp.service.app import create_app
    from hotline_nlp.service.auth import ApiKey
    from hotline_nlp.service.settings import Settings
    from hotline_nlp.service.store import repository as repo
    from hotline_nlp.service.store.db import open_store
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    tmp = Path(tempfile.mkdtemp(prefix="bench-review-"))
    demo = load_demo().iloc[:1500]
    model = train_demo_model(tmp / "models", demo)
    url = f"sqlite:///{tmp / 'c.db'}"
    engine = open_store(url)
    repo.ingest(engine, records_of(demo, tags_for(model, demo["text"].tolist())), tagger=None)
    engine.dispose()
    settings = Settings(
        model="demo", db_url=url, models_dir=tmp / "models", api_keys=(ApiKey("bench", "analyst", KEY),)
    )
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=srv.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(base + "/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1366,768",
    ):
        opts.add_argument(f)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.get(base + "/ui/login?next=/ui/review")
    d.find_element(By.ID, "key").send_keys(KEY)
    d.find_element(By.ID, "login").click()
    WebDriverWait(d, 60).until(lambda d: d.find_elements(By.ID, "item"))
    item_id = lambda: d.execute_script("const e=document.getElementById('item'); return e && e.dataset.id")  # noqa: E731
    per, clicks = [], []
    for i in range(items):
        cid = item_id()
        t0 = time.perf_counter()
        if i % 4 == 3:
            sel = Select(d.find_element(By.ID, "correct"))
            sel.select_by_index(5)  # open the box and pick: 2 clicks (or type-ahead + Enter)
            clicks.append(2)
        else:
            d.find_element(By.ID, "accept").click()
            clicks.append(1)
        WebDriverWait(d, 60, poll_frequency=0.02).until(lambda d, cid=cid: item_id() not in (None, cid))
        per.append(time.perf_counter() - t0)
    d.quit()
    srv.should_exit = True
    print(
        f"\n| review in Chromium ({items} items: 3 of 4 accepted, 1 of 4 corrected) | value |\n| --- | ---: |"
    )
    print(
        "| clicks per item, accept | 1 (or the Enter key) |\n| clicks per item, correct | 2 (open the select, pick) |"
    )
    print(f"| mean clicks per item in this run | {statistics.mean(clicks):.2f} |")
    print(
        f"| machine time per item: click → next item shown, median / max | {statistics.median(per) * 1000:.0f} ms / {max(per) * 1000:.0f} ms |"
    )
    print(f"| reading time left per item at 10 items/minute | {6 - statistics.median(per):.1f} s |")
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=["pages", "search", "review", "retrain"])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--corrections", type=int, default=300)
    ap.add_argument("--variants", default="queue,search", help="retrain: queue, search or both")
    ap.add_argument("--v1", default=None, help="retrain: reuse this models dir holding demo v1")
    a = ap.parse_args()
    print(
        f"{datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores",
        flush=True,
    )
    {
        "pages": lambda: bench_pages(a.rows),
        "search": lambda: bench_search(a.rows),
        "review": lambda: bench_review(a.items),
        "retrain": lambda: bench_retrain(a.corrections, tuple(a.variants.split(",")), a.v1),
    }[a.part]()
    print(f"done, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
