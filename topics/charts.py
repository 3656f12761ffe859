"""Trend charts (PNG bytes) for hotspot reports: weekly counts, one line per series.

Chinese labels need a CJK font; matplotlib's default (DejaVu) has none and
draws boxes. ``cjk_font()`` tries $HOTLINE_NLP_CJK_FONT (a font file), well-known
files (Debian ``fonts-noto-cjk`` / ``fonts-wqy-microhei``, macOS, Windows), the
Noto Sans CJK SC file shipped in the ``mplfonts`` wheel (a dependency, so a
pip-only install on a bare server still draws Chinese; SIL Open Font License),
then the families matplotlib already knows. Without one the chart is still
drawn (labels may show as boxes) and ``FONT_MISSING_NOTE`` says how to fix it.
"""

from __future__ import annotations

import importlib.util
import io
import os
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # servers have no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

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
FONT_MISSING_NOTE = (  # printed in the Chinese alert, so in Chinese
    "本机未找到中文字体，趋势图中的中文标签可能无法显示；"
    "请安装 fonts-noto-cjk（Debian/Ubuntu）或设置 HOTLINE_NLP_CJK_FONT 为字体文件路径"
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


def trend_png(
    series: dict[str, list[int]],
    labels: list[str],
    title: str = "热点问题趋势图",
    ylabel: str = "诉求量（件）",
    highlight: set[str] | None = None,
) -> bytes:
    """Line chart: x = ``labels`` (e.g. ISO weeks), one line per ``series`` item.

    Series named in ``highlight`` (the emerging ones) are drawn thick and solid,
    the others thin and dashed, so the eye goes to what is new.
    """
    for name, ys in series.items():
        if len(ys) != len(labels):
            raise ValueError(f"series {name!r} has {len(ys)} points for {len(labels)} labels")
    font = cjk_font()
    rc = {"font.family": "sans-serif", "axes.unicode_minus": False}
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    highlight = highlight or set()
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(8.0, 3.8), dpi=130)
        x = list(range(len(labels)))
        for i, (name, ys) in enumerate(series.items()):
            hot = name in highlight
            ax.plot(
                x,
                ys,
                color=COLORS[i % len(COLORS)],
                label=name,
                linewidth=2.4 if hot else 1.2,
                linestyle="-" if hot or not highlight else "--",
                marker="o" if len(x) <= 26 else None,
                markersize=3,
            )
        step = max(1, (len(labels) + 11) // 12)
        ax.set_xticks(x[::step], [str(s) for s in labels[::step]], fontsize=7)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if series:
            ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=2 if len(series) > 4 else 1)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()
