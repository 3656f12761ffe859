"""Fit the dispatcher from a loaded export, in the same ``train`` run as the tagger.

Why a module of its own: ``classifier.training`` versions the tagger; this one
decides whether the export can teach dispatch (a unit column with enough
rows), reads the unit directory against the districts the export knows, and
reports units the history uses that the directory does not list (rows named,
units kept: a directory a year old should not make a city lose its history).
"""

from __future__ import annotations

from pathlib import Path

from hotline_nlp.classifier.dispatch.directory import known_districts, read_directory
from hotline_nlp.classifier.dispatch.model import Dispatcher
from hotline_nlp.corpus.loaders import LoadResult

MIN_UNIT_ROWS = 20


def gold_categories(frame) -> list[dict] | None:
    """Each row's category as ``{level1: 1, path: 1}`` (what the tagger will predict)."""
    if "level1" not in frame:
        return None
    l2 = frame["level2"] if "level2" in frame else None
    out = []
    for i, a in enumerate(frame["level1"]):
        cats = {a: 1.0}
        if l2 is not None and l2.iloc[i]:
            cats[f"{a} > {l2.iloc[i]}"] = 1.0
        out.append(cats)
    return out


def predicted_categories(records: list[dict]) -> list[dict]:
    """The tagger's top-k paths, with their level 1, as soft categories."""
    out = []
    for r in records:
        cats: dict[str, float] = {}
        for alt in r.get("top_k") or [{"path": r["pred_path"], "confidence": r["confidence"]}]:
            path, c = alt["path"], float(alt["confidence"])
            cats[path] = cats.get(path, 0.0) + c
            l1 = path.split(" > ", 1)[0]
            if l1 != path:
                cats[l1] = cats.get(l1, 0.0) + c
        out.append(cats)
    return out


def unlisted(frame, listed: set[str], limit: int = 10) -> list[str]:
    """One note per unit the history uses that the directory lacks, naming its rows."""
    notes = []
    for unit, rows in frame[frame["unit"] != ""].groupby("unit")["row"]:
        if unit in listed:
            continue
        shown = ", ".join(str(int(r)) for r in rows.iloc[:limit])
        more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
        notes.append(
            f"unit {unit!r} is not in the unit directory (rows {shown}{more}); kept, learned from history"
        )
    return notes


def read_units(data: LoadResult, units_path: str | Path | None):
    """Check the directory against the export before any long fit: ``(directory or None, notes)``."""
    frame = data.frame
    if "unit" not in frame:
        if units_path:
            raise ValueError(
                f"{data.path}: --units given but the export has no unit column (承办单位); name it with --unit-col"
            )
        return None, []
    if not units_path:
        return None, []
    districts = frame["district"].tolist() if "district" in frame else []
    directory = read_directory(units_path, known_districts(districts, frame["unit"]))
    return directory, unlisted(frame, {u.name for u in directory})


MAX_UNITS = 5_000  # more distinct values than this is not a unit column a centre routes to


def check_unit_column(data: LoadResult) -> list[str]:
    """Notes on the unit column, or a one-line ``ValueError`` naming it when it cannot be
    a unit column: free text (long, nearly all distinct), or thousands of values."""
    frame = data.frame
    col = data.column_map.source_for.get("unit", "unit")
    units = frame["unit"]
    named = units[units != ""]
    notes = []
    n_empty = int((units == "").sum())
    if n_empty:
        rows = ", ".join(str(r) for r in frame.loc[units == "", "row"].iloc[:10])
        more = f" and {n_empty - 10} more" if n_empty > 10 else ""
        notes.append(
            f"{n_empty} row(s) have no unit in column {col!r} (rows {rows}{more}): not used to learn dispatch"
        )
    if named.empty:
        return notes
    counts = named.value_counts()
    median_len = float(named.str.len().median())
    distinct_share = len(counts) / len(named)
    if len(named) >= 50 and distinct_share > 0.8 and median_len > 25:
        raise ValueError(
            f"{data.path}: column {col!r} looks like free text, not a unit name ({len(counts):,} distinct "
            f"values in {len(named):,} rows, median {median_len:.0f} characters); name the unit column with --unit-col"
        )
    if len(counts) > MAX_UNITS:
        raise ValueError(
            f"{data.path}: column {col!r} has {len(counts):,} distinct values (more than {MAX_UNITS:,}); "
            "is it the handling unit? Name the unit column with --unit-col"
        )
    once = counts[counts == 1]
    if len(once):
        shown = ", ".join(repr(u) for u in once.index[:3])
        notes.append(
            f"{len(once)} unit(s) in column {col!r} appear only once (e.g. {shown}): kept, each learned from "
            "one complaint (recommended mostly through its office and district)"
        )
    if len(counts) > 1_000:
        notes.append(f"{len(counts):,} distinct units in column {col!r}: training takes longer")
    return notes


def never_used(directory, frame) -> list[str]:
    """A note on directory units the history never uses (recommended from office and district)."""
    used = set(frame["unit"])
    unused = [u.name for u in directory if u.name not in used]
    if not unused:
        return []
    shown = ", ".join(repr(u) for u in unused[:3])
    return [
        f"{len(unused)} unit(s) of the unit directory never appear in the history (e.g. {shown}): "
        "recommended from their office and district only"
    ]


def _column(frame, name):
    return frame[name].tolist() if name in frame else None


def fit_dispatcher(
    data: LoadResult,
    units_path: str | Path | None = None,
    params: dict | None = None,
    features=None,
    progress=None,
):
    """A fitted ``Dispatcher`` and notes, or ``(None, [why not])`` when the export has no units.

    ``features``: the tagger's fitted ``TextFeatures``, shared so tagging featurises once.
    The export's dates order the time-ordered selection; its 所属区县, 所属街道 and 地址
    columns, where present, are place evidence."""
    frame = data.frame
    directory, notes = read_units(data, units_path)
    if "unit" not in frame:
        return None, []
    notes = check_unit_column(data) + notes
    n = int((frame["unit"] != "").sum())
    if n < MIN_UNIT_ROWS:
        return None, notes + [
            f"dispatch not trained: only {n} rows name a unit (at least {MIN_UNIT_ROWS} needed)"
        ]
    if directory is not None:
        notes += never_used(directory, frame)
    districts = _column(frame, "district")
    dates = frame["created_at"].tolist() if "created_at" in frame else None
    model = Dispatcher(**(params or {})).fit(
        frame["text"].tolist(),
        frame["unit"].tolist(),
        gold_categories(frame),
        districts,
        directory=directory,
        known_districts=known_districts(districts or [], frame["unit"]),
        features=features,
        dates=dates,
        towns=_column(frame, "town"),
        addresses=_column(frame, "address"),
        progress=progress,
    )
    return model, model.notes_ + notes
