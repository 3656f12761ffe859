"""Embedding commands: ``embed``, ``embedder build/info`` and ``cache info/clean``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands import partitioned
from hotline_nlp.commands.common import (
    ColumnsOpt,
    EmbedderOpt,
    EncodingOpt,
    OutputFormat,
    emit_json,
    fail,
)
from hotline_nlp.commands.partitioned import SchedulerOpt

embedder_app = typer.Typer(
    help="Build and inspect sentence embedders.", no_args_is_help=True, rich_markup_mode=None
)


@embedder_app.command("build")
def embedder_build_cmd(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="Model directory to write (default: the bundled zh-static-v1 in models/)."
        ),
    ] = None,
    max_words: Annotated[
        int | None,
        typer.Option("--max-words", help="Multi-character words kept, most frequent first [default: 70000]."),
    ] = None,
    dims: Annotated[
        int | None, typer.Option("--dims", help="Vector dimensions, PCA of the teacher [default: 256].")
    ] = None,
    sif_a: Annotated[
        float | None, typer.Option("--sif-a", help="SIF weighting constant a/(a+p(word)) [default: 1e-3].")
    ] = None,
    tune_corpus: Annotated[
        Path | None,
        typer.Option("--tune-corpus", help="CSV (title/body) to tune on; default the bundled demo corpus."),
    ] = None,
    no_tune: Annotated[bool, typer.Option("--no-tune", help="Skip the tuning step.")] = False,
    tune_epochs: Annotated[
        int | None,
        typer.Option(
            "--tune-epochs",
            help="Fine-tuning epochs after the linear alignment (0: alignment only) [default: 6].",
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Build the static Chinese embedder, distilled from the multilingual USE (takes minutes).

    Example: `hotline-nlp embedder build --output /tmp/zh-static --max-words 60000`
    """
    from hotline_nlp.models.embedder_build import (
        BuildConfig,
        build_embedder,
        default_output,
        default_tune_corpus,
    )

    corpus = None if no_tune else str(tune_corpus) if tune_corpus else default_tune_corpus()
    given = {"max_words": max_words, "dims": dims, "sif_a": sif_a, "tune_epochs": tune_epochs}
    cfg = BuildConfig(tune_corpus=corpus, **{k: v for k, v in given.items() if v is not None})
    try:
        manifest = build_embedder(output or default_output(), cfg, show_progress=fmt == OutputFormat.text)
    except (ValueError, OSError) as e:
        fail(str(e))
    if fmt == OutputFormat.json:
        emit_json(manifest)
    else:
        typer.echo(
            f"built {output or default_output()}: {manifest['vocab_size']} tokens x {manifest['dim']} dims "
            f"in {manifest['build_seconds']} s (tuned on: {manifest['tuned_on']})"
        )


