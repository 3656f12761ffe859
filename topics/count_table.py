"""The weekly count table: one row per (week, issue) with ``originals`` (repeats
collapsed), ``members`` (with repeats), ``first_at``, ``last_at`` and ``chorus``
(the originals whose near-identical text another caller sent within days:
``dedup``'s chorus, 多人反映).

It is what the weekly alert's map steps send back instead of rows
(``weekly_counts``, ``week_samples``), what ``--state-dir`` stores, and what
emergence is scored on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["week", "issue", "originals", "members", "first_at", "last_at", "chorus"]


def empty_table() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="datetime64[ns]" if c.endswith("_at") else "int64") for c in COLUMNS}
    ).astype({"week": object})


def reduce_rows(issue, original, at, week: str, weight=1, chorus=None) -> pd.DataFrame:
    """Per-row results of one week -> its table. ``issue`` < 0 rows are dropped;
    ``weight``: what each row stands for (1, or a sample's scale); ``chorus``: the
    rows in a chorus (None: none)."""
    per = pd.DataFrame(
        {"issue": np.asarray(issue, np.int64), "original": np.asarray(original, bool), "at": at}
    )
    per["members"] = np.broadcast_to(np.asarray(weight, np.int64), len(per))
    per["originals"] = per["members"] * per["original"]
    per["chorus"] = per["originals"] * (False if chorus is None else np.asarray(chorus, bool))
    per = per.loc[per["issue"] >= 0]
    if not len(per):
        return empty_table()
    g = per.groupby("issue", sort=True)
    table = pd.DataFrame(
        {
            "originals": g["originals"].sum().astype(np.int64),
            "members": g["members"].sum().astype(np.int64),
            "first_at": g["at"].min(),
            "last_at": g["at"].max(),
            "chorus": g["chorus"].sum().astype(np.int64),
        }
    ).reset_index()
    table.insert(0, "week", week)
    return table[COLUMNS]


def per_week_issue(table: pd.DataFrame, how: str) -> pd.DataFrame:
    """One row per (week, issue): counts combined by ``how`` ("sum": disjoint
    complaints, e.g. after following merges; "max": two estimates of the same
    complaints), first/last times widened."""
    g = table.groupby(["week", "issue"], sort=True)
    return pd.DataFrame(
        {
            "originals": g["originals"].agg(how),
            "members": g["members"].agg(how),
            "first_at": g["first_at"].min(),
            "last_at": g["last_at"].max(),
            "chorus": g["chorus"].agg(how),
        }
    ).reset_index()[COLUMNS]


def with_chorus(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every column, a stored one from before ``chorus`` with none."""
    return table if "chorus" in table else table.assign(chorus=np.int64(0))[COLUMNS]


def concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two count tables one after the other."""
    parts = [t for t in (a, b) if len(t)]
    return pd.concat(parts, ignore_index=True)[COLUMNS] if parts else empty_table()
