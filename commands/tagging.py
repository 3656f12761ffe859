"""Tagging commands: ``train``, ``classify``, ``evaluate`` and ``models list/promote``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands import partitioned
from hotline_nlp.commands.common import (
    ColumnsOpt,
    DayFirstOpt,
    EncodingOpt,
    LabelColOpt,
    ModelsDirOpt,
    OutputFormat,
    RejectsOpt,
    SheetOpt,
    UnitColOpt,
    check_output_or_fail,
    emit_json,
    fail,
    load_model_or_fail,
    load_or_fail,
    progress_bar,
    progress_steps,
    rejects_beside,
    resolve_input,
    with_unit_col,
)
from hotline_nlp.commands.partitioned import SchedulerOpt
from hotline_nlp.commands.train_report import echo_train_report


def train(
    data: Annotated[
        str | None,
        typer.Option(
            "--data", help="Labelled export (CSV, XLSX, JSONL or Parquet), or `demo` for the bundled corpus."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Train on the service store's human-labelled complaints instead (URL or SQLite file); "
            "promoted only if not worse on the most recent corrections.",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="With --db: only complaints received since this date.")
    ] = None,
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
            help="Check labels against a taxonomy CSV (columns 一级分类, 二级分类), or `default` for the bundled 12345 one; rows with unknown labels are rejected.",
        ),
    ] = None,
    review_precision: Annotated[
        float, typer.Option(help="Tags below the confidence that reaches this precision get needs_review.")
    ] = 0.95,
    route_precision: Annotated[
        float,
        typer.Option(
            help="Dispatch: units whose confidence reaches the threshold at which this share of "
            "later complaints was routed right (95 % lower bound, latest fold) are auto-routed; "
            "the rest get unit_needs_review.",
        ),
    ] = 0.90,
    embedder: Annotated[
        str,
        typer.Option(
            "--embedder",
            help="Sentence-embedding features from this embedder (name or dir), or `none` for sparse features only.",
        ),
    ] = "zh-static-v1",
    fast: Annotated[
        bool,
        typer.Option("--fast", help="Skip the model selection (nested CV) and train the default setting."),
    ] = False,
    unlabeled: Annotated[
        str | None,
        typer.Option(
            "--unlabeled",
            help="More of the city's text without labels (same formats); it informs the idf weights.",
        ),
    ] = None,
    unlabeled_rows: Annotated[
        bool,
        typer.Option(
            "--unlabeled-rows/--no-unlabeled-rows",
            help="Use the export's own rows with an empty label as unlabelled text (like --unlabeled); "
            "they are still listed as rejects for training.",
        ),
    ] = True,
    columns: ColumnsOpt = None,
    unit_col: UnitColOpt = None,
    units: Annotated[
        Path | None,
        typer.Option(
            "--units",
            help="Unit directory (权责清单) CSV: 承办单位, 区县 (or 市直), 类别/职能. Lets dispatch recommend units "
            "the history never used; without it the directory is inferred from the history.",
        ),
    ] = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Write rejected rows here (CSV).")] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for scripts.")
    ] = OutputFormat.text,
) -> None:
    """Train a tagger on a labelled export, cross-validate it and save a new version.

    The setting (n-grams, C, class weights, embedding weight, naive Bayes blend)
    is chosen on the export by cross-validation, and the whole procedure is
    scored by an outer cross-validation (nested CV); --fast skips that.
    The new version is promoted (used by `classify` and `serve`) only if its
    cross-validated macro-F1 is not worse than the current one, unless --force.

    When the export has a unit column (承办单位, or --unit-col), a dispatcher is
    trained too: flat, factored, nearest-neighbour and blended candidates are
    scored on later complaints after fitting on earlier ones, and the best is
    kept. A unit column alone (no categories) trains a dispatch-only model.

    Examples:

      hotline-nlp train --data demo --name demo

      hotline-nlp train --data 2024工单.xlsx --label-col 一级分类 --label-col 二级分类 --name city

      hotline-nlp train --data export.csv --columns text=来电内容 --format json

      hotline-nlp train --data 2024工单.xlsx --unit-col 处置单位 --units 权责清单.csv --name city

      hotline-nlp train --data letters.csv --unit-col 回复单位 --name dispatch

      hotline-nlp train --db sqlite:///complaints.db --name city --since 2024-01-01
    """
    from hotline_nlp.classifier.training import train as run_train

    if (data is None) == (db is None):
        fail("give --data FILE (a labelled export) or --db URL (the service store), not both")
    params = {
        "review_precision": review_precision,
        "embedder": None if embedder.lower() == "none" else embedder,
    }
    if not 0 < route_precision <= 1:
        fail(f"--route-precision must be in (0, 1], got {route_precision}")
    if db is not None:
        from hotline_nlp.commands.retrain import train_from_db

        train_from_db(db, since, name, models_dir, force, params, format)
        return

    columns = with_unit_col(columns, unit_col)
    check_output_or_fail(rejects)
    params["route_precision"] = route_precision
    loaded = load_or_fail(
        data,
        columns=columns,
        encoding=encoding,
        require=("labels_or_unit",),
        label_cols=label_col,
        sheet=sheet,
        dayfirst=dayfirst,
        rejects=rejects,
    )
    if taxonomy:
        from hotline_nlp.corpus.loaders import DataError
        from hotline_nlp.corpus.taxonomy import load_taxonomy, restrict_to

        try:
            restrict_to(loaded, load_taxonomy(taxonomy))
        except DataError as e:
            fail(str(e))
        if rejects:  # the taxonomy's rejects join the loader's
            loaded.write_rejects(rejects)
    extra, sources = [], {}
    if unlabeled:
        more = load_or_fail(unlabeled, columns=columns, encoding=encoding, can_list_rejects=False)
        more = more.frame["text"].tolist()
        extra += more
        sources[Path(unlabeled).name] = len(more)
    unlabelled_rejects = (
        loaded.rejects["problem"].str.match(r"(empty|missing) label") if len(loaded.rejects) else []
    )
    if unlabeled_rows and any(unlabelled_rejects):
        from hotline_nlp.corpus.unlabeled import rows_without_label
        from hotline_nlp.corpus.validate import Limits

        same = rows_without_label(
            loaded.path,
            columns=columns,
            encoding=encoding,
            label_cols=label_col or None,
            sheet=sheet,
            limits=Limits(dayfirst=dayfirst),
        )
        if same:
            extra += same
            sources[f"rows of {loaded.path.name} without a label"] = len(same)
    with progress_steps("training") as bar:
        task = bar.add_task("training", total=None)
        try:
            report = run_train(
                loaded,
                fast=fast,
                unlabeled=extra or None,
                unlabeled_sources=sources,
                name=name,
                models_dir=models_dir,
                force=force,
                params=params,
                progress=lambda s: bar.update(task, description=s),
                units=units,
            )
        except ValueError as e:
            fail(str(e))
    if format == OutputFormat.json:
        emit_json(report.to_json())
        return
    typer.echo(f"{loaded.summary()}")
    echo_train_report(report)


def classify(
    model: Annotated[
        str, typer.Option("--model", help="Model name (its promoted version), name@v3, or a model directory.")
    ],
    input: Annotated[
        str,
        typer.Option(
            "--input",
            help="Export to tag (CSV, XLSX, JSONL or Parquet), a folder or glob of them, or `demo`.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            help="Where to write the tagged rows; format from the extension, or a folder (one Parquet part per input).",
        ),
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
    scheduler: SchedulerOpt = None,
) -> None:
    """Tag every complaint in an export (or a folder/glob of them).

    Writes the input rows plus pred_level1, pred_level2, pred_path, confidence,
    top_k (JSON) and needs_review; with a dispatch model also pred_unit,
    unit_confidence, unit_top_k (JSON) and unit_needs_review. Rows that cannot be tagged (empty text,
    duplicate id ...) go to the rejects file, never silently dropped.

    Example:

      hotline-nlp classify --model demo --input 本周工单.csv --output 本周工单_tagged.xlsx

      hotline-nlp classify --model city --input 'exports/*.parquet' --output tagged/ --scheduler local:2
    """
    if partitioned.wants_partitions(input, scheduler):
        return partitioned.classify(
            model, str(resolve_input(input)), output, top_k, models_dir, columns, encoding, rejects, scheduler
        )
    from hotline_nlp.classifier.tagging import check_table_path, classify_result, review_count, write_table

    rej = rejects_beside(output, rejects)
    try:
        check_table_path(output)
    except ValueError as e:
        fail(str(e))
    check_output_or_fail(output, rej)
    m = load_model_or_fail(model, models_dir)
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
    n_review = review_count(out)
    typer.echo(
        f"tagged {len(out)} rows with {m.label_id} -> {output} ({n_review} need review); "
        f"{loaded.n_rejected_rows} rejected -> {rej}"
    )


def evaluate(
    model: Annotated[str, typer.Option("--model", help="Model name, name@v3, or a model directory.")],
    data: Annotated[str, typer.Option("--data", help="Labelled export to score against.")],
    label_col: LabelColOpt = None,
    models_dir: ModelsDirOpt = None,
    columns: ColumnsOpt = None,
    unit_col: UnitColOpt = None,
    route_precision: Annotated[
        float | None,
        typer.Option(
            help="Dispatch: report the share auto-routed at the confidence where the model's "
            "later complaints reached this precision, 95 % lower bound (default: the model's own, "
            "0.90).",
        ),
    ] = None,
    encoding: EncodingOpt = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Score a saved model on labelled data: accuracy, macro-F1, per class, confusion;
    with a dispatch model and a unit column, first-dispatch top-1/3/5, jurisdiction
    accuracy and the auto-route share (with the precision reached), per unit.

    Example:

      hotline-nlp evaluate --model demo --data 2024H2_labelled.csv --format json

      hotline-nlp evaluate --model dispatch --data letters_oct.csv --route-precision 0.95
    """
    from hotline_nlp.classifier.evaluation import evaluate as run_evaluate

    if route_precision is not None and not 0 < route_precision <= 1:
        fail(f"--route-precision must be in (0, 1], got {route_precision}")
    m = load_model_or_fail(model, models_dir)
    columns = with_unit_col(columns, unit_col)
    loaded = load_or_fail(
        data,
        columns=columns,
        encoding=encoding,
        require=("labels_or_unit",),
        label_cols=label_col,
        can_list_rejects=False,
    )
    try:
        result = run_evaluate(m, loaded, route_precision)
    except ValueError as e:
        fail(str(e))
    if format == OutputFormat.json:
        emit_json(result)
        return
    typer.echo(f"{m.label_id} on {loaded.path.name}: n={result['n']}")
    if "level1" not in result:
        echo_dispatch(result["dispatch"])
        if "warning" in result:
            typer.echo(f"  warning: {result['warning']}")
        return
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
            ci = r["interval"]
            typer.echo(
                f"  {level}: 95 % interval macro-F1 {ci['macro_f1'][0]:.4f}-{ci['macro_f1'][1]:.4f}, "
                f"accuracy {ci['accuracy'][0]:.4f}-{ci['accuracy'][1]:.4f}"
            )
            worst = sorted(r["per_class"].items(), key=lambda kv: kv[1]["f1"])[:3]
            typer.echo("    weakest: " + ", ".join(f"{k} (F1 {v['f1']:.2f})" for k, v in worst))
    if "dispatch" in result:
        echo_dispatch(result["dispatch"])
    for pair in result["confused_pairs"][:3]:
        typer.echo(
            f"  confused: {pair['true']} -> {pair['predicted']} ({pair['count']}x), e.g. {pair['examples'][0]}"
        )
    typer.echo(
        "  reliability (confidence bin: n, accuracy): "
        + "; ".join(f"{b['bin']}: {b['n']}, {b['accuracy']:.2f}" for b in result["reliability"])
    )
    rv = result["review"]
    typer.echo(
        f"  needs_review: precision of accepted tags {rv['precision_accepted']} vs target {rv['target_precision']} "
        f"({rv['sent_to_review']} sent to review)"
    )
    if "warning" in result:
        typer.echo(f"  warning: {result['warning']}")


