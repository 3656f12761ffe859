"""Liveness and readiness, without the API key (probes carry no secrets)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from hotline_nlp.service.deps import PUBLIC
from hotline_nlp.service.schemas import CheckOut
from hotline_nlp.service.store.db import ping

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", dependencies=[PUBLIC], response_model=CheckOut, summary="Liveness: the process answers"
)
def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[PUBLIC],
    response_model=CheckOut,
    summary="Readiness: model loaded and database reachable",
    responses={503: {"model": CheckOut, "description": "Not ready; `checks` says what is missing."}},
)
def readyz(request: Request):
    checks: dict[str, str] = {}
    holder = request.app.state.models
    model = holder.model if holder is not None else None
    checks["model"] = "ok" if model is not None else "not loaded"
    if holder is not None and holder.last_error:
        checks["model_update"] = f"newest promoted version failed to load: {holder.last_error}"
    engine = request.app.state.engine
    try:
        if engine is None:
            raise RuntimeError("not opened")
        ping(engine)
        checks["database"] = "ok"
    except Exception as e:  # report, never raise: a probe must get an answer
        checks["database"] = f"unavailable ({type(e).__name__})"
    ready = checks["model"] == "ok" and checks["database"] == "ok"
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": checks,
        "model": getattr(model, "name", None),
        "model_version": getattr(model, "version", None),
    }
    if model is not None:
        body["model_version"] = str(model.version)
    return JSONResponse(body, status_code=200 if ready else 503)
