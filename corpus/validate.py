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
from hotline_nlp.corpus.text import clean, join_title_body

REJECT_COLUMNS = ["row", "id", "column", "problem", "value"]
_TRUE = {"是", "1", "true", "yes", "y", "t", "已办结", "办结", "按时", "有效"}
_FALSE = {"否", "0", "false", "no", "n", "f", "未办结", "超时", "无效"}
PATH_SEPARATORS = (" > ", ">", "/", "-", "－", "—")


@dataclass(frozen=True)
class Limits:
    """Bounds on one complaint. 20,000 characters is ~10x the longest real
    message we have seen; anything longer is an export error (a whole thread
    pasted into one cell), not a complaint."""

    max_text_chars: int = 20_000


def _reject(out: list[dict], row, rid, column, problem, value="") -> None:
    v = "" if value is None else str(value)
    out.append({"row": row, "id": rid, "column": column, "problem": problem, "value": v[:80]})


def parse_flag(value: str) -> bool | None:
    """One yes/no cell (是/否, 已办结, true, 1 ...) -> True/False; None when it is
    neither. The same words the loader reads, so the HTTP API accepts what the
    exports write."""
    low = str(value).strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


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

    if "id" in src:
        out["id"] = df[src["id"]].map(clean)
    else:
        out["id"] = [f"R{r}" for r in rows]
        notes.append("no id column: ids are made from row numbers (R2, R3, ...)")
    ids = out["id"].tolist()

    for canon in ("title", "body"):
        if canon in src:
            out[canon] = df[src[canon]].map(clean)
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
        raw = df[src["created_at"]].map(clean)
        parsed = pd.to_datetime(raw.where(raw != ""), errors="coerce", format="mixed")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        for i in np.flatnonzero(parsed.isna().to_numpy()):
            if raw.iloc[i] or "created_at" in require:
                problem = f"unparseable date {raw.iloc[i]!r}" if raw.iloc[i] else "missing date"
                _reject(rejects, rows[i], ids[i], src["created_at"], problem, raw.iloc[i])
                bad[i] = True
        out["created_at"] = parsed

    if "level1" in src:
        out["level1"] = df[src["level1"]].map(clean)
        if "level2" in src:
            out["level2"] = df[src["level2"]].map(clean)
    elif "category" in src:
        parts = df[src["category"]].map(split_path)
        out["level1"] = parts.map(lambda p: p[0])
        if (parts.map(lambda p: p[1]) != "").any():
            out["level2"] = parts.map(lambda p: p[1])
    if "labels" in require and "level1" in out:
        label_src = src.get("level1", src.get("category"))
        for i in np.flatnonzero((out["level1"] == "").to_numpy()):
            _reject(rejects, rows[i], ids[i], label_src, "empty label")
            bad[i] = True
        if "level2" in out:
            l2_src = src.get("level2", src.get("category"))
            for i in np.flatnonzero((out["level2"] == "").to_numpy()):
                if not bad[i]:
                    _reject(rejects, rows[i], ids[i], l2_src, "empty second-level label")
                    bad[i] = True

    for canon in (
        "district",
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
            out[canon] = df[src[canon]].map(clean)
    for canon in ("closed", "on_time", "revisited"):
        if canon in src:
            out[canon] = _parse_bool(df[src[canon]].astype(str))
    for canon in ("stars", "likes", "dislikes"):
        if canon in src:
            raw = df[src[canon]].map(clean)
            num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
            for i in np.flatnonzero((num.isna() & (raw != "")).to_numpy()):
                _reject(rejects, rows[i], ids[i], src[canon], f"not a number: {raw.iloc[i]!r}", raw.iloc[i])
                bad[i] = True
            out[canon] = num

    rej = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    return out.loc[~bad], rej, notes
