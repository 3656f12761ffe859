"""One issue as the reports show it: label, keywords, places, examples, ids.

Why separate: the weekly alert, the hot-issue table and the emerging list all
describe issues the same way, and the bulletin quotes these records directly.
"""

from __future__ import annotations

import re

import pandas as pd
from hotline_nlp.corpus.text import clean, strip_openers
from hotline_nlp.topics.coherence import is_catch_all
from hotline_nlp.topics.keywords import is_informative, keeper_for
from hotline_nlp.topics.naming import SMALL, issue_name, title_keywords, what_they_say
from hotline_nlp.topics.places import extract_places

_EXAMPLE_CHARS = 300
# Central complaints whose titles compete to describe an issue (examples shown: config.examples).
HEADLINE_CANDIDATES = 8


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


def record_of(
    tracker, issue_id: int, desc: dict, central: pd.DataFrame, ids: list[str], stats: dict, config
) -> dict:
    """The common fields of one issue from what describes it (``issue_blocks``):
    ``desc`` (keywords, places, groups, label), its most central originals first
    (``central``: id, text, created_at[, title]), its member ids and ``stats``
    (``repeats``, ``first`` and ``last`` complaint time). Counts and scores are
    added by the caller."""
    iss = tracker.issue(issue_id)
    d = desc if "label" in desc else {"keywords": [], "places": [], "groups": [], "label": f"问题 {issue_id}"}
    rows = [r for _, r in central.iterrows()]
    examples = [
        {
            "id": str(r["id"]),
            "text": _short(r["text"]),
            "date": pd.Timestamp(r["created_at"]).date().isoformat(),
        }
        for r in rows[: config.examples]
    ]
    titles = [_headline(r) for r in rows]
    keywords, label = list(d.get("keywords", [])), d["label"]
    n = int(stats.get("originals") or len(ids) or len(rows))
    if rows:  # 地点 + 对象 + 问题 (``naming``); a small issue by its titles
        places = {p["name"] for p in d.get("places", [])} | {
            n_ for t in titles for _, n_ in extract_places(t)
        }
        keep = keeper_for(places)
        if n <= SMALL:
            said = what_they_say(titles[:n], [clean(r["text"]) for r in rows[:n]], keep)
            keywords = title_keywords(said, keywords, keep)
            titles = said + titles[n:]
        label = issue_name(keywords, {"places": d.get("places", [])}, titles, n, keep)
    headline = pick_headline(titles, keywords) if rows else ""
    first, last = stats.get("first"), stats.get("last")
    return {
        "id": int(issue_id),
        "label": label,
        "description": headline,
        "keywords": keywords,
        "coherence": None if d.get("coherence") is None else round(float(d["coherence"]), 4),
        "catch_all": is_catch_all(d.get("coherence"), n),
        "keyword_share": d.get("keyword_share"),
        "places": d["places"],
        "groups": d["groups"],
        "first_seen": pd.Timestamp(first).date().isoformat() if first is not None else None,
        "last_seen": pd.Timestamp(last).date().isoformat() if last is not None else None,
        "repeats": int(stats.get("repeats", 0)),
        "examples": examples,
        "complaint_ids": [str(v) for v in ids],
        "origin": iss.origin,
        "born": iss.born,
        "parent": iss.parent,
        "lineage": iss.lineage,
    }
