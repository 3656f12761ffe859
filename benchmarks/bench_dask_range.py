"""The range report (``hotspots --start/--end``, ``hot_issues``) over partitions
on Dask against the in-client engine it replaces (issue 14).

    python benchmarks/bench_hotspots.py weekly-parts --rows 1000000 --out /tmp/weekly-1m
    mkdir /tmp/w12 && cp /tmp/weekly-1m/2019-W0[1-9].parquet /tmp/weekly-1m/2019-W1[0-2].parquet /tmp/w12
    nice -n 10 python benchmarks/bench_dask_range.py --data /tmp/w12 --start 2019-01-01 --end 2019-03-24 --write

Data: ``bench_hotspots.py weekly-parts`` (the real 2019 stream grown by splicing
halves of real messages; one Parquet file per ISO week; never committed).

Two ways, each run in its own process so each peak RSS is that run's (client:
``getrusage`` here; workers: ``getrusage`` in each worker), alternated:

- ``parts``: ``hot_issues`` over the files on ``--scheduler`` (the
  command's path for a folder: ``topics.engine.range``);
- ``old``: every partition's rows loaded into one frame in the client and the
  pre-issue-14 engine (``topics.hotspots`` as of ``--old-ref``, read from git,
  over an in-memory ``Window``): what ``hotspots --input <folder> --start --end``
  did before.

Both reports are written beside each other and compared (issue ids and heats).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from results_block import put_block  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
MARK_A, MARK_B = "<!-- range -->", "<!-- /range -->"
OLD_REF = "7848a86"  # main before the range engine


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _old_engine(ref: str):
    src = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:topics/hotspots.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"old_hotspots_{ref}.py"
    path.write_text(src, "utf-8")
    spec = importlib.util.spec_from_file_location("old_hotspots", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def one(way: str, data: str, start: str, end: str, scheduler: str, top: int, ref: str, out: str) -> dict:
    import pandas as pd
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import LoadOptions, list_partitions, load_partition
    from hotline_nlp.topics.hotspots import HotspotConfig, hot_issues

    files = list_partitions(data)
    opts = LoadOptions(require=("created_at",))
    old = _old_engine(ref) if way == "old" else None
    t0 = time.perf_counter()
    workers: list = []
    if way == "old":  # the old command: partitions loaded, one frame in the client, the Window engine
        frame = pd.concat([load_partition(f, opts).frame for f in files], ignore_index=True)
        t1 = time.perf_counter()
        r = old.hot_issues(frame, (start, end), top=top)
    else:
        with open_executor(scheduler) as ex:
            if ex.client is not None:
                ex.client.wait_for_workers(ex.n_workers)
            t1 = time.perf_counter()
            r = hot_issues(files, (start, end), HotspotConfig(listed=top), options=opts, executor=ex)
            if ex.client is not None:
                workers = sorted(round(v) for v in ex.client.run(peak_rss_mb).values())
    t2 = time.perf_counter()
    Path(out).write_text(json.dumps(r, ensure_ascii=False, default=str), "utf-8")
    return {
        "way": way,
        "scheduler": scheduler if way == "parts" else "this process",
        "start_s": round(t1 - t0, 1),
        "wall_s": round(t2 - (t0 if way == "old" else t1), 1),  # the old way's loading is its work
        "client_mb": round(peak_rss_mb()),
        "workers_mb": workers,
        "total": r["total"],
        "issues": len(r["issues"]),
        "load": round(os.getloadavg()[0], 1),
    }


def _run(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _agree(a: str, b: str) -> str:
    """How alike the two reports' top issues are: the same clustering sample (a
    range up to ``max_points`` complaints) gives the same report; above it the
    samples differ (seeded random draw before, smallest id hashes now)."""
    ra, rb = (json.loads(Path(p).read_text("utf-8")) for p in (a, b))
    if ra == rb:
        return "whole JSON equal"
    sa = [set(i["complaint_ids"]) for i in ra["issues"]]
    best = [
        max((len(x & y) / len(x | y) for y in sa), default=0.0)
        for x in (set(i["complaint_ids"]) for i in rb["issues"])
    ]
    return (
        f"reports differ (clustering samples differ above max_points); each new top issue's best match "
        f"among the old top {len(sa)} by Jaccard of complaint ids: median {sorted(best)[len(best) // 2]:.2f}, "
        f"{sum(v >= 0.5 for v in best)} of {len(best)} at >= 0.5"
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--scheduler", default="local:2")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--old-ref", default=OLD_REF)
    ap.add_argument("--ways", default="old,parts")
    ap.add_argument("--out-dir", default="/tmp/hotline-bench-range")
    ap.add_argument("--write", action="store_true", help="put the table into benchmarks/results/dask.md")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(a.one, a.data, a.start, a.end, a.scheduler, a.top, a.old_ref, a.out)))
        return
    Path(a.out_dir).mkdir(parents=True, exist_ok=True)
    common = ["--data", a.data, "--start", a.start, "--end", a.end, "--scheduler", a.scheduler]
    common += ["--top", str(a.top), "--old-ref", a.old_ref]
    runs, outs = [], {}
    for way in a.ways.split(","):
        outs[way] = f"{a.out_dir}/{way}.json"
        runs.append(_run(["--one", way, *common, "--out", outs[way]]))
        print(runs[-1], flush=True)
    lines = [
        "| engine | runs on | complaints in range | wall s | of it loading (old) / cluster start, not in wall (parts) s | client peak MiB "
        "| worker peaks MiB | issues shown | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"old": "in-client frame + `Window` (before)", "parts": "`engine.range` over partitions"}
    for r in runs:
        lines.append(
            f"| {names[r['way']]} | {r['scheduler']} | {r['total']:,} | {r['wall_s']} | {r['start_s']} "
            f"| {r['client_mb']:,} | {', '.join(f'{v:,}' for v in r['workers_mb']) or '-'} | {r['issues']} | {r['load']} |"
        )
    if len(outs) == 2:
        lines += ["", "Agreement: " + _agree(*outs.values()) + "."]
    text = "\n".join(lines)
    print(text)
    if a.write:
        head = (
            f"Command: `nice -n 10 python benchmarks/bench_dask_range.py --data D --start {a.start} --end {a.end} "
            f"--scheduler {a.scheduler} --top {a.top} --write` (D: weekly files of `bench_hotspots.py weekly-parts`); "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, shared with the other engineers' work (load column).\n\n"
        )
        put_block(
            ROOT / "benchmarks" / "results" / "dask.md",
            (MARK_A, MARK_B),
            head + text,
            "The range report (hot issues) over partitions (measured)",
        )


if __name__ == "__main__":
    sys.exit(main())
