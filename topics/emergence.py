"""Is an issue emerging this week? And how hot is it over a range?

Emergence (one test per issue per week)
---------------------------------------
Let ``c`` be the issue's count this week (repeats collapsed) and ``h`` its
weekly counts over the history weeks before it. Its expected count is

    trailing  = (sum(h) + a) / (len(h) + b)            # gamma prior: a=0.5, b=1
    expected  = max(trailing * r, seasonal, min_expected)

* ``r`` = this week's total volume / the history's mean weekly volume, clipped
  to [0.5, 2]: when every complaint type doubles (a holiday backlog), one issue
  doubling is not news;
* ``min_expected`` (default 0.2 a week) is a floor: the rate at which a
  handful of similar complaints turns up by chance. Without it, an issue
  born this week from a few like complaints has an expected count near zero
  and is flagged as soon as it reaches ``min_count``, whatever ``alpha`` says;
  with it, ``alpha`` governs new issues too (at alpha 0.001 a new issue needs
  about 4 complaints in its week, at 0.0001 about 5);
* ``seasonal`` = the issue's mean count in the same weeks a year earlier
  (+-``season_weeks``), scaled by the volume ratio of then and now: heating
  complaints every November are compared with last November, not with October.
  Used only when the history reaches back that far.

The week test's p-value is the upper tail ``P(X >= c)`` of a negative binomial
with mean ``expected`` and variance ``expected + phi * expected**2``; ``phi``
(the overdispersion of weekly issue counts) is estimated from the history
itself (median over issues with enough volume, clipped to [0.05, 1]).

A slow rise (1, 1, 2, 2, 3, 4 ... a week) soon lifts its own trailing mean, so
a second, trend test compares the last ``recent_weeks`` weeks together with the
weeks *before* them (a guard band, as in Farrington-type surveillance), with
the same prior, volume scaling and seasonal floor. ``p = min(1, 2 *
min(p_week, p_trend))`` (Bonferroni). An issue is ``emerging`` when ``c >=
min_count`` and ``p < alpha``; ``alpha`` is the false-alarm rate per issue and
week (``--alpha``). ``score = -log10(p)``.

Baselines count complaints the way the current week is counted: every earlier
complaint is matched afresh to today's issues (``alert_engine``'s count steps),
repeats collapsed (``dedup``). A new issue therefore gets the history of
complaints *like it*, not zeros; when there were none, ``min_expected``
keeps the test honest. ``min_count`` stays as a plain floor on the count
(BENCHMARKS.md §2 measures both knobs on the real 2019 stream).

Heat index (ranking hot issues over a range)
--------------------------------------------
For each issue, over the range:

* ``v`` = recency-weighted volume: sum over its original complaints of
  ``0.5 ** (age_days / half_life_days)``, age counted back from the range end
  (default half-life: a quarter of the range, at least 7 days);
* ``d`` = distinct callers (a complaint without a caller counts as one);
* ``l`` = likes (点赞数) summed, where the data has them.

    heat = 100 * (0.5 * log1p(v) / log1p(max v) + 0.3 * log1p(d) / log1p(max d)
                  + 0.2 * log1p(l) / log1p(max l))

maxima taken over the issues of the range; without likes the first two
weights become 0.625 and 0.375. The hottest issue of a range scores about 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class EmergenceConfig:
    alpha: float = 0.001
    min_count: int = 3
    min_expected: float = 0.2  # floor of an issue's expected weekly count (module doc)
    prior_count: float = 0.5
    prior_weeks: float = 1.0
    season_weeks: int = 2
    dispersion: float | None = None  # None = estimate from the history
    recent_weeks: int = 4  # the trend test's window (this week and the 3 before it)
    min_baseline_weeks: int = 8  # weeks needed before the trend window for the trend test
    volume_clip: tuple[float, float] = (0.5, 2.0)


def estimate_dispersion(history: np.ndarray, default: float = 0.3) -> float:
    """Negative-binomial ``phi`` from an (issues x weeks) count matrix, by moments."""
    if history.ndim != 2 or history.shape[1] < 4:
        return default
    m = history.mean(axis=1)
    v = history.var(axis=1, ddof=1)
    ok = m >= 0.5
    if ok.sum() < 3:
        return default
    phi = np.median(np.maximum(v[ok] - m[ok], 0.0) / m[ok] ** 2)
    return float(np.clip(phi, 0.05, 1.0))


def nb_sf(count: np.ndarray, mean: np.ndarray, phi: float) -> np.ndarray:
    """P(X >= count) for a negative binomial with the given mean and dispersion."""
    mean = np.maximum(np.asarray(mean, dtype=np.float64), 1e-9)
    size = 1.0 / phi
    p = size / (size + mean)
    return stats.nbinom.sf(np.asarray(count) - 1, size, p)


def _season(
    counts: np.ndarray, totals: np.ndarray, start: int, width: int, now_total: float, clip
) -> np.ndarray | None:
    """Mean count per issue over ``width`` columns from ``start`` (a year back),
    scaled to this week's volume; None when none of those columns exist.

    A window that begins before the history does is cut to the part that
    exists: with 56 weeks of history the week test reaches last year's season
    but the 4-week trend window would start a week too early, and dropping its
    seasonal floor altogether made every heating issue "rise" each November.
    """
    cols = slice(max(start, 0), start + width)
    if start + width <= 0 or not counts[:, cols].size:
        return None
    then_total = totals[cols].mean()
    scale = now_total / then_total if then_total > 0 else 1.0
    return counts[:, cols].mean(axis=1) * float(np.clip(scale, *clip))


def score_week(
    counts: np.ndarray, totals: np.ndarray, cfg: EmergenceConfig | None = None, season_offset: int = 52
) -> dict[str, np.ndarray]:
    """Score the last column of ``counts`` (issues x weeks, oldest first) against
    the earlier columns; ``totals`` = all complaints per week (same columns).

    Two one-sided tests, Bonferroni-combined (``p = min(1, 2 min(p_week, p_trend))``):

    * week: this week's count against the trailing baseline of all earlier weeks;
    * trend: the last ``recent_weeks`` weeks together against the weeks before
      them (a guard band, so a slow rise is not absorbed into its own baseline),
      counted only while this week is itself above that older baseline.

    Returns arrays per issue: ``expected``, ``p_value``, ``score``, ``emerging``,
    ``recent`` (count over the recent weeks), ``recent_expected``; and ``dispersion``.
    """
    cfg = cfg or EmergenceConfig()
    counts = np.asarray(counts, dtype=np.float64)
    totals = np.asarray(totals, dtype=np.float64)
    k, n = counts.shape
    now, hist = counts[:, -1], counts[:, :-1]
    nh = hist.shape[1]
    clip = cfg.volume_clip
    phi = cfg.dispersion if cfg.dispersion is not None else estimate_dispersion(hist)

    # week test
    trailing = (hist.sum(axis=1) + cfg.prior_count) / (nh + cfg.prior_weeks)
    r = float(np.clip(totals[-1] / totals[:-1].mean(), *clip)) if nh and totals[:-1].mean() > 0 else 1.0
    expected = np.maximum(trailing * r, cfg.min_expected)
    seasonal = _season(
        counts, totals, n - 1 - season_offset - cfg.season_weeks, 2 * cfg.season_weeks + 1, totals[-1], clip
    )
    if seasonal is not None:
        expected = np.maximum(expected, seasonal)
    p_week = nb_sf(now, expected, phi) if k else np.zeros(0)

    # trend test: recent L weeks vs the weeks before them
    L = max(1, int(cfg.recent_weeks))
    nb = n - L
    recent = counts[:, -L:].sum(axis=1)
    p_trend = np.ones(k)
    base_rate = expected
    recent_expected = expected * L
    if L > 1 and nb >= cfg.min_baseline_weeks:
        base = counts[:, :nb]
        base_rate = (base.sum(axis=1) + cfg.prior_count) / (nb + cfg.prior_weeks)
        bt = totals[:nb].mean()
        rb = float(np.clip(totals[-L:].mean() / bt, *clip)) if bt > 0 else 1.0
        base_rate = base_rate * rb
        seasonal = _season(
            counts,
            totals,
            n - L - season_offset - cfg.season_weeks,
            L + 2 * cfg.season_weeks,
            totals[-L:].mean(),
            clip,
        )
        if seasonal is not None:
            base_rate = np.maximum(base_rate, seasonal)
        base_rate = np.maximum(base_rate, cfg.min_expected)
        recent_expected = base_rate * L
        p_trend = nb_sf(recent, recent_expected, phi / L)
        p_trend = np.where(now > base_rate, p_trend, 1.0)
    p = np.minimum(1.0, 2.0 * np.minimum(p_week, p_trend)) if k else np.zeros(0)
    emerging = (now >= cfg.min_count) & (p < cfg.alpha)
    return {
        "expected": expected,
        "p_value": p,
        "score": np.minimum(-np.log10(np.maximum(p, 1e-300)), 50.0),
        "emerging": emerging,
        "recent": recent,
        "recent_expected": recent_expected,
        "dispersion": phi,
    }


def heat_index(volume_decayed: np.ndarray, callers: np.ndarray, likes: np.ndarray | None) -> np.ndarray:
    """Heat (0-100) per issue from the three ingredients above (module doc)."""

    def part(x):
        x = np.log1p(np.asarray(x, dtype=np.float64))
        top = x.max() if x.size else 0.0
        return x / top if top > 0 else np.zeros_like(x)

    if likes is None or not np.any(np.asarray(likes) > 0):
        return 100.0 * (0.625 * part(volume_decayed) + 0.375 * part(callers))
    return 100.0 * (0.5 * part(volume_decayed) + 0.3 * part(callers) + 0.2 * part(likes))


def decay_weights(ages_days: np.ndarray, half_life_days: float) -> np.ndarray:
    return 0.5 ** (np.maximum(np.asarray(ages_days, dtype=np.float64), 0.0) / max(half_life_days, 1e-9))
