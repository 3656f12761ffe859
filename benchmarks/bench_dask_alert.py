"""The weekly alert over a large history on Dask, cold and warm (issue 14).

    python benchmarks/bench_hotspots.py weekly-parts --rows 1000000 --out /tmp/weekly-1m
    nice -n 10 python benchmarks/bench_dask_alert.py --data /tmp/weekly-1m --period 2019-W50 --write

Data: ``bench_hotspots.py weekly-parts``: the real 2019 stream (zhwz2020) grown
to ``--rows`` complaints by splicing halves of real messages (own id, caller,
date), one Parquet file per ISO week, never committed. Each measurement runs in
its own process with a fresh ``LocalCluster`` (``--scheduler``), so every peak
RSS is that run's: the client's (``getrusage`` here) and each worker's
(``getrusage`` in the worker). Cluster start and worker imports are excluded
from the wall time and listed apart.

Runs, in order: (1) cold alert for the week before ``--period`` with a fresh
``--state-dir``; (2) warm alert for ``--period`` from that state (reads the new
week's partitions and its two look-back weeks only); (3) optionally
(``--cold-too``) a cold alert for ``--period`` without state.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from results_block import put_block  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
MARK_A, MARK_B = "<!-- alert -->", "<!-- /alert -->"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _imports() -> None:
    import hotline_nlp.topics.engine.alert  # noqa: F401
    import hotline_nlp.topics.engine.history  # noqa: F401


def one(
    data: str, period: str, scheduler: str, state: str | None, history_weeks: int, keep: str | None = None
) -> dict:
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import LoadOptions, list_partitions
    from hotline_nlp.topics.hotspots import HotspotConfig, weekly_alert

    files = list_partitions(data)
    was_warm = bool(state) and Path(state, "tracker.json").is_file()
    if keep:  # the engine's step timings and the client's peak memory after each step
        import logging

        Path(keep).mkdir(parents=True, exist_ok=True)
        log = logging.getLogger("hotline_nlp.alert")
        log.setLevel(logging.INFO)
        handler = logging.FileHandler(Path(keep, f"{period}-{'warm' if was_warm else 'cold'}.log"), "w")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    _imports()
    t0 = time.perf_counter()
    with open_executor(scheduler) as ex:
        if ex.client is not None:
            ex.client.wait_for_workers(ex.n_workers)
            ex.client.run(_imports)
        t1, c1 = time.perf_counter(), cpu_s()
        w1 = sum(ex.client.run(cpu_s).values()) if ex.client is not None else 0.0
        r = weekly_alert(
            files,
            period,
            HotspotConfig(history_weeks=history_weeks),
            options=LoadOptions(require=("created_at",)),
            state_dir=state,
            executor=ex,
        )
        t2, c2 = time.perf_counter(), cpu_s()
        w2 = sum(ex.client.run(cpu_s).values()) if ex.client is not None else 0.0
        workers = (
            sorted(round(v) for v in ex.client.run(peak_rss_mb).values()) if ex.client is not None else []
        )
    if keep:  # the whole alert, to compare warm and cold answers afterwards
        name = f"{period}-{'warm' if was_warm else 'cold'}.json"
        Path(keep).mkdir(parents=True, exist_ok=True)
        Path(keep, name).write_text(json.dumps(r, ensure_ascii=False, default=str), "utf-8")
    return {
        "period": period,
        "scheduler": scheduler,
        "start_s": round(t1 - t0, 1),
        "wall_s": round(t2 - t1, 1),
        "cpu_s": round(c2 - c1 + w2 - w1, 1),
        "client_mb": round(peak_rss_mb()),
        "workers_mb": workers,
        "week": r["total"],
        "history": r["history"]["complaints"],
        "issues": len(r["issues"]),
        "emerging": sum(i["emerging"] for i in r["issues"]),
        "load": round(os.getloadavg()[0], 1),
    }


def _run(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", *args], capture_output=True, text=True, timeout=1800
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--period", default="2019-W50")
    ap.add_argument("--history-weeks", type=int, default=56)
    ap.add_argument("--scheduler", default="local:2")
    ap.add_argument("--state")
    ap.add_argument("--cold-too", action="store_true")
    ap.add_argument("--keep", help="write each run's alert JSON into this folder")
    ap.add_argument("--write", action="store_true", help="put the table into benchmarks/results/dask.md")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(a.data, a.period, a.scheduler, a.state, a.history_weeks, a.keep)))
        return
    import pandas as pd
    from hotline_nlp.topics.periods import parse_period, week_period

    before = week_period(parse_period(a.period).start - pd.Timedelta(days=7)).label
    state = Path(a.state or "/tmp/hotline-bench-alert-state")
    shutil.rmtree(state, ignore_errors=True)
    common = ["--data", a.data, "--history-weeks", str(a.history_weeks), "--scheduler", a.scheduler]
    common += ["--keep", a.keep] if a.keep else []
    runs = [_run([*common, "--period", before, "--state", str(state)])]
    print(runs[-1], flush=True)
    if a.keep:  # the cold state, to rerun the warm step from it
        shutil.rmtree(Path(a.keep, "state-cold"), ignore_errors=True)
        shutil.copytree(state, Path(a.keep, "state-cold"))
    runs.append(_run([*common, "--period", a.period, "--state", str(state)]))
    print(runs[-1], flush=True)
    if a.cold_too:
        runs.append(_run([*common, "--period", a.period]))
        print(runs[-1], flush=True)
    lines = [
        "| run | week | `--scheduler` | complaints in window | wall s | CPU s (client + workers) | cluster start s | client peak MiB "
        "| worker peaks MiB | issues (emerging) | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, what in zip(runs, ["cold, new --state-dir", "warm, from that state", "cold, no state"]):
        lines.append(
            f"| {what} | {r['period']} | {r['scheduler']} | {r['history'] + r['week']:,} | {r['wall_s']} | {r.get('cpu_s', '')} "
            f"| {r['start_s']} | {r['client_mb']} | {', '.join(map(str, r['workers_mb']))} "
            f"| {r['issues']} ({r['emerging']}) | {r['load']} |"
        )
    text = "\n".join(lines)
    print(text)
    if a.write:
        head = (
            f"Command: `nice -n 10 python benchmarks/bench_dask_alert.py --data D --period {a.period} "
            f"--history-weeks {a.history_weeks} --scheduler {a.scheduler}{' --cold-too' if a.cold_too else ''} "
            f"--write` (D: `bench_hotspots.py weekly-parts` output); "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, shared with the other engineers' work (load column).\n\n"
        )
        put_block(
            ROOT / "benchmarks" / "results" / "dask.md",
            (MARK_A, MARK_B),
            head + text,
            "Weekly alert over a large history (measured)",
        )


if __name__ == "__main__":
    sys.exit(main())
