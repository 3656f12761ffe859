"""Array helpers of the dispatcher: the within-group share table, per-unit accuracy.

A unit is (jurisdiction, function). Its *role* is what a text classifier can
learn across districts: the function alone for a district office ("住建": every
district has one), the unit's own function at city level for a city-wide unit
("市直|供热"). So

    P(unit) ~ P(role | text, category) x P(district | places) x share(unit | its group, district)

where the district factor applies to district units only, a group is the units
with the same jurisdiction and role (two heating companies, two street offices
of one district), and the share within a group comes from how often each was
used for complaints from each district, boosted when the text names a street
unit's own street. A unit in the directory that training never saw gets its
score from its role and district, which other units taught.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

FLOOR = -1e4  # log-score of a unit whose role the classifier never learned


def share_table(unit_idx, row_district_idx, group_of, n_districts: int, smooth: float = 1.0) -> np.ndarray:
    """``(n_districts + 1, n_units)``: share of each unit inside its group, per district
    of the complaint (last row: district unknown). Rows are training rows'
    (unit, district) pairs; district -1 means unknown."""
    n_units = len(group_of)
    group_of = np.asarray(group_of)
    n_groups = int(group_of.max()) + 1 if n_units else 0
    cnt = np.zeros((n_districts + 1, n_units))
    for u, d in zip(unit_idx, row_district_idx):
        cnt[d if d >= 0 else n_districts, u] += 1
    unit_total = cnt.sum(0)
    group_total = np.bincount(group_of, weights=unit_total, minlength=n_groups)
    group_size = np.bincount(group_of, minlength=n_groups)
    marginal = (unit_total + 0.5) / (group_total[group_of] + 0.5 * group_size[group_of])
    by_group_d = np.zeros((n_districts + 1, n_groups))
    for g in range(n_groups):
        by_group_d[:, g] = cnt[:, group_of == g].sum(1)
    return (cnt + smooth * marginal) / (by_group_d[:, group_of] + smooth)


def per_unit(truth: list[str], pred: list[str]) -> dict:
    """For each true unit: n and share dispatched right first time."""
    n = Counter(truth)
    ok = Counter(t for t, p in zip(truth, pred) if t == p)
    return {u: {"n": n[u], "top1": round(ok[u] / n[u], 4)} for u in sorted(n)}
