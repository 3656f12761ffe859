"""热点诉求趋势图 as PNG bytes for the DOCX, HTML and Markdown outputs.

The CJK font lookup is the hotspot reports' (``bulletin.trend_chart.cjk_font``); the
layout is the bulletin's own: a printed page is narrow, so the legend goes
under the plot (it would cover the lines of the busiest months otherwise) and
the y axis counts whole complaints.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from hotline_nlp.bulletin.trend_chart import COLORS, cjk_font  # also selects matplotlib's Agg backend
from matplotlib.ticker import MaxNLocator  # noqa: E402

FONT_MISSING_NOTE = (
    "本机未找到中文字体，趋势图中的中文标签可能无法显示；"
    "请安装 fonts-noto-cjk（Debian/Ubuntu）或设置 HOTLINE_NLP_CJK_FONT 为字体文件路径。"
)


def trend_chart(
    series: dict[str, list[int]],
    labels: list[str],
    title: str = "热点诉求趋势图",
    ylabel: str = "诉求量（件）",
) -> bytes:
    """A line chart, one line per category, x = ``labels`` (time buckets)."""
    font = cjk_font()
    rc = {"font.family": "sans-serif", "axes.unicode_minus": False}
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(8.0, 3.9), dpi=150)
        x = list(range(len(labels)))
        for i, (name, ys) in enumerate(series.items()):
            ax.plot(
                x,
                ys,
                marker="o" if len(labels) <= 31 else None,
                markersize=3.5,
                linewidth=1.8,
                color=COLORS[i % len(COLORS)],
                label=name,
            )
        step = max(1, (len(labels) + 11) // 12)
        ax.set_xticks(x[::step], labels[::step], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=11)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if series:
            ax.legend(
                fontsize=8,
                frameon=False,
                ncol=min(5, len(series)),
                loc="upper center",
                bbox_to_anchor=(0.5, -0.1),
            )
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()
