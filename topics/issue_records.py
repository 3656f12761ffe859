"""One issue as the reports show it: label, keywords, places, examples, ids.

Why separate: the weekly alert, the hot-issue table and the emerging list all
describe issues the same way, and the bulletin quotes these records directly.
"""

from __future__ import annotations

import re

import numpy as np
from hotline_nlp.corpus.text import clean, strip_openers
from hotline_nlp.topics.keywords import describe, is_informative
from hotline_nlp.topics.places import extract_places
from scipy import sparse

_EXAMPLE_CHARS = 300
# Central complaints whose titles compete to describe an issue (examples shown: config.examples).
HEADLINE_CANDIDATES = 8


def _members(labels: np.ndarray, issue_id: int, focus: np.ndarray | None) -> np.ndarray:
    m = labels == issue_id
    if focus is not None and (m & focus).any():
        m = m & focus
    return np.flatnonzero(m)


def example_rows(
    win, labels: np.ndarray, dup_of: np.ndarray, issue_ids: list[int], focus: np.ndarray | None, k: int
) -> dict[int, np.ndarray]:
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


def describe_issues(
    win,
    labels: np.ndarray,
    issue_ids: list[int],
    focus: np.ndarray | None,
    config,
    dup_of: np.ndarray | None = None,
) -> dict:
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
                take = np.concatenate(
                    [take, rng.choice(rest, min(rest.size, config.keyword_sample - take.size), replace=False)]
                )
            pick = take
        docs[k] = [str(t) for t in texts[pick]]
    noise = np.flatnonzero(labels < 0)
    if noise.size > 500:
        noise = rng.choice(noise, 500, replace=False)
    out = describe(docs, background=[str(t) for t in texts[noise]])
    if dup_of is not None:
        k = max(config.examples, HEADLINE_CANDIDATES)
        for i, rows in example_rows(win, labels, dup_of, issue_ids, focus, k).items():
            out.setdefault(i, {})["example_rows"] = rows
    return out


def _short(text: str, n: int = _EXAMPLE_CHARS) -> str:
    t = clean(text)
    return t if len(t) <= n else t[: n - 1] + "…"


def _headline(row) -> str:
    """A one-line description: the complaint's title, else its first clause,
    without openers such as 市民来电：."""
    title = clean(row.get("title", "")) if hasattr(row, "get") else ""
    if title:
        return strip_openers(title)
    first = re.split(r"[。！？!?；;]", strip_openers(clean(row["text"])))[0]
    return first[:40] + ("…" if len(first) > 40 else "")


def _without_places(text: str) -> str:
    for _, name in extract_places(text):
        text = text.replace(name, "")
    return text


def pick_headline(titles: list[str], keywords: list[str]) -> str:
    """The title, of central complaints' ``titles`` (most central first), that best
    says what the issue is: it names most of the issue's top keywords, names
    something besides a place (not 问题反映, not 紫金名苑 alone), and is short and free of one caller's
    figures (building numbers, sums). The most central complaint's own title was
    often a single caller's story ("东方嘉园物叶要求业主交2600元…") where another
    central title says it plainly ("物业不给出具充电桩安装证明").
    """
    top = keywords[:5]
    best, best_score = "", float("-inf")
    for rank, title in enumerate(titles):
        if not title or not is_informative(_without_places(title)):
            continue  # "问题反映", or a bare place name ("紫金名苑")
        score = (
            sum(w in title for w in top)
            - 0.5 * bool(re.search(r"\d", title))
            - 0.5 * (len(title) > 24)
            - 0.1 * rank
        )
        if score > best_score:
            best, best_score = title, score
    return best or next((t for t in titles if t), "")


def issue_record(
    win, labels: np.ndarray, dup_of: np.ndarray, issue_id: int, desc: dict, focus: np.ndarray | None, config
) -> dict:
    """The common fields of one issue (counts and scores are added by the caller)."""
    members = _members(labels, issue_id, focus)
    rows = win.rows
    originals = members[dup_of[members] < 0]
    tr = win.tracker
    iss = tr.issue(issue_id)
    examples, headline = [], ""
    d = desc.get(issue_id) or {}
    central = d.get("example_rows")
    if central is None:
        k = max(config.examples, HEADLINE_CANDIDATES)
        central = example_rows(win, labels, dup_of, [issue_id], focus, k)[issue_id]
    for i in central[: config.examples]:
        r = rows.iloc[i]
        examples.append(
            {"id": str(r["id"]), "text": _short(r["text"]), "date": r["created_at"].date().isoformat()}
        )
    if central.size:
        headline = pick_headline([_headline(rows.iloc[i]) for i in central], d.get("keywords", []))
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
