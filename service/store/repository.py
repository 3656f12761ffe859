"""Reading and writing complaints.

Ingest is idempotent by complaint id: a repeat whose content hash matches the
stored row returns the stored row; a repeat with other content is a conflict,
and a batch with a conflict stores nothing (all or nothing, so a client that
gets a 409 knows exactly what to fix and resend). Tagging runs outside the
write transaction; the transaction only inserts, so writers hold the SQLite
lock for milliseconds.

The one exception to "stored rows never change" is the handling outcome
(``tables.OUTCOME_FIELDS``), which is not hashed: a repeat with the same content
whose outcome fields give values the stored row does not have updates those
fields (the complaint was closed or rated since it was first posted). An
outcome field left out (None) leaves the stored value alone, so retrying the
original post never erases an outcome; there is no way to clear one. Each
changed outcome field is one row of the audit trail (``label_changes``, the
table corrections write to) with the key's name, in the same transaction:
who closed or rated a complaint is never lost.

Every function takes the record dicts produced by ``records.py``; nothing here
knows about HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hotline_nlp.corpus.clock import now_local
from hotline_nlp.service.store import search
from hotline_nlp.service.store.db import is_sqlite
from hotline_nlp.service.store.tables import UPDATABLE_FIELDS, Complaint, LabelChange
from sqlalchemy import Engine, and_, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

TABLE = Complaint.__table__
COLUMNS = [c.name for c in TABLE.columns]
_CHUNK = 500  # ids per IN (...) query: far below every backend's parameter limit
_RETRIES = 5

# Taggers turn texts into tag columns (see records.tag_columns); None = store untagged.
Tagger = Callable[[list[dict]], list[dict]]  # rows (text, district ...) -> tag columns


class ConflictError(Exception):
    """Ids already stored with different content."""

    def __init__(self, ids: list[str]):
        super().__init__(f"{len(ids)} id(s) already stored with different content: {', '.join(ids[:10])}")
        self.ids = ids


@dataclass
class IngestResult:
    records: list[dict]  # stored rows (as they are after this call), in input order
    created: list[bool]  # parallel: True where this call stored the row
    updated: list[bool]  # parallel: True where this call changed the row's outcome fields

    @property
    def n_created(self) -> int:
        return sum(self.created)

    @property
    def n_updated(self) -> int:
        return sum(self.updated)

    def status(self, i: int) -> str:
        """``created``, ``updated`` (outcome changed) or ``existing`` (nothing to do)."""
        return "created" if self.created[i] else "updated" if self.updated[i] else "existing"


_write_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _write_lock(engine: Engine) -> threading.Lock | None:
    """SQLite has one writer at a time; queueing writers on a lock in-process is
    fairer and cheaper than letting them spin on the busy timeout. Other
    processes (a CLI import) still wait on SQLite's own lock."""
    if not is_sqlite(engine):
        return None
    with _locks_guard:
        return _write_locks.setdefault(id(engine), threading.Lock())


def fetch_many(engine: Engine, ids: Iterable[str]) -> dict[str, dict]:
    ids = list(dict.fromkeys(ids))
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            rows = conn.execute(select(TABLE).where(TABLE.c.id.in_(ids[i : i + _CHUNK]))).mappings()
            out.update({r["id"]: dict(r) for r in rows})
    return out


def fetch_one(engine: Engine, complaint_id: str) -> dict | None:
    return fetch_many(engine, [complaint_id]).get(complaint_id)


def ingest(
    engine: Engine,
    records: Sequence[dict],
    tagger: Tagger | None,
    now: datetime | None = None,
    *,
    who: str = "import",
) -> IngestResult:
    """Store ``records`` (unique ids: the router's ``_dedupe`` sees to it) that are
    not stored yet, and update the outcome fields of stored ones where they bring
    new values, stamping ``updated_at`` with ``now`` (default: hotline time now)
    and writing one audit row per changed outcome field in ``who``'s name.

    Raises ``ConflictError`` (nothing stored) if any id is stored with other content.
    Returns only after the commit: what it returns is durable.
    """
    for _attempt in range(_RETRIES):
        existing = fetch_many(engine, (r["id"] for r in records))
        conflicts = [
            r["id"]
            for r in records
            if r["id"] in existing and existing[r["id"]]["input_hash"] != r["input_hash"]
        ]
        if conflicts:
            raise ConflictError(conflicts)
        new = [dict(r) for r in records if r["id"] not in existing]
        changes = {
            r["id"]: c
            for r in records
            if r["id"] in existing and (c := outcome_changes(existing[r["id"]], r))
        }
        stamp = now or now_local()
        changes = {cid: {**c, "updated_at": stamp} for cid, c in changes.items()}
        untagged = [r for r in new if not r.get("tag_level1")]  # an import may bring its tags
        if untagged and tagger is not None:
            for row, tags in zip(untagged, tagger(untagged)):
                row.update(tags)
        new = [_effective(r) for r in new]
        if new or changes:
            try:
                _write(engine, new, changes, _outcome_audit(existing, changes, who, stamp))
            except IntegrityError:
                continue  # another writer stored one of these ids meanwhile: look again
        stored = {r["id"]: r for r in new}
        stored.update({i: {**existing[i], **c} for i, c in changes.items()})
        return IngestResult(
            records=[stored.get(r["id"]) or existing[r["id"]] for r in records],
            created=[r["id"] not in existing for r in records],
            updated=[r["id"] in changes for r in records],
        )
    raise RuntimeError(f"ingest kept colliding with concurrent writers after {_RETRIES} attempts")