@embedder_app.command("info")
def embedder_info_cmd(
    embedder: Annotated[
        str | None, typer.Argument(help="Name or directory (default: the bundled model).")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Show an embedder's name, version (the cache key) and dimension.

    Example: `hotline-nlp embedder info use-multilingual`
    """
    from hotline_nlp.corpus.embedding import EmbedderError, describe, load_embedder

    try:
        info = describe(load_embedder(embedder))
    except EmbedderError as e:
        fail(str(e))
    if fmt == OutputFormat.json:
        emit_json(info)
    else:
        for k, v in info.items():
            typer.echo(f"{k}: {v}")


cache_app = typer.Typer(
    help="The on-disk cache: sentence vectors by embedder version, and vectors spilled by hotspot runs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@cache_app.command("info")
def cache_info_cmd(fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text) -> None:
    """Where the cache is, how big, and how many vectors each embedder version holds.

    The directory is $HOTLINE_NLP_CACHE, else $HOTLINE_NLP_HOME/cache, else
    ~/.cache/hotline-nlp. Deleting it is always safe: vectors are recomputed.
    """
    from hotline_nlp.corpus import cache_admin

    info = cache_admin.summary()
    if fmt == OutputFormat.json:
        emit_json(info)
        return
    typer.echo(f"cache: {info['directory']} ({info['file_bytes'] / 2**20:.1f} MiB of embeddings)")
    for v, d in info["versions"].items():
        typer.echo(f"  {v}: {d['entries']} vectors, {d['bytes'] / 2**20:.1f} MiB")
    if not info["versions"]:
        typer.echo("  no cached vectors")
    typer.echo(
        f"spill folders: {len(info['spill_folders'])} ({len(info['stale_spill_folders'])} left by runs that ended)"
    )


@cache_app.command("clean")
def cache_clean_cmd(
    version: Annotated[
        list[str] | None,
        typer.Option(
            "--version", help="Delete this embedder version's vectors (repeatable; see `cache info`)."
        ),
    ] = None,
    keep_current: Annotated[
        bool,
        typer.Option(
            "--keep-current",
            help="Delete every version except the bundled default embedder's current one (after a rebuild).",
        ),
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Delete every cached vector.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Remove cached vectors and the spill folders of hotspot runs that were killed.

    Without options only the stale spill folders go. The file is compacted
    afterwards, so the space comes back.

    Examples:

      hotline-nlp cache clean --keep-current

      hotline-nlp cache clean --version use-multilingual-v1
    """
    from hotline_nlp.corpus import cache_admin
    from hotline_nlp.corpus.embedding import EmbedderError

    try:
        result = cache_admin.clean(version, keep_current=keep_current, all_=all_)
    except (ValueError, EmbedderError) as e:
        fail(str(e))
    if fmt == OutputFormat.json:
        emit_json(result)
    else:
        for v, n in result["removed_vectors"].items():
            typer.echo(f"removed {n} vectors of {v}")
        typer.echo(f"removed {len(result['removed_spill_folders'])} stale spill folder(s)")


def embed_cmd(
    input: Annotated[
        Path,
        typer.Option(
            "--input", help="Complaints export (CSV, XLSX, JSONL or Parquet), or a folder or glob of them."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", help="Where to write the (n, dim) float32 .npy, or a folder of Parquet parts."
        ),
    ],
    embedder: EmbedderOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the embedding cache.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
    scheduler: SchedulerOpt = None,
) -> None:
    """Embed every complaint's text into an .npy array (L2-normalised rows, input order).

    Rows the loader rejects are skipped and listed in OUT.rejects.csv; OUT.rows.csv maps each output row
    to its source row and id. Unchanged texts come from the cache ($HOTLINE_NLP_CACHE).

    Example: `hotline-nlp embed --input week.csv --output week.npy --embedder use-multilingual`
    """
    from hotline_nlp.corpus.embedding import EmbedderError, embed_file
    from hotline_nlp.corpus.loaders import DataError

    if partitioned.wants_partitions(input, scheduler):
        summary = partitioned.embed(
            input, output, embedder, columns, encoding, batch_size, not no_cache, scheduler
        )
        if fmt == OutputFormat.json:
            return emit_json(summary)
        return typer.echo(
            f"wrote {summary['output']}: {summary['rows']} x {summary['dim']} ({summary['embedder']}) "
            f"from {summary['parts']} partition(s); {summary['rejected_rows']} rejected row(s)"
        )
    try:
        summary = embed_file(
            input,
            output,
            embedder,
            columns,
            encoding,
            batch_size,
            cache=not no_cache,
            show_progress=fmt == OutputFormat.text,
        )
    except (EmbedderError, DataError, FileNotFoundError) as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write {output}: {e.strerror or e}")
    if fmt == OutputFormat.json:
        emit_json(summary)
    else:
        typer.echo(
            f"wrote {summary['output']}: {summary['rows']} x {summary['dim']} ({summary['embedder']}); "
            f"row map {summary['rows_file']}"
        )
        if summary["rejected_rows"]:
            typer.secho(
                f"{summary['rejected_rows']} rejected row(s) were not embedded; see {summary['rejects_file']}",
                fg=typer.colors.YELLOW,
                err=True,
            )
