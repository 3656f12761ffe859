"""The one trend chart of every report (bulletin and hotspot alerts), as PNG
bytes: counts per time bucket, one line per series.

Chinese labels need a CJK font; matplotlib's default (DejaVu) has none and
draws boxes. ``cjk_font()`` tries $HOTLINE_NLP_CJK_FONT (a font file), well-known
files (Debian ``fonts-noto-cjk`` / ``fonts-wqy-microhei``, macOS, Windows), the
Noto Sans CJK SC file shipped in the ``mplfonts`` wheel (a dependency, so a
pip-only install on a bare server still draws Chinese; SIL Open Font License),
then the families matplotlib already knows. Without one the chart is still
drawn (labels may show as boxes) and ``missing_font_note()`` says how to fix it.

The layout suits a printed page: it is narrow, so the legend goes under the
plot, outside it (it would cover the lines of the busiest buckets otherwise),
the x labels are thinned to what fits, and the y axis counts whole complaints.
"""

from __future__ import annotations

import importlib.util
import io
import math
import os
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # servers have no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans SC",
)
FONT_MISSING_NOTE = (
    "本机未找到中文字体，趋势图中的中文标签可能无法显示；"
    "请安装 fonts-noto-cjk（Debian/Ubuntu）或设置 HOTLINE_NLP_CJK_FONT 为字体文件路径。"
)
COLORS = ("#c0392b", "#2471a3", "#d68910", "#239b56", "#7d3c98", "#5d6d7e", "#a04000", "#117a65")


def _packaged_font() -> str | None:
    """Path of Noto Sans CJK SC inside the installed ``mplfonts`` package, or None.

    Only the file is used: importing ``mplfonts`` would change matplotlib's
    global rc settings, which a library must not do to its host.
    """
    spec = importlib.util.find_spec("mplfonts")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf"
        if path.is_file():
            return str(path)
    return None


@lru_cache(maxsize=4)
def _find(env_path: str | None) -> str | None:
    for f in ([env_path] if env_path else []) + list(_FILES) + [_packaged_font()]:
        if f and Path(f).is_file():
            try:
                font_manager.fontManager.addfont(f)
                return font_manager.FontProperties(fname=f).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _FAMILIES if name in known), None)


def cjk_font() -> str | None:
    """Family name of a font with Chinese glyphs, registered with matplotlib, or None."""
    return _find(os.environ.get("HOTLINE_NLP_CJK_FONT"))


def missing_font_note() -> str | None:
    """The note every report carries under its chart when no Chinese font was found."""
    return None if cjk_font() else FONT_MISSING_NOTE


def trend_chart(
    series: dict[str, list[int]],
    labels: list[str],
    title: str = "热点诉求趋势图",
    ylabel: str = "诉求量（件）",
    highlight: set[str] | None = None,
) -> bytes:
    """A line chart, x = ``labels`` (time buckets), one line per ``series`` item,
    as PNG bytes (``trend_figure`` draws it)."""
    font = cjk_font()
    rc = {"font.family": "sans-serif", "axes.unicode_minus": False}
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    with plt.rc_context(rc):
        fig = trend_figure(series, labels, title, ylabel, highlight)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()


def trend_figure(
    series: dict[str, list[int]],
    labels: list[str],
    title: str = "热点诉求趋势图",
    ylabel: str = "诉求量（件）",
    highlight: set[str] | None = None,
):
    """The chart as a matplotlib ``Figure`` (the caller closes it).

    Series named in ``highlight`` (the emerging issues of an alert) are drawn
    thick and solid, the others thin and dashed, so the eye goes to what is new.
    The legend sits outside the plot, under it, in as many columns as fit the
    page's width (measured, not guessed: issue labels are long); the x ticks
    are thinned until the widest label fits its slot (52 week labels would
    overprint each other). ``tests/test_chart_layout.py`` checks both from the
    texts' extents.
    """
    for name, ys in series.items():
        if len(ys) != len(labels):
            raise ValueError(f"series {name!r} has {len(ys)} points for {len(labels)} labels")
    highlight = highlight or set()
    fig = plt.figure(figsize=(8.0, 4.2), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    x = list(range(len(labels)))
    for i, (name, ys) in enumerate(series.items()):
        hot = name in highlight
        ax.plot(
            x,
            ys,
            marker="o" if len(labels) <= 31 else None,
            markersize=3.5,
            linewidth=2.4 if hot else 1.8 if not highlight else 1.2,
            linestyle="-" if hot or not highlight else "--",
            color=COLORS[i % len(COLORS)],
            label=name,
        )
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        _legend_below(fig, ax, len(series))
    _thin_ticks(fig, ax, x, [str(s) for s in labels])
    return fig


def _legend_below(fig, ax, n: int) -> None:
    """The legend under the plot, outside it, in the most columns that fit the figure."""
    renderer = fig.canvas.get_renderer()
    room = fig.bbox.width * 0.96
    for ncol in range(min(4, n), 0, -1):
        leg = fig.legend(
            *ax.get_legend_handles_labels(), fontsize=8, frameon=False, ncol=ncol, loc="outside lower center"
        )
        if ncol == 1 or leg.get_window_extent(renderer).width <= room:
            return
        leg.remove()


def _thin_ticks(fig, ax, x: list[int], labels: list[str], gap: float = 1.4) -> None:
    """Every ``step``-th label, ``step`` the smallest for which the widest label,
    with ``gap`` times its width of room, fits the plot's width per label."""
    if not labels:
        return
    ax.set_xticks(x, labels, fontsize=8)
    fig.canvas.draw()  # lays the figure out: the extents below are the final ones
    renderer = fig.canvas.get_renderer()
    widest = max(t.get_window_extent(renderer).width for t in ax.get_xticklabels())
    room = ax.get_window_extent(renderer).width
    step = max(1, math.ceil(len(labels) * widest * gap / max(room, 1.0)))
    ax.set_xticks(x[::step], labels[::step], fontsize=8)
