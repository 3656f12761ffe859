"""Describing issues from complaints kept where they were loaded.

A report shows a few issues (the alert's, the emerging list's): their
keywords, places, label, central examples, headline and complaint ids. The
complaints behind them stay on the workers in blocks (``blocks.Block``: rows,
issue labels, original flags), one per span of consecutive complaints, in time
order, and ``describe`` asks them for the few rows it needs in two small rounds:

1. ``count_block`` (map): each block's labels brought up to date (issues merged
   since, and the tracker's later placements of its complaints, e.g. a pool
   complaint that joined an issue born weeks later), each row's focus (in the
   report's period or not) and counts per issue;
2. the client plans, from the counts alone, which rows describe which issue:
   the keyword documents (an issue's first ``keyword_sample`` complaints in the
   focus, then a seeded random draw of its others), a seeded random background
   of 500 unassigned complaints, the central examples and the member ids;
3. ``fetch_block`` (map): those rows' texts and ids, and each block's most
   central originals of each issue (their cosine to the issue's centroid is
   computed there, from the texts: vectors are not kept);
4. the client assembles them as one process holding every row would have
   (the same draws, the same order: the blocks are in time order), runs the
   keyword and place extraction (``keywords.describe``) and builds each
   record (``issue_records.record_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from hotline_nlp.topics.engine.blocks import Block, summary_of
from hotline_nlp.topics.engine.pieces import raw_of
from hotline_nlp.topics.engine.run import ordered
from hotline_nlp.topics.engine.week import relabel
from hotline_nlp.topics.issue_records import HEADLINE_CANDIDATES, record_of
from hotline_nlp.topics.keywords import describe as describe_docs
from scipy import sparse

BACKGROUND = 500  # unassigned complaints whose words every issue's keywords are weighed against


# -- on the workers ---------------------------------------------------------------
@dataclass
class BlockCounts:
    """Per issue (pandas Series by issue id): members, members in the focus, originals
    in and out of it, first and last complaint; and the unassigned rows."""

    members: pd.Series
    focus: pd.Series
    focus_originals: pd.Series
    other_originals: pd.Series
    first: pd.Series
    last: pd.Series
    noise: int


def count_block(block: Block, surviving, placed: pd.Series | None, focus=None) -> Block:
    """``block`` with its labels brought up to date (``placed``: complaint id ->
    issue, the tracker's placements, which win; ``surviving``: issue id -> the id
    it survives as), each row's focus (``focus``: the report's ``(start, end)``;
    None: every row) and its ``BlockCounts`` (the summary)."""
    rows = block.rows
    labels = relabel(rows, block.labels, placed, surviving)
    times = rows["created_at"].to_numpy()
    if focus is None:
        in_focus = np.ones(len(rows), bool)
    else:
        lo, hi = (np.datetime64(pd.Timestamp(t), "ns") for t in focus)
        in_focus = (times >= lo) & (times < hi)
    original = np.asarray(block.original, bool)
    m = labels >= 0
    per = pd.DataFrame({"issue": labels[m], "f": in_focus[m], "o": original[m], "at": times[m]})
    per["fo"] = per["f"] & per["o"]
    per["no"] = ~per["f"] & per["o"]
    g = per.groupby("issue", sort=True)
    summary = BlockCounts(
        members=g.size(),
        focus=g["f"].sum().astype(np.int64),
        focus_originals=g["fo"].sum().astype(np.int64),
        other_originals=g["no"].sum().astype(np.int64),
        first=g["at"].min(),
        last=g["at"].max(),
        noise=int((~m).sum()),
    )
    return replace(block, labels=labels, in_focus=in_focus, summary=summary, x=None, prio=None)


def _members(block: dict, issue: int, kind: str) -> np.ndarray:
    """Positions of the block's members of ``issue``: ``all``, in the ``focus``, or not (``rest``)."""
    m = block.labels == issue
    if kind == "focus":
        m &= block.in_focus
    elif kind == "rest":
        m &= ~block.in_focus
    return np.flatnonzero(m)


