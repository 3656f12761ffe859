"""Reporting periods: parse ``2024H1``, ``2024Q3``, ``2024-05``, ``2024-W20``,
``2024`` or an explicit date range, and find the periods to compare with.

Bulletins compare a period with the one before it (环比) and with the same
period a year earlier (同比); both are derived here so every part of the product
agrees on what "the previous period" of an ISO week or a half-year is.
Periods are half-open: ``start <= t < end``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

_PATTERNS = {
    "week": re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I),
    "half": re.compile(r"^(\d{4})-?H([12])$", re.I),
    "quarter": re.compile(r"^(\d{4})-?Q([1-4])$", re.I),
    "month": re.compile(r"^(\d{4})-(\d{1,2})$"),
    "year": re.compile(r"^(\d{4})$"),
}


class PeriodError(ValueError):
    """A period string that cannot be understood."""


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | half | year | range
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    label: str

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(days=1)

    def contains(self, ts: pd.Series) -> pd.Series:
        return (ts >= self.start) & (ts < self.end)

    def previous(self) -> Period:
        """The period just before (环比): previous week, month, quarter, half, year;
        for a range, the range of the same length ending at its start."""
        if self.kind == "week":
            return week_period(self.start - pd.Timedelta(days=7))
        if self.kind == "range":
            length = self.end - self.start
            return Period(
                "range", self.start - length, self.start, _range_label(self.start - length, self.start)
            )
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]
        return _calendar(self.kind, self.start - pd.DateOffset(months=months))

    def last_year(self) -> Period:
        """The same period a year earlier (同比); ISO week N of the previous ISO year."""
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            try:
                return parse_period(f"{y - 1}-W{w:02d}")
            except PeriodError:  # week 53 in a year that has only 52
                return parse_period(f"{y - 1}-W52")
        if self.kind == "range":
            s, e = self.start - pd.DateOffset(years=1), self.end - pd.DateOffset(years=1)
            return Period("range", s, e, _range_label(s, e))
        return _calendar(self.kind, self.start - pd.DateOffset(years=1))

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "start": self.start.date().isoformat(),
            "end": self.last_day.date().isoformat(),
        }


def _range_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    return f"{start.date().isoformat()}..{(end - pd.Timedelta(days=1)).date().isoformat()}"


def week_period(ts) -> Period:
    """The ISO week (Monday to Sunday) containing ``ts``."""
    ts = pd.Timestamp(ts).normalize()
    start = ts - pd.Timedelta(days=ts.weekday())
    y, w, _ = start.isocalendar()
    return Period("week", start, start + pd.Timedelta(days=7), f"{y}-W{w:02d}")


def week_labels(times: pd.Series) -> list[str]:
    """``week_period(t).label`` for every timestamp, vectorised (a million rows in about a second)."""
    iso = pd.to_datetime(pd.Series(times)).dt.isocalendar()
    return [f"{y}-W{w:02d}" for y, w in zip(iso["year"].to_numpy(), iso["week"].to_numpy())]


def _calendar(kind: str, ts: pd.Timestamp) -> Period:
    y, m = ts.year, ts.month
    if kind == "month":
        s = pd.Timestamp(y, m, 1)
        return Period(kind, s, s + pd.DateOffset(months=1), f"{y}-{m:02d}")
    if kind == "quarter":
        q = (m - 1) // 3 + 1
        s = pd.Timestamp(y, 3 * q - 2, 1)
        return Period(kind, s, s + pd.DateOffset(months=3), f"{y}Q{q}")
    if kind == "half":
        h = 1 if m <= 6 else 2
        s = pd.Timestamp(y, 1 if h == 1 else 7, 1)
        return Period(kind, s, s + pd.DateOffset(months=6), f"{y}H{h}")
    s = pd.Timestamp(y, 1, 1)
    return Period("year", s, s + pd.DateOffset(years=1), f"{y}")


def parse_period(text: str) -> Period:
    """Parse a period name; raise ``PeriodError`` saying which forms are accepted."""
    s = str(text).strip()
    for kind, pat in _PATTERNS.items():
        m = pat.match(s)
        if not m:
            continue
        y = int(m.group(1))
        if kind == "week":
            w = int(m.group(2))
            try:
                monday = datetime.strptime(f"{y}-W{w:02d}-1", "%G-W%V-%u")
            except ValueError:
                raise PeriodError(f"{s!r}: ISO week {w} does not exist in {y}") from None
            if monday.isocalendar()[1] != w:
                raise PeriodError(f"{s!r}: ISO week {w} does not exist in {y}")
            return week_period(monday)
        if kind == "year":
            return _calendar("year", pd.Timestamp(y, 1, 1))
        n = int(m.group(2))
        if kind == "month" and not 1 <= n <= 12:
            raise PeriodError(f"{s!r}: month must be 01-12")
        month = {"half": 6 * (n - 1) + 1, "quarter": 3 * (n - 1) + 1, "month": n}[kind]
        return _calendar(kind, pd.Timestamp(y, month, 1))
    raise PeriodError(
        f"{s!r} is not a period; use 2024 (year), 2024H1 (half), 2024Q3 (quarter), "
        "2024-05 (month) or 2024-W20 (ISO week)"
    )


def date_range(start: str | date, end: str | date) -> Period:
    """An explicit range, both ends inclusive as people write them (``--start/--end``)."""
    try:
        s = pd.Timestamp(start).normalize()
        e = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    except (ValueError, TypeError) as exc:
        raise PeriodError(f"bad date in range {start!r}..{end!r}: {exc}") from None
    if e <= s:
        raise PeriodError(f"range end {end} is before its start {start}")
    return Period("range", s, e, _range_label(s, e))


def week_bounds(week: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """An ISO week label's ``[start, end)``."""
    p = parse_period(week)
    return p.start, p.end


def week_of_day(day: str) -> str:
    """``YYYY-MM-DD`` -> its ISO week label."""
    y, n, _ = pd.Timestamp(day).isocalendar()
    return f"{y}-W{n:02d}"


def weeks_between(start: pd.Timestamp, end: pd.Timestamp) -> list[Period]:
    """The ISO weeks overlapping ``[start, end)``, in order."""
    out, p = [], week_period(start)
    while p.start < end:
        out.append(p)
        p = week_period(p.start + timedelta(days=7))
    return out
