"""HTML rendering: one self-contained page (styles inline, chart as a data URI)
that looks like the printed 专报 — red masthead, 仿宋 body, bordered tables."""

from __future__ import annotations

from html import escape

from hotline_nlp.bulletin.document import Heading, Image, Paragraph, Report, Table

CSS = """
body{max-width:820px;margin:2em auto;padding:0 1.5em;font-family:"FangSong","仿宋","仿宋_GB2312","STFangsong",
"Noto Serif CJK SC","Songti SC",serif;font-size:16px;line-height:1.8;color:#111}
.mast{text-align:center;color:#c00}
.mast .platform{font-size:20px;letter-spacing:.1em}
.mast .kind{font-size:48px;font-weight:bold;letter-spacing:.5em;margin:.1em 0}
.mast .line{display:flex;justify-content:space-between;color:#111;font-size:15px;border-bottom:2px solid #c00;padding-bottom:.3em}
h1.title{text-align:center;font-size:22px;font-family:"SimHei","黑体","Noto Sans CJK SC",sans-serif;margin:1.2em 0 .8em}
h2{font-size:17px;font-family:"SimHei","黑体","Noto Sans CJK SC",sans-serif;margin:1.2em 0 .4em}
h3{font-size:16px;font-family:"KaiTi","楷体","Noto Serif CJK SC",serif;margin:1em 0 .3em}
h4{font-size:15px;margin:1.4em 0 .2em}
p{text-indent:2em;margin:.3em 0;text-align:justify}
p.note{font-size:14px;color:#333}
table{border-collapse:collapse;margin:.4em auto 0;font-size:13px;font-family:"SimSun","宋体","Noto Serif CJK SC",serif}
th,td{border:1px solid #333;padding:3px 6px;text-align:center}
th{background:#f2f2f2}
td:nth-child(2){text-align:left}
.caption{text-align:center;font-weight:bold;font-size:14px;margin-top:1em;text-indent:0}
.tnote{font-size:13px;text-indent:0;margin-left:1em}
figure{margin:1em 0;text-align:center}figure img{max-width:100%}
.date{text-align:right;margin-top:2em}
"""


def _table(t: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in t.rows)
    note = f'<p class="tnote">{escape(t.note)}</p>' if t.note else ""
    return f'<p class="caption">{escape(t.caption)}</p><table><tr>{head}</tr>{body}</table>{note}'


def render_html(report: Report) -> str:
    tb = report.title
    parts = [
        '<div class="mast">',
        f'<div class="platform">{escape(tb.platform)}</div>',
        f'<div class="kind">{escape(tb.kind)}</div>',
        f'<div class="line"><span>{escape(tb.issuer)}</span><span>{escape(tb.issue)}</span></div></div>'
        if tb.issuer
        else f'<div class="line" style="justify-content:center">{escape(tb.issue)}</div></div>',
        f'<h1 class="title">{escape(tb.title)}</h1>',
    ]
    for b in report.blocks:
        if isinstance(b, Heading):
            tag = {1: "h2", 2: "h3"}.get(b.level, "h4")
            parts.append(f"<{tag}>{escape(b.text)}</{tag}>")
        elif isinstance(b, Paragraph):
            lead = f"<b>{escape(b.lead)}</b>" if b.lead else ""
            cls = ' class="note"' if b.style == "note" else ""
            parts.append(f"<p{cls}>{lead}{escape(b.text)}</p>")
        elif isinstance(b, Table):
            parts.append(_table(b))
        elif isinstance(b, Image):
            parts.append(
                f'<figure><img src="{b.data_uri()}" alt="{escape(b.caption)}">'
                f'<figcaption class="caption">{escape(b.caption)}</figcaption></figure>'
            )
    parts.append(f'<p class="date">{escape(tb.date)}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(tb.title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
