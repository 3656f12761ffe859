"""/v1/complaints: ingest (tag and store, or update a stored complaint's
outcome), fetch one, list by time and category."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from hotline_nlp.corpus.clock import now_local
from hotline_nlp.service.deps import READ, EngineDep, IngestKey, ModelDep, SettingsDep
from hotline_nlp.service.errors import InputError, ServiceError
from hotline_nlp.service.limits import batch_items, texts_of
from hotline_nlp.service.schemas import (
    MAX_OFFSET,
    ComplaintBatchIn,
    ComplaintBatchOut,
    ComplaintIngestOut,
    ComplaintListOut,
    ComplaintOut,
    ErrorOut,
    IngestIn,
    PlainStr,
    parse_local_datetime,
)
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.tables import UPDATABLE_FIELDS

router = APIRouter(prefix="/v1", tags=["complaints"])
ERRORS = {s: {"model": ErrorOut} for s in (400, 401, 409, 413, 415, 422, 503)}

EXAMPLES = {
    "one": {
        "summary": "One complaint",
        "value": {
            "id": "20240513000123",
            "created_at": "2024-05-13T09:30:00",
            "title": "物业阻挠安装充电桩",
            "body": "小区物业以安全为由不让业主安装新能源汽车充电桩。",
            "district": "兴隆台区",
        },
    },
    "many": {
        "summary": "A batch",
        "value": {
            "items": [
                {
                    "id": "20240513000123",
                    "created_at": "2024-05-13T09:30:00",
                    "text": "小区物业不让安装充电桩",
                }
            ]
        },
    },
    "outcome": {
        "summary": "The same complaint again, now closed and rated (updates the outcome)",
        "value": {
            "id": "20240513000123",
            "created_at": "2024-05-13T09:30:00",
            "title": "物业阻挠安装充电桩",
            "body": "小区物业以安全为由不让业主安装新能源汽车充电桩。",
            "district": "兴隆台区",
            "closed": True,
            "satisfaction": "满意",
            "on_time": True,
            "revisited": True,
            "stars": 3,
        },
    },
}


def _outcome(r: dict) -> tuple:
    return tuple(r[f] for f in UPDATABLE_FIELDS)


def _dedupe(records: list[dict], is_batch: bool) -> list[dict]:
    """The same id twice in one batch is fine when identical (outcome included),
    an error otherwise: a batch has no "later" item to win."""
    first: dict[str, int] = {}
    unique = []
    for i, r in enumerate(records):
        j = first.get(r["id"])
        if j is None:
            first[r["id"]] = i
            unique.append(r)
        elif records[j]["input_hash"] != r["input_hash"] or _outcome(records[j]) != _outcome(r):
            what = "content" if records[j]["input_hash"] != r["input_hash"] else "outcome fields"
            raise InputError(
                f"items[{i}].id" if is_batch else "id",
                f"id {r['id']!r} appears twice in this batch with different {what} (first at items[{j}])",
            )
    return unique


@router.post(
    "/complaints",
    response_model=ComplaintIngestOut | ComplaintBatchOut,
    status_code=201,
    responses={
        200: {
            "description": "Every complaint was already stored (idempotent repeat, or "
            "an update of outcome fields)."
        },
        **ERRORS,
    },
    summary="Tag and store one complaint or a batch; update a stored one's outcome",
)
def ingest(
    payload: Annotated[IngestIn, Body(openapi_examples=EXAMPLES)],
    response: Response,
    settings: SettingsDep,
    engine: EngineDep,
    model: ModelDep,
    who: IngestKey,
):
    """Each complaint is tagged and committed before the answer: a 2xx means
    stored. Repeating an id with the same content returns the stored record
    (200); with different content it is a 409 and nothing in the batch is stored.

    The outcome fields (``closed``, ``satisfaction``, ``on_time``, ``revisited``,
    ``stars``) are not "content": a repeat that gives outcome values the stored
    record lacks or has otherwise updates them (200, ``status: "updated"``);
    null or missing ones leave the stored values alone. Every record answered
    has a ``status``: ``created``, ``updated`` or ``existing``; the answer is a
    201 when at least one complaint was created."""
    items, is_batch = batch_items(payload, ComplaintBatchIn, settings)
    texts_of(items, settings, is_batch)  # length checks
    now = now_local()
    records = [rec.from_api(item, now) for item in items]
    unique = _dedupe(records, is_batch)
    try:
        result = repo.ingest(engine, unique, rec.model_tagger(model, settings.top_k), now, who=who.name)
    except repo.ConflictError as e:
        pos = {r["id"]: i for i, r in enumerate(records)}
        errors = [
            {
                "field": f"items[{pos[i]}].id" if is_batch else "id",
                "message": f"id {i!r} is already stored with different content",
            }
            for i in e.ids
        ]
        named = "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ServiceError(409, f"{named}{more}; nothing from this request was stored", errors) from None
    by_id = {
        r["id"]: {**rec.to_out(row), "status": result.status(i)}
        for i, (r, row) in enumerate(zip(unique, result.records))
    }
    outs = [by_id[r["id"]] for r in records]
    created, updated = result.n_created, result.n_updated
    response.status_code = 201 if created else 200
    if not is_batch:
        return outs[0]
    return {
        "items": outs,
        "created": created,
        "updated": updated,
        "existing": len(unique) - created - updated,
    }


@router.get(
    "/complaints/{complaint_id}",
    dependencies=[READ],
    response_model=ComplaintOut,
    responses=ERRORS,
    summary="One stored complaint with its tags",
)
def get_one(complaint_id: Annotated[PlainStr, Path(max_length=128)], engine: EngineDep):
    row = repo.fetch_one(engine, complaint_id)
    if row is None:
        raise ServiceError(
            404,
            f"complaint_id: no complaint with id {complaint_id!r}",
            [{"field": "complaint_id", "message": "not in the store"}],
        )
    return rec.to_out(row)


def _bound(value: str | None, field: str, end: bool) -> datetime | None:
    """A date means the whole day: ``until=2024-05-19`` includes the 19th."""
    if value is None:
        return None
    try:
        dt = parse_local_datetime(value, field)
    except ValueError as e:
        raise InputError(field, str(e)) from None
    date_only = len(value.strip()) == 10
    if end:
        return dt + timedelta(days=1) if date_only else dt + timedelta(microseconds=1)
    return dt


@router.get(
    "/complaints",
    dependencies=[READ],
    response_model=ComplaintListOut,
    responses=ERRORS,
    summary="Stored complaints by acceptance time and category",
)
def list_all(
    engine: EngineDep,
    settings: SettingsDep,
    since: Annotated[
        PlainStr | None, Query(description="From this date or time (inclusive), ISO 8601.")
    ] = None,
    until: Annotated[
        PlainStr | None, Query(description="Up to this date (the whole day) or time (inclusive).")
    ] = None,
    category: Annotated[
        PlainStr | None, Query(max_length=201, description="`一级` or `一级 > 二级` (effective category).")
    ] = None,
    changed_since: Annotated[
        PlainStr | None,
        Query(
            description=(
                "Only complaints stored or whose outcome changed at or after this time (hotline time, ISO 8601): "
                "poll with the time of your last sync to pick up new rows and late outcomes alike."
            )
        ),
    ] = None,
    needs_review: Annotated[
        bool | None,
        Query(description="Only complaints whose tag was (true) or was not (false) flagged for review."),
    ] = None,
    corrected: Annotated[
        bool | None, Query(description="Only complaints an analyst has (true) or has not (false) corrected.")
    ] = None,
    limit: Annotated[int, Query(ge=1, description="Page size (at most the server's max_list_limit).")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    if limit > settings.max_list_limit:
        raise InputError("limit", f"at most {settings.max_list_limit}, got {limit}")
    lo, hi = _bound(since, "since", end=False), _bound(until, "until", end=True)
    if lo is not None and hi is not None and lo >= hi:
        raise InputError("since", f"since ({since}) is after until ({until})")
    changed = _bound(changed_since, "changed_since", end=False)
    rows, total = repo.list_complaints(
        engine,
        since=lo,
        until=hi,
        category=category,
        changed_since=changed,
        limit=limit,
        offset=offset,
        needs_review=needs_review,
        corrected=corrected,
    )
    nxt = offset + len(rows)
    return {
        "items": [rec.to_out(r) for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": nxt if nxt < total else None,
    }
