"""GET /v1/hotspots: the weekly alert computed from the stored history.

The same engine and the same JSON as ``hotline-nlp hotspots`` (topics.hotspots):
the stored complaints become the canonical frame (``records.to_frame``) and go
through ``weekly_alert`` unchanged, so the API and the CLI cannot disagree.
"""

from __future__ import annotations

import importlib
import json
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from hotline_nlp.service.deps import EngineDep, require_api_key
from hotline_nlp.service.errors import InputError, ServiceError
from hotline_nlp.service.schemas import ErrorOut
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.topics.periods import PeriodError, parse_period

router = APIRouter(prefix="/v1", tags=["hotspots"], dependencies=[Depends(require_api_key)])
ERRORS = {s: {"model": ErrorOut} for s in (401, 422, 503)}
# History read before the week: weekly_alert looks 52 weeks back by default.
HISTORY_DAYS = 400


def _engine():
    """``topics.hotspots`` or a 503 saying it is missing (never a 500)."""
    try:
        mod = importlib.import_module("hotline_nlp.topics.hotspots")
        return mod.weekly_alert, mod
    except (ImportError, AttributeError):
        raise ServiceError(503, "the hotspot engine (hotline_nlp.topics.hotspots.weekly_alert) is not "
                           "available in this build") from None


@router.get("/hotspots", responses=ERRORS, summary="Weekly hotspot alert from the stored complaints")
def hotspots(engine: EngineDep,
             period: Annotated[str, Query(description="An ISO week such as `2024-W20`.", examples=["2024-W20"])]):
    try:
        p = parse_period(period)
    except PeriodError as e:
        raise InputError("period", str(e)) from None
    if p.kind != "week":
        raise InputError("period", f"{period!r} is a {p.kind}; the weekly alert takes an ISO week such as 2024-W20")
    weekly_alert, mod = _engine()
    since = (p.start - pd.Timedelta(days=HISTORY_DAYS)).to_pydatetime()
    frame = rec.to_frame(repo.iter_rows(engine, since=since, until=p.end.to_pydatetime()))
    try:
        alert = weekly_alert(frame, p.label)
    except mod.HotspotError as e:  # e.g. no complaints stored in that week
        raise InputError("period", str(e)) from None
    body = alert.to_json() if hasattr(alert, "to_json") else alert
    # default=str: the engine may hand back timestamps or numpy scalars; the CLI prints the same way.
    return JSONResponse(json.loads(json.dumps(body, ensure_ascii=False, default=str)))
