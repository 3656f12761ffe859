"""First-dispatch accuracy from the store: was the recommended unit the one assigned?

Why: platforms report dispatch accuracy as their headline figure, and a wrong
first dispatch costs days (退单/改派). The store keeps the dispatcher's
recommendation (``rec_unit``, migration 0005) beside the unit the complaint was
given (``unit``, or the console's correction ``label_unit`` when a reviewer set
one: the correction is the truth), so the figure can be read per unit and per
ISO week for any period, without re-running the model.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from hotline_nlp.service.store.tables import Complaint
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

TABLE = Complaint.__table__


def _rate(ok: int, n: int) -> dict:
    return {"n": n, "top1": round(ok / n, 4) if n else None}


def first_dispatch_accuracy(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> dict:
    """``{"n", "top1", "top3", "per_unit": {unit: {n, top1}}, "per_week": {"2024-W48": {n, top1}}}``
    over complaints that have both a recommendation and an assigned unit."""
    # the unit it should have gone to: a reviewer's correction (label_unit) if any, else the one assigned
    truth = func.coalesce(func.nullif(TABLE.c.label_unit, ""), func.nullif(TABLE.c.unit, ""))
    conds = [TABLE.c.rec_unit.is_not(None), truth.is_not(None)]
    if since is not None:
        conds.append(TABLE.c.created_at >= since)
    if until is not None:
        conds.append(TABLE.c.created_at < until)
    query = select(TABLE.c.created_at, truth, TABLE.c.rec_unit, TABLE.c.rec_unit_top_k).where(and_(*conds))
    n = ok = ok3 = 0
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_week: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        for created, unit, rec_unit, top_k in conn.execute(query):
            hit = unit == rec_unit
            iso = created.isocalendar()
            week = f"{iso[0]}-W{iso[1]:02d}"
            for bucket in (per_unit[unit], per_week[week]):
                bucket[0] += hit
                bucket[1] += 1
            n += 1
            ok += hit
            ok3 += hit or unit in [t.get("unit") for t in (top_k or [])[:3]]
    return {
        **_rate(ok, n),
        "top3": round(ok3 / n, 4) if n else None,
        "per_unit": {u: _rate(*v) for u, v in sorted(per_unit.items())},
        "per_week": {w: _rate(*v) for w, v in sorted(per_week.items())},
    }
