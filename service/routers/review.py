"""Corrections, their audit trail, the review queue and the live model's accuracy.

``PATCH /v1/complaints/{id}`` stores a human label (analyst keys only); the
category becomes effective at once for filters, hotspots and the bulletin.
``GET /v1/review`` is the queue in uncertainty order, ``GET /v1/metrics``
the tag accuracy on corrected complaints per week (drift).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from hotline_nlp.corpus.clock import CHINA_TZ
from hotline_nlp.service.auth import ApiKey
from hotline_nlp.service.deps import READ, CorrectKey, EngineDep, ModelDep
from hotline_nlp.service.errors import InputError, ServiceError
from hotline_nlp.service.schemas import ComplaintOut, ErrorOut, HistoryOut, LabelsIn
from hotline_nlp.service.store import labels
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo

router = APIRouter(prefix="/v1", tags=["review"])
ERRORS = {s: {"model": ErrorOut} for s in (401, 403, 404, 422, 503)}


def taxonomy_of(model) -> tuple[set[str], set[str]]:
    """(level-1 names, "一级 > 二级" paths) the model was trained on."""
    lab = (getattr(model, "manifest", None) or {}).get("labels", {})
    return set(lab.get("level1", [])), set(lab.get("paths", []))


def check_labels(values: dict, row: dict, model) -> None:
    """422 naming the field when a label is outside the model's taxonomy."""
    level1s, paths = taxonomy_of(model)
    l1 = values["label_level1"] if "label_level1" in values else row["label_level1"] or row["tag_level1"]
    if values.get("label_level1") is not None and level1s and l1 not in level1s:
        raise InputError("label_level1", f"{l1!r} is not a level-1 category of model {model.name}")
    l2 = values.get("label_level2")
    if l2 is not None:
        if not l1:
            raise InputError("label_level2", "a level-2 label needs a level-1 label (label_level1)")
        if paths and f"{l1} > {l2}" not in paths:
            raise InputError(
                "label_level2", f"{l2!r} is not a level-2 category under {l1!r} in model {model.name}"
            )
    if "unit" in values and values["unit"] is not None and not values["unit"].strip():
        raise InputError("unit", "an empty unit; send null to clear a corrected unit")


def now_local() -> datetime:
    return datetime.now(CHINA_TZ).replace(tzinfo=None, microsecond=0)


def apply_correction(engine, model, complaint_id: str, values: dict, who: ApiKey) -> dict:
    """Check and store one correction (shared by the API and the console)."""
    row = repo.fetch_one(engine, complaint_id)
    if row is None:
        raise ServiceError(
            404,
            f"complaint_id: no complaint with id {complaint_id!r}",
            [{"field": "complaint_id", "message": "not in the store"}],
        )
    check_labels(values, row, model)
    try:
        after, _ = labels.correct(engine, complaint_id, values, who.name, now_local())
    except labels.NotFound:
        raise ServiceError(404, f"complaint_id: no complaint with id {complaint_id!r}") from None
    return after


@router.patch(
    "/complaints/{complaint_id}",
    response_model=ComplaintOut,
    responses=ERRORS,
    summary="Correct a complaint's category and/or unit (analyst keys)",
)
def patch_one(
    complaint_id: Annotated[str, Path(max_length=128)],
    body: LabelsIn,
    engine: EngineDep,
    model: ModelDep,
    who: CorrectKey,
):
    """Send any subset of ``label_level1``, ``label_level2``, ``unit``. Labels must be in
    the live model's taxonomy (else 422 naming the field). Each changed field is written
    to the audit trail with the key's name; a level-1 change without a level 2 clears
    the old level 2. Sending the current tag as the label confirms it."""
    values = body.model_dump(exclude_unset=True)
    if not values:
        raise InputError("body", "nothing to change: send label_level1, label_level2 and/or unit")
    return rec.to_out(apply_correction(engine, model, complaint_id, values, who))


@router.get(
    "/complaints/{complaint_id}/history",
    dependencies=[READ],
    response_model=HistoryOut,
    responses=ERRORS,
    summary="The audit trail of one complaint",
)
def history(complaint_id: Annotated[str, Path(max_length=128)], engine: EngineDep):
    if repo.fetch_one(engine, complaint_id) is None:
        raise ServiceError(404, f"complaint_id: no complaint with id {complaint_id!r}")
    return {"items": labels.history(engine, complaint_id)}


@router.get(
    "/review",
    dependencies=[READ],
    response_model=list[ComplaintOut],
    responses=ERRORS,
    summary="The review queue",
)
def review(engine: EngineDep, limit: Annotated[int, Query(ge=1, le=200)] = 20):
    """Uncorrected complaints whose tag needs review, the least confident first
    (uncertainty sampling: a label there teaches the next model the most), then
    the other uncorrected ones (spot checks). ``/v1/metrics``' ``review_queue`` counts
    the first kind only."""
    return [rec.to_out(r) for r in labels.review_queue(engine, limit=limit)]


@router.get(
    "/metrics",
    dependencies=[READ],
    responses=ERRORS,
    summary="Tag accuracy on corrected complaints, per week",
)
def metrics(engine: EngineDep, model: ModelDep):
    """For each ISO week (of the complaints), how often the tag given on arrival
    matched the analyst's label. A falling line means the model is drifting."""
    weeks = labels.weekly_accuracy(engine)
    n = sum(w["n"] for w in weeks)
    correct = sum(round(w["accuracy"] * w["n"]) for w in weeks)
    return {
        "model": str(model.name),
        "model_version": str(model.version),
        "corrected": n,
        "accuracy": round(correct / n, 4) if n else None,
        "review_queue": labels.queue_size(engine),
        "weeks": weeks,
    }
