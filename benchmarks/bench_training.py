"""Time one ``HierarchicalTagger.fit`` on all rows of a labelled export.

    .venv/bin/python benchmarks/bench_training.py DATA [--jobs N]

Prints one line: the package folder it imported (so an A/B against an older
commit can put that commit's checkout first on PYTHONPATH and see which one
ran), the data file, n_jobs and seconds. Training includes the internal
5-fold cross-validation, exactly as ``hotline-nlp train`` runs it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import hotline_nlp
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.corpus.loaders import load_complaints


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--jobs", type=int, default=None, help="n_jobs (default: every core)")
    args = ap.parse_args(argv)
    frame = load_complaints(args.data, require=("labels",)).frame
    level2 = frame["level2"].tolist() if "level2" in frame and frame["level2"].str.len().gt(0).any() else None
    start = time.perf_counter()
    HierarchicalTagger(n_jobs=args.jobs).fit(frame["text"].tolist(), frame["level1"].tolist(), level2)
    print(
        f"{Path(hotline_nlp.__file__).parent} {args.data.name} n_jobs={args.jobs} {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
