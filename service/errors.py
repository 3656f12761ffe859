"""One error format for every failure, and no stack trace in any response.

Every error body is ``{"error": {"status", "code", "message", "errors": [{"field",
"message"}]}}`` where ``field`` is written the way a client would find it in
its own request (``items[3].created_at``, ``since``). Validation problems are
422 (400 for a body that is not JSON at all); anything unexpected is logged
with its traceback on the server and answered with a bare 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from hotline_nlp.service.schemas import UNION_TAGS
from starlette.exceptions import HTTPException

log = logging.getLogger("hotline_nlp.service")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    503: "unavailable",
}


class InputError(Exception):
    """A request problem found after schema validation (a limit, a duplicate)."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


class ServiceError(Exception):
    """A request that is valid but cannot be served (conflict, not ready)."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.errors, self.code = status, message, errors or [], code


def error_response(
    status: int,
    message: str,
    errors: list[dict] | None = None,
    code: str | None = None,
    headers: dict | None = None,
) -> JSONResponse:
    body = {
        "status": status,
        "code": code or _CODES.get(status, "error"),
        "message": message,
        "errors": errors or [],
    }
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def field_name(loc: tuple | list) -> str:
    """``("body", "batch", "items", 3, "text")`` -> ``items[3].text``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
        if where == "body" and parts and parts[0] in UNION_TAGS:
            parts.pop(0)
        if not parts:
            return "body" if where == "body" else where
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def _validation_message(err: dict) -> str:
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "json_invalid":
        return f"body is not valid JSON ({(err.get('ctx') or {}).get('error', 'decode error')} at character {err['loc'][-1]})"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field (not part of the API; check the spelling)"
    if err.get("type") == "missing":
        msg = "required field is missing"
    return msg


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errs):
        e = next(e for e in errs if e.get("type") == "json_invalid")
        return error_response(
            400, _validation_message(e), [{"field": "body", "message": _validation_message(e)}]
        )
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if (
        request.method in ("POST", "PUT", "PATCH")
        and has_body
        and not (ctype == "application/json" or ctype.endswith("+json"))
        and any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errs)
    ):
        return error_response(415, "send the body as JSON with Content-Type: application/json")
    details = [{"field": field_name(e.get("loc", ())), "message": _validation_message(e)} for e in errs[:50]]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    if len(details) > 5:
        summary += f"; and {len(errs) - 5} more"
    return error_response(422, summary, details)


async def _on_input(request: Request, exc: InputError) -> JSONResponse:
    return error_response(
        exc.status, f"{exc.field}: {exc.message}", [{"field": exc.field, "message": exc.message}]
    )


async def _on_service(request: Request, exc: ServiceError) -> JSONResponse:
    return error_response(exc.status, exc.message, exc.errors, exc.code)


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 413:
        settings = getattr(request.app.state, "settings", None)
        limit = f" (limit {settings.max_body_bytes:,} bytes)" if settings else ""
        detail = f"request body is too large{limit}; send fewer complaints per request"
    return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error; the server log has the details", code="internal")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(InputError, _on_input)
    app.add_exception_handler(ServiceError, _on_service)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
