"""What every section needs: the data, the period, the options, the figure book.

Built once per report so that each section selects complaints the same way
(same period, same 交办 rule, same comparison period) and phrases its filters
the same way in the figures appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.figures import FigureBook
from hotline_nlp.bulletin.handling_rates import Weights, available, handled
from hotline_nlp.topics.category_stats import MIN_CHANGE_BASE, as_period, in_period
from hotline_nlp.topics.periods import Period


@dataclass
class Options:
    """Report options (CLI flags map one to one).

    ``compare``      "last-year" (同比, the bulletins' default) or "previous" (环比).
    ``min_volume``   units below this many transferred complaints are not ranked
                     (评优评差, 满意率排名) — the bulletins' "注：交办量 15 件以上".
    ``top_categories`` how many hot categories section 3 describes.
    """

    compare: str = "last-year"
    weights: Weights = field(default_factory=Weights)
    min_volume: int = 15
    top_categories: int = 5
    top_units: int = 10
    best_n: int = 10
    worst_n: int = 5
    examples_per_category: int = 2
    city: str = "本市"
    platform: str = ""  # default: "{city} 12345 政务服务便民热线平台"
    issuer: str = ""
    issue: str = ""
    date: str = ""  # as printed; default: today
    min_change_base: int = MIN_CHANGE_BASE  # 同比/环比 over fewer complaints: 不适用, not "+255900%"
    rejected_rows: int = 0  # rows of the export the loader rejected: said in 说明, never silent

    def __post_init__(self):
        if self.compare not in ("last-year", "previous"):
            raise ValueError(f"compare must be 'last-year' or 'previous', not {self.compare!r}")
        if self.min_volume < 0:
            raise ValueError("min_volume must be >= 0")


class NoDataError(ValueError):
    """The period holds no complaint: a "0 件" bulletin (with notes about missing
    columns) would read as a real report, so there is none."""

    def __init__(self, period: Period, frame: pd.DataFrame):
        dates = frame["created_at"].dropna()
        span = (
            f"the data covers {dates.min().date()} to {dates.max().date()}"
            if len(dates)
            else "the data has no dates"
        )
        super().__init__(
            f"no complaints in {period.label} ({period.start.date()} to {period.last_day.date()}); {span}: "
            "no report written"
        )


class Context:
    def __init__(self, frame: pd.DataFrame, period: Period | str, options: Options):
        if "created_at" not in frame:
            raise ValueError(
                "the complaints have no 受理时间 (created_at) column: a period report needs dates"
            )
        self.frame = frame
        self.period = as_period(period)
        self.options = options
        self.current = in_period(frame, self.period)
        if self.current.empty:
            raise NoDataError(self.period, frame)
        self.handled, self.handled_desc = handled(self.current)
        self.metrics = available(self.handled)
        self.book = FigureBook()
        self.base_period = (
            self.period.last_year() if options.compare == "last-year" else self.period.previous()
        )
        self.change_word = "同比" if options.compare == "last-year" else "环比"
        base = in_period(frame, self.base_period)
        self.base = base if len(base) else None  # None: the export does not reach back that far
        self.period_filter = fmt.date_range_text(self.period)
        self.base_filter = fmt.date_range_text(self.base_period)
        self.has_handling = "handling" in frame

    def where(self, *parts: str, transferred: bool = False) -> str:
        """A filter in words: the period, optionally 交办, then ``parts``."""
        items = [self.period_filter]
        if transferred and self.has_handling:
            items.append("办理方式=转办")
        return "；".join(items + [p for p in parts if p])

    @property
    def platform(self) -> str:
        return self.options.platform or f"{self.options.city} 12345 政务服务便民热线平台"
