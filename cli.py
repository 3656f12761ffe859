"""The ``hotline-nlp`` command line.

Commands are thin: they parse options, call the packages and print. Each
capability keeps its commands in its own section below.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="hotline-nlp",
    help=(
        "Tag 12345 hotline complaints, find hotspots and emerging issues, write bulletins.\n\n"
        "Quick start on the bundled demo corpus:\n\n"
        "  hotline-nlp train --data demo --name demo\n\n"
        "  hotline-nlp classify --model demo --input complaints.csv --output tagged.csv\n\n"
        "Every command has its own --help with examples."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)


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
        from hotline_nlp.corpus.text import data_path

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
):
    """Load an export, turning file-level problems into a one-line error.

    Every command that reads an export goes through here, so rejects are
    reported the same way everywhere: a warning naming the first one, the
    loader's notes, and (with ``rejects``) the full list as a CSV, written even
    when empty."""
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
            + (f"; all in {rejects}" if rejects else "; list them with --rejects FILE"),
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
        "--columns", help="Map fields to your headers, e.g. `text=诉求内容,id=工单号,created_at=受理时间`."
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Force the CSV encoding (default: try UTF-8, then GB18030/GBK)."),
]
ModelsDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        help="Where trained models live (default: $HOTLINE_NLP_HOME/models, ~/.hotline-nlp/models).",
    ),
]

# --- tagging (issue 2) ---

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
        "--rejects", help="Write rejected rows here (CSV; default: OUTPUT.rejects.csv beside --output)."
    ),
]
LabelColOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label-col",
        help="Label column(s), coarse first; repeat for two levels. Default: 一级分类/二级分类 or 分类.",
    ),
]


@app.command()
def train(
    data: Annotated[
        str,
        typer.Option(
            "--data", help="Labelled export (CSV/XLSX/JSONL/Parquet), or `demo` for the bundled corpus."
        ),
    ],
    label_col: LabelColOpt = None,
    name: Annotated[
        str, typer.Option("--name", help="Model name; versions v1, v2 ... are kept under it.")
    ] = "default",
    models_dir: ModelsDirOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Promote the new version even if it scores worse than the current one."),
    ] = False,
    taxonomy: Annotated[
        str | None,
        typer.Option(
            "--taxonomy",
            help="Check labels against a taxonomy CSV (一级分类,二级分类), or `default` for the bundled 12345 one; rows with unknown labels are rejected.",
        ),
    ] = None,
    review_precision: Annotated[
        float, typer.Option(help="Tags below the confidence that reaches this precision get needs_review.")
    ] = 0.95,
    embedder: Annotated[
        str,
        typer.Option(
            "--embedder",
            help="Sentence-embedding features from this embedder (name or dir), or `none` for sparse features only.",
        ),
    ] = "zh-static-v1",
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Write rejected rows here (CSV).")] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for scripts.")
    ] = OutputFormat.text,
) -> None:
    """Train a tagger on a labelled export, cross-validate it and save a new version.

    The new version is promoted (used by `classify` and `serve`) only if its
    cross-validated macro-F1 is not worse than the current one, unless --force.

    Examples:

      hotline-nlp train --data demo --name demo

      hotline-nlp train --data 2024工单.xlsx --label-col 一级分类 --label-col 二级分类 --name city

      hotline-nlp train --data export.csv --columns text=来电内容 --format json
    """
    from hotline_nlp.classifier.training import train as run_train

    check_output_or_fail(rejects)
    loaded = load_or_fail(
        data,
        columns=columns,
        encoding=encoding,
        require=("labels",),
        label_cols=label_col,
        sheet=sheet,
        dayfirst=dayfirst,
    )
    if taxonomy:
        from hotline_nlp.corpus.loaders import DataError
        from hotline_nlp.corpus.taxonomy import load_taxonomy, restrict_to

        try:
            restrict_to(loaded, load_taxonomy(taxonomy))
        except DataError as e:
            fail(str(e))
    if rejects:
        loaded.write_rejects(rejects)
    params = {
        "review_precision": review_precision,
        "embedder": None if embedder.lower() == "none" else embedder,
    }
    with progress_steps("training") as bar:
        task = bar.add_task("training", total=None)
        try:
            report = run_train(
                loaded,
                name=name,
                models_dir=models_dir,
                force=force,
                params=params,
                progress=lambda s: bar.update(task, description=s),
            )
        except ValueError as e:
            fail(str(e))
    if format == OutputFormat.json:
        emit_json(report.to_json())
        return
    typer.echo(f"{loaded.summary()}")
    typer.echo(f"saved {report.name} {report.version} -> {report.path}")
    for level in ("level1", "level2"):
        m = report.metrics.get(level)
        if m:
            typer.echo(
                f"  {level}: macro-F1 {m['macro_f1']:.4f}  accuracy {m['accuracy']:.4f}  "
                f"(5-fold CV, n={m['n']}, review threshold {m['review_threshold']:.2f})"
            )
    typer.echo(("promoted: " if report.promoted else "") + report.reason)


@app.command()
def classify(
    model: Annotated[
        str, typer.Option("--model", help="Model name (its promoted version), name@v3, or a model directory.")
    ],
    input: Annotated[str, typer.Option("--input", help="Export to tag (CSV/XLSX/JSONL/Parquet), or `demo`.")],
    output: Annotated[
        Path, typer.Option("--output", help="Where to write the tagged rows; format from the extension.")
    ],
    top_k: Annotated[
        int, typer.Option("--top-k", min=1, max=20, help="Alternatives listed in the top_k column.")
    ] = 3,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: RejectsOpt = None,
) -> None:
    """Tag every complaint in an export.

    Writes the input rows plus pred_level1, pred_level2, pred_path, confidence,
    top_k (JSON) and needs_review. Rows that cannot be tagged (empty text,
    duplicate id ...) go to the rejects file, never silently dropped.

    Example:

      hotline-nlp classify --model demo --input 本周工单.csv --output 本周工单_tagged.xlsx
    """
    from hotline_nlp.classifier.tagging import check_table_path, classify_result, write_table
    from hotline_nlp.models.store import ModelError, load_model

    rej = rejects_beside(output, rejects)
    try:
        check_table_path(output)
    except ValueError as e:
        fail(str(e))
    check_output_or_fail(output, rej)
    try:
        m = load_model(model, models_dir)
    except ModelError as e:
        fail(str(e))
    loaded = load_or_fail(
        input, columns=columns, encoding=encoding, sheet=sheet, dayfirst=dayfirst, rejects=rej
    )
    with progress_bar() as bar:
        task = bar.add_task("tagging", total=len(loaded.frame))
        out = classify_result(loaded, m, top_k=top_k, progress=lambda n: bar.advance(task, n))
    try:
        notes = write_table(out, output)
    except OSError as e:  # a full disk: the temporary file is removed, an earlier output kept
        fail(f"cannot write {output}: {e.strerror or e}")
    for note in notes:
        typer.secho(f"note: {output.name}: {note}", err=True)
    n_review = int(out["needs_review"].sum())
    typer.echo(
        f"tagged {len(out)} rows with {m.label_id} -> {output} ({n_review} need review); "
        f"{loaded.n_rejected_rows} rejected -> {rej}"
    )


@app.command()
def evaluate(
    model: Annotated[str, typer.Option("--model", help="Model name, name@v3, or a model directory.")],
    data: Annotated[str, typer.Option("--data", help="Labelled export to score against.")],
    label_col: LabelColOpt = None,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Score a saved model on labelled data: accuracy, macro-F1, per class, confusion.

    Example:

      hotline-nlp evaluate --model demo --data 2024H2_labelled.csv --format json
    """
    from hotline_nlp.classifier.evaluation import evaluate as run_evaluate
    from hotline_nlp.models.store import ModelError, load_model

    try:
        m = load_model(model, models_dir)
    except ModelError as e:
        fail(str(e))
    loaded = load_or_fail(data, columns=columns, encoding=encoding, require=("labels",), label_cols=label_col)
    result = run_evaluate(m, loaded)
    if format == OutputFormat.json:
        emit_json(result)
        return
    typer.echo(f"{m.label_id} on {loaded.path.name}: n={result['n']}")
    if result.get("training_data"):
        typer.secho(
            f"warning: {loaded.path.name} is the data {m.label_id} was trained on: these scores measure "
            "memory, not quality (see the cross-validated scores from `models list`)",
            err=True,
            fg=typer.colors.YELLOW,
        )
    for level in ("level1", "level2"):
        if level in result:
            r = result[level]
            typer.echo(f"  {level}: macro-F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}")
            worst = sorted(r["per_class"].items(), key=lambda kv: kv[1]["f1"])[:3]
            typer.echo("    weakest: " + ", ".join(f"{k} (F1 {v['f1']:.2f})" for k, v in worst))


