"""The ``demo`` command: the whole product on the bundled corpus, as in the README."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hotline_nlp.commands.common import (
    progress_steps,
)


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
