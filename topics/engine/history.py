"""Counting history weeks against today's issues (the groupby behind the
emergence test): a block of consecutive weeks per task, each week with the
look-back of its repeat check, reduced to one small table per week
(``count_table``) and that week's stored sample (``week_samples``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hotline_nlp.topics import week_samples
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.count_table import empty_table, reduce_rows
from hotline_nlp.topics.engine.blocks import checks_of, match, week_periods
from hotline_nlp.topics.engine.pieces import rows_of


@dataclass
class WeekCount:
    week: str
    table: pd.DataFrame  # count_table.COLUMNS
    n: int  # complaints of the week
    sample: pd.DataFrame | None  # its ``week_samples.frame``


def count_block(item, rep, centroids, issue_ids, config, window_start, n_jobs=1) -> list[WeekCount]:
    """``(pieces, weeks)``: count the consecutive ``weeks`` from ``pieces`` (their
    rows and the look-back before the first). Only the counted weeks' rows are
    matched to the issues; the look-back rows serve the repeat check alone."""
    pieces, weeks = item
    rows = rows_of(pieces)
    times = rows["created_at"].to_numpy()
    periods = week_periods(weeks)
    checks = checks_of(times, periods, wc.context_days(config), window_start)
    lo = int(np.searchsorted(times, np.datetime64(periods[0][0], "ns")))
    hi = int(np.searchsorted(times, np.datetime64(periods[-1][1], "ns")))
    m = match(rows, (lo, hi), checks, rep, centroids, issue_ids, config, n_jobs)
    out, at = [], 0
    for w, (_, s, b) in zip(weeks, checks):
        if b == s:
            out.append(WeekCount(w, empty_table(), 0, None))
            continue
        n = b - s
        own = slice(at, at + n)
        original, own_rows = m.original[own], m.rows.iloc[own]
        table = reduce_rows(
            m.labels[s - lo : b - lo], original, own_rows["created_at"].to_numpy(), w, chorus=m.chorus[own]
        )
        take, scale = week_samples.chosen(own_rows["key"])
        sample = week_samples.frame(own_rows.loc[take], original[take], m.sim[s - lo : b - lo][take], scale)
        out.append(WeekCount(w, table, n, sample))
        at += n
    return out
