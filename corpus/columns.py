"""Canonical column names, and the mapping from the names real exports use.

Every 12345 platform exports its own headers (诉求编号 or 留言编号 or id ...).
Everything downstream of the loader speaks only the canonical names below, so a
new export format means one more alias here, not a change in the classifier,
hotspot detection or the bulletin writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# canonical name -> aliases, most specific first. Matching ignores case, spaces,
# underscores and full-width brackets.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("诉求编号", "留言编号", "工单编号", "工单号", "信件编号", "编号", "complaint_id", "id"),
    "title": ("诉求标题", "留言主题", "标题", "主题", "title", "subject"),
    "body": (
        "诉求内容",
        "留言详情",
        "留言内容",
        "信件内容",
        "来信内容",
        "内容",
        "诉求描述",
        "来电内容",
        "body",
        "content",
        "text",
    ),
    "created_at": (
        "受理时间",
        "留言时间",
        "来电时间",
        "来信时间",
        "来信日期",
        "登记时间",
        "创建时间",
        "created_at",
        "date",
        "time",
    ),
    "level1": ("一级分类", "一级类别", "诉求类别", "level1", "category1"),
    "level2": ("二级分类", "二级类别", "level2", "category2"),
    "category": ("分类路径", "分类", "类别", "category", "label"),
    "district": ("所属区县", "区县", "所属地区", "地区", "district", "region"),
    "unit": ("承办单位", "处置单位", "责任单位", "受理单位", "回复单位", "答复单位", "handling_unit", "unit"),
    # where the complaint is, when the export says so: place evidence for dispatch
    "town": ("所属街道", "所属街镇", "所属乡镇", "街道乡镇", "乡镇街道", "town", "street"),
    "address": ("地址", "详细地址", "事发地址", "诉求地址", "发生地址", "address"),
    "unit_type": ("单位类型", "unit_type"),
    "base_unit": ("基层承办单位", "base_unit"),
    # the dispatcher's recommendation, as ``classify`` writes it (pred_unit)
    "rec_unit": ("推荐承办单位", "pred_unit", "rec_unit"),
    "caller": ("来电号码", "留言用户", "诉求人", "用户", "caller", "user"),
    "channel": ("诉求渠道", "渠道", "channel"),
    "handling": ("办理方式", "handling"),
    "closed": ("是否办结", "办结", "closed"),
    "satisfaction": ("满意度评价", "满意度", "satisfaction"),
    "on_time": ("是否按时反馈", "按时反馈", "on_time"),
    "revisited": ("是否有效回访", "有效回访", "回访", "revisited"),
    "stars": ("评星", "得星", "stars"),
    "likes": ("点赞数", "likes"),
    "dislikes": ("反对数", "dislikes"),
}

CANONICAL = tuple(ALIASES)


def _key(name: str) -> str:
    return str(name).strip().lower().replace(" ", "").replace("_", "").replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class ColumnMap:
    """Which source column feeds each canonical column (only those found)."""

    source_for: dict[str, str]

    def rename_map(self) -> dict[str, str]:
        return {src: canon for canon, src in self.source_for.items()}


def parse_overrides(spec: str | None) -> dict[str, str]:
    """Parse ``--columns text=诉求内容,id=工单号`` into ``{"body": "诉求内容", "id": "工单号"}``.

    ``text`` is accepted as a synonym of ``body`` because that is what users type.
    """
    if not spec:
        return {}
    out: dict[str, str] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"--columns entry {part!r} is not of the form canonical=source")
        canon, src = (p.strip() for p in part.split("=", 1))
        canon = "body" if canon == "text" else canon
        if canon not in ALIASES:
            raise ValueError(f"--columns names unknown field {canon!r}; known: text, " + ", ".join(CANONICAL))
        out[canon] = src
    return out


def map_columns(columns: list[str], overrides: dict[str, str] | None = None) -> ColumnMap:
    """Match source headers to canonical names; explicit overrides win.

    Raises ``KeyError`` naming the missing source column when an override points
    at a header the file does not have.
    """
    overrides = overrides or {}
    by_key = {_key(c): c for c in columns}
    found: dict[str, str] = {}
    used: set[str] = set()
    for canon, src in overrides.items():
        if src not in columns:
            raise KeyError(
                f"column {src!r} given for {canon!r} is not in the file (has: {', '.join(map(str, columns))})"
            )
        found[canon] = src
        used.add(src)
    for canon, aliases in ALIASES.items():
        if canon in found:
            continue
        for alias in aliases:
            src = by_key.get(_key(alias))
            if src is not None and src not in used:
                found[canon] = src
                used.add(src)
                break
    return ColumnMap(found)


_UNNAMED = re.compile(r"Unnamed: \d+")  # pandas' name for a header cell left empty
_JOINERS = re.compile(r"\s*(?:[+＋/／、&]|和|及|与)\s*")


def canonical_of(header: str) -> str | None:
    key = _key(header)
    for canon, aliases in ALIASES.items():
        if any(_key(a) == key for a in aliases):
            return canon
    return None


def split_merged_headers(df, notes: list[str]):
    """Undo what a merged header cell does to an export.

    A header cell ``诉求标题+诉求内容`` merged over two columns leaves the second
    column without a header (pandas: ``Unnamed: 3``): the title and the body are
    renamed to the two names, so the body is not lost. Over one column, the
    column holds both and is read as the body. Any other header-less column that
    holds data is named in a note (it is not used), never dropped silently;
    empty header-less columns (a trailing comma) are dropped."""
    names = [str(c) for c in df.columns]
    keep = []
    for j, name in enumerate(names):
        if not _UNNAMED.fullmatch(name):
            keep.append(j)
            continue
        has_data = (df.iloc[:, j].astype(str).str.strip() != "").any()
        if not has_data:
            continue
        keep.append(j)
        prev = names[j - 1] if j else ""
        parts = [p for p in _JOINERS.split(prev) if p] if prev else []
        canons = [canonical_of(p) for p in parts]
        if len(parts) == 2 and all(canons) and canons[0] != canons[1]:
            names[j - 1], names[j] = parts
            notes.append(f"merged header {prev!r} read as two columns: {parts[0]!r} and {parts[1]!r}")
        else:
            notes.append(f"column {j + 1} has no header but holds data; it is not used (give it a header)")
    for j in keep:
        parts = [p for p in _JOINERS.split(names[j]) if p]
        canons = {canonical_of(p) for p in parts}
        if len(parts) > 1 and {"title", "body"} <= canons:
            body = next(p for p in parts if canonical_of(p) == "body")
            notes.append(f"column {names[j]!r} holds title and text together; read as {body!r}")
            names[j] = body
    out = df.iloc[:, keep].copy()
    out.columns = [names[j] for j in keep]
    return out
