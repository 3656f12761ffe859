"""Handling-quality rates and this project's 综评分 (composite score).

Definitions (stated once in every report, see ``DEFINITIONS``):

* 交办 (transferred): complaints whose 办理方式 is 转办/交办; when the export has
  no 办理方式 column, every complaint counts as transferred (the report says so).
* 办结率 = 办结 / 交办 (a transferred complaint with an empty 是否办结 counts as not closed).
* 满意率 = (满意 + 基本满意) / 参评 (参评 = transferred complaints with a non-empty
  满意度评价; 非常满意/比较满意 are read as 满意/基本满意).
* 按时反馈率 = 按时反馈 / 交办; 有效回访率 = 有效回访 / 交办.
* 得星平均分 = mean of 评星 where given.
* 综评分 = 100 x weighted mean of the available components (the four rates and
  得星平均分 rescaled so that 1 star = 0 and 3 stars = 1), weights from ``Weights``.
  Other platforms' 综评分 use formulas of their own (Panjin's tops out near 78);
  this one is this project's, transparent and configurable (``--weights FILE``).

A metric whose column is absent (or empty throughout) is ``None``: it is left
out of the tables and of the score, never shown as 0.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd
import tomllib
from hotline_nlp.topics.category_stats import transferred_mask

SATISFIED = frozenset({"满意", "基本满意", "非常满意", "比较满意"})
NOT_EVALUATED = frozenset({"", "未评价", "未评", "未回访", "无", "-", "—", "/"})
RATES = ("closed", "satisfied", "on_time", "revisited")
LABELS = {
    "closed": "办结率",
    "satisfied": "满意率",
    "on_time": "按时反馈率",
    "revisited": "有效回访率",
    "stars": "得星平均分",
    "score": "综评分",
    "volume": "交办总量",
}
DEFINITIONS = {
    "closed": "办结率 = 办结件数 / 交办件数",
    "satisfied": "满意率 =（满意 + 基本满意）/ 参评件数（满意度评价非空的交办件）",
    "on_time": "按时反馈率 = 按时反馈件数 / 交办件数",
    "revisited": "有效回访率 = 有效回访件数 / 交办件数",
    "stars": "得星平均分 = 已评星交办件的评星平均值（1—3 星）",
}
_SOURCE = {
    "closed": "closed",
    "satisfied": "satisfaction",
    "on_time": "on_time",
    "revisited": "revisited",
    "stars": "stars",
}


@dataclass(frozen=True)
class Weights:
    """Weights of the 综评分 components; only their ratios matter (the score is a
    weighted mean, renormalised over the components a unit has data for)."""

    closed: float = 0.25
    satisfied: float = 0.30
    on_time: float = 0.15
    revisited: float = 0.10
    stars: float = 0.20
    stars_min: float = 1.0
    stars_max: float = 3.0

    def __post_init__(self):
        parts = [getattr(self, k) for k in (*RATES, "stars")]
        if any(w < 0 for w in parts) or sum(parts) <= 0:
            raise ValueError(f"综评分 weights must be >= 0 and not all 0, got {parts}")
        if self.stars_max <= self.stars_min:
            raise ValueError("stars_max must be greater than stars_min")

    def describe(self) -> str:
        parts = "，".join(f"{LABELS[k]} {getattr(self, k):g}" for k in (*RATES, "stars") if getattr(self, k))
        return (
            f"综评分为本系统口径（非各地考核办法）：100 ×（各项指标的加权平均），权重为{parts}；"
            f"得星平均分按（平均分 − {self.stars_min:g}）/（{self.stars_max:g} − {self.stars_min:g}）折算；"
            "某项无数据时按其余各项权重重新归一。"
        )


def load_weights(path: str | Path | None) -> Weights:
    """Read weights from a JSON or TOML file (keys as in ``Weights``; missing keys keep defaults)."""
    if path is None:
        return Weights()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read 综评分 weights ({e})") from None
    data = data.get("weights", data) if isinstance(data, dict) else data
    known = {f.name for f in fields(Weights)}
    if not isinstance(data, dict) or set(data) - known:
        raise ValueError(
            f"{path}: unknown weight keys {sorted(set(data) - known) if isinstance(data, dict) else data}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        return Weights(**{k: float(v) for k, v in data.items()})
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None


def handled(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The complaints rates are computed over (交办), and how they were chosen."""
    mask = transferred_mask(frame)
    if mask is None:
        return frame, "全部诉求（数据无办理方式列）"
    return frame.loc[mask], "办理方式=转办"


def available(frame: pd.DataFrame) -> list[str]:
    """Which of closed/satisfied/on_time/revisited/stars the data can support."""
    out = []
    for m, col in _SOURCE.items():
        if col not in frame:
            continue
        s = frame[col]
        has = s.astype(str).str.strip().ne("").any() if m == "satisfied" else s.notna().any()
        if has:
            out.append(m)
    return out


@dataclass
class Rate:
    value: float | None
    numerator_ids: list[str]
    denominator_ids: list[str]


@dataclass
class UnitMetrics:
    volume: int
    ids: list[str]
    rates: dict[str, Rate]  # only the available ones
    stars: float | None
    star_ids: list[str]
    score: float | None

    def get(self, metric: str) -> float | None:
        if metric == "stars":
            return self.stars
        if metric == "score":
            return self.score
        if metric == "volume":
            return self.volume
        r = self.rates.get(metric)
        return None if r is None else r.value

    def to_json(self) -> dict:
        return {
            "volume": self.volume,
            "stars": self.stars,
            "score": self.score,
            **{k: r.value for k, r in self.rates.items()},
        }


def _ids(df: pd.DataFrame) -> list[str]:
    return df["id"].astype(str).tolist()


def rate(df: pd.DataFrame, metric: str) -> Rate:
    """One rate over ``df`` (already the transferred complaints of some group)."""
    if metric == "satisfied":
        sat = df["satisfaction"].fillna("").astype(str).str.strip()
        base = df.loc[~sat.isin(NOT_EVALUATED)]
        num = base.loc[sat.loc[base.index].isin(SATISFIED)]
    else:
        base = df
        num = df.loc[df[_SOURCE[metric]].fillna(False).astype(bool)]
    value = len(num) / len(base) if len(base) else None
    return Rate(value, _ids(num), _ids(base))


def score(rates: dict[str, float | None], stars: float | None, weights: Weights) -> float | None:
    parts = {k: v for k, v in rates.items() if v is not None}
    if stars is not None:
        parts["stars"] = min(
            1.0, max(0.0, (stars - weights.stars_min) / (weights.stars_max - weights.stars_min))
        )
    total_w = sum(getattr(weights, k) for k in parts)
    if not parts or total_w == 0:
        return None
    return 100 * sum(getattr(weights, k) * v for k, v in parts.items()) / total_w


def unit_metrics(df: pd.DataFrame, metrics: list[str], weights: Weights) -> UnitMetrics:
    """All metrics for one group of transferred complaints; ``metrics`` from ``available``."""
    rates = {m: rate(df, m) for m in metrics if m in RATES}
    stars, star_ids = None, []
    if "stars" in metrics:
        given = df.loc[df["stars"].notna()]
        star_ids = _ids(given)
        stars = float(given["stars"].mean()) if len(given) else None
    sc = score({k: r.value for k, r in rates.items()}, stars, weights)
    return UnitMetrics(len(df), _ids(df), rates, stars, star_ids, sc)


def weights_json(weights: Weights) -> dict:
    return asdict(weights)
