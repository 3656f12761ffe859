"""Tagging speed, training time and model size: this code against an older checkout, one sitting.

    nice -n 10 .venv/bin/python benchmarks/bench_tagging_speed.py --old /tmp/old  # /tmp/old/hotline_nlp = old tree

Each side trains the default tagger (``train --fast``; the old code has no
selection) on labeled.csv in its own process, then tagging is timed A, B, A, B
in fresh processes (batch of all texts, and 300 single-complaint calls), so a
shared machine's load drifts across both sides alike. Prints a Markdown table.
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
t = time.perf_counter(); m.predict(texts); batch = len(texts) / (time.perf_counter() - t)
t = time.perf_counter()
for x in texts[:300]: m.predict([x])
print(json.dumps({"batch": batch, "single_ms": (time.perf_counter() - t) / 300 * 1000}))
"""


def run(code: str, pythonpath: str | None, *args) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
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
        res = {k: {"train": run(TRAIN, p, args.data, Path(tmp) / k), "tag": []} for k, p in sides.items()}
        for _ in range(args.rounds):
            for k, p in sides.items():
                res[k]["tag"].append(run(TAG, p, args.data, Path(tmp) / k))
        for k in sides:
            res[k]["kib"] = sum(f.stat().st_size for f in (Path(tmp) / k).rglob("*") if f.is_file()) / 1024
    load = os.getloadavg()[0]
    print("| default model (`train --fast`), labeled.csv | before | after |")
    print("| --- | ---: | ---: |")
    print(
        f"| training time | {res['before']['train']['train_s']:.0f} s | {res['after']['train']['train_s']:.0f} s |"
    )
    for key, unit, fmt in (
        ("batch", "complaints/s", "{:,.0f}"),
        ("single_ms", "ms per single complaint", "{:.2f}"),
    ):
        cells = [" / ".join(fmt.format(r[key]) for r in res[k]["tag"]) for k in sides]
        print(f"| tagging, {unit} (rounds A/B alternated) | {cells[0]} | {cells[1]} |")
    print(f"| model size | {res['before']['kib']:,.0f} KiB | {res['after']['kib']:,.0f} KiB |")
    print(f"\nload average at the end: {load:.1f}")


if __name__ == "__main__":
    main()
