"""Tagging on Dask: throughput and scaling from 1 to 2 worker processes (issue 14).

    python benchmarks/bench_dask.py --rows 100000 --parts 16          # dev size
    nice -n 10 python benchmarks/bench_dask.py --rows 1000000 --parts 16 --write

Data: the bundled demo corpus (7,251 complaints, mean text ~100 chars) repeated
to ``--rows`` rows in ``--parts`` Parquet partitions; every copy gets a unique
id and a unique suffix (``编号N``), so no text repeats and the embedding cache
(one per worker) cannot short-cut the work. The model is a real tagging model
trained on the demo corpus (sparse n-grams + the bundled static embedder, the
default). Each scheduler setting runs in a fresh LocalCluster; the runs
alternate (1, 2, 1, 2 ... with ``--repeat``) so load on the shared machine hits
both alike. Reported: tagging wall time (cluster start excluded, listed
separately), complaints/s, the 2-vs-1 ratio, and peak RSS per worker process
(``getrusage`` in each worker) and of the client.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/hotline-bench-dask"))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _warm_imports() -> None:
    import hotline_nlp.classifier.partitioned  # noqa: F401


def make_data(rows: int, parts: int) -> Path:
    out = WORK / f"tag-{rows}-{parts}"
    if (out / ".complete").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    demo = pd.read_csv(ROOT / "corpus" / "data" / "demo_complaints.csv", dtype=str, keep_default_na=False)
    per = -(-rows // parts)
    for p in range(parts):
        idx = np.arange(p * per, min(rows, (p + 1) * per))
        frame = demo.iloc[idx % len(demo)].reset_index(drop=True)
        frame["诉求编号"] = [f"B{i:08d}" for i in idx]
        frame["诉求内容"] = frame["诉求内容"].to_numpy() + np.array([f" 编号{i}" for i in idx], dtype=object)
        frame.to_parquet(out / f"part-{p:03d}.parquet", index=False)
    (out / ".complete").write_text("ok")
    return out


def model_dir(given: str | None = None) -> Path:
    from hotline_nlp.models.store import resolve

    if given:
        return resolve(given)
    models = WORK / "models"
    if not (models / "demo").is_dir():
        from hotline_nlp.classifier.training import train
        from hotline_nlp.corpus.loaders import load_complaints

        demo = ROOT / "corpus" / "data" / "demo_complaints.csv"
        train(load_complaints(demo, require=("labels",)), name="demo", models_dir=models)
    return resolve("demo", models)


def run_once(data: Path, scheduler: str, model: Path) -> dict:
    from hotline_nlp.classifier.partitioned import ModelRef, classify_partitions
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import list_partitions

    files = list_partitions(data)
    t0 = time.perf_counter()
    with open_executor(scheduler) as ex:
        ex.client.wait_for_workers(ex.n_workers)
        ex.client.run(_warm_imports)  # imports, not tagging
        cpu0 = sum(ex.client.run(cpu_s).values())
        t1 = time.perf_counter()
        summary = classify_partitions(ex, files, ModelRef.of(model), WORK / f"out-{scheduler}")
        t2 = time.perf_counter()
        cpu = sum(ex.client.run(cpu_s).values()) - cpu0
        rss = ex.client.run(peak_rss_mb)
    return {
        "scheduler": scheduler,
        "rows": summary["rows"],
        "start_s": round(t1 - t0, 1),
        "tag_s": round(t2 - t1, 1),
        "per_s": round(summary["rows"] / (t2 - t1)),
        "worker_cpu_s": round(cpu, 1),
        "per_cpu_s": round(summary["rows"] / cpu),
        "worker_peak_mb": [round(v) for v in rss.values()],
        "load": round(os.getloadavg()[0], 1),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--parts", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/dask.md")
    ap.add_argument("--model", help="a tagging model directory (default: train one on the demo corpus)")
    a = ap.parse_args(argv)
    data, model = make_data(a.rows, a.parts), model_dir(a.model)
    load0 = round(os.getloadavg()[0], 1)
    runs = []
    for _ in range(a.repeat):
        for sched in ("local:1", "local:2"):
            r = run_once(data, sched, model)
            print(r, flush=True)
            runs.append(r)
    best = {
        s: min((r for r in runs if r["scheduler"] == s), key=lambda r: r["tag_s"])
        for s in ("local:1", "local:2")
    }
    ratio = best["local:1"]["tag_s"] / best["local:2"]["tag_s"]
    lines = [
        "| `--scheduler` | rows | partitions | cluster start s | tagging wall s | complaints/s (wall) "
        "| worker CPU s | complaints per worker CPU s | peak RSS per worker MiB | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['scheduler']} | {r['rows']:,} | {a.parts} | {r['start_s']} | {r['tag_s']} | {r['per_s']:,} "
            f"| {r['worker_cpu_s']} | {r['per_cpu_s']:,} "
            f"| {', '.join(map(str, r['worker_peak_mb']))} | {r['load']} |"
        )
    lines.append("")
    lines.append(
        f"Scaling 1 -> 2 workers (best run of each): **{ratio:.2f}x**; client peak RSS {peak_rss_mb():.0f} MiB."
    )
    text = "\n".join(lines)
    print(text)
    if a.write:
        head = (
            "# Dask: tagging on 1 and 2 worker processes (issue 14)\n\n"
            f"Command: `nice -n 10 python benchmarks/bench_dask.py --rows {a.rows} --parts {a.parts}"
            f"{' --repeat ' + str(a.repeat) if a.repeat > 1 else ''}{' --model M' if a.model else ''} --write`; "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, 1-minute load average {load0} at the start (load column: "
            "after each run).\n\n" + (__doc__ or "").split("\n\n", 2)[2].strip() + "\n\n"
        )
        path = ROOT / "benchmarks" / "results" / "dask.md"
        extra = (
            path.read_text("utf-8").split("<!-- notes -->", 1)[1]
            if path.is_file() and "<!-- notes -->" in path.read_text("utf-8")
            else ""
        )
        path.write_text(head + text + "\n\n<!-- notes -->" + extra, "utf-8")


if __name__ == "__main__":
    sys.exit(main())
