"""The one renderer registry: a ``Report`` (``bulletin.document``) to DOCX,
HTML, Markdown or JSON. The bulletin and the hotspot reports both go through
it, so a new output format is one renderer module plus one entry here.

Every file is written atomically (a failed run leaves the earlier file intact).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hotline_nlp.bulletin.document import Report
from hotline_nlp.corpus.atomic import atomic_path, write_text

FORMATS = ("docx", "html", "md", "json")
ALIASES = {"markdown": "md", "htm": "html"}


def format_name(fmt_name: str | None, output: str | Path | None = None) -> str:
    """The canonical format for ``fmt_name`` (or, without one, ``output``'s suffix);
    ValueError naming the choices when it is none of ``FORMATS``."""
    kind = (fmt_name or (Path(output).suffix.lstrip(".") if output else "")).lower()
    kind = ALIASES.get(kind, kind)
    if kind not in FORMATS:
        raise ValueError(f"unknown report format {kind!r}; use one of {', '.join(FORMATS)}")
    return kind


def render_text(report: Report, kind: str) -> str:
    """The report as text (html, md with inline images, or json); DOCX needs a file."""
    kind = format_name(kind)
    if kind == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=str)
    if kind == "html":
        from hotline_nlp.bulletin.render_html import render_html

        return render_html(report)
    if kind == "md":
        from hotline_nlp.bulletin.render_md import render_md

        return render_md(report, None, images="inline")[0]
    raise ValueError("docx is a binary format: give an output file")


def write(
    report: Report,
    output: str | Path,
    kind: str,
    *,
    md_images: str = "file",
    image_path: Callable[[Path, int], Path] | None = None,
) -> list[Path]:
    """Render ``report`` to ``output`` as ``kind``; return the files written (the
    report and, for Markdown with ``md_images='file'``, its chart PNGs, named by
    ``image_path(output, n)``)."""
    kind = format_name(kind)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if kind == "docx":
        from hotline_nlp.bulletin import render_docx

        with atomic_path(output) as tmp:
            render_docx.render_docx(report, tmp)
        return [output]
    if kind == "md":
        from hotline_nlp.bulletin.render_md import render_md

        text, files = render_md(report, output, images=md_images, image_path=image_path)
        write_text(output, text)
        return [output, *files]
    write_text(output, render_text(report, kind))
    return [output]
