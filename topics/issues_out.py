"""One issue as the reports show it: label, keywords, places, examples, ids.

Why separate: the weekly alert, the hot-issue table and the emerging list all
describe issues the same way, and the bulletin quotes these records directly.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse

from hotline_nlp.corpus.text import clean
from hotline_nlp.topics.keywords import describe

_EXAMPLE_CHARS = 300


def _members(labels: np.ndarray, issue_id: int, focus: np.ndarray | None) -> np.ndarray:
    m = labels == issue_id
    if focus is not None and (m & focus).any():
        m = m & focus
    return np.flatnonzero(m)


def example_rows(win, labels: np.ndarray, dup_of: np.ndarray, issue_ids: list[int], focus: np.ndarray | None,
                 k: int) -> dict[int, np.ndarray]:
    """Each issue's ``k`` original complaints closest to its centroid (row positions).

    One streamed pass over the window's vectors for all issues together, so a
    year of a large city's complaints is read once, not once per issue."""
    tr = win.tracker
    member = {i: _members(labels, i, focus) for i in issue_ids}
    member = {i: m[dup_of[m] < 0] for i, m in member.items()}
    pos = np.unique(np.concatenate([m for m in member.values()] + [np.zeros(0, np.int64)]))
    if not pos.size:
        return {i: np.zeros(0, np.int64) for i in issue_ids}
    col = {i: j for j, i in enumerate(issue_ids)}
    c = sparse.vstack([tr.centroids_[tr._pos(i)] for i in issue_ids], format="csr")
    own = np.array([col.get(int(v), -1) for v in labels[pos]], dtype=np.int64)
    sims = np.zeros(pos.size, np.float32)
    ct = sparse.csr_matrix(c.T)
    for s in range(0, pos.size, 8192):
        m = (win.x[pos[s : s + 8192]] @ ct).toarray()
        o = own[s : s + 8192]
        sims[s : s + 8192] = np.where(o >= 0, m[np.arange(o.size), np.maximum(o, 0)], 0.0)
    at = {int(p): float(v) for p, v in zip(pos, sims)}
    out = {}
    for i, m in member.items():
        v = np.array([at[int(p)] for p in m], dtype=np.float32)
        out[i] = m[np.argsort(-v, kind="stable")[:k]]
    return out


def describe_issues(win, labels: np.ndarray, issue_ids: list[int], focus: np.ndarray | None, config,
                    dup_of: np.ndarray | None = None) -> dict:
    """``{issue_id: {"keywords", "places", "groups", "label", "example_rows"}}``
    via c-TF-IDF over (a sample of) each issue's complaints against the
    unassigned ones; ``example_rows`` (``example_rows``) when ``dup_of`` is given."""
    rng = np.random.default_rng(0)
    texts = win.rows["text"].to_numpy()
    docs: dict[int, list[str]] = {}
    for k in issue_ids:
        all_m = np.flatnonzero(labels == k)
        pick = all_m
        if all_m.size > config.keyword_sample:
            pref = _members(labels, k, focus)
            rest = np.setdiff1d(all_m, pref)
            take = pref[: config.keyword_sample]
            if take.size < config.keyword_sample and rest.size:
                take = np.concatenate([take, rng.choice(rest, min(rest.size, config.keyword_sample - take.size),
                                                        replace=False)])
            pick = take
        docs[k] = [str(t) for t in texts[pick]]
    noise = np.flatnonzero(labels < 0)
    if noise.size > 500:
        noise = rng.choice(noise, 500, replace=False)
    out = describe(docs, background=[str(t) for t in texts[noise]])
    if dup_of is not None:
        for i, rows in example_rows(win, labels, dup_of, issue_ids, focus, config.examples).items():
            out.setdefault(i, {})["example_rows"] = rows
    return out


def _short(text: str, n: int = _EXAMPLE_CHARS) -> str:
    t = clean(text)
    return t if len(t) <= n else t[: n - 1] + "…"


def _headline(row) -> str:
    """A one-line description: the complaint's title, else its first clause."""
    title = clean(row.get("title", "")) if hasattr(row, "get") else ""
    if title:
        return title
    first = re.split(r"[。！？!?；;]", clean(row["text"]))[0]
    return first[:40] + ("…" if len(first) > 40 else "")


def issue_record(win, labels: np.ndarray, dup_of: np.ndarray, issue_id: int, desc: dict,
                 focus: np.ndarray | None, config) -> dict:
    """The common fields of one issue (counts and scores are added by the caller)."""
    members = _members(labels, issue_id, focus)
    rows = win.rows
    originals = members[dup_of[members] < 0]
    tr = win.tracker
    iss = tr.issue(issue_id)
    examples, headline = [], ""
    d = desc.get(issue_id) or {}
    best = d.get("example_rows")
    if best is None:
        best = example_rows(win, labels, dup_of, [issue_id], focus, config.examples)[issue_id]
    if best.size:
        for i in best:
            r = rows.iloc[i]
            examples.append({"id": str(r["id"]), "text": _short(r["text"]),
                             "date": r["created_at"].date().isoformat()})
        headline = _headline(rows.iloc[best[0]])
    all_members = np.flatnonzero(labels == issue_id)
    d = d if "label" in d else {"keywords": [], "places": [], "groups": [], "label": f"问题 {issue_id}"}
    times = rows["created_at"].iloc[all_members]
    return {
        "id": int(issue_id),
        "label": d["label"],
        "description": headline,
        "keywords": d["keywords"],
        "places": d["places"],
        "groups": d["groups"],
        "first_seen": times.min().date().isoformat() if len(times) else None,
        "last_seen": times.max().date().isoformat() if len(times) else None,
        "repeats": int(members.size - originals.size),
        "examples": examples,
        "complaint_ids": [str(v) for v in rows["id"].iloc[members]],
        "origin": iss.origin,
        "born": iss.born,
        "parent": iss.parent,
        "lineage": iss.lineage,
    }
