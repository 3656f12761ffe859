"""Operator label noise: a few complaints filed under a plausible neighbouring category.

Why: call-centre operators label under time pressure, from a drop-down of a
hundred boxes; audits of real hotline data find a few per cent of records in a
neighbouring box (a sibling sub-category, or the category a bridge text could
also belong to). A demo corpus with perfectly clean labels makes a tagger's
cross-validated accuracy and its calibrated confidence meaningless.

The noise is recorded, not hidden: ``demo_label_noise.json`` lists every relabelled
row with the generator's label, so tests and benchmarks can measure a model
against either. The planted issue is never touched (neither relabelled nor a
target), so its answer key stays exact.
"""

from __future__ import annotations

import random

from devtools.synth import catalog, planted
from devtools.synth.bridges import neighbours
from devtools.synth.phrasing import Topic

NOISE_RATE = 0.04  # share of eligible complaints relabelled
SIBLING_SHARE = (
    0.6  # of the relabelled: a sibling sub-category; the rest a bridge neighbour (often another parent)
)
_PLANTED = (planted.LEVEL1, planted.LEVEL2)


def _in_season(topic: Topic, month: int) -> bool:
    return topic.season[month - 1] >= 0.3  # nobody files 暖气不热 in July, even by mistake


def neighbour(level1: str, level2: str, month: int, rng: random.Random) -> tuple[str, str] | None:
    """A plausible wrong label for a complaint labelled ``level1 > level2`` in ``month``."""
    group, _ = catalog.lookup(level1, level2)
    siblings = [
        (level1, t.level2)
        for t in group.topics
        if t.level2 != level2 and t.share > 0 and _in_season(t, month)
    ]
    across = [
        p
        for p in neighbours().get((level1, level2), [])
        if p[0] != level1 and p != _PLANTED and _in_season(catalog.lookup(*p)[1], month)
    ]
    pools = [pool for pool in ((siblings, SIBLING_SHARE), (across, 1 - SIBLING_SHARE)) if pool[0]]
    if not pools:
        return None
    pool = rng.choices([p for p, _ in pools], [w for _, w in pools])[0]
    return rng.choice(pool)


def relabel(rows, rng: random.Random, rate: float = NOISE_RATE) -> list:
    """Relabel about ``rate`` of the eligible rows in place; returns the relabelled rows.

    Each row needs ``group``, ``topic``, ``created`` and ``noisy_from`` (set here to
    the generator's label); rows of the planted topic are never picked.
    """
    eligible = [r for r in rows if (r.group.level1, r.topic.level2) != _PLANTED]
    picks = sorted(rng.sample(range(len(eligible)), round(rate * len(eligible))))
    changed = []
    for i in picks:
        row = eligible[i]
        target = neighbour(row.group.level1, row.topic.level2, row.created.month, rng)
        if target is None:
            continue
        row.noisy_from = (row.group.level1, row.topic.level2)
        row.group, row.topic = catalog.lookup(*target)
        changed.append(row)
    return changed
