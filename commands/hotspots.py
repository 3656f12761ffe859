"""The ``hotspots`` command: the weekly alert or a range's hot issues."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands import partitioned
from hotline_nlp.commands.common import (
    ColumnsOpt,
    DayFirstOpt,
    EncodingOpt,
    ModelsDirOpt,
    RejectsOpt,
    SheetOpt,
    check_output_or_fail,
    fail,
    load_model_or_fail,
    load_or_fail,
    period_hint,
    rejects_beside,
    resolve_input,
)
from hotline_nlp.commands.partitioned import SchedulerOpt


class HotspotFormat(str, Enum):
    md = "md"
    json = "json"
    html = "html"
    docx = "docx"


def hotspots_cmd(
    input: Annotated[
        str,
        typer.Option(
            "--input", help="Dated export (CSV, XLSX, JSONL or Parquet), a folder or glob of them, or `demo`."
        ),
    ],
    period: Annotated[
        str | None, typer.Option("--period", help="ISO week for the weekly alert, e.g. 2019-W37.")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day of a range (hot issues).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day of a range (inclusive).")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Issues to list (default 10).")] = None,
    history_weeks: Annotated[
        int | None,
        typer.Option(
            "--history-weeks",
            min=0,
            help="Weeks of history the alert compares with (default: a year and a month, for seasonality).",
        ),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha",
            help="False-alarm rate per issue and week (default 0.001), for growing issues and for issues born that week alike. On the real 2019 stream 0.0001 gave 0.19 alerts a week instead of 0.51 and found the planted issue in the same week (see BENCHMARKS.md).",
        ),
    ] = None,
    min_count: Annotated[
        int | None,
        typer.Option(
            "--min-count",
            min=1,
            help="Complaints an issue needs in the week to be flagged (default 3), whatever its score.",
        ),
    ] = None,
    memory_mb: Annotated[
        float | None,
        typer.Option("--memory-mb", hidden=True, help="Ignored (vectors are no longer held between steps)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", min=1, help="Threads for matching complaints to issues (default: every core available)."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Tag categories with this model (for data without labels).")
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option("--embedder", help="Add sentence embeddings from this embedder (name or directory)."),
    ] = None,
    semantic_weight: Annotated[
        float | None,
        typer.Option(
            "--semantic-weight",
            min=0.0,
            max=1.0,
            help="Share of the embedding in the vectors (default 0.3 with --embedder, else 0).",
        ),
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Keep issue ids across weekly runs in this directory.")
    ] = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="Without --state-dir, replay issues from the first week of this span "
            "(half, quarter, year), so every view of it gives an issue one id (slower); "
            "week: from the asked week (default).",
        ),
    ] = None,
    format: Annotated[
        HotspotFormat,
        typer.Option(
            "--format",
            help="md / html / docx (bulletin-like, with a trend chart; docx needs --output) or json.",
        ),
    ] = HotspotFormat.md,
    output: Annotated[Path | None, typer.Option("--output", help="Write here instead of stdout.")] = None,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: RejectsOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Weekly hotspot alert (--period) or the hot issues of a range (--start/--end).

    The alert clusters the complaints of the history weeks into issues, matches
    the week's complaints to them (new issues are born from what does not fit),
    and flags issues that are new or growing beyond their own baseline.

    Examples:

      hotline-nlp hotspots --input demo --period 2024-W48 --format md

      hotline-nlp hotspots --input 工单.csv --period 2019-W37 --state-dir state/ --format json

      hotline-nlp hotspots --input 工单.csv --start 2019-01-01 --end 2019-12-31 --top 10 --format html --output hot.html
    """
    from hotline_nlp.bulletin.hotspot_report import render_result
    from hotline_nlp.topics.hotspots import HotspotConfig, HotspotError

    if format == HotspotFormat.docx and output is None:
        fail("--format docx writes a file: give --output, e.g. --output alert.docx")
    if (period is None) == (start is None and end is None) or (start is None) != (end is None):
        fail("give either --period WEEK (weekly alert) or both --start and --end (hot issues of a range)")
    if period is not None:
        check_week_or_fail(period)
    rej = rejects_beside(output, rejects)
    check_output_or_fail(output, rej)
    if memory_mb is not None:
        typer.secho(
            "warning: --memory-mb is ignored: the alert no longer holds the history's vectors "
            "(see --scheduler to spread the work)",
            err=True,
            fg=typer.colors.YELLOW,
        )
    try:  # every setting is checked by the config; None keeps its default
        cfg = HotspotConfig().with_(
            listed=top, history_weeks=history_weeks, alpha=alpha, min_count=min_count, jobs=jobs,
            semantic_weight=semantic_weight, anchor=anchor,
        )  # fmt: skip
    except HotspotError as e:
        fail(str(e))
    m = load_model_or_fail(model, models_dir) if model else None
    ask = dict(
        period=period, start=start, end=end, config=cfg, embedder=embedder, model=m, state_dir=state_dir
    )
    if partitioned.wants_partitions(input, scheduler):
        # both reports run their steps on the partitions where they are loaded
        result = partitioned.hotspots_over_parts(str(resolve_input(input)), columns, encoding, scheduler, ask)
    else:
        result = _in_memory(input, columns, encoding, sheet, dayfirst, rej, ask)
    try:
        text = render_result(result, format.value, output)
    except ValueError as e:
        fail(str(e))
    except OSError as e:  # a full disk while writing --output: earlier output kept
        fail(f"cannot write {output}: {e.strerror or e}")
    _emit(text, output)


def _in_memory(input, columns, encoding, sheet, dayfirst, rej, ask) -> dict:
    from hotline_nlp.topics.hotspots import hotspot_report

    frame = load_or_fail(
        input,
        columns=columns,
        encoding=encoding,
        require=("created_at",),
        sheet=sheet,
        dayfirst=dayfirst,
        rejects=rej,
    ).frame
    try:
        return hotspot_report(frame, **ask)
    except ValueError as e:  # HotspotError, PeriodError, EmbedderError: messages name the problem
        fail(str(e))


def check_week_or_fail(period: str) -> None:
    """Refuse a --period that is no ISO week before any data is read, saying which
    week it likely meant (``2019-34`` -> ``2019-W34``)."""
    from hotline_nlp.topics.periods import PeriodError, parse_period

    try:
        p = parse_period(period)
    except PeriodError as e:
        fail(period_hint(period, str(e)))
    if p.kind != "week":
        fail(
            period_hint(
                period, f"{p.label} is a {p.kind}; the weekly alert takes an ISO week such as 2024-W20"
            )
        )


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        typer.echo(f"wrote {output}", err=True)
