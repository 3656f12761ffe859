"""Apply a tagging model to an export: ``hotline-nlp classify`` and friends."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.atomic import atomic_path
from hotline_nlp.corpus.loaders import LoadResult
from hotline_nlp.corpus.safe_cells import write_csv, write_xlsx

PRED_COLUMNS = ["pred_level1", "pred_level2", "pred_path", "confidence", "top_k", "needs_review"]
# added when the model has a dispatcher (its training export had a unit column)
UNIT_COLUMNS = [
    "pred_unit",
    "unit_confidence",
    "unit_top_k",
    "unit_needs_review",
    "pred_jurisdiction",
    "jurisdiction_confidence",
    "pred_function",
    "function_confidence",
]


def pred_columns(model) -> list[str]:
    """The columns ``classify`` adds: the tag's (unless the model only dispatches) and,
    with a dispatcher, the unit's."""
    tags = PRED_COLUMNS if getattr(model, "tagger", True) is not None else []
    return tags + (UNIT_COLUMNS if getattr(model, "dispatcher", None) is not None else [])


def review_count(frame: pd.DataFrame) -> int:
    """Rows sent to review: the tag's flag, or the unit's for a dispatch-only model."""
    col = "needs_review" if "needs_review" in frame else "unit_needs_review"
    return int(frame[col].sum()) if col in frame else 0


def predict_frame(
    texts, model, top_k: int = 3, batch_size: int = 2000, progress=None, districts=None, places=None
) -> pd.DataFrame:
    """Prediction columns for ``texts`` (batched so the progress bar moves).

    ``districts`` (an export's 所属区县) and ``places`` (``{"towns": 所属街道, "addresses":
    地址}``), optional, help the dispatcher place a complaint."""
    texts = list(texts)
    places = places or {}
    recs: list[dict] = []
    for start in range(0, len(texts), batch_size):
        cut = slice(start, start + batch_size)
        part = districts[cut] if districts is not None else None
        more = {k: v[cut] for k, v in places.items() if v is not None}
        recs.extend(model.predict(texts[cut], top_k=top_k, districts=part, **more))
        if progress:
            progress(min(batch_size, len(texts) - start))
    extra = ["confidence_level1"] if getattr(model, "tagger", True) is not None else []
    out = pd.DataFrame.from_records(recs, columns=pred_columns(model) + extra)
    for col in ("top_k", "unit_top_k"):
        if col in out:
            out[col] = [json.dumps(t, ensure_ascii=False) for t in out[col]]
    return out


def tag_frame(frame: pd.DataFrame, model, top_k: int = 1) -> pd.DataFrame:
    """Fill ``level1``/``level2`` from the model where the data has no labels
    (for period statistics on untagged exports). Rows keep their index."""
    if getattr(model, "tagger", True) is None:
        raise ValueError(
            f"model {model.label_id} only recommends units (trained without categories); it cannot tag"
        )
    preds = predict_frame(frame["text"], model, top_k=top_k)
    out = frame.copy()
    out["level1"] = preds["pred_level1"].to_numpy()
    if model.tagger.n_levels_ == 2:
        out["level2"] = preds["pred_level2"].to_numpy()
    out["tagged_by"] = model.label_id
    return out


TABLE_FORMATS = (".csv", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".json", ".parquet", ".pq")


def check_table_path(path: str | Path) -> Path:
    """Refuse an output ``write_table`` cannot write, before any work is done."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise ValueError(
            f"{path}: cannot write tagged rows as {path.suffix or 'a file without suffix'!r}; "
            f"use one of {', '.join(TABLE_FORMATS)}"
        )
    return path


def write_table(df: pd.DataFrame, path: str | Path) -> list[str]:
    """Write CSV/XLSX/JSONL/Parquet by extension, atomically (temp file, then
    rename), so a failed run never leaves a half-written output over a good one.

    CSV and XLSX go through ``corpus.safe_cells`` (formula injection neutralised,
    control characters XLSX cannot hold removed); JSONL/Parquet keep the text as
    it came. Returns notes on what was changed (empty when nothing was)."""
    path = check_table_path(path)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix in (".xlsx", ".xlsm"):
        changed = write_xlsx(for_people(df), path)
        if changed:
            notes.append(f"{changed} cell(s) had control characters XLSX cannot hold; they were removed")
    elif suffix == ".csv":
        write_csv(df, path)
    else:
        with atomic_path(path) as tmp:
            if suffix in (".parquet", ".pq"):
                df.to_parquet(tmp, index=False)
            else:
                df.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")
    return notes


def readable_top_k(cell) -> str:
    """``路灯照明 0.81; 市政设施 0.10`` for a top-k list (or its JSON): what a person
    reads in a spreadsheet, where the JSON of the CSV/JSONL outputs is noise."""
    items = json.loads(cell) if isinstance(cell, str) else cell
    if not isinstance(items, list):
        return "" if items is None else str(items)
    parts = []
    for item in items:
        name = item.get("path", item.get("unit", "")) if isinstance(item, dict) else item
        conf = item.get("confidence") if isinstance(item, dict) else None
        parts.append(f"{name} {conf:.2f}" if isinstance(conf, (int, float)) else str(name))
    return "; ".join(parts)


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """The tagged rows as a spreadsheet shows them: top-k lists as text, and no
    prediction column that is empty in every row (``pred_level2`` of a one-level
    model). The export's own columns are kept as they came, empty or not."""
    out = df.copy()
    for col in ("top_k", "unit_top_k"):
        if col in out:
            out[col] = [readable_top_k(v) for v in out[col]]
    empty = [
        c
        for c in PRED_COLUMNS + UNIT_COLUMNS
        if c in out and len(out) and out[c].map(lambda v: v is None or str(v).strip() in ("", "nan")).all()
    ]
    return out.drop(columns=empty)


def classify_result(data: LoadResult, model, top_k: int = 3, progress=None) -> pd.DataFrame:
    """The input rows (original columns) plus the prediction columns."""
    f = data.frame
    districts = f["district"].tolist() if "district" in f else None
    places = {
        "towns": f["town"].tolist() if "town" in f else None,
        "addresses": f["address"].tolist() if "address" in f else None,
    }
    preds = predict_frame(
        f["text"], model, top_k=top_k, progress=progress, districts=districts, places=places
    )
    preds.index = data.raw.index
    out = data.raw.copy()
    for col in pred_columns(model):
        out[col] = preds[col]
    out["model_version"] = model.label_id
    return out
