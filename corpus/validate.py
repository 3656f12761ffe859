"""Row-level validation: turn raw string columns into a clean canonical frame.

Each problem is one reject line naming the row, the complaint id, the column and
what is wrong, so that an analyst can open the export, go to that row and fix
it. A row with any problem is rejected whole (a complaint with a broken date
would silently fall out of a weekly count otherwise); the caller decides what
to do with the rejects file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hotline_nlp.corpus.columns import ColumnMap
from hotline_nlp.corpus.dates import parse_dates
from hotline_nlp.corpus.text import clean, join_title_body

REJECT_COLUMNS = ["row", "id", "column", "problem", "value"]
_TRUE = {"是", "1", "true", "yes", "y", "t", "已办结", "办结", "按时", "有效"}
_FALSE = {"否", "0", "false", "no", "n", "f", "未办结", "超时", "无效"}
# Cells that say "no value" in the words of Excel, pandas, SQL or a person:
# read as missing (and counted in a note), never as a category or a unit name.
MISSING_MARKERS = frozenset(
    {
        "nan",
        "null",
        "none",
        "#n/a",
        "n/a",
        "na",
        "#na",
        "nil",
        "undefined",
        "<na>",
        "nat",
        "-",
        "--",
        "—",
        "/",
    }
)
PATH_SEPARATORS = (" > ", ">", "/", "-", "－", "—")


@dataclass(frozen=True)
class Limits:
    """Bounds on one complaint, and how to read what an export leaves open. 20,000 characters is ~10x the longest real
    message we have seen; anything longer is an export error (a whole thread
    pasted into one cell), not a complaint."""

    max_text_chars: int = 20_000
    # dd/mm/yyyy vs mm/dd/yyyy: True/False is the user's explicit choice; None
    # infers it from the column and rejects the values it cannot tell (corpus.dates)
    dayfirst: bool | None = None


def _reject(out: list[dict], row, rid, column, problem, value="") -> None:
    v = "" if value is None else str(value)
    out.append({"row": row, "id": rid, "column": column, "problem": problem, "value": v[:80]})


def parse_flag(value: str) -> bool | None:
    """One yes/no cell (是/否, 已办结, true, 1 ...) -> True/False; None when it is
    neither. The same words the loader reads, so the HTTP API accepts what the
    exports write."""
    low = str(value).strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def blank_missing(values: pd.Series, column: str, notes: list[str]) -> pd.Series:
    """Cleaned values with the missing markers (``NaN``, ``NULL``, ``#N/A`` ...)
    replaced by ""; a note names the column and how many."""
    hit = values.str.strip().str.lower().isin(MISSING_MARKERS)
    if hit.any():
        seen = ", ".join(repr(v) for v in values[hit].unique()[:5])
        notes.append(f"{column}: {int(hit.sum())} cell(s) like {seen} read as missing")
        return values.where(~hit, "")
    return values


def _parse_bool(values: pd.Series) -> pd.Series:
    low = values.str.strip().str.lower()
    res = pd.Series(pd.NA, index=values.index, dtype="boolean")
    res[low.isin(_TRUE)] = True
    res[low.isin(_FALSE)] = False
    return res


def split_path(value: str) -> tuple[str, str]:
    """``"物业管理 > 物业服务管理"`` -> ("物业管理", "物业服务管理"); one level -> (value, "")."""
    v = clean(value)
    for sep in PATH_SEPARATORS:
        if sep in v:
            a, b = v.split(sep, 1)
            return a.strip(), b.strip()
    return v, ""


def validate_rows(
    df: pd.DataFrame,
    rows: list[int],
    cmap: ColumnMap,
    *,
    path: Path,
    limits: Limits,
    require: tuple[str, ...] = (),
):
    """Return ``(frame, rejects, notes)``; ``frame`` keeps the index of ``df``."""
    src = cmap.source_for
    rejects: list[dict] = []
    notes: list[str] = []
    bad = np.zeros(len(df), dtype=bool)
    out = pd.DataFrame(index=df.index)
    out["row"] = rows

    def cleaned(canon: str) -> pd.Series:
        return blank_missing(df[src[canon]].map(clean), src[canon], notes)

    if "id" in src:
        out["id"] = cleaned("id")
    else:
        out["id"] = [f"R{r}" for r in rows]
        notes.append("no id column: ids are made from row numbers (R2, R3, ...)")
    ids = out["id"].tolist()

    for canon in ("title", "body"):
        if canon in src:
            out[canon] = cleaned(canon)
    title = out["title"] if "title" in out else pd.Series("", index=df.index)
    body = out["body"] if "body" in out else pd.Series("", index=df.index)
    out["text"] = [join_title_body(t, b) for t, b in zip(title, body)]

    text_col = src.get("body", src.get("title"))
    for i, (t, r) in enumerate(zip(out["text"], rows)):
        if not t:
            _reject(rejects, r, ids[i], text_col, "empty complaint text")
            bad[i] = True
        elif len(t) > limits.max_text_chars:
            _reject(
                rejects,
                r,
                ids[i],
                text_col,
                f"text is {len(t):,} characters (limit {limits.max_text_chars:,})",
                t,
            )
            bad[i] = True

    if "id" in src:
        seen: dict[str, int] = {}
        for i, (rid, r) in enumerate(zip(ids, rows)):
            if not rid:
                _reject(rejects, r, rid, src["id"], "empty id")
                bad[i] = True
            elif rid in seen:
                _reject(rejects, r, rid, src["id"], f"duplicate id (first at row {seen[rid]})", rid)
                bad[i] = True
            else:
                seen[rid] = r

    if "created_at" in src:
        raw = blank_missing(df[src["created_at"]].map(clean), src["created_at"], notes)
        parsed, problems, date_notes = parse_dates(raw, limits.dayfirst)
        notes.extend(f"{src['created_at']}: {n}" for n in date_notes)
        for i in np.flatnonzero(parsed.isna().to_numpy()):
            if raw.iloc[i] or "created_at" in require:
                problem = problems.get(i) or (
                    f"unparseable date {raw.iloc[i]!r}" if raw.iloc[i] else "missing date"
                )
                _reject(rejects, rows[i], ids[i], src["created_at"], problem, raw.iloc[i])
                bad[i] = True
        out["created_at"] = parsed

    given: dict[str, pd.Series] = {}  # labels as written, to show in rejects
    if "level1" in src:
        given["level1"] = df[src["level1"]].map(clean)
        out["level1"] = cleaned("level1")
        if "level2" in src:
            given["level2"] = df[src["level2"]].map(clean)
            out["level2"] = cleaned("level2")
    elif "category" in src:
        parts = df[src["category"]].map(split_path)
        given["level1"] = parts.map(lambda p: p[0])
        given["level2"] = parts.map(lambda p: p[1])
        out["level1"] = blank_missing(given["level1"], src["category"], notes)
        if (given["level2"] != "").any():
            out["level2"] = blank_missing(given["level2"], src["category"], notes)
    if "labels" in require and "level1" in out:
        for level, what in (("level1", "label"), ("level2", "second-level label")):
            if level not in out:
                continue
            col = src.get(level, src.get("category"))
            for i in np.flatnonzero((out[level] == "").to_numpy()):
                if not bad[i]:
                    v = given[level].iloc[i]
                    problem = f"missing {what} ({v!r} means no value)" if v else f"empty {what}"
                    _reject(rejects, rows[i], ids[i], col, problem, v)
                    bad[i] = True

    for canon in (
        "district",
        "town",
        "address",
        "unit",
        "unit_type",
        "base_unit",
        "rec_unit",
        "caller",
        "channel",
        "handling",
        "satisfaction",
    ):
        if canon in src:
            out[canon] = cleaned(canon)
    for canon in ("closed", "on_time", "revisited"):
        if canon in src:
            out[canon] = _parse_bool(cleaned(canon))
    for canon in ("stars", "likes", "dislikes"):
        if canon in src:
            raw = cleaned(canon)
            num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
            for i in np.flatnonzero((num.isna() & (raw != "")).to_numpy()):
                _reject(rejects, rows[i], ids[i], src[canon], f"not a number: {raw.iloc[i]!r}", raw.iloc[i])
                bad[i] = True
            out[canon] = num

    rej = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    return out.loc[~bad], rej, notes
