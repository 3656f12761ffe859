"""Service commands: ``serve`` and ``store import/export/dispatch-accuracy``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands.common import (
    ColumnsOpt,
    ModelsDirOpt,
    OutputFormat,
    check_output_or_fail,
    emit_json,
    fail,
)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (`sqlite:///path.db`, `postgresql://user@host/db`) or a SQLite file; "
        "default: complaints.db in the service folder of $HOTLINE_NLP_HOME.",
    ),
]


def _service_errors():
    """The errors the service commands turn into one-line messages."""
    from hotline_nlp.corpus.loaders import DataError
    from hotline_nlp.models.store import ModelError
    from hotline_nlp.service.store.db import StoreError

    return (StoreError, DataError, ModelError, ValueError, OSError)


def _serve_defaults() -> dict:
    """The service's defaults, defined once in ``Settings``."""
    import dataclasses

    from hotline_nlp.service.settings import Settings

    return {f.name: f.default for f in dataclasses.fields(Settings)}


_SERVE_DEFAULTS = _serve_defaults()


def serve(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="Model name in the model store (followed when a newer version is promoted) or a model directory.",
        ),
    ],
    db: DbOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep 127.0.0.1 unless a proxy is in front.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    api_key_file: Annotated[
        Path | None,
        typer.Option(
            "--api-key-file",
            help="File with the API key clients send as X-API-Key (its first line), or `name role key` lines "
            "(roles read-only, ingest, analyst, admin); or set HOTLINE_NLP_API_KEY.",
        ),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Run without an API key (local use only).")
    ] = False,
    models_dir: ModelsDirOpt = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Allow browser calls from this origin (repeatable); CORS is off by default."
        ),
    ] = None,
    max_batch: Annotated[int, typer.Option(help="Most complaints in one request.")] = 500,
    max_text_chars: Annotated[
        int, typer.Option(help="Longest complaint text accepted (title + body).")
    ] = 20_000,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MiB.")] = 4.0,
    model_check_interval: Annotated[
        float, typer.Option(help="Seconds between checks for a newly promoted model version (0: never).")
    ] = 5.0,
    max_connections: Annotated[
        int,
        typer.Option(
            help="Open connections at most; at the cap the longest-idle one is closed (fitted to ulimit -n)."
        ),
    ] = _SERVE_DEFAULTS["max_connections"],
    max_in_flight: Annotated[
        int, typer.Option(help="Requests handled at once; more get 503 with Retry-After.")
    ] = _SERVE_DEFAULTS["max_in_flight"],
    header_timeout: Annotated[
        float, typer.Option(help="Seconds for a client to send its request head, else 408 and close.")
    ] = _SERVE_DEFAULTS["header_timeout"],
    body_timeout: Annotated[
        float, typer.Option(help="Seconds for a client to send its request body, else 408 and close.")
    ] = _SERVE_DEFAULTS["body_timeout"],
    keep_alive_timeout: Annotated[
        int, typer.Option(help="Seconds an idle keep-alive connection is kept.")
    ] = _SERVE_DEFAULTS["keep_alive_timeout"],
    log_file: Annotated[
        Path | None,
        typer.Option(help="Log to this file, rotated at --log-max-mb (3 old files kept); default stderr."),
    ] = None,
    log_max_mb: Annotated[float, typer.Option(help="Size of one log file, in MiB.")] = 10.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the tagging API (OpenAPI docs at /docs).

    Limits and timeouts: README "Service limits and timeouts"; behind a
    reverse proxy in production: SECURITY.md.

    Examples:

      hotline-nlp serve --model demo --api-key-file ~/.hotline-key

      hotline-nlp serve --model demo --no-auth --port 8080 --db postgresql://hotline@db/hotline
    """
    import os

    from hotline_nlp.service.app import run
    from hotline_nlp.service.settings import Settings, db_url_from, read_api_keys

    try:
        keys = read_api_keys(api_key_file) if api_key_file else ()
        key = None if api_key_file else os.environ.get("HOTLINE_NLP_API_KEY") or None
        settings = Settings(
            model=model,
            db_url=db_url_from(db),
            models_dir=models_dir,
            api_key=key,
            api_keys=keys,
            auth_disabled=no_auth,
            max_batch=max_batch,
            max_text_chars=max_text_chars,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            cors_origins=tuple(cors_origin or ()),
            model_check_interval=model_check_interval,
            max_connections=max_connections,
            max_in_flight=max_in_flight,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            keep_alive_timeout=keep_alive_timeout,
            log_file=log_file,
            log_max_bytes=int(log_max_mb * 1024 * 1024),
        )
        run(settings, host=host, port=port, log_level=log_level)
    except _service_errors() as e:
        fail(str(e))


store_app = typer.Typer(
    help="The service's complaint store: import an export into it, export it back.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@store_app.command("import")
def store_import(
    input: Annotated[
        Path,
        typer.Option(
            "--input", "-i", help="Export to import (CSV, XLSX, JSONL or Parquet); needs a date column."
        ),
    ],
    db: DbOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Tag rows that carry no tags with this model.")
    ] = None,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Write rejected rows here (CSV).")] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="Summary as text or json.")
    ] = OutputFormat.text,
) -> None:
    """Import complaints into the store (idempotent: stored ids are skipped, conflicting ones reported,
    outcomes filled in since the last import updated).

    Examples:

      hotline-nlp store import --input 2024H1.xlsx --model demo

      hotline-nlp store import --db sqlite:///svc.db --input backup.csv
    """
    from hotline_nlp.corpus.safe_cells import write_csv
    from hotline_nlp.service.settings import db_url_from
    from hotline_nlp.service.store.db import open_store
    from hotline_nlp.service.store.transfer import import_file
    from rich.progress import Progress

    check_output_or_fail(rejects)
    try:
        engine = open_store(db_url_from(db))
        tagger = None
        if model:
            from hotline_nlp.classifier.model import load_model

            tagger = load_model(model, models_dir=models_dir)
        with Progress(transient=True, disable=format == OutputFormat.json) as bar:
            task = bar.add_task("importing", total=None)
            report = import_file(
                engine,
                input,
                model=tagger,
                columns=columns,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        if rejects is not None and report.rejects is not None:
            write_csv(report.rejects, rejects)
    except _service_errors() as e:
        fail(str(e))
    if format == OutputFormat.json:
        emit_json(report.to_json())
    else:
        s = report.to_json()
        typer.echo(
            f"{input}: {s['read']} rows read, {s['created']} stored, {s['existing']} already stored, "
            f"{s.get('updated', 0)} outcomes updated, "
            f"{s['tagged']} tagged, {len(s['conflicts'])} conflicts, {s['rejected_rows']} rows rejected"
        )
        for note in s["notes"]:
            typer.echo(f"  note: {note}")
        for _, r in report.rejects.head(10).iterrows() if report.rejects is not None else []:
            typer.echo(f"  rejected row {r['row']} (id {r['id']}): {r['column']}: {r['problem']}")
        if report.conflicts:
            typer.echo("  stored with different content (not imported): " + ", ".join(report.conflicts[:20]))
    if report.conflicts:
        raise typer.Exit(1)


@store_app.command("export")
def store_export(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write: .csv, .xlsx, .jsonl or .parquet.")
    ],
    db: DbOpt = None,
) -> None:
    """Export every stored complaint with its tags (re-importable with `store import`).

    Example:

      hotline-nlp store export --output complaints.csv
    """
    from hotline_nlp.service.settings import db_url_from
    from hotline_nlp.service.store.db import open_store
    from hotline_nlp.service.store.transfer import export_file

    try:
        n = export_file(open_store(db_url_from(db)), output)
    except _service_errors() as e:
        fail(str(e))
    typer.echo(f"{output}: {n} complaints written")


@store_app.command("dispatch-accuracy")
def store_dispatch_accuracy(
    db: DbOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Complaints created at or after (a date, or a date and time: 2024-05-01T08:00)."
        ),
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Complaints created before.")] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="Table as text or json.")
    ] = OutputFormat.text,
) -> None:
    """First-dispatch accuracy (智能派单): the share of stored complaints whose recommended unit
    is the unit they were assigned (or a reviewer's correction), overall, per unit and per ISO
    week. The same figures as GET /v1/dispatch/accuracy.

    Example:

      hotline-nlp store dispatch-accuracy --since 2024-01-01 --format json
    """
    from hotline_nlp.service.schemas import parse_local_datetime
    from hotline_nlp.service.settings import db_url_from
    from hotline_nlp.service.store.db import open_store
    from hotline_nlp.service.store.dispatch_stats import first_dispatch_accuracy

    try:
        bounds = [
            parse_local_datetime(v, name) if v else None
            for v, name in ((since, "--since"), (until, "--until"))
        ]
    except ValueError as e:
        fail(str(e))
    try:
        acc = first_dispatch_accuracy(open_store(db_url_from(db)), *bounds)
    except _service_errors() as e:
        fail(str(e))
    if format == OutputFormat.json:
        emit_json(acc)
        return
    if not acc["n"]:
        typer.echo("no stored complaint has both a recommended and an assigned unit in this period")
        return
    typer.echo(f"first dispatch right: {acc['top1']:.1%} (top-3 {acc['top3']:.1%}) of {acc['n']} complaints")
    typer.echo("per ISO week:")
    for week, r in acc["per_week"].items():
        typer.echo(f"  {week}  {r['top1']:6.1%}  n={r['n']}")
    typer.echo("per assigned unit (worst first):")
    for unit, r in sorted(acc["per_unit"].items(), key=lambda kv: (kv[1]["top1"], -kv[1]["n"])):
        typer.echo(f"  {r['top1']:6.1%}  n={r['n']:<5} {unit}")
