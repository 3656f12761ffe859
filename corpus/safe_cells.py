"""Spreadsheet-bound outputs: citizen text must never run on an analyst's desktop.

A complaint that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage
return, which some spreadsheet programs skip before reading a formula) becomes a
live formula when a CSV or XLSX is opened in Excel or WPS: ``=HYPERLINK(...)`` is
clickable, DDE payloads can run programs. Following OWASP's CSV-injection
guidance, every text cell that starts with one of those characters is written
with a leading single quote (``'=HYPERLINK(...)``), and CSV text fields are all
quoted so that an embedded separator (``,`` or the ``;`` of European Excel)
cannot start a new cell that begins with a formula.

Plain numbers (``-3``, ``+12.5%``) are left alone: they cannot execute and an
analyst expects them as numbers. JSON/JSONL/Parquet outputs are not spreadsheet
files and keep the original text; the loaders remove the quote again
(``restore``), so a neutralised CSV/XLSX re-imports as the original text.

XLSX cannot hold most C0 control characters at all (openpyxl raises
``IllegalCharacterError``); ``write_xlsx`` removes them and counts them, so a
realistic export can always be written and the caller can say how many cells
were changed.

``write_csv`` and ``write_xlsx`` are the one place every writer of a
spreadsheet goes through (classify, store export, rejects, bulletin figures).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.atomic import atomic_path

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """``'=1+1`` for ``=1+1``; anything else (numbers, non-strings) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value):
    """Undo ``neutralise`` on a cell read back from CSV/XLSX."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col)


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if _is_text(df[c])]


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header neutralised."""
    out = df.copy()
    for c in _text_columns(out):
        out[c] = out[c].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def restore_frame(df: pd.DataFrame) -> pd.DataFrame:
    """In place: every cell and header of an all-string frame read from CSV/XLSX."""
    for c in df.columns:
        col = df[c]
        if _is_text(col) and col.astype(str).str.startswith("'").any():
            df[c] = col.map(restore)
    df.columns = [restore(c) for c in df.columns]
    return df


def strip_illegal_xml(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove the control characters XLSX cannot hold; returns the frame and the
    number of cells changed."""
    out, changed = df.copy(), 0
    for c in _text_columns(out):
        col = out[c]
        hit = col.map(lambda v: isinstance(v, str) and bool(_ILLEGAL_XML.search(v)))
        if hit.any():
            changed += int(hit.sum())
            out[c] = col.map(lambda v: _ILLEGAL_XML.sub("", v) if isinstance(v, str) else v)
    return out, changed


def csv_text(df: pd.DataFrame) -> str:
    """The CSV a spreadsheet may open: neutralised, text fields quoted."""
    return neutralise_frame(df).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)


def write_csv(df: pd.DataFrame, path: str | Path, encoding: str = "utf-8") -> Path:
    """Atomic, neutralised CSV (``utf-8-sig`` where Excel is the expected reader)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        neutralise_frame(df).to_csv(tmp, index=False, encoding=encoding, quoting=csv.QUOTE_NONNUMERIC)
    return path


# Excel's width unit is about one Latin character; a CJK character takes two.
MAX_COLUMN_WIDTH = 60
_WIDTH_SAMPLE_ROWS = 2000


def display_width(value) -> int:
    """Columns ``value`` takes in a spreadsheet cell (CJK and full-width characters count 2)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def column_widths(df: pd.DataFrame) -> list[float]:
    """A width per column that fits its header and (the first rows of) its cells,
    capped so one long complaint does not push the rest off the screen."""
    head = df.head(_WIDTH_SAMPLE_ROWS)
    out = []
    for i, c in enumerate(df.columns):
        cells = [display_width(v) for v in head.iloc[:, i] if v is not None and str(v) != "nan"]
        out.append(min(MAX_COLUMN_WIDTH, max([display_width(c), *cells]) + 2))
    return out


def write_xlsx(df: pd.DataFrame, path: str | Path) -> int:
    """Atomic, neutralised XLSX that reads well when opened: header row frozen,
    column widths set from the content. Returns how many cells lost illegal
    control characters."""
    from openpyxl.utils import get_column_letter

    clean, changed = strip_illegal_xml(neutralise_frame(df))
    buf = io.BytesIO()  # built in memory: a full disk then fails one plain write, not a half-open zip
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        clean.to_excel(xl, index=False)
        sheet = next(iter(xl.sheets.values()))
        sheet.freeze_panes = "A2"
        for i, width in enumerate(column_widths(clean), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return changed