models_app = typer.Typer(help="List and promote saved model versions.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(
    models_dir: ModelsDirOpt = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Show every saved version with its cross-validated metrics (* = promoted)."""
    from hotline_nlp.models.store import ModelStore

    store = ModelStore(models_dir)
    rows = store.list()
    if format == OutputFormat.json:
        emit_json(rows)
        return
    if not rows:
        typer.echo(f"no models in {store.root}")
        return
    for r in rows:
        mark = "*" if r.get("current") else " "
        if "error" in r:
            typer.echo(f"{mark} {r['name']}@{r['version']}  BROKEN: {r['error']}")
            continue
        f1 = "  ".join(
            f"{k.replace('_macro_f1', '')} F1 {v:.4f}" for k, v in r.items() if k.endswith("_macro_f1")
        )
        typer.echo(f"{mark} {r['name']}@{r['version']}  {r['created']}  n={r['n_train']}  {f1}")


@models_app.command("promote")
def models_promote(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version to make current, e.g. v3.")],
    models_dir: ModelsDirOpt = None,
) -> None:
    """Make VERSION the one `classify` and `serve` use (serve picks it up without a restart)."""
    from hotline_nlp.models.store import ModelError, ModelStore, load_model

    store = ModelStore(models_dir)
    if version not in store.versions(name):
        fail(
            f"model {name!r} has no version {version} in {store.root} (has: {', '.join(store.versions(name)) or 'none'})"
        )
    try:
        load_model(store.path_of(name, version))  # never promote a broken model
        store.promote(name, version)
    except ModelError as e:
        fail(str(e))
    typer.echo(f"{name}: {version} is now current")


# --- embeddings (issue 3) ---

EmbedderOpt = Annotated[
    str | None,
    typer.Option(
        "--embedder",
        help="Sentence embedder: default bundled `zh-static-v1`, `use-multilingual`, a sentence-transformers "
        "model directory, or a model id already in the local Hugging Face cache (never downloaded).",
    ),
]
embedder_app = typer.Typer(help="Build and inspect sentence embedders.", no_args_is_help=True)
app.add_typer(embedder_app, name="embedder")


@embedder_app.command("build")
def embedder_build_cmd(
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Model directory to write (default: the bundled models/zh-static-v1)."),
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
)
app.add_typer(cache_app, name="cache")


def _cache_summary() -> dict:
    from hotline_nlp.corpus.embedding_cache import FILENAME, EmbeddingCache, cache_dir
    from hotline_nlp.topics.vectors import stale_spill_dirs

    root = cache_dir()
    db = root / FILENAME
    spill = root / "spill"
    return {
        "directory": str(root),
        "embeddings_file": str(db),
        "file_bytes": sum(f.stat().st_size for f in root.glob(FILENAME + "*") if f.is_file())
        if root.is_dir()
        else 0,
        "versions": EmbeddingCache(root).versions() if db.is_file() else {},
        "spill_folders": sorted(str(d) for d in spill.glob("vectors-*")) if spill.is_dir() else [],
        "stale_spill_folders": [str(d) for d in stale_spill_dirs(spill)],
    }


@cache_app.command("info")
def cache_info_cmd(fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text) -> None:
    """Where the cache is, how big, and how many vectors each embedder version holds.

    The directory is $HOTLINE_NLP_CACHE, else $HOTLINE_NLP_HOME/cache, else
    ~/.cache/hotline-nlp. Deleting it is always safe: vectors are recomputed.
    """
    info = _cache_summary()
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
    import shutil

    from hotline_nlp.corpus.embedding_cache import EmbeddingCache, cache_dir
    from hotline_nlp.topics.vectors import stale_spill_dirs

    if sum([bool(version), keep_current, all_]) > 1:
        fail("give one of --version, --keep-current or --all")
    root = cache_dir()
    cache = EmbeddingCache(root)
    have = cache.versions() if cache.path.is_file() else {}
    if version:
        unknown = [v for v in version if v not in have]
        if unknown:
            fail(
                f"no cached vectors for version(s) {', '.join(unknown)}; cached: {', '.join(have) or 'none'}"
            )
        drop = list(version)
    elif keep_current:
        from hotline_nlp.corpus.embedding import EmbedderError, load_embedder

        try:
            current = load_embedder(None).version
        except EmbedderError as e:
            fail(str(e))
        drop = [v for v in have if v != current]
    else:
        drop = list(have) if all_ else []
    removed = {v: cache.clear(v) for v in drop}
    if removed:
        cache.vacuum()
    cache.close()
    stale = stale_spill_dirs(root / "spill")
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
    result = {"removed_vectors": removed, "removed_spill_folders": [str(d) for d in stale]}
    if fmt == OutputFormat.json:
        emit_json(result)
    else:
        for v, n in removed.items():
            typer.echo(f"removed {n} vectors of {v}")
        typer.echo(f"removed {len(stale)} stale spill folder(s)")


@app.command("embed")
def embed_cmd(
    input: Annotated[Path, typer.Option("--input", help="Complaints export (CSV/XLSX/JSONL/Parquet).")],
    output: Annotated[Path, typer.Option("--output", help="Where to write the (n, dim) float32 .npy.")],
    embedder: EmbedderOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the embedding cache.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Embed every complaint's text into an .npy array (L2-normalised rows, input order).

    Rows the loader rejects are skipped and listed in OUT.rejects.csv; OUT.rows.csv maps each output row
    to its source row and id. Unchanged texts come from the cache ($HOTLINE_NLP_CACHE).

    Example: `hotline-nlp embed --input week.csv --output week.npy --embedder use-multilingual`
    """
    from hotline_nlp.corpus.embedding import EmbedderError, embed_file
    from hotline_nlp.corpus.loaders import DataError

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


# --- hotspots (issue 4) ---


class HotspotFormat(str, Enum):
    md = "md"
    json = "json"
    html = "html"


@app.command("hotspots")
def hotspots_cmd(
    input: Annotated[str, typer.Option("--input", help="Dated export (CSV/XLSX/JSONL/Parquet), or `demo`.")],
    period: Annotated[
        str | None, typer.Option("--period", help="ISO week for the weekly alert, e.g. 2019-W37.")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day of a range (hot issues).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day of a range (inclusive).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Issues to list.")] = 10,
    history_weeks: Annotated[
        int,
        typer.Option(
            "--history-weeks",
            min=0,
            help="Weeks of history the alert compares with (56: a year and a month, for seasonality).",
        ),
    ] = 56,
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha",
            help="False-alarm rate per issue and week (default 0.001), for growing issues and for issues born that week alike. On the real 2019 stream 0.0001 gave 0.19 alerts a week instead of 0.51 and found the planted issue in the same week (BENCHMARKS.md).",
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
        typer.Option(
            "--memory-mb",
            min=0.0,
            help="Memory for the window's vectors (default 1024); the rest is kept on disk, so large exports stay within it.",
        ),
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
    format: Annotated[
        HotspotFormat, typer.Option("--format", help="md / html (bulletin-like, with a trend chart) or json.")
    ] = HotspotFormat.md,
    output: Annotated[Path | None, typer.Option("--output", help="Write here instead of stdout.")] = None,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: RejectsOpt = None,
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
    from hotline_nlp.topics.report import run_hotspots

    if (period is None) == (start is None and end is None) or (start is None) != (end is None):
        fail("give either --period WEEK (weekly alert) or both --start and --end (hot issues of a range)")
    rej = rejects_beside(output, rejects)
    check_output_or_fail(output, rej)
    m = None
    if model:
        from hotline_nlp.models.store import ModelError, load_model

        try:
            m = load_model(model, models_dir)
        except ModelError as e:
            fail(str(e))
    loaded = load_or_fail(
        input,
        columns=columns,
        encoding=encoding,
        require=("created_at",),
        sheet=sheet,
        dayfirst=dayfirst,
        rejects=rej,
    )
    try:
        text = run_hotspots(
            loaded.frame,
            period=period,
            start=start,
            end=end,
            top=top,
            history_weeks=history_weeks,
            alpha=alpha,
            min_count=min_count,
            memory_mb=memory_mb,
            jobs=jobs,
            model=m,
            embedder=embedder,
            semantic_weight=semantic_weight,
            state_dir=state_dir,
            fmt=format.value,
            output=output,
        )
    except ValueError as e:  # HotspotError, PeriodError, EmbedderError: messages name the problem
        fail(str(e))
    except OSError as e:  # a full disk while writing --output: earlier output kept
        fail(f"cannot write {output}: {e.strerror or e}")
    if output is None:
        sys.stdout.write(text)
    else:
        typer.echo(f"wrote {output}", err=True)


# --- bulletin (issue 5) ---


class ReportFormat(str, Enum):
    docx = "docx"
    html = "html"
    md = "md"
    json = "json"


class Compare(str, Enum):
    last_year = "last-year"
    previous = "previous"


@app.command("report")
def report_cmd(
    input: Annotated[
        Path,
        typer.Option(
            "--input", "-i", help="Complaints export (CSV/XLSX/JSONL/Parquet), all periods, or `demo`."
        ),
    ],
    period: Annotated[str, typer.Option("--period", "-p", help="2024H1, 2024Q3, 2024-05, 2024-W20 or 2024.")],
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Report file (repeat for several formats from one run); a `.figures.csv` appendix is written beside each (json: stdout when omitted).",
        ),
    ] = None,
    format: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="docx, html, md or json (default: from --output's suffix)."),
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

      hotline-nlp report -i export.csv -p 2024Q3 -f json > figures.json
    """
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.metrics import load_weights
    from hotline_nlp.bulletin.report import FORMATS as REPORT_FORMATS
    from hotline_nlp.bulletin.report import appendix_path, build_report, write_reports
    from hotline_nlp.topics.periods import PeriodError, parse_period

    if not output and format not in (None, ReportFormat.json):
        fail("--output is required for docx, html and md reports")
    if output and format and len(output) > 1:
        fail("--format applies to a single --output; with several, each file's suffix names its format")
    for out in output or []:
        kind = format.value if format else out.suffix.lstrip(".").lower()
        if {"markdown": "md", "htm": "html"}.get(kind, kind) not in REPORT_FORMATS:
            fail(
                f"{out}: cannot tell the report format from the suffix; use .docx, .html, .md or .json, or --format"
            )
    rej = rejects_beside(output[0] if output else None, rejects)
    check_output_or_fail(*(output or []), *(appendix_path(o) for o in output or []), rej)
    try:
        p = parse_period(period)
        opts = Options(
            compare=compare.value,
            weights=load_weights(weights),
            min_volume=min_volume,
            top_categories=top,
            city=city,
            issuer=issuer,
            issue=issue,
            date=date,
            run_emerging=emerging,
        )
    except (PeriodError, ValueError) as e:
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
        from hotline_nlp.models.store import ModelError, load_model

        try:
            frame = tag_frame(frame, load_model(model, models_dir))
        except ModelError as e:
            fail(str(e))
    with progress_steps("report") as bar:
        task = bar.add_task("report", total=None)
        try:
            rep = build_report(frame, p, opts, progress=lambda s: bar.update(task, description=s))
        except ValueError as e:  # NoDataError: the period holds no complaint
            fail(str(e))
        if not output:
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
            fail(f"cannot write the report: {e.strerror or e} ({getattr(e, 'filename', '') or ''})")
    if loaded.n_rejected_rows:
        typer.secho(f"note: {loaded.n_rejected_rows} rejected rows are not counted in the report", err=True)
    for line in rep.omitted:
        typer.secho(f"note: {line}", err=True)
    typer.echo(
        f"{p.label}: {len(rep.figures)} figures, {len(rep.tables())} tables -> "
        + ", ".join(str(w) for w in dict.fromkeys(written))
    )


# --- service (issue 6) ---

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (`sqlite:///path.db`, `postgresql://user@host/db`) or a SQLite file; "
        "default: $HOTLINE_NLP_HOME/service/complaints.db.",
    ),
]


def _service_errors():
    """The errors the service commands turn into one-line messages."""
    from hotline_nlp.corpus.loaders import DataError
    from hotline_nlp.service.store.db import StoreError

    errs: tuple = (StoreError, DataError, ValueError, OSError)
    try:
        from hotline_nlp.models.store import ModelError

        errs += (ModelError,)
    except ImportError:
        pass
    return errs


@app.command("serve")
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
            help="File whose first line is the API key clients send as X-API-Key (or set HOTLINE_NLP_API_KEY).",
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
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the tagging API (OpenAPI docs at /docs).

    Examples:

      hotline-nlp serve --model demo --api-key-file ~/.hotline-key

      hotline-nlp serve --model demo --no-auth --port 8080 --db postgresql://hotline@db/hotline
    """
    import os

    from hotline_nlp.service.app import run
    from hotline_nlp.service.settings import Settings, db_url_from, read_api_key

    try:
        key = read_api_key(api_key_file) if api_key_file else os.environ.get("HOTLINE_NLP_API_KEY") or None
        settings = Settings(
            model=model,
            db_url=db_url_from(db),
            models_dir=models_dir,
            api_key=key,
            auth_disabled=no_auth,
            max_batch=max_batch,
            max_text_chars=max_text_chars,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            cors_origins=tuple(cors_origin or ()),
            model_check_interval=model_check_interval,
        )
        run(settings, host=host, port=port, log_level=log_level)
    except _service_errors() as e:
        fail(str(e))


store_app = typer.Typer(
    help="The service's complaint store: import an export into it, export it back.", no_args_is_help=True
)
app.add_typer(store_app, name="store")


@store_app.command("import")
def store_import(
    input: Annotated[
        Path,
        typer.Option("--input", "-i", help="Export to import (CSV/XLSX/JSONL/Parquet); needs a date column."),
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
            from hotline_nlp.models.store import load_model

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


# --- demo (README) ---


@app.command()
def demo(
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Where the demo writes its models and outputs.")
    ] = Path("hotline-demo"),
) -> None:
    """Run the whole product on the bundled demo corpus: train, tag, hotspots, bulletin.

    Example:

      hotline-nlp demo --output-dir hotline-demo
    """
    from hotline_nlp import demo as d
    from hotline_nlp.models.store import load_model

    output_dir.mkdir(parents=True, exist_ok=True)
    typer.secho("1. Train a tagger on the bundled corpus (5-fold cross-validation)", bold=True)
    with progress_steps("training") as bar:
        task = bar.add_task("training", total=None)
        data, report = d.train_step(output_dir, progress=lambda s: bar.update(task, description=s))
    typer.echo(f"   {data.summary()}")
    for level in ("level1", "level2"):
        m = report.metrics[level]
        typer.echo(f"   {level}: macro-F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f}")
    typer.echo(f"   saved {report.name}@{report.version} in {report.path}")
    model = load_model(report.path)
    typer.secho("\n2. Tag the newest complaints", bold=True)
    typer.echo(d.tag_sample(model, data).to_string(index=False))
    typer.secho(f"\n3. Weekly hotspot alert for {d.DEMO_WEEK}", bold=True)
    with progress_steps("hotspots") as bar:
        bar.add_task("clustering a year of history", total=None)
        result, md = d.hotspot_step(data, output_dir)
    for issue in result["issues"][:5]:
        flag = "EMERGING" if issue.get("emerging") else "        "
        typer.echo(
            f"   {flag} #{issue['id']:<4} {issue['label']:<24} this week {issue['count']:>2}, "
            f"previous {issue['previous_count']:>2}, score {issue['score']:.1f}"
        )
    typer.echo(f"   {d.planted_check(result)}")
    typer.echo(f"   -> {md}")
    typer.secho(f"\n4. Bulletin (专报) for {d.DEMO_PERIOD}", bold=True)
    with progress_steps("report") as bar:
        bar.add_task("writing the bulletin", total=None)
        written = d.report_step(data, output_dir)
    for w in written:
        typer.echo(f"   -> {w}")


if __name__ == "__main__":  # pragma: no cover
    app()
