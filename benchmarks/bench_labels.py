"""Label quality of hotspot issues on the real 2019 messages (issue 31).

    python benchmarks/bench_labels.py                # this checkout, + BERTopic if installed
    python benchmarks/bench_labels.py --sample out.tsv   # also write the seeded keyword sample
    PYTHONPATH=/tmp/old python benchmarks/bench_labels.py --no-peer   # an older version

For each silver topic (``hotspot_reference.csv``, n_teams >= 2), the issue of
``hot_issues`` over 2019 that matches its messages best (highest F1 of
complaint ids), and the character-bigram F1 of that issue's name (``label``)
and of its keywords against the six teams' hand-written 问题描述 of the topic
(``hotspot_team_tables.csv``; mean over the teams' descriptions). Beside it,
the peer: BERTopic on the same messages (the project's default embedder's
vectors, jieba words for its c-TF-IDF), its topic best matching the silver
topic by the same F1, and its top topic words scored the same way. BERTopic
is not a dependency of the project: the peer runs where ``pip install
bertopic`` made it importable, else it is reported as absent.

``--sample`` writes a fixed, seeded sample of keywords (the W34 and W49 alerts'
issues and the year's top 20: 5 keywords each, 60 drawn with seed 0) for a
person to strike out the generic ones; BENCHMARKS.md holds that judgement.

Real data: ../shared/data/zhwz2020, read in place and never copied.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ZHWZ_DIR", ROOT.parent / "shared" / "data" / "zhwz2020"))
_STRIP = re.compile(r"[^\u4e00-\u9fa5A-Za-z0-9]")


def bigrams(parts: list[str]) -> Counter:
    """Character bigrams within each part (keywords are not glued together)."""
    c: Counter = Counter()
    for p in parts:
        s = _STRIP.sub("", str(p))
        c.update(s[i : i + 2] for i in range(len(s) - 1))
    return c


def bigram_f1(candidate: list[str], reference: str) -> float:
    c, r = bigrams(candidate), bigrams([reference])
    hit = sum((c & r).values())
    if not hit:
        return 0.0
    p, rec = hit / sum(c.values()), hit / sum(r.values())
    return 2 * p * rec / (p + rec)


def mean_f1(candidate: list[str], refs: list[str]) -> float:
    return float(np.mean([bigram_f1(candidate, r) for r in refs])) if refs else 0.0


def best_match(groups: dict, gold: set) -> tuple[object, float]:
    best, f = None, 0.0
    for key, ids in groups.items():
        tp = len(ids & gold)
        if tp:
            p, r = tp / len(ids), tp / len(gold)
            if 2 * p * r / (p + r) > f:
                best, f = key, 2 * p * r / (p + r)
    return best, f


def load():
    from hotline_nlp.corpus.loaders import load_complaints

    frame = load_complaints(DATA / "hotspot_messages.csv").frame
    ref = pd.read_csv(DATA / "hotspot_reference.csv", dtype={"留言编号": str})
    ref = ref[ref["n_teams"] >= 2]
    teams = pd.read_csv(DATA / "hotspot_team_tables.csv").dropna(subset=["consensus_topic"])
    return frame, ref, teams


def ours(frame, ref, teams) -> tuple[list[dict], dict]:
    from hotline_nlp.topics.hotspots import hot_issues

    t = time.time()
    res = hot_issues(frame, ("2019-01-01", "2019-12-31"), top=10_000)
    took = time.time() - t
    by_id = {i["id"]: i for i in res["issues"]}
    rows = []
    for topic, g in ref.groupby("consensus_topic"):
        refs = teams.loc[teams["consensus_topic"] == topic, "问题描述"].astype(str).tolist()
        key, f = best_match({i["id"]: set(i["complaint_ids"]) for i in res["issues"]}, set(g["留言编号"]))
        if key is None:
            rows.append({"topic": topic, "refs": len(refs), "match": None})
            continue
        i = by_id[key]
        rows.append(
            {
                "topic": topic,
                "refs": len(refs),
                "match": round(f, 2),
                "rank": i["rank"],
                "label": i["label"],
                "keywords": i["keywords"][:5],
                "f1_label": mean_f1([i["label"]], refs),
                "f1_keywords": mean_f1(i["keywords"][:5], refs),
            }
        )
    return rows, {"seconds": took, "issues": len(res["issues"]), "result": res}


def peer(frame, ref, teams) -> list[dict] | str:
    """BERTopic on the same 2019 messages, or why it did not run."""
    try:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP
    except ImportError as e:
        return f"BERTopic not importable here ({e})"
    from hotline_nlp.corpus.embedding import load_embedder
    from hotline_nlp.corpus.text import content_words

    f = frame.loc[(frame["created_at"] >= "2019-01-01") & (frame["created_at"] < "2020-01-01")]
    texts = f["text"].astype(str).tolist()
    emb = load_embedder().encode(texts)
    model = BERTopic(
        language="multilingual",  # "english" strips every non-latin character before c-TF-IDF
        umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=0),
        hdbscan_model=HDBSCAN(min_cluster_size=4, metric="euclidean", prediction_data=True),
        vectorizer_model=CountVectorizer(tokenizer=content_words, token_pattern=None, lowercase=False),
    )
    topics, _ = model.fit_transform(texts, emb)
    ids = f["id"].astype(str).to_numpy()
    groups = {t: set(ids[np.asarray(topics) == t]) for t in set(topics) if t != -1}
    rows = []
    for topic, g in ref.groupby("consensus_topic"):
        refs = teams.loc[teams["consensus_topic"] == topic, "问题描述"].astype(str).tolist()
        key, m = best_match(groups, set(g["留言编号"]))
        if key is None:
            rows.append({"topic": topic, "match": None})
            continue
        words = [w for w, _ in model.get_topic(key)[:5]]
        rows.append(
            {"topic": topic, "match": round(m, 2), "keywords": words, "f1_keywords": mean_f1(words, refs)}
        )
    return rows


def keyword_sample(frame, year_result, n: int = 60, seed: int = 0) -> list[tuple[str, str, str]]:
    """(report, issue label, keyword) for a seeded draw of ``n`` keywords."""
    from hotline_nlp.topics.hotspots import weekly_alert

    pool = []
    for wk in ("2019-W34", "2019-W49"):
        for i in weekly_alert(frame, wk)["issues"]:
            pool += [(wk, i["label"], k) for k in i["keywords"][:5]]
    for i in year_result["issues"][:20]:
        pool += [("2019", i["label"], k) for k in i["keywords"][:5]]
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(pool), min(n, len(pool)), replace=False))
    return [pool[j] for j in pick]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-peer", action="store_true", help="skip BERTopic")
    ap.add_argument("--sample", type=Path, help="write the seeded keyword sample (TSV) here")
    a = ap.parse_args(argv)
    frame, ref, teams = load()
    rows, meta = ours(frame, ref, teams)
    print(
        f"# hot_issues 2019: {meta['issues']} issues, {meta['seconds']:.1f} s (module {sys.modules['hotline_nlp'].__file__})"
    )
    print(
        "| topic | teams' descriptions | match F1 (ids) | rank | name | keywords | bigram F1 name | bigram F1 keywords |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["match"] is None:
            print(f"| {r['topic']} | {r['refs']} | — | | | | | |")
            continue
        print(
            f"| {r['topic']} | {r['refs']} | {r['match']:.2f} | #{r['rank']} | {r['label']} | "
            f"{'、'.join(r['keywords'])} | {r['f1_label']:.3f} | {r['f1_keywords']:.3f} |"
        )
    found = [r for r in rows if r["match"] is not None]
    if found:
        print(
            f"\nmean over {len(found)} matched topics: name {np.mean([r['f1_label'] for r in found]):.3f}, "
            f"keywords {np.mean([r['f1_keywords'] for r in found]):.3f}"
        )
    if not a.no_peer:
        t = time.time()
        p = peer(frame, ref, teams)
        if isinstance(p, str):
            print(f"\npeer: {p}")
        else:
            print(f"\n# BERTopic (same messages, {time.time() - t:.1f} s)")
            print("| topic | match F1 (ids) | topic words | bigram F1 topic words |")
            print("| --- | --- | --- | --- |")
            for r in p:
                if r["match"] is None:
                    print(f"| {r['topic']} | — | | |")
                else:
                    print(
                        f"| {r['topic']} | {r['match']:.2f} | {'、'.join(r['keywords'])} | {r['f1_keywords']:.3f} |"
                    )
            ok = [r for r in p if r["match"] is not None]
            if ok:
                print(
                    f"\nmean over {len(ok)} matched topics: topic words {np.mean([r['f1_keywords'] for r in ok]):.3f}"
                )
    if a.sample:
        sample = keyword_sample(frame, meta["result"])
        a.sample.write_text("".join(f"{w}\t{lab}\t{k}\n" for w, lab, k in sample), encoding="utf-8")
        print(f"\nkeyword sample: {len(sample)} rows in {a.sample}")


if __name__ == "__main__":
    main()
