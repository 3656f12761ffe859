"""The ``report`` command: the periodic bulletin (专报)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands.common import (
    ColumnsOpt,
    DayFirstOpt,
    EncodingOpt,
    ModelsDirOpt,
    SheetOpt,
    check_output_or_fail,
    emit_json,
    fail,
    load_model_or_fail,
    load_or_fail,
    period_hint,
    progress_steps,
    rejects_beside,
)


class ReportFormat(str, Enum):
    docx = "docx"
    html = "html"
    md = "md"
    json = "json"


def default_output(label: str, fmt: str) -> Path:
    """``report_2024H1.docx`` in the current directory: the file a report without
    --output goes to (the whole JSON document on a terminal helps nobody)."""
    return Path(f"report_{label}.{fmt}")


class Compare(str, Enum):
    last_year = "last-year"
    previous = "previous"


def report_cmd(
    input: Annotated[
        Path,
        typer.Option(
            "--input", "-i", help="Complaints export (CSV, XLSX, JSONL or Parquet), all periods, or `demo`."
        ),
    ],
    period: Annotated[str, typer.Option("--period", "-p", help="2024H1, 2024Q3, 2024-05, 2024-W20 or 2024.")],
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Report file (repeat for several formats from one run); a `.figures.csv` appendix is "
            "written beside each. Default: report_PERIOD.docx (or the --format's suffix) here. "
            "`-o -` writes the JSON document to stdout.",
        ),
    ] = None,
    format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="docx, html, md or json (default: from --output's suffix, else docx)."
        ),
    ] = None,
    compare: Annotated[
        Compare,
        typer.Option(
            "--compare", help="Changes against the same period last year (同比) or the previous one (环比)."
        ),
    ] = Compare.last_year,
    model: Annotated[
        str | None, typer.Option("--model", help="Tagging model for exports without 一级/二级分类.")
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights",
            help="JSON/TOML file of 综评分 weights (closed, satisfied, on_time, revisited, stars).",
        ),
    ] = None,
    min_volume: Annotated[
        int,
        typer.Option(
            "--min-volume", help="Units with fewer transferred complaints are not ranked (评优评差)."
        ),
    ] = 15,
    top: Annotated[int, typer.Option("--top", help="Hot categories to describe.")] = 5,
    city: Annotated[str, typer.Option("--city", help="City name for the masthead, e.g. 盘锦市.")] = "本市",
    issuer: Annotated[str, typer.Option("--issuer", help="Issuing office printed under the masthead.")] = "",
    issue: Annotated[
        str, typer.Option("--issue", help="Issue line, e.g. '2024 年第 5 期' (default: the period).")
    ] = "",
    date: Annotated[str, typer.Option("--date", help="Date printed at the end (default: today).")] = "",
    md_images: Annotated[
        str,
        typer.Option("--md-images", help="Markdown chart: `file` (PNG beside it) or `inline` (data URI)."),
    ] = "file",
    emerging: Annotated[
        bool,
        typer.Option(
            "--emerging/--no-emerging",
            help="Run the hotspot engine for 难点问题 (the slow part on large exports).",
        ),
    ] = True,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write rejected rows here (CSV; default: beside the first --output)."),
    ] = None,
    models_dir: ModelsDirOpt = None,
) -> None:
    """Write a 专报 (bulletin) for one period from the data alone.

    Sections: 总体情况 (totals and rates), 各地区/各部门办理情况 (tables with 综评分),
    热点诉求分析 (top categories, examples, 趋势图), 难点问题 (emerging issues),
    评优评差. Sections whose columns are missing are left out with a note.

    Examples:

      hotline-nlp report -i corpus/data/demo_complaints.csv -p 2024H2 -o report.docx -o report.html --city 盘锦市

      hotline-nlp report -i export.xlsx -p 2024-W20 --compare previous -f md -o week20.md

      hotline-nlp report -i export.csv -p 2024Q3 -f json -o - > figures.json

    Without --output the report is written as report_PERIOD.docx (or
    report_PERIOD.md ... for --format) in the current directory.
    """
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.handling_rates import load_weights
    from hotline_nlp.bulletin.renderers import format_name
    from hotline_nlp.bulletin.report import appendix_path, build_report, write_reports
    from hotline_nlp.topics.hotspots import emerging_issues
    from hotline_nlp.topics.periods import PeriodError, parse_period

    to_stdout = [str(o) for o in output or []] == ["-"]
    if to_stdout and format not in (None, ReportFormat.json):
        fail("-o - writes the JSON document to stdout; give a file for docx, html and md")
    if "-" in [str(o) for o in output or []] and not to_stdout:
        fail("-o - (JSON on stdout) cannot be combined with other --output files")
    try:
        p = parse_period(period)
    except PeriodError as e:
        fail(period_hint(period, str(e)))
    if not output:
        output = [default_output(p.label, format.value if format else "docx")]
    elif to_stdout:
        output = []
    if output and format and len(output) > 1:
        fail("--format applies to a single --output; with several, each file's suffix names its format")
    for out in output or []:
        try:
            format_name(format.value if format else None, out)
        except ValueError:
            fail(
                f"{out}: cannot tell the report format from the suffix; use .docx, .html, .md or .json, or --format"
            )
    rej = rejects_beside(output[0] if output else None, rejects)
    check_output_or_fail(*(output or []), *(appendix_path(o) for o in output or []), rej)
    try:
        opts = Options(
            compare=compare.value,
            weights=load_weights(weights),
            min_volume=min_volume,
            top_categories=top,
            city=city,
            issuer=issuer,
            issue=issue,
            date=date,
        )
    except ValueError as e:
        fail(str(e))
    loaded = load_or_fail(
        str(input),
        columns=columns,
        encoding=encoding,
        require=("created_at",),
        sheet=sheet,
        dayfirst=dayfirst,
        rejects=rej,
    )
    frame = loaded.frame
    opts.rejected_rows = loaded.n_rejected_rows
    if model:
        from hotline_nlp.classifier.tagging import tag_frame

        frame = tag_frame(frame, load_model_or_fail(model, models_dir))
    with progress_steps("report") as bar:
        task = bar.add_task("report", total=None)
        try:
            found = None
            if emerging and len(frame):  # 难点问题: the hotspot engine over the period (most of the time)
                bar.update(task, description="难点问题（热点发现）")
                found = emerging_issues(frame, p)
            rep = build_report(
                frame, p, opts, progress=lambda s: bar.update(task, description=s), emerging=found
            )
        except ValueError as e:  # NoDataError: the period holds no complaint
            fail(str(e))
        if to_stdout:
            emit_json(rep.to_json())
            return
        bar.update(task, description="writing")
        try:
            written = write_reports(
                rep, [(o, format.value if format else None) for o in output], md_images=md_images
            )
        except ValueError as e:
            fail(str(e))
        except OSError as e:  # all or nothing: no report is left without its figures file
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            fail(f"cannot write the report: {e.strerror or e}{where}")
    if loaded.n_rejected_rows:
        typer.secho(f"note: {loaded.n_rejected_rows} rejected rows are not counted in the report", err=True)
    for line in rep.omitted:
        typer.secho(f"note: {line}", err=True)
    typer.echo(
        f"{p.label}: {len(rep.figures)} figures, {len(rep.tables())} tables -> "
        + ", ".join(str(w) for w in dict.fromkeys(written))
    )
