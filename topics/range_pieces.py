"""The range report's per-partition steps (``hot_issues``, ``--start/--end``):
what runs on the Dask workers, or in this process with the local executor.

They work on the weekly alert's pieces (``alert_pieces.load_piece``: each
partition's rows cut by ISO week, kept where loaded), restricted to the range
[start, end) (a range's first and last weeks may reach outside it). A task
gets the pieces of a few consecutive weeks and returns small things: document
frequencies, a sample, one reduction per issue, a bounded sample of rows.

``match_block`` is the map + groupby of the report: every complaint of its
weeks is matched to the issues (a complaint of the clustered sample keeps its
sample label, as ``clustering.discover`` gives it), repeats are found with a
look-back (``weekly_counts.count_rows``, as the alert counts), and the rows
are reduced per issue to what the heat index needs (``reduce_block``). The
per-row labels stay on the worker for ``fetch_block``, which returns only the
rows that describe the top issues.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import alert_pieces as ap
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.emergence import decay_weights
from hotline_nlp.topics.periods import parse_period

CAT_COLUMNS = ("id", "created_at", "level1", "level2", "handling")


def range_rows(pieces, start, end) -> pd.DataFrame:
    """The pieces' rows in [start, end), in time order."""
    rows = ap.rows_of(pieces)
    t = rows["created_at"]
    return rows.loc[(t >= start) & (t < end)].reset_index(drop=True)


def load_range_piece(source, options=None, weeks: frozenset = frozenset(), start=None, end=None) -> dict:
    """``alert_pieces.load_piece`` plus ``meta["in_range"]``: rows per week in [start, end)."""
    piece = ap.load_piece(source, options, weeks)
    inr = {}
    for w, g in piece["weeks"].items():
        t = g["created_at"]
        n = int(((t >= start) & (t < end)).sum())
        if n:
            inr[w] = n
    piece["meta"]["in_range"] = inr
    return piece


def scan(pieces, rep, start, end) -> dict:
    return ap.scan_week([range_rows(pieces, start, end)], rep)


def sample(pieces, rep, threshold: int, start, end):
    return ap.sample_week([range_rows(pieces, start, end)], rep, threshold)


def category_rows(pieces, tagger=None) -> pd.DataFrame:
    """The pieces' rows without their text (tagged first with ``tagger``: a model,
    or a ``classifier.partitioned.ModelRef`` loaded once per worker): what the
    category table counts."""
    rows = ap.rows_of(pieces)
    if tagger is not None and len(rows):
        from hotline_nlp.classifier.partitioned import ModelRef, model_of
        from hotline_nlp.classifier.tagging import tag_frame

        rows = tag_frame(rows, model_of(tagger) if isinstance(tagger, ModelRef) else tagger)
    return rows[[c for c in CAT_COLUMNS if c in rows]]


def _own_sims(x, rows: np.ndarray, cols: np.ndarray, ct) -> np.ndarray:
    """Cosine of each row in ``rows`` to its own issue's centroid (column ``cols``
    of ``ct``), computed as ``issue_records.example_rows`` does (rows @ centroids.T)."""
    out = np.zeros(rows.size, np.float32)
    for s in range(0, rows.size, 8192):
        m = (x[rows[s : s + 8192]] @ ct).toarray()
        out[s : s + 8192] = m[np.arange(m.shape[0]), cols[s : s + 8192]]
    return out


