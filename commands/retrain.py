"""``hotline-nlp train --db``: the train command's store variant (``service.retrain``)."""

from __future__ import annotations

from datetime import datetime

import typer
from hotline_nlp.commands.common import OutputFormat, emit_json, fail, progress_steps


def train_from_db(db, since, name, models_dir, force, params, format) -> None:
    from hotline_nlp.commands.train_report import echo_train_report
    from hotline_nlp.service.retrain import train_from_store
    from hotline_nlp.service.settings import db_url_from
    from hotline_nlp.service.store.db import StoreError

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since {since!r} is not a date such as 2024-01-01")
    with progress_steps("training") as bar:
        task = bar.add_task("training", total=None)
        try:
            report, used = train_from_store(
                db_url_from(db),
                name=name,
                models_dir=models_dir,
                since=start,
                force=force,
                params=params,
                progress=lambda s: bar.update(task, description=s),
            )
        except (ValueError, StoreError) as e:
            fail(str(e))
    if format == OutputFormat.json:
        emit_json({**report.to_json(), "data": used})
        return
    typer.echo(
        f"{used['labelled']} labelled complaints in the store ({used['corrected']} corrected in the console); "
        f"trained on {used['trained_on']}, held out the {used['held_out']} most recent corrections"
    )
    echo_train_report(report)
