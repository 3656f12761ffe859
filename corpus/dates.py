"""Read the dates Chinese 12345 exports actually contain.

Besides ISO dates (``2024-05-01 08:00``, ``2024/5/1``) the platforms write
``2024年5月1日``, ``2024年05月01日 08时00分``, and a CSV saved from Excel may
carry the date as Excel's serial number (``45413`` = 2024-05-01). All of these
are read.

``01/05/2024`` is the 1st of May in a Chinese or European export and the 5th
of January in an American one; guessing wrong shifts complaints across weeks
and months without a word. So the order is never guessed per value: it is the
explicit ``dayfirst`` choice (``--dayfirst`` / ``--monthfirst``), or, when not
given, inferred from the column itself (a value like ``25/05/2024`` can only be
day-first); when the column does not tell, each ambiguous value becomes a
reject saying how to choose.
"""

from __future__ import annotations

import re

import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (after its 1900 leap-year bug)
EXCEL_SERIAL_RANGE = (18_264, 73_051)  # 1950-01-01 .. 2099-12-31: a 5-digit number in it is a date
_CN = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*(\d{1,2})\s*[时点:：]\s*(?:(\d{1,2})\s*[分:：]?\s*(?:(\d{1,2})\s*秒?)?)?)?"
)
_SERIAL = re.compile(r"\d{5}(\.\d+)?")
_DMY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(\s.*)?")

AMBIGUOUS = "ambiguous day/month order"


def _chinese(v: str) -> str | None:
    m = _CN.fullmatch(v)
    if not m:
        return None
    y, mo, d, h, mi, s = m.groups()
    out = f"{y}-{int(mo):02d}-{int(d):02d}"
    if h is not None:
        out += f" {int(h):02d}:{int(mi or 0):02d}:{int(s or 0):02d}"
    return out


def _dmy_parts(v: str):
    m = _DMY.fullmatch(v)
    if not m:
        return None
    a, _, b, y, rest = m.groups()
    y = f"20{y}" if len(y) == 2 else y
    return int(a), int(b), y, (rest or "")


def infer_dayfirst(values) -> bool | None:
    """True/False when some value of the column can only be read one way
    (and none contradicts it); None when the column does not say."""
    day = month = False
    for v in values:
        p = _dmy_parts(v)
        if p:
            day |= p[0] > 12 >= p[1]
            month |= p[1] > 12 >= p[0]
    return day if day != month else None


def parse_dates(raw: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, dict[int, str], list[str]]:
    """Parse a column of date strings.

    Returns ``(parsed, problems, notes)``: ``parsed`` is datetime64 (NaT where
    empty or unreadable), ``problems`` maps the position of a value that cannot
    be read safely to why (ambiguous order), ``notes`` say what was inferred.
    """
    values = raw.fillna("").astype(str).str.strip()
    notes: list[str] = []
    order = dayfirst
    if order is None:
        order = infer_dayfirst(values.unique())
        if order is not None:
            notes.append(
                f"dates like dd/mm/yyyy read {'day' if order else 'month'}-first "
                "(the column has values that can only be read that way)"
            )
    problems: dict[int, str] = {}
    serial: dict[int, pd.Timestamp] = {}
    rewritten = values.copy()
    n_serial = 0
    for i, v in enumerate(values):
        if not v:
            continue
        cn = _chinese(v)
        if cn is not None:
            rewritten.iat[i] = cn
            continue
        if _SERIAL.fullmatch(v) and EXCEL_SERIAL_RANGE[0] <= float(v) <= EXCEL_SERIAL_RANGE[1]:
            serial[i] = (EXCEL_EPOCH + pd.to_timedelta(float(v), unit="D")).round("s")
            n_serial += 1
            continue
        p = _dmy_parts(v)
        if p is None:
            continue
        a, b, y, rest = p
        if a != b and a <= 12 and b <= 12 and order is None:
            problems[i] = f"{AMBIGUOUS} in {v!r}; pass --dayfirst or --monthfirst"
            rewritten.iat[i] = ""
            continue
        d, mo = (a, b) if (order or a > 12) and not b > 12 else (b, a)
        rewritten.iat[i] = f"{y}-{mo:02d}-{d:02d}{rest}"
    parsed = pd.to_datetime(rewritten.where(rewritten != ""), errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    if serial:
        parsed = parsed.astype("datetime64[ns]")
        for i, ts in serial.items():
            parsed.iat[i] = ts
    if n_serial:
        notes.append(
            f"{n_serial} dates were Excel serial numbers (e.g. 45413 = 2024-05-01) and were converted"
        )
    return parsed, problems, notes
