"""What ``hotline-nlp hotspots`` does, minus option parsing: pick the report,
run it, render it, write it. Kept here so the CLI stays a thin shell and the
same call is testable without it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
from hotline_nlp.bulletin.hotspot_render import chart_png, to_html, to_markdown
from hotline_nlp.corpus.atomic import write_bytes, write_text
from hotline_nlp.topics.hotspots import hot_issues, weekly_alert
from hotline_nlp.topics.window import HotspotConfig


def run_hotspots(
    frame: pd.DataFrame,
    *,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    top: int = 10,
    history_weeks: int = 56,
    alpha: float | None = None,
    min_count: int | None = None,
    memory_mb: float | None = None,
    jobs: int | None = None,
    model=None,
    embedder: str | None = None,
    semantic_weight: float | None = None,
    state_dir: str | Path | None = None,
    fmt: str = "md",
    output: str | Path | None = None,
) -> str:
    """Run the weekly alert (``period``) or the range report (``start``/``end``) and
    return the rendered text; with ``output``, also write it there (atomically;
    a Markdown report gets its chart as ``<output>.png`` beside it)."""
    weight = semantic_weight if semantic_weight is not None else (0.3 if embedder else 0.0)
    cfg = replace(HotspotConfig(), semantic_weight=weight)
    if memory_mb is not None:
        cfg = replace(cfg, memory_mb=float(memory_mb))
    if jobs is not None:
        cfg = replace(cfg, n_jobs=int(jobs))
    if min_count is not None:
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        cfg = replace(cfg, emergence=replace(cfg.emergence, min_count=int(min_count)))
    if period is not None:
        result = weekly_alert(
            frame,
            period,
            history_weeks=history_weeks,
            embedder=embedder,
            model=model,
            state_dir=state_dir,
            alpha=alpha,
            config=cfg,
            top=top,
        )
    else:
        result = hot_issues(frame, (start, end), top=top, embedder=embedder, model=model, config=cfg)
    return render_result(result, fmt, output)


def render_result(result: dict, fmt: str = "md", output: str | Path | None = None) -> str:
    """Render an alert or range result as md/html/json; with ``output``, write it
    there atomically (Markdown gets its chart as ``<output>.png`` beside it)."""
    if fmt == "json":
        text = json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n"
    elif fmt == "html":
        text = to_html(result)
    elif fmt == "md":
        image_ref = None
        if output is not None:
            png = chart_png(result)
            if png:
                png_path = Path(str(output) + ".png")
                write_bytes(png_path, png)
                image_ref = png_path.name
        text = to_markdown(result, image_ref=image_ref)
    else:
        raise ValueError(f"unknown format {fmt!r}; use md, html or json")
    if output is not None:
        write_text(output, text)
    return text
