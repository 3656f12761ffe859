"""GET /v1/hotspots: the weekly alert computed from the stored history.

The same computation and the same JSON as ``hotline-nlp hotspots`` (topics.hotspots):
the stored complaints become the canonical frame (``records.to_frame``) and go
through ``weekly_alert`` unchanged, so the API and the CLI cannot disagree.

The alert replays a year of weekly clustering, which takes seconds to tens of
seconds, so answers are cached per week. The store only ever inserts, so the
number of complaints in the week's window is an exact fingerprint of its
content: a new complaint in the window makes the next request recompute.
Concurrent requests for the same week wait for one computation.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from hotline_nlp.service.deps import READ, EngineDep
from hotline_nlp.service.errors import InputError
from hotline_nlp.service.schemas import ErrorOut, PlainStr
from hotline_nlp.service.store import labels
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.topics.hotspots import HotspotConfig, HotspotError, weekly_alert
from hotline_nlp.topics.periods import PeriodError, parse_period

router = APIRouter(prefix="/v1", tags=["hotspots"])
ERRORS = {s: {"model": ErrorOut} for s in (401, 422, 503)}
# History read before the week: the alert's default history, plus a margin.
HISTORY_DAYS = HotspotConfig().history_weeks * 7 + 8
CACHE_SIZE = 32


class AlertCache:
    """(week, rows in window) -> alert JSON; one computation per key at a time."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._data: OrderedDict[tuple, dict] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()
        self._latest: dict = {}  # week -> the newest value computed for it (maybe stale)

    def peek(self, key: tuple) -> dict | None:
        """The cached value, or None (never computes): for pages that must not wait."""
        with self._guard:
            return self._data.get(key)

    def latest(self, week: str) -> dict | None:
        """The newest alert computed for ``week``, even if corrections made it stale."""
        with self._guard:
            return self._latest.get(week)

    def busy(self, key: tuple) -> bool:
        """A computation for ``key`` is under way."""
        with self._guard:
            lock = self._locks.get(key)
            return lock is not None and lock.locked()

    def get_or_compute(self, key: tuple, compute) -> dict:
        with self._guard:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._data:
                    return self._data[key]
            value = compute()
            with self._guard:
                self._data[key] = value
                self._latest[key[0]] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._locks.pop(key, None)
            return value


def alert_key(engine, week: str, since, until) -> tuple:
    """What the week's alert depends on: the rows in its window and, since analysts
    correct categories, the number of corrections made so far."""
    return (week, repo.count(engine, since=since, until=until), labels.n_changes(engine))


@router.get(
    "/hotspots",
    dependencies=[READ],
    responses=ERRORS,
    summary="Weekly hotspot alert from the stored complaints",
)
def hotspots(
    request: Request,
    engine: EngineDep,
    period: Annotated[PlainStr, Query(description="An ISO week such as `2024-W20`.", examples=["2024-W20"])],
):
    """The JSON of `hotline-nlp hotspots` for that week, computed from the store.
    The first request for a week can take tens of seconds; repeats are cached
    until a complaint is added to the week's window."""
    try:
        p = parse_period(period)
    except PeriodError as e:
        raise InputError("period", str(e)) from None
    if p.kind != "week":
        raise InputError(
            "period", f"{period!r} is a {p.kind}; the weekly alert takes an ISO week such as 2024-W20"
        )
    cache: AlertCache = request.app.state.hotspot_cache
    key, compute = alert_job(engine, p)
    return JSONResponse(cache.get_or_compute(key, compute))


def window_of(p) -> tuple:
    """(since, until) of the rows the alert of week ``p`` reads."""
    return (p.start - pd.Timedelta(days=HISTORY_DAYS)).to_pydatetime(), p.end.to_pydatetime()


def alert_job(engine, p) -> tuple[tuple, object]:
    """(cache key, computation) of week ``p``'s alert: the API and the console share both."""
    since, until = window_of(p)

    def compute() -> dict:
        frame = rec.to_frame(repo.iter_rows(engine, since=since, until=until))
        try:
            alert = weekly_alert(frame, p.label)
        except HotspotError as e:  # e.g. no complaints stored in that week
            raise InputError("period", str(e)) from None
        # default=str: the alert may hand back timestamps or numpy scalars; the CLI prints the same way.
        return json.loads(json.dumps(alert, ensure_ascii=False, default=str))

    return alert_key(engine, p.label, since, until), compute
