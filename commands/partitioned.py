"""Partitioned inputs and ``--scheduler`` for the commands (issue 14).

``classify``/``embed``/``hotspots`` call into here when ``--input`` is a folder
or glob, or a scheduler is given (``--scheduler`` or ``HOTLINE_NLP_SCHEDULER``);
a plain file without a scheduler keeps the single-file path it always had.
Every failure the user can fix (no files, unreachable scheduler, unreadable
partition) ends in a one-line error, no traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands.common import fail

SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar="HOTLINE_NLP_SCHEDULER",
        help="Run on Dask: `local` / `local:N` (a LocalCluster of N worker processes) or a scheduler "
        "address (tcp://host:8786). Default: this process.",
    ),
]


def wants_partitions(input: str | Path, scheduler: str | None) -> bool:
    from hotline_nlp.corpus.partitions import is_partitioned

    return bool(scheduler) or is_partitioned(input)


def _errors():
    """The exceptions that become a one-line error."""
    from hotline_nlp.corpus.embedding import EmbedderError
    from hotline_nlp.corpus.executor import SchedulerError
    from hotline_nlp.corpus.loaders import DataError
    from hotline_nlp.models.store import ModelError

    return (SchedulerError, DataError, ModelError, EmbedderError, OSError, ValueError)


def _warn_rejects(rejects, rejects_path: Path) -> None:
    from hotline_nlp.corpus.partitions import rejects_summary
    from hotline_nlp.corpus.safe_cells import write_csv

    write_csv(rejects, rejects_path)  # citizen text in the value column: formula-safe
    msg = rejects_summary(rejects)
    if msg:
        typer.secho(f"warning: {msg} -> {rejects_path}", err=True, fg=typer.colors.YELLOW)


def classify(model, input, output: Path, top_k, models_dir, columns, encoding, rejects, scheduler):
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.partitioned import ModelRef, classify_partitions
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import LoadOptions, list_partitions

    try:
        m = load_model(model, models_dir)  # checked here, before any worker starts
        files = list_partitions(input)
        with open_executor(scheduler) as ex:
            s = classify_partitions(
                ex, files, ModelRef.of(m.path), output, top_k=top_k, options=LoadOptions(columns, encoding)
            )
    except _errors() as e:
        fail(str(e))
    rej = rejects or output.with_name(output.name + ".rejects.csv")
    _warn_rejects(s["rejects"], rej)
    typer.echo(
        f"tagged {s['rows']} rows of {s['parts']} partition(s) with {s['model']} -> {output} "
        f"({s['needs_review']} need review); {len(s['rejects'])} rejected -> {rej}"
    )


def embed(input, output: Path, embedder, columns, encoding, batch_size, cache: bool, scheduler) -> dict:
    from hotline_nlp.corpus.embedding_parts import embed_partitions
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import LoadOptions, list_partitions

    try:
        files = list_partitions(input)
        with open_executor(scheduler) as ex:
            s = embed_partitions(
                ex,
                files,
                output,
                embedder,
                options=LoadOptions(columns, encoding),
                batch_size=batch_size,
                cache=cache,
            )
    except _errors() as e:
        fail(str(e))
    rejects = s.pop("rejects")
    _warn_rejects(rejects, output.with_name(output.name + ".rejects.csv"))
    s["rejected_rows"] = len(rejects)
    return s


def hotspots_over_parts(input: str, columns, encoding, scheduler, ask: dict) -> dict:
    """The weekly alert or the range report (``topics.hotspots.hotspot_report``
    with ``ask``) over partitions: every per-partition step runs on the executor
    (``topics.engine``); the client gets small results only."""
    from hotline_nlp.corpus.executor import open_executor
    from hotline_nlp.corpus.partitions import LoadOptions, list_partitions, rejects_summary
    from hotline_nlp.topics.hotspots import hotspot_report

    def warn(rejects) -> None:
        typer.secho(f"warning: {rejects_summary(rejects)}", err=True, fg=typer.colors.YELLOW)

    try:
        files = list_partitions(input)
        with open_executor(scheduler) as ex:
            return hotspot_report(
                files, executor=ex, on_rejects=warn,
                options=LoadOptions(columns, encoding, require=("created_at",)), **ask,
            )  # fmt: skip
    except _errors() as e:
        fail(str(e))
