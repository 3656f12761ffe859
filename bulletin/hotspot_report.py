"""What ``hotline-nlp hotspots`` does, minus option parsing: pick the report,
run it (``topics.hotspots``), render it (``hotspot_document`` through the
renderer registry), write it. Kept here so the CLI stays a thin shell and the
same call is testable without it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
from hotline_nlp.bulletin import renderers
from hotline_nlp.bulletin.hotspot_document import hotspot_document
from hotline_nlp.corpus.atomic import write_text
from hotline_nlp.topics.config import HotspotConfig
from hotline_nlp.topics.engine.pieces import check_frame
from hotline_nlp.topics.hotspots import DEFAULT_HISTORY_WEEKS, hot_issues_parts, weekly_alert_parts

FORMATS = ("md", "html", "docx", "json")


def run_hotspots(
    frame: pd.DataFrame,
    *,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    top: int = 10,
    history_weeks: int | None = None,
    alpha: float | None = None,
    min_count: int | None = None,
    jobs: int | None = None,
    model=None,
    embedder: str | None = None,
    semantic_weight: float | None = None,
    state_dir: str | Path | None = None,
    fmt: str = "md",
    output: str | Path | None = None,
    sources: list | None = None,
    executor=None,
    options=None,
    on_rejects=None,
) -> str:
    """Run the weekly alert (``period``) or the range report (``start``/``end``) and
    return the rendered text; with ``output``, also write it there (atomically;
    a Markdown report gets its chart as ``<output>.png`` beside it).

    ``sources`` (input partitions) instead of ``frame``: both reports run on
    ``executor`` (``topics.hotspots.weekly_alert_parts`` / ``hot_issues_parts``)."""
    cfg = replace(HotspotConfig(), semantic_weight=semantic_weight)  # None: the embedder decides
    if jobs is not None:
        cfg = replace(cfg, n_jobs=int(jobs))
    if min_count is not None:
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        cfg = replace(cfg, emergence=replace(cfg.emergence, min_count=int(min_count)))
    if period is not None:
        # one frame is one partition: ``weekly_alert`` is exactly this call over it
        result = weekly_alert_parts(
            sources if sources is not None else [check_frame(frame)],
            period,
            history_weeks=DEFAULT_HISTORY_WEEKS if history_weeks is None else history_weeks,
            embedder=embedder,
            model=model,
            state_dir=state_dir,
            alpha=alpha,
            config=cfg,
            top=top,
            executor=executor,
            options=options,
            on_rejects=on_rejects,
        )
    else:
        # the same engine, over the partitions or over the frame as one partition
        result = hot_issues_parts(
            sources if sources is not None else [check_frame(frame)],
            (start, end),
            top=top,
            embedder=embedder,
            model=model,
            config=cfg,
            executor=executor,
            options=options,
            on_rejects=on_rejects,
        )
    return render_result(result, fmt, output)


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
