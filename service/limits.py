"""Checks on a request that depend on the server's settings: body size, batch
size and text length. They raise ``InputError`` naming the field as the client wrote it
(``items[3].body``), like schema validation does."""

from __future__ import annotations

from hotline_nlp.corpus.text import join_title_body
from hotline_nlp.service.errors import InputError, error_response
from hotline_nlp.service.settings import Settings
from starlette.exceptions import HTTPException


def batch_items(payload, batch_type, settings: Settings) -> tuple[list, bool]:
    """``(items, is_batch)``; a batch over ``max_batch`` is a 413."""
    if isinstance(payload, batch_type):
        if len(payload.items) > settings.max_batch:
            raise InputError(
                "items",
                f"{len(payload.items)} items in one request; the limit is "
                f"{settings.max_batch}: split the batch",
                status=413,
            )
        return list(payload.items), True
    return [payload], False


def texts_of(items, settings: Settings, is_batch: bool) -> list[str]:
    """The text each model reads (title and body joined), length-checked."""
    out = []
    for i, item in enumerate(items):
        text = join_title_body(item.title, item.body_text)
        if not text:
            raise InputError(_field(i, item, is_batch), "complaint text is empty after removing whitespace")
        if len(text) > settings.max_text_chars:
            raise InputError(
                _field(i, item, is_batch),
                f"text is {len(text):,} characters; the limit is {settings.max_text_chars:,}",
            )
        out.append(text)
    return out


def _field(i: int, item, is_batch: bool) -> str:
    name = "text" if item.text is not None else ("body" if item.body is not None else "title")
    return f"items[{i}].{name}" if is_batch else name


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body is too large")


class BodyLimitMiddleware:
    """Refuse a request body over ``max_bytes`` with a JSON 413.

    A declared Content-Length over the limit is refused before a byte is read; a
    chunked body is counted as it arrives and cut off at the limit (the
    ``BodyTooLarge`` raised from ``receive`` reaches the app's 413 handler)."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = error_response(
                413,
                f"request body is too large (limit {self.max_bytes:,} bytes); "
                "send fewer complaints per request",
            )
            await response(scope, receive, send)
            return
        total = 0

        async def limited_receive():
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited_receive, send)


class InFlightLimitMiddleware:
    """At most ``limit`` requests handled at once; above it a JSON 503 with
    ``Retry-After`` at once, instead of a queue that grows until clients time
    out. Health probes are exempt, so a busy server is not taken for a dead one."""

    EXEMPT = ("/healthz", "/readyz")

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit, self.active = app, limit, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            response = error_response(
                503,
                f"the server is busy ({self.limit} requests in progress); retry in a moment",
                code="busy",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        self.active += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
