"""What every command shares: one-line errors, JSON output, input loading
with a warning for rejected rows, progress displays and the common options."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error (no traceback: the message names the file/row) and exit."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def resolve_input(path: str) -> Path:
    """``demo`` names the bundled demo corpus; anything else is a path."""
    if path == "demo":
        from hotline_nlp.corpus.resources import data_path

        return Path(str(data_path("demo_complaints.csv")))
    return Path(path)


def load_or_fail(
    path: str,
    *,
    columns=None,
    encoding=None,
    require=(),
    label_cols=None,
    sheet=None,
    dayfirst=None,
    rejects: Path | None = None,
    can_list_rejects: bool = True,
):
    """Load an export, turning file-level problems into a one-line error.

    Every command that reads an export goes through here, so rejects are
    reported the same way everywhere: a warning naming the first one, the
    loader's notes, and (with ``rejects``) the full list as a CSV, written even
    when empty. The warning names that file; without one it points to --rejects
    where the command has it (``can_list_rejects``)."""
    from hotline_nlp.corpus.loaders import DataError, load_complaints
    from hotline_nlp.corpus.validate import Limits

    try:
        data = load_complaints(
            resolve_input(path),
            columns,
            encoding=encoding,
            require=require,
            label_cols=label_cols or None,
            sheet=sheet,
            limits=Limits(dayfirst=dayfirst),
        )
    except (DataError, ValueError) as e:
        fail(str(e))
    for note in data.notes:
        typer.secho(f"note: {data.path.name}: {note}", err=True)
    if data.n_rejected_rows:
        first = data.rejects.iloc[0]
        typer.secho(
            f"warning: {data.n_rejected_rows} row(s) of {data.path.name} rejected, e.g. row {first['row']} "
            f"({first['column']}): {first['problem']}"
            + (
                f"; all in {rejects}"
                if rejects
                else ("; list them with --rejects FILE" if can_list_rejects else "")
            ),
            err=True,
            fg=typer.colors.YELLOW,
        )
    if rejects:
        try:
            data.write_rejects(rejects)
        except OSError as e:
            fail(f"cannot write {rejects}: {e.strerror or e}")
    if len(data.frame) == 0:
        fail(f"{data.path}: no usable rows (all {data.n_rejected_rows} rejected)")
    return data


def period_hint(text: str, message: str) -> str:
    """``message`` (why ``text`` is not a period) plus the ISO week it likely meant:
    ``2019-34`` is no month, but week 34 of 2019 is ``2019-W34``."""
    import re

    m = re.fullmatch(r"\s*(\d{4})[-/ ]?[wW]?(\d{1,2})\s*", str(text))
    if m and 1 <= int(m.group(2)) <= 53:
        return f"{message}; for ISO week {int(m.group(2))} write {m.group(1)}-W{int(m.group(2)):02d}"
    return message


def load_model_or_fail(model: str, models_dir: Path | None):
    """The named model (or model directory), or a one-line error saying what is wrong with it."""
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.models.store import ModelError

    try:
        return load_model(model, models_dir)
    except ModelError as e:
        fail(str(e))


def check_output_or_fail(*paths: Path | None) -> None:
    """Refuse unwritable outputs before the work (``--output`` under a file ...)."""
    from hotline_nlp.corpus.atomic import check_output

    for p in paths:
        if p is not None:
            try:
                check_output(p)
            except OSError as e:
                fail(e.strerror or str(e))


def rejects_beside(output: Path | None, rejects: Path | None) -> Path | None:
    """The rejects file: ``--rejects``, else ``OUTPUT.rejects.csv`` beside the output."""
    if rejects is not None or output is None:
        return rejects
    return output.with_name(output.name + ".rejects.csv")


def progress_steps(description: str):
    """A rich progress spinner on stderr that shows the current step of long work."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def progress_bar():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Map fields to your headers: FIELD=HEADER pairs, comma-separated "
        "(e.g. text=诉求内容, id=工单号, created_at=受理时间).",
    ),
]
UnitColOpt = Annotated[
    str | None,
    typer.Option(
        "--unit-col",
        help="The handling-unit column dispatch learns from (default: 承办单位, 处置单位, 责任单位 or unit).",
    ),
]


def with_unit_col(columns: str | None, unit_col: str | None) -> str | None:
    """``--unit-col X`` as one more ``--columns`` entry (``unit=X``)."""
    if not unit_col:
        return columns
    return f"{columns},unit={unit_col}" if columns else f"unit={unit_col}"


EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Force the CSV encoding (default: try UTF-8, then GB18030/GBK)."),
]
ModelsDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        help="Where trained models live (default: models in $HOTLINE_NLP_HOME, else in ~/.hotline-nlp).",
    ),
]


SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="XLSX: read this sheet only (default: every sheet holding complaints)."),
]
DayFirstOpt = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read 01/05/2024 as 1 May (--dayfirst) or 5 January (--monthfirst). Default: inferred "
        "from the column; values it cannot tell are rejected.",
    ),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Write rejected rows here (CSV; default: beside --output, named OUTPUT.rejects.csv).",
    ),
]
LabelColOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label-col",
        help="Label column(s), coarse first; repeat for two levels. Default: 一级分类 and 二级分类, or 分类.",
    ),
]


EmbedderOpt = Annotated[
    str | None,
    typer.Option(
        "--embedder",
        help="Sentence embedder: the bundled `zh-static-v1` (default) or `use-multilingual`, a "
        "sentence-transformers model directory, or a model id already in the local Hugging Face cache (never downloaded).",
    ),
]
