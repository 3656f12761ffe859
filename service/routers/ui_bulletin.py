"""The console's bulletin page: build the 专报 for a period from the store and download it.

The same ``bulletin.build_report`` as ``hotline-nlp report``, over the stored
complaints (effective categories, corrected units, outcomes), rendered to DOCX
or HTML in a temporary folder and sent as a download.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from hotline_nlp.service.deps import EngineDep
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.tables import OUTCOME_FIELDS
from hotline_nlp.service.ui.access import FormDep, ViewerDep
from hotline_nlp.service.ui.render import page
from hotline_nlp.topics.periods import PeriodError, parse_period

router = APIRouter(prefix="/ui", include_in_schema=False)
TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


def store_frame(engine, since=None, until=None) -> pd.DataFrame:
    rows = list(repo.iter_rows(engine, since=since, until=until))
    frame = rec.to_frame(rows)
    for f in OUTCOME_FIELDS:
        frame[f] = pd.Series([r[f] for r in rows], dtype="object") if rows else pd.Series(dtype="object")
    return frame


@router.get("/bulletin")
def bulletin_page(request: Request, viewer: ViewerDep, period: str = "", error: str | None = None):
    return page(request, "bulletin.html", viewer, period=period, error=error)


@router.post("/bulletin")
def bulletin_build(request: Request, viewer: ViewerDep, form: FormDep, engine: EngineDep):
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.report import build_report, write_report
    from hotline_nlp.topics.hotspots import emerging_issues

    text = str(form.get("period") or "").strip()
    kind = form.get("format") if form.get("format") in TYPES else "docx"
    try:
        p = parse_period(text)
    except PeriodError as e:
        return page(request, "bulletin.html", viewer, period=text, error=f"时段有误：{e}", status=422)
    since = (p.start - pd.DateOffset(years=1, days=7)).to_pydatetime()  # the 同比 period too
    frame = store_frame(engine, since=since, until=p.end.to_pydatetime())
    try:
        found = emerging_issues(frame, p) if form.get("emerging") == "on" and len(frame) else None
        report = build_report(frame, p, Options(), emerging=found)
    except ValueError as e:
        return page(request, "bulletin.html", viewer, period=text, error=str(e), status=422)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"专报-{p.label}.{kind}"
        write_report(report, out, kind)
        data = out.read_bytes()
    name = quote(f"专报-{p.label}.{kind}")
    return Response(
        data,
        media_type=TYPES[kind],
        headers={
            "Content-Disposition": f"attachment; filename=\"report-{p.label}.{kind}\"; filename*=UTF-8''{name}"
        },
    )
