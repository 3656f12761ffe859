"""Hotline time: complaints are stamped in China Standard Time (UTC+8), stored
as naive local datetimes to the second, as the exports give them.

A low-level module so that the store, the HTTP schemas and the loaders share
one definition without importing each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))


def now_local() -> datetime:
    """Now in China Standard Time, naive, to the second (how the store keeps times)."""
    return datetime.now(CHINA_TZ).replace(tzinfo=None, microsecond=0)
