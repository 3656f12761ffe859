"""The hotspot trend chart reads: its week labels and legend entries do not
overprint each other, stay inside the figure, the legend sits outside the plot
and the plot keeps most of the width (issue 31: the alert's chart overprinted
its week labels, cut its legend on both sides and squeezed the plot).

Checked from matplotlib's own text extents on the drawn figure, with the
report's real shape: a year of ISO weeks and six issues with long labels.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from hotline_nlp.bulletin import chart

LONG = [
    "#24 A市A2区丽发新城小区搅拌站噪音扰民",
    "#140 伊景园滨河苑捆绑销售车位问题",
    "#7 A市人才购房租房补贴发放",
    "#12 五矿万境K9县交房质量问题投诉",
    "#58 58车贷案受害人维权",
    "#3 A市经济学院强制学生实习",
]


def _texts(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    ticks = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    legend = [t for leg in fig.legends for t in leg.get_texts()]
    return r, ax, [t.get_window_extent(r) for t in ticks], [t.get_window_extent(r) for t in legend]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _inside(box, fig) -> bool:
    f = fig.bbox
    return box.x0 >= f.x0 - 0.5 and box.x1 <= f.x1 + 0.5 and box.y0 >= f.y0 - 0.5 and box.y1 <= f.y1 + 0.5


@pytest.mark.parametrize(
    "weeks, names",
    [
        ([f"2019-W{w:02d}" for w in range(1, 53)], LONG),
        ([f"W{w:02d}" for w in range(1, 53)], LONG),
        ([f"2019-W{w:02d}" for w in range(38, 50)], LONG[:3]),
        (["2019-W49"], LONG[:1]),
    ],
)
def test_trend_chart_labels_and_legend_do_not_overlap_and_stay_inside(weeks, names):
    series = {n: [(i * 7 + k) % 9 for i in range(len(weeks))] for k, n in enumerate(names)}
    with plt.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [chart.cjk_font() or "DejaVu Sans"]}
    ):
        fig = chart.trend_figure(series, weeks, highlight={names[0]})
        try:
            _, ax, ticks, legend = _texts(fig)
            assert len(legend) == len(names)
            assert ticks, "no week label drawn"
            for a, b in itertools.combinations(ticks, 2):
                assert not _overlap(a, b), "week labels overprint each other"
            for a, b in itertools.combinations(legend, 2):
                assert not _overlap(a, b), "legend entries overprint each other"
            for box in ticks + legend:
                assert _inside(box, fig), "a label is cut by the figure's edge"
            plot = ax.get_window_extent()
            for box in legend:
                assert not _overlap(box, plot), "the legend covers the plot"
                assert not any(_overlap(box, t) for t in ticks), "the legend covers the week labels"
            assert plot.width >= 0.6 * fig.bbox.width, "the plot is squeezed"
        finally:
            plt.close(fig)


def test_trend_chart_png_still_renders_with_thinned_ticks():
    weeks = [f"2019-W{w:02d}" for w in range(1, 53)]
    png = chart.trend_chart({LONG[0]: list(range(52))}, weeks, highlight={LONG[0]})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
