"""GET /v1/dispatch/accuracy: first-dispatch accuracy per unit and per week.

Read from the store (``store.dispatch_stats``): complaints whose stored
recommendation and assigned unit are both known.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from hotline_nlp.service.deps import READ, EngineDep
from hotline_nlp.service.schemas import ErrorOut
from hotline_nlp.service.store.dispatch_stats import first_dispatch_accuracy

router = APIRouter(prefix="/v1", tags=["dispatch"])
ERRORS = {s: {"model": ErrorOut} for s in (401, 422, 503)}


@router.get(
    "/dispatch/accuracy",
    dependencies=[READ],
    responses=ERRORS,
    summary="First-dispatch accuracy per unit and per week",
)
def dispatch_accuracy(
    engine: EngineDep,
    since: Annotated[
        datetime | None, Query(description="Complaints created at or after (hotline time).")
    ] = None,
    until: Annotated[datetime | None, Query(description="Complaints created before (hotline time).")] = None,
) -> dict:
    """Share of complaints whose recommended unit (智能派单) is the unit they were assigned:
    overall (top-1, top-3), per assigned unit and per ISO week of creation."""
    return first_dispatch_accuracy(engine, since, until)