def match_block(
    pieces, weeks, rep, centroids, sims_ct, issue_ids, sampled, config, start, end, half, n_jobs=1
):
    """Match, dedup and reduce the ``weeks`` (consecutive) of the range; ``pieces``
    also hold the look-back before the first. Kept on the worker: the per-row
    result (``summary`` is what the client reads, ``labels`` stay for ``fetch_block``)."""
    from hotline_nlp.topics import clustering as cl

    rows = range_rows(pieces, start, end)
    counts, sem, keys = ap.raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem  # a task's peak memory is its rows' vectors and the repeat check
    times = rows["created_at"].to_numpy()
    first, last = parse_period(weeks[0]), parse_period(weeks[-1])
    s0, b0 = (
        int(v) for v in np.searchsorted(times, np.array([first.start, last.end], dtype="datetime64[ns]"))
    )
    # only the block's own rows are matched; the look-back rows serve the repeat check alone
    best, _ = cl.assign(
        x, centroids, config.tracker.cluster.assign_threshold, rows=np.arange(s0, b0), n_jobs=n_jobs
    )
    own = rows["key"].iloc[s0:b0].map(sampled)
    idx = np.where(own.notna().to_numpy(), own.fillna(-1).to_numpy(np.int64), best)
    ids = np.asarray(issue_ids, np.int64)
    lab = np.where(idx >= 0, ids[np.maximum(idx, 0)] if len(ids) else -1, -1)
    tables, original = [], np.zeros(0, bool)
    for w in weeks:
        p = parse_period(w)
        lo = max(p.start - pd.Timedelta(days=wc.context_days(config)), start)
        a, s, b = np.searchsorted(times, np.array([lo, p.start, p.end], dtype="datetime64[ns]"))
        if b == s:
            continue
        table, dup = wc.count_rows(rows.iloc[a:b], x[a:b], keys[a:b], s - a, lab[s - s0 : b - s0], w, config)
        tables.append(table)
        original = np.concatenate([original, dup[s - a :] < 0])
    mem = np.flatnonzero((lab >= 0) & original)
    sims = (
        _own_sims(x, mem + s0, idx[mem], sims_ct)
        if mem.size and sims_ct.shape[1]
        else np.zeros(0, np.float32)
    )
    summary = reduce_block(rows.iloc[s0:b0], lab, original, tables, mem, sims, config, end, half)
    return {"summary": summary, "span": (s0, b0), "labels": lab}


def reduce_block(own: pd.DataFrame, lab, original, tables, mem, sims, config, end, half) -> dict:
    """The block's rows reduced per issue: weekly table, decayed volume of
    originals, caller hashes, likes, noise count, example candidates."""
    from hotline_nlp.topics.issue_records import HEADLINE_CANDIDATES

    ages = ((end - own["created_at"]).dt.total_seconds() / 86400).to_numpy()
    w = decay_weights(ages, half) * original
    m = lab >= 0
    f = pd.DataFrame({"issue": lab[m], "w": w[m]})
    out = {
        "table": pd.concat(tables, ignore_index=True) if tables else ct.empty_table(),
        "volume": f.groupby("issue")["w"].sum(),
        "noise": int((~m).sum()),
        "has_caller": "caller" in own,
        "has_likes": "likes" in own,
    }
    if out["has_caller"]:
        c = own["caller"].fillna("").astype(str).to_numpy()[m]
        h = pd.util.hash_pandas_object(pd.Series(c, dtype=object), index=False).to_numpy()
        g = pd.DataFrame({"issue": lab[m], "h": h, "empty": c == ""})
        out["empty_callers"] = g.groupby("issue")["empty"].sum()
        full = g.loc[~g["empty"]]
        out["callers"] = {int(k): np.unique(v.to_numpy()) for k, v in full.groupby("issue")["h"]}
    if out["has_likes"]:
        lk = pd.to_numeric(own["likes"], errors="coerce").fillna(0).to_numpy()
        out["likes"] = pd.Series(lk[m]).groupby(lab[m]).sum()
    k = max(config.examples, HEADLINE_CANDIDATES)
    cand = pd.DataFrame({"issue": lab[mem], "sim": sims, "pos": mem})
    cand = cand.iloc[np.lexsort((cand["pos"].to_numpy(), -cand["sim"].to_numpy(), cand["issue"].to_numpy()))]
    out["candidates"] = cand.groupby("issue", sort=False).head(k).reset_index(drop=True)
    return out


def summary_of(kept: dict) -> dict:
    return kept["summary"]


def fetch_block(pieces, kept: dict, request: dict, start, end) -> dict:
    """The rows that describe the top issues, from one block: the first
    ``request["docs"][k]`` members of issue k (keyword sample), every member's
    id (``request["ids"]``), the noise rows with the given ordinals (keyword
    background) and the rows at ``request["examples"]`` (positions in the block)."""
    s0, b0 = kept["span"]
    own = range_rows(pieces, start, end).iloc[s0:b0].reset_index(drop=True)
    lab = kept["labels"]
    texts = own["text"].to_numpy()
    out = {"docs": {}, "ids": {}}
    for k, n in request.get("docs", {}).items():
        out["docs"][k] = [str(t) for t in texts[np.flatnonzero(lab == k)[:n]]]
    for k in request.get("ids", []):
        out["ids"][k] = [str(v) for v in own["id"].to_numpy()[lab == k]]
    noise = np.flatnonzero(lab < 0)
    out["noise"] = [str(t) for t in texts[noise[np.asarray(request.get("noise", []), np.int64)]]]
    pos = np.asarray(request.get("examples", []), np.int64)
    ex = own.iloc[pos][[c for c in ("id", "text", "created_at", "title") if c in own]].copy()
    ex["pos"] = pos
    out["examples"] = ex
    return out