def echo_dispatch(d: dict) -> None:
    """The dispatch lines of ``evaluate``'s text output."""
    typer.echo(
        f"  dispatch ({d['chosen']}): top-1 {d['top1']:.4f}  top-3 {d['top3']:.4f}  top-5 {d['top5']:.4f}  "
        f"(n={d['n']}, {d['n_unknown_units']} with a unit the model does not know)"
    )
    typer.echo(
        f"  jurisdiction accuracy {d['jurisdiction_accuracy']:.4f}  function accuracy {d['function_accuracy']:.4f}"
    )
    r = d["auto_route"]
    reached = f"{r['precision']:.4f}" if r["precision"] is not None else "n/a (none routed)"
    typer.echo(
        f"  auto-route at precision {r['target_precision']:.2f}: {r['share']:.1%} of complaints "
        f"({r['n_routed']}, confidence >= {r['threshold']:.4f}), precision reached {reached}"
    )


models_app = typer.Typer(
    help="List and promote saved model versions.", no_args_is_help=True, rich_markup_mode=None
)


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
            typer.echo(f"{mark} {r['name']}@{r['version']}  CORRUPT: {r['error']}")
            continue
        f1 = "  ".join(
            f"{k.replace('_macro_f1', '')} F1 {v:.4f}" for k, v in r.items() if k.endswith("_macro_f1")
        )
        if r.get("dispatch_top1") is not None:
            f1 = (f1 + "  " if f1 else "") + f"dispatch top-1 {r['dispatch_top1']:.4f}"
        typer.echo(f"{mark} {r['name']}@{r['version']}  {r['created']}  n={r['n_train']}  {f1}")


@models_app.command("promote")
def models_promote(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version to make current, e.g. v3.")],
    models_dir: ModelsDirOpt = None,
) -> None:
    """Make VERSION the one `classify` and `serve` use (serve picks it up without a restart)."""
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.models.store import ModelError, ModelStore

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
