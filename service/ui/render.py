"""Templates and the small inline SVG charts of the console.

Charts are drawn as SVG in the page (no image requests, crisp at any zoom,
Chinese labels in the page's own font).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from hotline_nlp.topics.category_stats import change_note
from hotline_nlp.topics.status import status_words
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

ROLE_NAMES = {"read-only": "只读", "ingest": "接入", "analyst": "分析员", "admin": "管理员"}

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    e.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.0f}%"
    e.globals["growth"] = growth_text
    e.filters["short"] = lambda s, n=80: "" if not s else (s if len(s) <= n else s[:n] + "…")
    e.filters["status"] = status_words
    e.globals["trend_svg"] = trend_svg
    e.globals["role_name"] = lambda role: ROLE_NAMES.get(role, role)
    e.globals["place_names"] = place_names
    e.globals["origin_text"] = lambda o: ORIGINS.get(o, o or "")
    e.globals["event_text"] = lambda ev: EVENTS.get(ev, ev or "")
    return e


ORIGINS = {"history": "历史问题（按往年数据建立）", "new": "新出现的问题"}
EVENTS = {
    "born": "出现",
    "absorbed_pool": "吸收零散诉求",
    "merged_into": "并入其他问题",
    "absorbed": "合并了其他问题",
}


def place_names(places) -> str:
    return "、".join(p.get("name", "") if isinstance(p, dict) else str(p) for p in places)


def growth_text(g: float | None, now: int | None, base: int | None) -> str:
    """A change as the console shows it. ``g`` comes from ``category_stats.change_ratio``
    (the bulletin's rule: no percentage on fewer than ``MIN_CHANGE_BASE`` complaints),
    and where there is none the console says why in the bulletin's words."""
    if g is None:
        return change_note(int(now or 0), base)
    return f"+{g * 100:.0f}%" if g >= 0 else f"{g * 100:.0f}%"


def page(request: Request, template: str, viewer=None, status: int = 200, **ctx) -> HTMLResponse:
    html = env().get_template(template).render(request=request, viewer=viewer, **ctx)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def trend_svg(
    points: list[dict], width: int = 220, height: int = 48, key: str = "count", label: str = "week", top=None
) -> Markup:
    """Bars of ``points[i][key]`` (the last bar, the current week, highlighted)."""
    if not points:
        return Markup("")
    vals = [float(p.get(key) or 0) for p in points]
    top = float(top or max(vals) or 1.0)  # ``top``: a fixed scale (1.0 for rates)
    n = len(vals)
    bw = width / n
    bars = []
    for i, (p, v) in enumerate(zip(points, vals)):
        h = max(1.0, (height - 12) * v / top)
        cls = "bar now" if i == n - 1 else "bar"
        title = escape(f"{p.get(label, '')}: {p.get(key)}")
        bars.append(
            f'<rect class="{cls}" x="{i * bw + 1:.1f}" y="{height - 12 - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}"><title>{title}</title></rect>'
        )
    first, last = escape(str(points[0].get(label, ""))), escape(str(points[-1].get(label, "")))
    return Markup(
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="周趋势">{"".join(bars)}'
        f'<text x="0" y="{height - 1}" class="axis">{first}</text>'
        f'<text x="{width}" y="{height - 1}" class="axis" text-anchor="end">{last}</text></svg>'
    )
