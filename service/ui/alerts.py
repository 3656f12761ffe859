"""The week's alert for the console, without making a page wait for it.

The alert replays a year of weekly clustering (seconds to minutes), so a page
never computes it in the request: it shows the cached alert (the API's cache,
``routers.hotspots.AlertCache``), or the last one computed for that week while
a fresh one is computed in a background thread after corrections, or a
"being computed" note that reloads itself.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from hotline_nlp.service.routers.hotspots import alert_job
from hotline_nlp.topics.periods import parse_period
from sqlalchemy import Engine, func, select

log = logging.getLogger("hotline_nlp.service")


def latest_week(engine: Engine) -> str | None:
    """The ISO week of the newest stored complaint: "this week" of the store."""
    from hotline_nlp.service.store.repository import TABLE

    with engine.connect() as conn:
        newest = conn.execute(select(func.max(TABLE.c.created_at))).scalar()
    if newest is None:
        return None
    if isinstance(newest, str):
        newest = datetime.fromisoformat(newest)
    y, w, _ = newest.isocalendar()
    return f"{y}-W{w:02d}"


def get_alert(app, engine: Engine, week: str) -> tuple[dict | None, bool, str | None]:
    """(alert or None, fresh?, error). Starts a background computation when needed."""
    p = parse_period(week)
    cache = app.state.hotspot_cache
    key, compute = alert_job(engine, p)
    hit = cache.peek(key)
    if hit is not None:
        return hit, True, None
    errors = app.state.__dict__.setdefault("ui_alert_errors", {})
    if key in errors:
        return cache.latest(p.label), False, errors[key]
    if not cache.busy(key):

        def run():
            try:
                cache.get_or_compute(key, compute)
            except Exception as e:  # shown on the page; the API reports it itself
                errors[key] = getattr(e, "message", None) or str(e)
                log.warning("console alert %s: %s", week, errors[key])

        threading.Thread(target=run, name=f"alert-{week}", daemon=True).start()
    return cache.latest(p.label), False, None
