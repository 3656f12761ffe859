"""Human corrections: store a label, keep the audit trail, feed the review queue.

A correction changes ``label_level1``/``label_level2`` (the category) and/or
``label_unit`` (the 承办单位), and at once the effective columns that filters,
hotspots and the bulletin read (``level1``/``level2``; the frame's ``unit``).
Every changed field becomes one ``label_changes`` row, written in the same
transaction, so the trail can never miss a change. ``input_hash`` is left
alone: the original post repeated later is still recognised as a repeat.

The review queue is the uncorrected complaints whose tag needs review (the
model's calibrated confidence under its review threshold), least sure first:
uncertainty sampling (a label there teaches the next model the most; a
confident tag mostly confirms what it already knows). 待审 counts that set and
nothing else. When it is done the queue goes on with the other uncorrected
complaints, least confident first, as spot checks the console marks 抽查.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from hotline_nlp.service.store.repository import TABLE, _write_lock, fetch_one
from hotline_nlp.service.store.tables import LabelChange
from sqlalchemy import Engine, func, insert, select, update

CHANGES = LabelChange.__table__
# "labelled_at IS NOT NULL" as a range SQLite answers from the index instead of a table scan.
CORRECTED = TABLE.c.labelled_at > datetime(1900, 1, 1)
UNCORRECTED_TAGGED = (TABLE.c.labelled_at.is_(None), TABLE.c.tag_confidence.is_not(None))  # index-covered
TO_REVIEW = (*UNCORRECTED_TAGGED, TABLE.c.tag_needs_review.is_(True))
# PATCH field -> stored column
FIELDS = {"label_level1": "label_level1", "label_level2": "label_level2", "unit": "label_unit"}


class NotFound(LookupError):
    pass


def correct(engine: Engine, complaint_id: str, values: dict, who: str, now: datetime) -> tuple[dict, int]:
    """Apply ``values`` (a subset of ``FIELDS``; already checked against the
    taxonomy) to one complaint. Returns (the row after, number of fields changed).
    Setting level1 without level2 clears a stale level2 of another level1."""
    lock = _write_lock(engine)
    if lock is not None:
        lock.acquire()
    try:
        with engine.begin() as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.id == complaint_id)).mappings().first()
            if row is None:
                raise NotFound(complaint_id)
            row = dict(row)
            new = {FIELDS[k]: v for k, v in values.items()}
            if "label_level1" in new and "label_level2" not in new:
                if new["label_level1"] != row["label_level1"]:
                    new["label_level2"] = None
            changed = {c: v for c, v in new.items() if v != row[c]}
            if not changed:
                return row, 0
            after = {**row, **changed}
            if after["label_level1"]:
                eff = {"level1": after["label_level1"], "level2": after["label_level2"]}
            else:
                eff = {"level1": after["tag_level1"], "level2": after["tag_level2"]}
            stamp = {"labelled_at": now, "labelled_by": who}
            conn.execute(update(TABLE).where(TABLE.c.id == complaint_id).values(**changed, **eff, **stamp))
            conn.execute(
                insert(CHANGES),
                [
                    {
                        "complaint_id": complaint_id,
                        "field": _field_of(c),
                        "old": row[c],
                        "new": v,
                        "who": who,
                        "at": now,
                    }
                    for c, v in changed.items()
                ],
            )
            return {**after, **eff, **stamp}, len(changed)
    finally:
        if lock is not None:
            lock.release()


def _field_of(column: str) -> str:
    return {v: k for k, v in FIELDS.items()}[column]


def history(engine: Engine, complaint_id: str) -> list[dict]:
    with engine.connect() as conn:
        q = select(CHANGES).where(CHANGES.c.complaint_id == complaint_id).order_by(CHANGES.c.id)
        return [dict(r) for r in conn.execute(q).mappings()]


def n_changes(engine: Engine) -> int:
    """Label audit rows so far: changes whenever any correction is made (a cache
    key of the hotspots, which read categories, never outcomes)."""
    with engine.connect() as conn:
        q = select(func.count()).select_from(CHANGES).where(CHANGES.c.field.in_(list(FIELDS)))
        return int(conn.execute(q).scalar_one())


def review_queue(engine: Engine, *, limit: int = 20, skip: tuple[str, ...] = ()) -> list[dict]:
    """Uncorrected complaints whose tag needs review, least confident first (ties:
    newest first); then, up to ``limit``, the other uncorrected ones (spot checks)."""
    out = _queue(engine, TO_REVIEW, limit, skip)
    if len(out) < limit:
        rest = (*UNCORRECTED_TAGGED, TABLE.c.tag_needs_review.is_not(True))
        out += _queue(engine, rest, limit - len(out), skip)
    return out


def _queue(engine: Engine, conds: tuple, limit: int, skip: tuple[str, ...]) -> list[dict]:
    q = (
        select(TABLE)
        .where(*conds)
        .order_by(TABLE.c.tag_confidence, TABLE.c.created_at.desc(), TABLE.c.id)
        .limit(limit)
    )
    if skip:
        q = q.where(TABLE.c.id.not_in(list(skip)))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def queue_size(engine: Engine) -> int:
    """待审: the complaints ``review_queue`` would show, all of them."""
    with engine.connect() as conn:
        q = select(func.count()).select_from(TABLE).where(*TO_REVIEW)
        return int(conn.execute(q).scalar_one())


def corrected_rows(engine: Engine, since: datetime | None = None):
    """Rows an analyst has confirmed or corrected (``labelled_at`` set), oldest correction first."""
    q = select(TABLE).where(CORRECTED, TABLE.c.label_level1.is_not(None))
    if since is not None:
        q = q.where(TABLE.c.labelled_at >= since)
    with engine.connect() as conn:
        for r in conn.execute(q.order_by(TABLE.c.labelled_at, TABLE.c.id)).mappings():
            yield dict(r)


def weekly_accuracy(engine: Engine) -> list[dict]:
    """Per ISO week of the complaint (created_at): how often the tag the model gave
    when the complaint arrived matched the analyst's label, level 1 and full path.

    The stored tag is what the model in service said at the time, so this is the
    accuracy users saw, week by week: a falling line is drift. Re-predicting with
    today's model would hide it (and flatter a model retrained on these labels)."""
    cols = (
        TABLE.c.created_at,
        TABLE.c.label_level1,
        TABLE.c.label_level2,
        TABLE.c.tag_level1,
        TABLE.c.tag_level2,
        TABLE.c.model_version,
    )
    q = select(*cols).where(CORRECTED, TABLE.c.label_level1.is_not(None), TABLE.c.tag_level1.is_not(None))
    weeks: dict[str, dict] = defaultdict(lambda: {"n": 0, "level1": 0, "path": 0, "models": set()})
    with engine.connect() as conn:
        for created, l1, l2, t1, t2, version in conn.execute(q):
            y, w, _ = created.isocalendar()
            s = weeks[f"{y}-W{w:02d}"]
            s["n"] += 1
            s["level1"] += int(l1 == t1)
            s["path"] += int(l1 == t1 and (l2 or "") == (t2 or ""))
            s["models"].add(version or "")
    return [
        {
            "week": wk,
            "n": s["n"],
            "accuracy_level1": round(s["level1"] / s["n"], 4),
            "accuracy": round(s["path"] / s["n"], 4),
            "model_versions": sorted(v for v in s["models"] if v),
        }
        for wk, s in sorted(weeks.items())
    ]


__all__ = ["FIELDS", "NotFound", "correct", "history", "review_queue", "weekly_accuracy", "fetch_one"]
