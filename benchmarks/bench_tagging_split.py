"""Tagging quality on a test part nothing was chosen on (issue 12's benchmark).

    nice -n 10 .venv/bin/python benchmarks/bench_tagging_split.py [--data ../shared/data/zhwz2020/labeled.csv]

``labeled.csv`` is split once by a stable hash of the message id (sha1 of
留言编号; test = the ids whose hash falls in the lowest 25 %). Every setting,
default and idea was chosen on the development part (its cross-validation);
the test part is only scored, here, once per change. Reported on the test part,
with 95 % bootstrap intervals, in one run:

* the two references of the data README, re-run: char 1-3-gram TF-IDF +
  LinearSVC, and jieba words + char 1-3-grams + LinearSVC(C=1);
* today's tagger defaults (what ``train --fast`` builds);
* the ``train`` procedure (model selection by inner CV on the development part;
  its nested-CV score on the development part is shown beside it);
* the same with each unlabelled file of the same city given as ``--unlabeled``,
  all three together, and the same texts as rows with an empty label inside
  the export itself (read back by ``corpus.unlabeled.rows_without_label``, the
  path ``train`` takes by default), the chosen setting kept, so the rows show
  what the text itself adds;
* training time, tagging throughput (batch, single) and model size of the
  ``--fast`` model and the selected one, measured alternately in one sitting.
Adds a dated section at the top of benchmarks/results/classifier_split.md
(earlier runs are kept below it) and prints it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.classifier.model import load_model
from hotline_nlp.classifier.training import train
from hotline_nlp.classifier.trust import bootstrap_interval
from hotline_nlp.corpus.loaders import LoadResult, load_complaints
from hotline_nlp.corpus.unlabeled import rows_without_label
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data" / "zhwz2020"
UNLABELED = ("unlabeled_stream.csv", "hotspot_messages.csv", "replies.csv")
TEST_SHARE = 25  # percent


EARLIER = "### Earlier runs (kept for comparison)"


def is_test(ids) -> np.ndarray:
    """The fixed test part: sha1 of the id, first 8 bytes, mod 100 < 25."""
    return np.array(
        [int(hashlib.sha1(str(i).encode("utf-8")).hexdigest(), 16) % 100 < TEST_SHARE for i in ids]
    )


def reference(tr_texts, y_tr, te_texts, with_words: bool):
    import jieba

    v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    a, b = [v.fit_transform(tr_texts)], [v.transform(te_texts)]
    if with_words:
        w = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True)
        a.append(w.fit_transform([jieba.lcut(t) for t in tr_texts]))
        b.append(w.transform([jieba.lcut(t) for t in te_texts]))
    return LinearSVC(C=1.0).fit(sp.hstack(a).tocsr(), y_tr).predict(sp.hstack(b).tocsr())


def subset(data: LoadResult, rows) -> LoadResult:
    frame = data.frame.iloc[rows].reset_index(drop=True)
    return LoadResult(
        frame=frame,
        raw=data.raw.iloc[rows].reset_index(drop=True),
        rejects=data.rejects.iloc[:0],
        column_map=data.column_map,
        path=data.path,
        notes=[],
    )


def same_export(dev: LoadResult, texts_of: dict, tmp: str) -> list[str]:
    """The dev rows plus the unlabelled files' messages as rows with an empty label,
    written as one export and read back the way ``train`` does by default."""
    rows = [(i, t, y) for i, t, y in zip(dev.frame["id"], dev.frame["text"], dev.frame["level1"])]
    rows += [(f"U{k}", t, "") for k, t in enumerate(sum(texts_of.values(), []))]
    path = Path(tmp) / "export.csv"
    pd.DataFrame(rows, columns=["留言编号", "留言详情", "一级分类"]).to_csv(path, index=False)
    return rows_without_label(path)


def speed(model, texts) -> tuple[float, float]:
    model.predict(texts[:50])
    t = time.perf_counter()
    model.predict(texts)
    batch = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    for text in texts[:300]:
        model.predict([text])
    return batch, (time.perf_counter() - t) / 300 * 1000


def size_kib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA_DIR / "labeled.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "classifier_split.md")
    ap.add_argument("--skip-unlabeled", action="store_true")
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data}: not found (the real data is not shipped with the project)")
    load0 = os.getloadavg()[0]
    data = load_complaints(args.data, require=("labels",))
    frame = data.frame
    test = is_test(frame["id"])
    dev_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    dev, tst = subset(data, dev_rows), subset(data, test_rows)
    tr_texts, te_texts = dev.frame["text"].tolist(), tst.frame["text"].tolist()
    y_tr, y_te = dev.frame["level1"].astype(str).to_numpy(), tst.frame["level1"].astype(str).to_numpy()
    print(f"dev {len(dev_rows)} rows, test {len(test_rows)} rows", flush=True)
    rows = []

    def record(name, pred, seconds, note=""):
        pred = np.asarray(pred, dtype=str)
        ci = bootstrap_interval(y_te, pred)["macro_f1"]
        f1 = f1_score(y_te, pred, average="macro")
        rows.append((name, f1, accuracy_score(y_te, pred), ci, seconds, note))
        print(
            f"{name:60s} test macro-F1 {f1:.4f} [{ci[0]:.3f}, {ci[1]:.3f}] ({seconds:.0f} s) {note}",
            flush=True,
        )

    for name, words in (
        ("reference: char 1-3 TF-IDF + LinearSVC", False),
        ("reference: jieba words + char 1-3 + LinearSVC(C=1)", True),
    ):
        t = time.perf_counter()
        record(name, reference(tr_texts, y_tr, te_texts, words), time.perf_counter() - t)

    with tempfile.TemporaryDirectory() as tmp:
        timings = {}
        t = time.perf_counter()
        train(dev, name="fast", models_dir=tmp, fast=True)
        timings["fast"] = time.perf_counter() - t
        fast = load_model("fast", tmp)
        record(
            "hotline-nlp, today's defaults (`train --fast`)",
            [r["pred_level1"] for r in fast.predict(te_texts)],
            timings["fast"],
        )
        t = time.perf_counter()
        rep = train(dev, name="sel", models_dir=tmp)
        timings["sel"] = time.perf_counter() - t
        sel = load_model("sel", tmp)
        s = rep.selection
        record(
            "hotline-nlp `train` (selection by nested CV)",
            [r["pred_level1"] for r in sel.predict(te_texts)],
            timings["sel"],
            f"chose {s['chosen']}; nested-CV on dev {s['outer_macro_f1']:.4f}",
        )
        chosen = sel.tagger.get_params()
        if not args.skip_unlabeled:
            texts_of = {f: load_complaints(DATA_DIR / f).frame["text"].tolist() for f in UNLABELED}
            runs = [(f"`--unlabeled {f}`", texts_of[f]) for f in UNLABELED]
            runs.append(("all three files", sum(texts_of.values(), [])))
            runs.append(
                ("same export: the three files as rows with an empty label", same_export(dev, texts_of, tmp))
            )
            for what, extra in runs:
                t = time.perf_counter()
                m = HierarchicalTagger(**chosen).fit(tr_texts, y_tr, unlabeled=extra)
                record(f"  + {what} ({len(extra)} texts, idf)", m.predict(te_texts), time.perf_counter() - t)
        # speed, alternating the two models twice, on all labelled texts
        all_texts = frame["text"].tolist()
        sp_rows = {"fast": [], "sel": []}
        for _ in range(2):
            for key, model in (("fast", fast), ("sel", sel)):
                sp_rows[key].append(speed(model, all_texts))
        sizes = {"fast": size_kib(fast.path), "sel": size_kib(sel.path)}
    cand = pd.DataFrame(s["candidates"])
    load1 = os.getloadavg()[0]
    lines = [
        "Honest split (this is the table to trust). Test part: "
        f"{len(test_rows)} of {len(frame)} rows of {args.data.name} (sha1 of the id, lowest {TEST_SHARE} %); "
        "all settings were chosen on the other "
        f"{len(dev_rows)} rows only. 95 % bootstrap interval of the test macro-F1 in brackets.",
        "",
        "| system (trained on the dev part) | test macro-F1 | 95 % interval | test accuracy | train time | note |",
        "| --- | ---: | :---: | ---: | ---: | --- |",
        *[
            f"| {n} | {f1:.4f} | {ci[0]:.3f}-{ci[1]:.3f} | {acc:.4f} | {sec:.0f} s | {note} |"
            for n, f1, acc, ci, sec, note in rows
        ],
        "",
        f"Candidates (inner {s['inner_folds']}-fold CV on the dev part, macro-F1): "
        + ", ".join(f"{r['name']} {r['macro_f1']:.4f}" for r in cand.to_dict("records"))
        + f". Outer folds chose: {', '.join(s['outer_choices'])}.",
        "",
        "| speed, one sitting, A/B alternated twice (2 cores, shared) | `--fast` (defaults) | `train` (selected) |",
        "| --- | ---: | ---: |",
        f"| training time on the dev part (n={len(dev_rows)}) | {timings['fast']:.0f} s | {timings['sel']:.0f} s |",
        "| tagging in-process, one batch of all labelled texts | "
        + " | ".join(
            " / ".join(f"{b:,.0f}" for b, _ in sp_rows[k]) + " complaints/s" for k in ("fast", "sel")
        )
        + " |",
        "| tagging in-process, one complaint per call | "
        + " | ".join(" / ".join(f"{m:.1f}" for _, m in sp_rows[k]) + " ms" for k in ("fast", "sel"))
        + " |",
        f"| model size on disk | {sizes['fast']:,.0f} KiB | {sizes['sel']:,.0f} KiB |",
        "",
        f"Command: `nice -n 10 .venv/bin/python benchmarks/bench_tagging_split.py`. Machine: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, shared with other engineers' jobs (load average "
        f"{load0:.1f} at start, {load1:.1f} at end: times are inflated, compare only within a column pair). "
        f"Date: {date.today().isoformat()}.",
    ]
    text = f"### Run of {date.today().isoformat()}, {time.strftime('%H:%M UTC', time.gmtime())}\n\n"
    text += "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    earlier = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    earlier = earlier.replace(EARLIER + "\n\n", "")  # one marker, below the newest run
    args.out.write_text(text + ("\n" + EARLIER + "\n\n" + earlier if earlier else ""), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