def fetch_block(item, rep, centroids, k: int) -> dict:
    """``(block, request)`` -> the requested rows: ``docs`` {issue: texts of its
    members (``all``/``focus``/``rest``) at these ordinals}, ``noise`` texts of
    the unassigned rows at these ordinals, ``ids`` {issue: ids of its members},
    ``central`` the ``k`` most central originals of each issue asked for
    (issue -> (row of ``centroids``, which members)), with cosine and position."""
    block, request = item
    rows = block.rows
    texts = rows["text"].to_numpy()
    out: dict = {"docs": {}, "ids": {}}
    for (issue, kind), ords in request.get("docs", {}).items():
        pos = _members(block, issue, kind)[np.asarray(ords, np.int64)]
        out["docs"][(issue, kind)] = [str(t) for t in texts[pos]]
    noise = np.flatnonzero(block.labels < 0)
    out["noise"] = [str(t) for t in texts[noise[np.asarray(request.get("noise", []), np.int64)]]]
    for issue, kind in request.get("ids", {}).items():
        out["ids"][issue] = [str(v) for v in rows["id"].to_numpy()[_members(block, issue, kind)]]
    cols = [c for c in ("id", "text", "created_at", "title") if c in rows]
    parts = []
    original = np.asarray(block.original, bool)
    for issue, (j, kind) in request.get("central", {}).items():
        pos = _members(block, issue, kind)
        pos = pos[original[pos]]
        if not pos.size:
            continue
        counts, sem, _ = raw_of(rows.iloc[pos], rep)
        sim = _cos(rep.weigh(counts, sem, copy=False), centroids[j])
        top = np.lexsort((pos, -sim))[:k]
        part = rows.iloc[pos[top]][cols].copy()
        part["issue"], part["sim"], part["pos"] = issue, sim[top], pos[top]
        parts.append(part)
    out["central"] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out


def _cos(x, c) -> np.ndarray:
    """Cosine of unit rows ``x`` with the unit centroid ``c`` (1 row), computed as
    ``x @ c.T``, the product the centroid rule uses."""
    m = x @ sparse.csr_matrix(c).T
    return np.asarray(m.toarray() if sparse.issparse(m) else m, dtype=np.float32)[:, 0]


# -- in the client ----------------------------------------------------------------
def _locate(counts: list[int], ordinals) -> list[tuple[int, int]]:
    """Global ordinals over a sequence made of parts of ``counts`` -> (part, local ordinal)."""
    starts = np.concatenate([[0], np.cumsum(counts)])
    ords = np.asarray(ordinals, np.int64)
    part = np.searchsorted(starts, ords, side="right") - 1
    return list(zip(part.tolist(), (ords - starts[part]).tolist()))


def describe(
    ex, blocks: list, chosen: list[int], tracker, rep, surviving, placed, config, focus=None
) -> dict:
    """The records of the ``chosen`` issues (``issue_records.record_of``) from the
    describing ``blocks`` (kept results, in time order; see the module doc) on
    executor ``ex``; ``focus``: the report's ``(start, end)`` (None: every row).
    ``rep``: the vectoriser as shared with the tasks (``ex.share``). Returns
    ``{issue: record}``."""
    kept = ex.keep(
        count_block, blocks, name="describe-count", surviving=surviving, placed=placed, focus=focus
    )
    plan = _plan(ordered(ex, summary_of, kept, "describe-summary"), chosen, config)
    k = max(config.examples, HEADLINE_CANDIDATES)
    centroids = tracker.centroids_of(chosen) if chosen else None
    items = list(zip(kept, plan["requests"]))
    parts = ordered(ex, fetch_block, items, "describe-fetch", rep=rep, centroids=centroids, k=k)
    ex.release(kept)
    text_at, noise_at = {}, {}
    for b, f in enumerate(parts):
        for key, texts in f["docs"].items():
            for o, t in zip(plan["requests"][b]["docs"][key], texts):
                text_at[(b, key, o)] = t
        for o, t in zip(plan["requests"][b]["noise"], f["noise"]):
            noise_at[(b, o)] = t
    docs = {i: [text_at[(b, key, o)] for b, key, o in plan["docs"][i]] for i in chosen}
    background = [noise_at[bo] for bo in plan["noise"]]
    desc = describe_docs(docs, background=background) if chosen else {}
    central = pd.concat(
        [f["central"].assign(block=b) for b, f in enumerate(parts) if len(f["central"])] or [pd.DataFrame()],
        ignore_index=True,
    )
    out = {}
    for i in chosen:
        rows = pd.DataFrame(columns=["id", "text", "created_at"])
        if len(central):
            c = central.loc[central["issue"] == i]
            rows = c.iloc[np.lexsort((c["pos"].to_numpy(), c["block"].to_numpy(), -c["sim"].to_numpy()))][:k]
        ids = [v for f in parts for v in f["ids"].get(i, [])]
        out[i] = record_of(
            tracker, i, desc.get(i, {}), rows.reset_index(drop=True), ids, plan["stats"][i], config
        )
    return out


