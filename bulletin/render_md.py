"""Markdown rendering, for chat tools and repositories.

The chart is written as a PNG beside the Markdown file and linked (chat tools
and code hosts show that; many strip data URIs), or embedded as a data URI
with ``images="inline"`` for a single self-contained file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hotline_nlp.bulletin.document import Heading, Image, Paragraph, Report, Table
from hotline_nlp.corpus.atomic import write_bytes


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def table_md(t: Table) -> list[str]:
    lines = [
        f"**{t.caption}**",
        "",
        "| " + " | ".join(t.columns) + " |",
        "|" + "|".join(":---:" if i != 1 else ":---" for i in range(len(t.columns))) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    if t.note:
        lines += ["", f"{t.note}"]
    return lines + [""]


def chart_file(output: Path, n: int) -> Path:
    """The ``n``-th chart of ``r.md``: ``r_chart1.png``."""
    return output.with_name(f"{output.stem}_chart{n}.png")


def render_md(
    report: Report,
    output: Path | None = None,
    images: str = "file",
    image_path: Callable[[Path, int], Path] | None = None,
) -> tuple[str, list[Path]]:
    """Return (markdown text, extra files written); chart ``n`` goes to
    ``image_path(output, n)`` (default ``chart_file``)."""
    if images not in ("file", "inline"):
        raise ValueError(f"md images must be 'file' or 'inline', not {images!r}")
    tb = report.title
    out = [
        f"**{tb.platform}**",
        "",
        f"# {tb.kind}",
        "",
        ("　　".join(x for x in (tb.issuer, tb.issue) if x)),
        "",
        "---",
        "",
        f"## {tb.title}",
        "",
    ]
    files: list[Path] = []
    n_img = 0
    for b in report.blocks:
        if isinstance(b, Heading):
            out += [("##" if b.level == 1 else "###" if b.level == 2 else "####") + f" {b.text}", ""]
        elif isinstance(b, Paragraph):
            text = (f"**{b.lead}**" if b.lead else "") + b.text
            out += [f"> {text}" if b.style == "note" else text, ""]
        elif isinstance(b, Table):
            out += table_md(b)
        elif isinstance(b, Image):
            n_img += 1
            if images == "inline" or output is None:
                src = b.data_uri()
            else:
                png = (image_path or chart_file)(Path(output), n_img)
                write_bytes(png, b.png)
                files.append(png)
                src = png.name
            out += [f"![{b.caption}]({src})", "", f'<p align="center">{b.caption}</p>', ""]
    out += ["", f'<p align="right">{tb.date}</p>', ""]
    return "\n".join(out), files
