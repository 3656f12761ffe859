"""POST /v1/classify: tag complaints without storing anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from hotline_nlp.service.deps import READ, ModelDep, SettingsDep
from hotline_nlp.service.limits import batch_items, texts_of
from hotline_nlp.service.schemas import ClassifyBatchIn, ClassifyBatchOut, ClassifyIn, ClassifyOut, ErrorOut
from hotline_nlp.service.store.records import tag_out

router = APIRouter(prefix="/v1", tags=["classify"])
ERRORS = {s: {"model": ErrorOut} for s in (400, 401, 413, 415, 422, 503)}

EXAMPLES = {
    "one": {"summary": "One complaint", "value": {"id": "A1", "text": "小区物业不让安装充电桩"}},
    "many": {
        "summary": "A batch",
        "value": {
            "items": [
                {"id": "A1", "text": "小区物业不让安装充电桩"},
                {"id": "A2", "title": "噪音扰民", "body": "夜间施工噪音"},
            ]
        },
    },
}


@router.post(
    "/classify",
    dependencies=[READ],
    response_model=ClassifyOut | ClassifyBatchOut,
    responses=ERRORS,
    summary="Tag one complaint or a batch (nothing is stored)",
)
def classify(
    payload: Annotated[ClassifyIn, Body(openapi_examples=EXAMPLES)],
    settings: SettingsDep,
    model: ModelDep,
    top_k: Annotated[
        int | None, Query(ge=1, le=20, description="Alternatives to return (default: server setting).")
    ] = None,
):
    """Send ``{"text": ...}`` (or ``title``/``body``) for one complaint, or
    ``{"items": [...]}`` for a batch; the answer has the same shape."""
    items, is_batch = batch_items(payload, ClassifyBatchIn, settings)
    texts = texts_of(items, settings, is_batch)
    districts = [item.district or "" for item in items]
    preds = model.predict(texts, top_k=top_k or settings.top_k, districts=districts)
    out = [
        {"id": item.id, "created_at": item.created_at, **tag_out(p, model)} for item, p in zip(items, preds)
    ]
    if not is_batch:
        return out[0]
    return {"items": out, "model": str(model.name), "model_version": str(model.version)}
