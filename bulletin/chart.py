"""热点诉求趋势图: counts of the top categories per day / week / month of the period,
as PNG bytes for the DOCX, HTML and Markdown outputs.

Chinese labels need a CJK font; matplotlib's default (DejaVu) has none and
would draw boxes. ``cjk_font()`` looks, in order, at $HOTLINE_NLP_CJK_FONT (a
font file), the fonts matplotlib already knows (Windows' SimHei / Microsoft
YaHei, macOS' PingFang, Linux' Noto Sans CJK SC from Debian fonts-noto-cjk or
WenQuanYi Micro Hei from fonts-wqy-microhei) and well-known file paths. When
none exists the chart is still drawn and the report says the labels may not
display (``FONT_MISSING_NOTE``).
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Hiragino Sans GB",
             "Noto Sans SC", "Droid Sans Fallback", "AR PL UMing CN")
KNOWN_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
               "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
               "/System/Library/Fonts/PingFang.ttc",
               "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf")
FONT_MISSING_NOTE = ("本机未找到中文字体，趋势图中的中文标签可能无法显示；"
                     "请安装 fonts-noto-cjk（Debian/Ubuntu）或设置 HOTLINE_NLP_CJK_FONT 为字体文件路径。")
COLORS = ("#c0392b", "#2471a3", "#d68910", "#239b56", "#7d3c98", "#5d6d7e", "#a04000", "#117a65")


@lru_cache(maxsize=4)
def _font_for(env_path: str | None) -> str | None:
    candidates = [env_path] if env_path else []
    for f in candidates + list(KNOWN_FILES):
        if f and Path(f).is_file():
            try:
                font_manager.fontManager.addfont(f)
                return font_manager.FontProperties(fname=f).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in known:
            return name
    return None


def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, registered with matplotlib, or None."""
    return _font_for(os.environ.get("HOTLINE_NLP_CJK_FONT"))


def trend_chart(series: dict[str, list[int]], labels: list[str], title: str = "热点诉求趋势图",
                ylabel: str = "诉求量（件）") -> bytes:
    """A line chart, one line per category, x = ``labels`` (time buckets); PNG bytes."""
    font = cjk_font()
    rc = {"font.family": "sans-serif", "axes.unicode_minus": False}
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(8.0, 3.9), dpi=150)
        x = range(len(labels))
        for i, (name, ys) in enumerate(series.items()):
            ax.plot(x, ys, marker="o" if len(labels) <= 31 else None, markersize=3.5, linewidth=1.8,
                    color=COLORS[i % len(COLORS)], label=name)
        step = max(1, (len(labels) + 11) // 12)
        ax.set_xticks(list(x)[::step], labels[::step], rotation=0, fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=11)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of complaints
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(fontsize=8, frameon=False, ncol=min(5, len(series)), loc="upper center",
                  bbox_to_anchor=(0.5, -0.1))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()
