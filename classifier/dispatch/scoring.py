"""How the dispatcher's parts become one score per unit (pure array code).

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

import re
from collections import Counter

import numpy as np
import scipy.sparse as sp

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


def unit_log_scores(
    log_role: np.ndarray,
    log_district: np.ndarray,
    shares: np.ndarray,
    role_of: np.ndarray,
    district_of: np.ndarray,
    group_of: np.ndarray,
    boost: np.ndarray,
) -> np.ndarray:
    """``(n, n_units)`` unnormalised log-scores.

    ``log_role`` (n, n_roles) and ``log_district`` (n, n_districts) are log-probabilities;
    ``shares`` is ``share_table``; ``role_of`` (-1 = unknown role) and ``district_of``
    (-1 = city-wide) index each unit's role and district; ``boost`` (n, n_units) multiplies
    the within-group share of units the text names (1 elsewhere).
    """
    p_d = np.exp(log_district)
    share = np.column_stack([p_d, np.zeros(len(p_d))]) @ shares  # (n, units)
    share = share * boost
    members = sp.csr_matrix(
        (np.ones(len(group_of)), (np.arange(len(group_of)), group_of)),
        shape=(len(group_of), group_of.max() + 1),
    )
    sums = np.asarray(members.T.dot(share.T).T)  # (n, groups): one sparse product, no loop over groups
    share = share / np.maximum(sums[:, group_of], 1e-12)
    out = np.log(np.maximum(share, 1e-12))
    known = role_of >= 0
    out[:, known] += log_role[:, role_of[known]]
    out[:, ~known] = FLOOR
    local = district_of >= 0
    out[:, local] += log_district[:, district_of[local]]
    return out


def name_boost(texts, cores: list[str], factor: float) -> np.ndarray:
    """``factor`` where a text names a unit's core (its street: 振兴), else 1."""
    out = np.ones((len(texts), len(cores)))
    by_core: dict[str, list[int]] = {}
    for j, c in enumerate(cores):
        if c:
            by_core.setdefault(c, []).append(j)
    if not by_core:
        return out
    pattern = re.compile("|".join(map(re.escape, sorted(by_core, key=len, reverse=True))))
    for i, t in enumerate(texts):
        for m in set(pattern.findall(t)):  # one scan per text, whatever the number of units
            out[i, by_core[m]] = factor
    return out


def top_k_metrics(proba: np.ndarray, truth_idx: np.ndarray, jurisdiction_of: list[str]) -> dict:
    """top-1 / top-3 unit accuracy and jurisdiction accuracy of the top unit."""
    order = np.argsort(-proba, axis=1)
    top1 = order[:, 0] == truth_idx
    top3 = (order[:, :3] == truth_idx[:, None]).any(1)
    j = np.asarray(jurisdiction_of)
    return {
        "n": int(len(truth_idx)),
        "top1": round(float(top1.mean()), 4) if len(truth_idx) else 0.0,
        "top3": round(float(top3.mean()), 4) if len(truth_idx) else 0.0,
        "jurisdiction_top1": round(float((j[order[:, 0]] == j[truth_idx]).mean()), 4)
        if len(truth_idx)
        else 0.0,
    }


def per_unit(truth: list[str], pred: list[str]) -> dict:
    """For each true unit: n and share dispatched right first time."""
    n = Counter(truth)
    ok = Counter(t for t, p in zip(truth, pred) if t == p)
    return {u: {"n": n[u], "top1": round(ok[u] / n[u], 4)} for u in sorted(n)}
