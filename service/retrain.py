"""``hotline-nlp train --db URL``: retrain the tagger on the store's human labels.

Training rows are the stored complaints with a human label (sent with the
complaint, imported with it, or corrected by an analyst), optionally only
those received since a date. The most recent analyst corrections are held
out: the new model is promoted only if it tags them at least as well as the
model in service (``classifier.training.Holdout``), so a retrain can never make
the console's recent corrections worse. A running server picks the promoted
version up by itself (``model_holder``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from hotline_nlp.classifier.training import Holdout, TrainReport, train
from hotline_nlp.corpus import columns as cols
from hotline_nlp.corpus.loaders import LoadResult
from hotline_nlp.service.store.db import open_store, safe_url
from hotline_nlp.service.store.repository import TABLE
from sqlalchemy import Engine, select

# Held out: this share of the analyst corrections, the most recent ones, within bounds.
HOLDOUT_SHARE = 0.2
HOLDOUT_MIN = 10  # fewer corrections than this: no hold-out, the usual cross-validated rule
HOLDOUT_MAX = 500


def labelled_frame(engine: Engine, since: datetime | None = None) -> pd.DataFrame:
    """id, text, level1, level2 (human labels), labelled_at (None: not corrected in the console)."""
    q = select(
        TABLE.c.id, TABLE.c.text, TABLE.c.label_level1, TABLE.c.label_level2, TABLE.c.labelled_at
    ).where(TABLE.c.label_level1.is_not(None))
    if since is not None:
        q = q.where(TABLE.c.created_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(TABLE.c.created_at, TABLE.c.id)).all()
    frame = pd.DataFrame(rows, columns=["id", "text", "level1", "level2", "labelled_at"])
    frame["level2"] = frame["level2"].fillna("")
    return frame


def split_recent(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, the most recent corrections held out)."""
    corrected = frame[frame["labelled_at"].notna()].sort_values(["labelled_at", "id"])
    n = min(HOLDOUT_MAX, int(round(len(corrected) * HOLDOUT_SHARE)))
    if len(corrected) < HOLDOUT_MIN or n < 1:
        return frame, frame.iloc[0:0]
    held = corrected.tail(n)
    return frame.drop(index=held.index), held


def train_from_store(
    db_url: str,
    *,
    name: str,
    models_dir: str | Path | None = None,
    since: datetime | None = None,
    force: bool = False,
    params: dict | None = None,
    progress=None,
) -> tuple[TrainReport, dict]:
    """Train, decide, save. Returns the report and a summary of the data used."""
    engine = open_store(db_url)
    try:
        frame = labelled_frame(engine, since)
    finally:
        engine.dispose()
    train_rows, held = split_recent(frame)
    level2 = train_rows["level2"] if (train_rows["level2"] != "").all() else None
    canon = train_rows[["id", "text", "level1"]].assign(
        **({"level2": level2} if level2 is not None else {}), row=range(1, len(train_rows) + 1)
    )
    data = LoadResult(
        path=Path(safe_url(db_url)),
        frame=canon.reset_index(drop=True),
        raw=canon.reset_index(drop=True),
        rejects=pd.DataFrame(columns=["row", "id", "column", "problem", "value"]),
        column_map=cols.ColumnMap(
            {"id": "id", "body": "text", "level1": "label_level1", "level2": "label_level2"}
        ),
        notes=[
            f"{len(frame)} labelled complaints in the store" + (f" since {since.date()}" if since else "")
        ],
    )
    holdout = None
    if len(held):
        holdout = Holdout(
            held["text"].tolist(),
            held["level1"].tolist(),
            (held["level2"] if level2 is not None else pd.Series([""] * len(held))).tolist(),
            what="most recent corrections",
        )
    # fast: an analyst's retrain from the console stays quick (no model selection);
    # its promotion is judged on the held-out corrections instead
    report = train(
        data,
        name=name,
        models_dir=models_dir,
        force=force,
        params=params,
        progress=progress,
        holdout=holdout,
        fast=True,
    )
    summary = {
        "labelled": int(len(frame)),
        "corrected": int(frame["labelled_at"].notna().sum()),
        "trained_on": int(len(train_rows)),
        "held_out": int(len(held)),
    }
    return report, summary
