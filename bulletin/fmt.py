"""How bulletins write numbers and periods: 16.47 万件, 98.88%, 同比增长 16.58%,
2024 年上半年. One place, so the text, the tables and the figures appendix agree."""

from __future__ import annotations

from hotline_nlp.topics.periods import Period

DASH = "—"
_CN_DIGITS = "零一二三四五六七八九十"


def pct(x: float | None, digits: int = 2) -> str:
    """0.98876 -> '98.88%'; None -> '—' (never a made-up 0%)."""
    return DASH if x is None else f"{100 * x:.{digits}f}%"


def count(n: int) -> str:
    """Counts as the bulletins print them: '6714 件' below 10,000, '16.47 万件' above."""
    if n >= 10_000:
        return f"{n / 10_000:.2f} 万件"
    return f"{n} 件"


def number(x: float | None, digits: int = 2) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def change(x: float | None, kind: str = "同比") -> str:
    """0.1658 -> '同比增长 16.58%'; -0.259 -> '同比下降 25.90%'; None -> ''."""
    if x is None:
        return ""
    if round(x * 10_000) == 0:
        return f"{kind}持平"
    return f"{kind}{'增长' if x > 0 else '下降'} {pct(abs(x))}"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals (for 第三季度, （十二）)."""
    if n <= 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _md(ts) -> str:
    return f"{ts.month}月{ts.day}日"


def period_cn(p: Period) -> str:
    """'2024H1' -> '2024 年上半年', '2024Q3' -> '2024 年第三季度', '2024-05' -> '2024 年 5 月',
    '2024-W20' -> '2024 年第 20 周（5月13日—5月19日）'."""
    y = p.start.year
    if p.kind == "half":
        return f"{y} 年{'上' if p.start.month == 1 else '下'}半年"
    if p.kind == "quarter":
        return f"{y} 年第{cn_number((p.start.month - 1) // 3 + 1)}季度"
    if p.kind == "month":
        return f"{y} 年 {p.start.month} 月"
    if p.kind == "year":
        return f"{y} 年"
    if p.kind == "week":
        iy, w, _ = p.start.isocalendar()
        return f"{iy} 年第 {w} 周（{_md(p.start)}—{_md(p.last_day)}）"
    return f"{p.start.year}年{_md(p.start)}至{p.last_day.year}年{_md(p.last_day)}"


def period_short(p: Period) -> str:
    """The period without the year, for the title (关于…上半年诉求办理情况的通报)."""
    return period_cn(p).split("年", 1)[1].strip() if p.kind != "range" else period_cn(p)


def date_range_text(p: Period) -> str:
    return f"受理时间 {p.start.date().isoformat()} 至 {p.last_day.date().isoformat()}"


def date_cn(ts) -> str:
    return f"{ts.year}年{ts.month}月{ts.day}日"
