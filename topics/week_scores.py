"""Scoring the issues of one week of an alert window (``emergence.score_week``
on the (issues x weeks) count table) and the status each issue gets.

Pure: it reads a window's count table and totals (``engine.alert.AlertData``),
whatever engine counted them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.emergence import score_week
from hotline_nlp.topics.periods import Period
from hotline_nlp.topics.status import is_new, issue_status


@dataclass
class WeekScores:
    ids: list[int]  # issues with complaints in the window
    counts: np.ndarray  # (issues x weeks) originals
    col: int  # the week's column
    now: np.ndarray  # its counts
    s: dict  # ``emergence.score_week``'s scores (nothing is emerging without history)
    n_hist: int  # complaints before the week
    chorus: np.ndarray  # the week's originals in a chorus (多人反映, ``dedup``)


def first_col(totals: np.ndarray) -> int:
    """Index of the first week column with complaints (earlier columns are unknown, not zeros)."""
    nz = np.flatnonzero(np.asarray(totals) > 0)
    return int(nz[0]) if nz.size else len(totals)


def week_scores(data, week: str, cfg) -> WeekScores:
    """Emergence of every issue with complaints in the window of ``data``, scored at ``week``."""
    table, totals = data.table, data.totals
    present = table.loc[table["members"] > 0]
    issue_ids = sorted({int(v) for v in present["issue"]})
    counts = wc.matrix(table, issue_ids, data.week_labels)
    col = data.week_labels.index(week)
    first = first_col(totals)
    lo = min(first, col)
    s = score_week(counts[:, lo : col + 1], totals[lo : col + 1], cfg.emergence)
    _rescore_warm_born(s, data.known_from, issue_ids, data.week_labels, counts, totals, col, cfg)
    chorus = wc.matrix(table, issue_ids, data.week_labels, "chorus")[:, col]
    s["emerging"] = s["emerging"] | many_callers(chorus, cfg)
    n_hist = int(totals[first:col].sum()) if col else 0
    if n_hist == 0:
        s["emerging"] = np.zeros_like(s["emerging"])
    return WeekScores(issue_ids, counts, col, counts[:, col], s, n_hist, chorus)


def many_callers(chorus, cfg) -> np.ndarray:
    """多人反映, the one rule every view applies: at least ``cfg.chorus_callers`` of an
    issue's originals of the week are in a chorus (several callers sending near-identical
    texts within days, ``dedup``); ``chorus_callers`` 0 turns it off."""
    return (np.asarray(chorus) >= cfg.chorus_callers) & (cfg.chorus_callers > 0)


def _rescore_warm_born(s, known_from, issue_ids, weeks, counts, totals, col, cfg) -> None:
    """Issues born in a warm run are scored from the week their counts are known
    from (``engine.backfill``), with the window's dispersion."""
    pos = {k: i for i, k in enumerate(issue_ids)}
    rows = [pos[k] for k in known_from if k in pos]
    if not rows:
        return
    lo = min(
        weeks.index(known_from[issue_ids[rows[0]]]) if known_from[issue_ids[rows[0]]] in weeks else 0, col
    )
    em = replace(cfg.emergence, dispersion=float(s["dispersion"]))
    sub = score_week(counts[rows, lo : col + 1], totals[lo : col + 1], em)
    for key in ("expected", "p_value", "score", "emerging"):
        s[key][rows] = sub[key]


def status(tracker, issue_id: int, period: Period, emerging: bool, now: int, prev: int, first_seen) -> str:
    """The issue's status by the one rule every view words (``topics.status``)."""
    iss = tracker.issue(issue_id)
    new = is_new(iss.origin, iss.born, period, first_seen)
    return issue_status(new=new, emerging=emerging, now=int(now), prev=int(prev))