def _plan(S: list[dict], chosen: list[int], config) -> dict:
    """Which rows of which block describe each issue, drawn as one process
    holding every row would draw them (one seeded generator: each issue's
    keyword documents in ``chosen`` order, then the background; positions in
    time order)."""
    rng = np.random.default_rng(0)
    n = len(S)

    def count(s, i, col):
        v = getattr(s, col)
        return int(v.get(i, 0)) if len(v) else 0

    reqs = [{"docs": {}, "noise": [], "ids": {}, "central": {}} for _ in S]
    docs, stats = {}, {}
    ks = config.keyword_sample
    for j, i in enumerate(chosen):
        mem = [count(s, i, "members") for s in S]
        foc = [count(s, i, "focus") for s in S]
        rest = [m - f for m, f in zip(mem, foc)]
        f_orig = [count(s, i, "focus_originals") for s in S]
        o_orig = [count(s, i, "other_originals") for s in S]
        use = "focus" if sum(foc) else "all"  # the focus's members when the issue has some there
        if sum(mem) <= ks:
            picks = [(b, "all", o) for b in range(n) for o in range(mem[b])]
        elif use == "focus":
            take = min(ks, sum(foc))
            picks = [(b, "focus", o) for b, o in _locate(foc, range(take))]
            r = sum(rest)
            if take < ks and r:
                drawn = rng.choice(r, min(r, ks - take), replace=False)
                picks += [(b, "rest", o) for b, o in _locate(rest, drawn)]
        else:
            picks = [(b, "all", o) for b, o in _locate(mem, range(ks))]
        docs[i] = [(b, (i, kind), o) for b, kind, o in picks]
        for b, kind, o in picks:
            reqs[b]["docs"].setdefault((i, kind), []).append(o)
        members = foc if use == "focus" else mem
        originals = f_orig if use == "focus" else [a + c for a, c in zip(f_orig, o_orig)]
        for b in range(n):
            if members[b]:
                reqs[b]["ids"][i] = use
            if originals[b]:
                reqs[b]["central"][i] = (j, use)
        firsts = [s.first[i] for s in S if len(s.first) and i in s.first.index]
        lasts = [s.last[i] for s in S if len(s.last) and i in s.last.index]
        stats[i] = {
            "repeats": sum(members) - sum(originals),
            "originals": sum(originals),
            "first": min(firsts) if firsts else None,
            "last": max(lasts) if lasts else None,
        }
    for b in range(n):  # each block returns its ordinals sorted; the plan keeps its own order
        reqs[b]["docs"] = {key: sorted(set(o)) for key, o in reqs[b]["docs"].items()}
    noise = [s.noise for s in S]
    total = sum(noise)
    ords = rng.choice(total, BACKGROUND, replace=False) if total > BACKGROUND else np.arange(total)
    picks = _locate(noise, ords)
    for b, o in picks:
        reqs[b]["noise"].append(o)
    for b in range(n):
        reqs[b]["noise"] = sorted(set(reqs[b]["noise"]))
    return {"requests": reqs, "docs": docs, "noise": picks, "stats": stats}
