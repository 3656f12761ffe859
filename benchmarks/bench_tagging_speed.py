"""Tagging speed, training time and model size: this code against an older checkout, one sitting.

    nice -n 10 .venv/bin/python benchmarks/bench_tagging_speed.py --old /tmp/old  # /tmp/old/hotline_nlp = old tree

Each side trains the default tagger (``train --fast``; the old code has no
selection) on labeled.csv in its own process, then tagging is timed A, B, A, B
in fresh processes (batch of all texts, and 300 single-complaint calls), so a
shared machine's load drifts across both sides alike. Prints a Markdown table.

Three ways of tagging are timed: the labelled texts themselves (their sentence
vectors are in the embedding cache since training: the figure earlier sessions
reported), new complaints (an empty embedding cache, as for a week's new
export), and one complaint per request through the HTTP API in-process
(``POST /v1/classify`` behind a TestClient). CPU seconds are reported beside
the wall times: on a shared machine they move less with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "zhwz2020" / "labeled.csv"

TRAIN = """
import inspect, json, sys, time
from hotline_nlp.classifier.training import train
from hotline_nlp.corpus.loaders import load_complaints
data = load_complaints(sys.argv[1], require=("labels",))
kw = {"fast": True} if "fast" in inspect.signature(train).parameters else {}
t = time.perf_counter(); train(data, name="m", models_dir=sys.argv[2], **kw)
print(json.dumps({"train_s": time.perf_counter() - t}))
"""
TAG = """
import json, sys, time
from hotline_nlp.corpus.loaders import load_complaints
try:
    from hotline_nlp.classifier.model import load_model
except ImportError:  # the tree before the structure change
    from hotline_nlp.models.store import load_model
texts = load_complaints(sys.argv[1], require=("labels",)).frame["text"].tolist()
m = load_model("m", sys.argv[2]); m.predict(texts[:50])
# with an empty cache (sys.argv[3] == "new") the 300 single texts are new, then the batch's others
single, batch = texts[50:350], (texts[350:] if sys.argv[3] == "new" else texts)
t, c = time.perf_counter(), time.process_time()
for x in single: m.predict([x])
out = {"single_ms": (time.perf_counter() - t) / 300 * 1000, "single_cpu_ms": (time.process_time() - c) / 300 * 1000}
t, c = time.perf_counter(), time.process_time(); m.predict(batch)
out.update(batch=len(batch) / (time.perf_counter() - t), batch_cpu=len(batch) / (time.process_time() - c))
print(json.dumps(out))
"""
SERVICE = """
import json, sys, tempfile, time
from pathlib import Path
from fastapi.testclient import TestClient
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.service.app import create_app
from hotline_nlp.service.settings import Settings
texts = load_complaints(sys.argv[1], require=("labels",)).frame["text"].tolist()
db = Path(tempfile.mkdtemp()) / "s.db"
s = Settings(model="m", db_url=f"sqlite:///{db}", models_dir=Path(sys.argv[2]), auth_disabled=True, model_check_interval=0)
with TestClient(create_app(s)) as client:
    for x in texts[:30]: client.post("/v1/classify", json={"text": x})
    t = time.perf_counter()
    for x in texts[:300]: assert client.post("/v1/classify", json={"text": x}).status_code == 200
print(json.dumps({"service_ms": (time.perf_counter() - t) / 300 * 1000}))
"""


def run(code: str, pythonpath: str | None, *args, cache: str | None = None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if cache:
        env["HOTLINE_NLP_CACHE"] = cache
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="directory holding the old tree as hotline_nlp/")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    sides = {"before": args.old, "after": None}
    with tempfile.TemporaryDirectory() as tmp:
        warm = {k: str(Path(tmp) / f"cache-{k}") for k in sides}  # each side's cache, filled by training
        res = {k: {"train": run(TRAIN, p, args.data, Path(tmp) / k, cache=warm[k])} for k, p in sides.items()}
        for k in sides:
            res[k].update(labelled=[], new=[], service=[])
        for r in range(args.rounds):
            for k, p in sides.items():
                models = Path(tmp) / k
                res[k]["labelled"].append(run(TAG, p, args.data, models, "labelled", cache=warm[k]))
                fresh = str(Path(tmp) / f"cache-{k}-new-{r}")  # empty: every text is new
                res[k]["new"].append(run(TAG, p, args.data, models, "new", cache=fresh))
                res[k]["service"].append(run(SERVICE, p, args.data, models, cache=warm[k]))
        for k in sides:
            res[k]["kib"] = sum(f.stat().st_size for f in (Path(tmp) / k).rglob("*") if f.is_file()) / 1024
    load = os.getloadavg()[0]
    print("| default model (`train --fast`), labeled.csv | before | after |")
    print("| --- | ---: | ---: |")
    print(
        f"| training time | {res['before']['train']['train_s']:.0f} s | {res['after']['train']['train_s']:.0f} s |"
    )
    rows = (
        ("labelled", "batch", "tagging the labelled texts (vectors cached), complaints/s", "{:,.0f}"),
        ("labelled", "batch_cpu", "  the same, complaints per CPU-second", "{:,.0f}"),
        ("new", "batch", "tagging new complaints (empty cache), complaints/s", "{:,.0f}"),
        ("new", "batch_cpu", "  the same, complaints per CPU-second", "{:,.0f}"),
        ("labelled", "single_ms", "one complaint per call (labelled texts), ms", "{:.2f}"),
        ("new", "single_ms", "one new complaint per call, ms", "{:.2f}"),
        ("new", "single_cpu_ms", "  the same, CPU ms", "{:.2f}"),
        ("service", "service_ms", "POST /v1/classify, one complaint (in-process TestClient), ms", "{:.2f}"),
    )
    for part, key, label, fmt in rows:
        cells = [" / ".join(fmt.format(r[key]) for r in res[k][part]) for k in sides]
        print(f"| {label} (rounds A/B alternated) | {cells[0]} | {cells[1]} |")
    print(f"| model size | {res['before']['kib']:,.0f} KiB | {res['after']['kib']:,.0f} KiB |")
    print(f"\nload average at the end: {load:.1f}")


if __name__ == "__main__":
    main()
