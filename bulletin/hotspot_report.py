"""Rendering and writing a hotspot result (``topics.hotspots``: the weekly alert
or a range's hot issues), as ``hotline-nlp hotspots`` prints it: JSON as is, or
``hotspot_document`` through the renderer registry. It computes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from hotline_nlp.bulletin import renderers
from hotline_nlp.bulletin.hotspot_document import hotspot_document
from hotline_nlp.corpus.atomic import write_text

FORMATS = ("md", "html", "docx", "json")


def _chart_file(output: Path, n: int) -> Path:
    """``alert.md`` -> ``alert.md.png`` (the name the alert has always linked)."""
    return Path(f"{output}.png") if n == 1 else Path(f"{output}.{n}.png")


def render_result(result: dict, fmt: str = "md", output: str | Path | None = None) -> str:
    """Render an alert or range result; with ``output``, write it there atomically
    (Markdown gets its chart as ``<output>.png`` beside it). Returns the text
    (empty for DOCX, which needs ``output``).

    JSON is the result itself (the ``hotline-nlp hotspots`` data contract, see
    ``topics.hotspots``); md / html / docx are the bulletin renderers' layout of
    ``hotspot_document(result)``.
    """
    if fmt == "json":
        text = json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n"
        if output is not None:
            write_text(output, text)
        return text
    kind = renderers.format_name(fmt)
    doc = hotspot_document(result)
    if output is None:
        if kind == "docx":
            raise ValueError("docx is a binary format: give an output file (--output alert.docx)")
        return renderers.render_text(doc, kind)
    renderers.write(doc, output, kind, image_path=_chart_file)
    return "" if kind == "docx" else Path(output).read_text("utf-8")