def outcome_changes(stored: dict, record: dict) -> dict:
    """The updatable fields (outcome, likes) ``record`` gives (not None) that differ from ``stored``."""
    return {
        f: record[f] for f in UPDATABLE_FIELDS if record.get(f) is not None and record[f] != stored.get(f)
    }


def _effective(row: dict) -> dict:
    """Effective category: the human label when there is one, else the tag."""
    full = {c: row.get(c) for c in COLUMNS}
    if full["label_level1"]:
        full["level1"], full["level2"] = full["label_level1"], full["label_level2"]
    else:
        full["level1"], full["level2"] = full["tag_level1"], full["tag_level2"]
    return full


def audit_text(value) -> str | None:
    """An outcome value as the audit trail's text column holds it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _outcome_audit(existing: dict, changes: dict[str, dict], who: str, at: datetime) -> list[dict]:
    return [
        {
            "complaint_id": cid,
            "field": f,
            "old": audit_text(existing[cid].get(f)),
            "new": audit_text(v),
            "who": who,
            "at": at,
        }
        for cid, fields in changes.items()
        for f, v in fields.items()
        if f != "updated_at"
    ]


def _write(engine: Engine, rows: list[dict], changes: dict[str, dict], audit: list[dict] = ()) -> None:
    """Insert ``rows``, apply the outcome ``changes`` (id -> fields) and write their
    ``audit`` rows in one transaction: a request's inserts, updates and trail land
    together or not at all."""
    lock = _write_lock(engine)
    if lock is not None:
        lock.acquire()
    try:
        with engine.begin() as conn:
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(TABLE), rows[i : i + _CHUNK])
            for cid, values in changes.items():
                conn.execute(update(TABLE).where(TABLE.c.id == cid).values(**values))
            if audit:
                conn.execute(insert(LabelChange.__table__), list(audit))
    finally:
        if lock is not None:
            lock.release()


def _filters(
    since: datetime | None,
    until: datetime | None,
    category: str | None,
    changed_since: datetime | None = None,
    *,
    needs_review: bool | None = None,
    corrected: bool | None = None,
    q: str | None = None,
    id: str | None = None,
    dialect: str = "",
):
    conds = []
    if id is not None:
        conds.append(TABLE.c.id == id)
    if needs_review is not None:
        conds.append(
            TABLE.c.tag_needs_review.is_(True) if needs_review else TABLE.c.tag_needs_review.is_not(True)
        )
    if corrected is not None:  # an analyst corrected or confirmed it
        # a range, not IS NOT NULL, so SQLite answers it from ix_complaints_review
        conds.append(
            TABLE.c.labelled_at > datetime(1900, 1, 1) if corrected else TABLE.c.labelled_at.is_(None)
        )
    if q:  # the console's search box: words of the text (an exact id is looked up first by the caller)
        conds.append(search.text_condition(TABLE.c.text, q.strip(), dialect))  # indexed, see search.py
    if changed_since is not None:  # stored, or outcome updated, at or after it
        conds.append(or_(TABLE.c.received_at >= changed_since, TABLE.c.updated_at >= changed_since))
    if since is not None:
        conds.append(TABLE.c.created_at >= since)
    if until is not None:
        conds.append(TABLE.c.created_at < until)
    if category:
        if " > " in category:
            l1, l2 = (p.strip() for p in category.split(" > ", 1))
            conds.append(and_(TABLE.c.level1 == l1, TABLE.c.level2 == l2))
        else:
            conds.append(TABLE.c.level1 == category.strip())
    return conds


def list_complaints(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    changed_since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    newest_first: bool = False,
    count_cap: int | None = None,
    **flags,
) -> tuple[list[dict], int]:
    """Rows ordered by (created_at, id), and the total matching. ``until`` is exclusive.
    ``flags``: ``needs_review``, ``corrected`` (booleans), ``q`` (id or text words)."""
    conds = _filters(since, until, category, changed_since, dialect=engine.dialect.name, **flags)
    order = (
        (TABLE.c.created_at.desc(), TABLE.c.id.desc()) if newest_first else (TABLE.c.created_at, TABLE.c.id)
    )
    with engine.connect() as conn:
        matching = select(literal(1)).select_from(TABLE).where(*conds)  # index-only where it can be
        if count_cap:  # stop counting there: a text search over a big store need not scan it all
            matching = matching.limit(count_cap)
        total = conn.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
        rows = conn.execute(
            select(TABLE).where(*conds).order_by(*order).limit(limit).offset(offset)
        ).mappings()
        return [dict(r) for r in rows], int(total)


def iter_rows(
    engine: Engine, *, since: datetime | None = None, until: datetime | None = None, batch: int = 5000
):
    """All rows (ordered by created_at, id), streamed in batches, for exports and frames."""
    conds = _filters(since, until, None)
    with engine.connect() as conn:
        result = (
            conn.execution_options(yield_per=batch)
            .execute(select(TABLE).where(*conds).order_by(TABLE.c.created_at, TABLE.c.id))
            .mappings()
        )
        for r in result:
            yield dict(r)


def count(engine: Engine, *, since: datetime | None = None, until: datetime | None = None) -> int:
    """Rows (with created_at in [since, until)). The store only inserts rows and
    updates their outcome fields, which the hotspot engine does not read, so this
    count changes exactly when the hotspot input in the window changes."""
    with engine.connect() as conn:
        q = select(func.count()).select_from(TABLE).where(*_filters(since, until, None))
        return int(conn.execute(q).scalar_one())
