"""Conversions between the outside world and stored rows.

One place defines what a complaint record is, so the API, the file import and
the export agree: the same complaint sent over HTTP or imported from a file
gets the same ``input_hash`` and so is recognised as a repeat, not a conflict.

The outcome fields (``tables.OUTCOME_FIELDS``) are kept out of the hash: they
are filled in weeks after a complaint is received, and a re-post that only
brings its outcome is an update of the stored row, not a conflicting complaint.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime

import pandas as pd
from hotline_nlp.corpus.text import clean, join_title_body
from hotline_nlp.corpus.validate import parse_flag
from hotline_nlp.service.store.tables import (
    COUNT_FIELDS,
    FLAG_FIELDS,
    META_FIELDS,
    UPDATABLE_FIELDS,
)

# The dispatcher's recommendation (migration 0005), beside the assigned ``unit``.
DISPATCH_FIELDS = ("rec_unit", "rec_unit_confidence", "rec_unit_top_k", "rec_unit_needs_review")
# What the hash covers: everything the sender decides about the complaint itself,
# nothing the server adds and not the outcome (which may be updated later).
HASHED = ("id", "title", "body", "created_at", *META_FIELDS, "label_level1", "label_level2")
TAG_FIELDS = (
    "tag_level1",
    "tag_level2",
    "tag_confidence",
    "tag_confidence_level1",
    "tag_top_k",
    "tag_needs_review",
    "model_name",
    "model_version",
    *DISPATCH_FIELDS,
)
# Canonical frame columns handed to the topic/hotspot code.
FRAME_COLUMNS = ("id", "title", "body", "text", "created_at", "level1", "level2", *META_FIELDS)
# Export columns: canonical names (so load_complaints reads them back) + the store's own.
EXPORT_COLUMNS = (
    "id",
    "title",
    "body",
    "created_at",
    *META_FIELDS,
    *UPDATABLE_FIELDS,
    "level1",
    "level2",
    "received_at",
    "updated_at",
    *TAG_FIELDS,
)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _opt(value) -> str | None:
    if _missing(value):
        return None
    s = clean(value)
    return s or None


def _flag(value) -> bool | None:
    """A yes/no outcome as stored: the loader gives pandas booleans (NA when
    blank), the API Python booleans; text is read like the loader reads it."""
    if _missing(value):
        return None
    if isinstance(value, str):
        return parse_flag(value)
    return bool(value)


def _number(value) -> float | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    return float(value)


def _count(value) -> int | None:
    n = _number(value)
    return None if n is None else int(round(n))


_OUTCOME_TYPES = {
    **dict.fromkeys(FLAG_FIELDS, _flag),
    "satisfaction": _opt,
    "stars": _number,
    **dict.fromkeys(COUNT_FIELDS, _count),
}


def outcome(values: dict) -> dict:
    """The updatable fields of ``values`` (the outcome, likes and dislikes),
    normalised for storing (None = not given)."""
    return {f: _OUTCOME_TYPES[f](values.get(f)) for f in UPDATABLE_FIELDS}


def input_hash(rec: dict) -> str:
    payload = {k: rec.get(k) for k in HASHED if rec.get(k) is not None}
    if isinstance(payload.get("created_at"), datetime):
        payload["created_at"] = payload["created_at"].isoformat(timespec="seconds")
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_record(
    *, id: str, title, body, created_at: datetime, received_at: datetime, labels: tuple = (None, None), **meta
) -> dict:
    """A row ready for ``repository.ingest`` (tags are added there). ``meta`` holds
    the ``META_FIELDS`` and the optional ``UPDATABLE_FIELDS`` (outcome, likes)."""
    created = pd.Timestamp(created_at).to_pydatetime().replace(microsecond=0)
    rec = {
        "id": id,
        "title": _opt(title),
        "body": _opt(body),
        "created_at": created,
        "received_at": received_at,
        "label_level1": _opt(labels[0]),
        "label_level2": _opt(labels[1]) if _opt(labels[0]) else None,
    }
    rec["text"] = join_title_body(rec["title"], rec["body"])
    for f in META_FIELDS:
        rec[f] = _opt(meta.get(f))
    rec.update(outcome(meta))
    rec["input_hash"] = input_hash(rec)
    return rec


def from_api(item, received_at: datetime) -> dict:
    """``schemas.ComplaintIn`` -> record."""
    return make_record(
        id=item.id,
        title=item.title,
        body=item.body_text,
        created_at=item.created_at,
        received_at=received_at,
        labels=(item.level1, item.level2),
        **{f: getattr(item, f) for f in (*META_FIELDS, *UPDATABLE_FIELDS)},
    )


def model_tagger(model, top_k: int, on_batch=None):
    """The store's tagger: rows (dicts with ``text`` and, optionally, ``district``)
    -> their ``tag_*``/``rec_unit*`` columns. The district (所属区县) goes to the
    dispatcher as ``classify`` passes an export's column, so a complaint stored over
    the API gets the same unit recommendation as the same row tagged in a batch.
    ``on_batch(n)`` is told each batch's size (an import counts what it tagged)."""

    def tag(rows: list[dict]) -> list[dict]:
        if on_batch is not None:
            on_batch(len(rows))
        preds = model.predict(
            [r["text"] for r in rows], top_k=top_k, districts=[r.get("district") or "" for r in rows]
        )
        return [tag_columns(p, model) for p in preds]

    return tag


def tag_columns(pred: dict, model) -> dict:
    """One ``TaggingModel.predict`` result -> the ``tag_*`` columns (None for a
    dispatch-only model, which recommends a unit and gives no category)."""
    return {
        "tag_level1": pred.get("pred_level1"),
        "tag_level2": pred.get("pred_level2") or None,
        "tag_confidence": None if pred.get("confidence") is None else float(pred["confidence"]),
        "tag_confidence_level1": None
        if pred.get("confidence_level1") is None
        else float(pred["confidence_level1"]),
        "tag_top_k": [
            {"path": t["path"], "confidence": float(t["confidence"])} for t in pred.get("top_k", [])
        ],
        "tag_needs_review": None if pred.get("needs_review") is None else bool(pred["needs_review"]),
        "model_name": str(model.name),
        "model_version": str(model.version),
        **dispatch_columns(pred),
    }


def dispatch_columns(pred: dict) -> dict:
    """The ``rec_unit*`` columns of a prediction (all None when the model has no dispatcher)."""
    if not pred.get("pred_unit"):
        return dict.fromkeys(DISPATCH_FIELDS)
    return {
        "rec_unit": pred["pred_unit"],
        "rec_unit_confidence": float(pred["unit_confidence"]),
        "rec_unit_top_k": [
            {"unit": t["unit"], "confidence": float(t["confidence"])} for t in pred.get("unit_top_k", [])
        ],
        "rec_unit_needs_review": bool(pred["unit_needs_review"]),
    }


def _dispatch_from_row(row: dict) -> dict | None:
    if not row.get("rec_unit"):
        return None
    return {
        "unit": row["rec_unit"],
        "confidence": row["rec_unit_confidence"],
        "top_k": row.get("rec_unit_top_k") or [],
        "needs_review": bool(row.get("rec_unit_needs_review")),
    }


def path_of(level1: str | None, level2: str | None) -> str | None:
    if not level1:
        return None
    return f"{level1} > {level2}" if level2 else level1


def tag_out(pred: dict, model) -> dict:
    """``predict`` result -> ``schemas.TagOut`` fields; the dispatch answer also carries
    the jurisdiction and function (not stored: they follow from the unit)."""
    out = _tags_from_row(tag_columns(pred, model))
    if out and out.get("dispatch") and "pred_jurisdiction" in pred:
        out["dispatch"].update(
            jurisdiction=pred["pred_jurisdiction"],
            jurisdiction_confidence=float(pred["jurisdiction_confidence"]),
            function=pred["pred_function"],
            function_confidence=float(pred["function_confidence"]),
        )
    return out


def _tags_from_row(row: dict) -> dict | None:
    if not row.get("tag_level1") and not row.get("rec_unit"):
        return None
    return {
        "path": path_of(row["tag_level1"], row["tag_level2"]),
        "level1": row["tag_level1"],
        "level2": (row["tag_level2"] or "") if row.get("tag_level1") else None,
        "confidence": row["tag_confidence"],
        "confidence_level1": row["tag_confidence_level1"],
        "top_k": row["tag_top_k"] or [],
        "needs_review": None if row["tag_needs_review"] is None else bool(row["tag_needs_review"]),
        "model": row["model_name"],
        "model_version": row["model_version"],
        "dispatch": _dispatch_from_row(row),
    }


def to_out(row: dict) -> dict:
    """Stored row -> ``schemas.ComplaintOut`` fields."""
    out = {
        k: row[k]
        for k in (
            "id",
            "title",
            "body",
            "text",
            "created_at",
            "received_at",
            "updated_at",
            *META_FIELDS,
            *UPDATABLE_FIELDS,
        )
    }
    out["labels"] = (
        {"level1": row["label_level1"], "level2": row["label_level2"]} if row["label_level1"] else None
    )
    out["correction"] = (
        {
            "unit": row.get("label_unit"),
            "labelled_at": row["labelled_at"],
            "labelled_by": row.get("labelled_by"),
        }
        if row.get("labelled_at")
        else None
    )
    out["tags"] = _tags_from_row(row)
    out["category"] = path_of(row["level1"], row["level2"])
    return out


def to_frame(rows) -> pd.DataFrame:
    """Stored rows -> the canonical frame (corpus.columns names) that the topic
    and hotspot code reads; ``level1``/``level2`` are the effective categories and
    ``unit`` the corrected 承办单位 where an analyst gave one; ``likes`` (点赞数) where
    any stored complaint has them, as the loader gives them."""
    rows = list(rows)
    frame = pd.DataFrame.from_records(
        [{**{k: r[k] for k in FRAME_COLUMNS}, "unit": r.get("label_unit") or r["unit"]} for r in rows],
        columns=list(FRAME_COLUMNS),
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    for c in FRAME_COLUMNS:
        if c != "created_at":
            frame[c] = frame[c].fillna("").astype(str)
    likes = [r.get("likes") for r in rows]
    if any(v is not None for v in likes):  # 点赞数: the hotspot heat weighs issues by them
        frame["likes"] = pd.to_numeric(pd.Series(likes, dtype="object"), errors="coerce").to_numpy()
    return frame


def to_export_row(row: dict) -> dict:
    out = {k: row.get(k) for k in EXPORT_COLUMNS}
    out["level1"], out["level2"] = row["label_level1"], row["label_level2"]  # human labels only
    for col in ("tag_top_k", "rec_unit_top_k"):
        out[col] = json.dumps(row[col], ensure_ascii=False) if row.get(col) is not None else None
    return out


def from_export_row(rec: dict, raw: dict) -> dict:
    """Restore the tag columns an export wrote (``raw`` = the file's own columns)."""
    if not _opt(raw.get("tag_level1")):
        return rec
    rec = dict(rec)
    num = lambda v: None if _opt(v) is None else float(v)  # noqa: E731
    rec.update(
        {
            "tag_level1": _opt(raw.get("tag_level1")),
            "tag_level2": _opt(raw.get("tag_level2")),
            "tag_confidence": num(raw.get("tag_confidence")),
            "tag_confidence_level1": num(raw.get("tag_confidence_level1")),
            "tag_top_k": json.loads(raw["tag_top_k"]) if _opt(raw.get("tag_top_k")) else [],
            "tag_needs_review": str(raw.get("tag_needs_review")).strip().lower() in {"true", "1", "yes"},
            "model_name": _opt(raw.get("model_name")),
            "model_version": _opt(raw.get("model_version")),
            "rec_unit": _opt(raw.get("rec_unit")),
            "rec_unit_confidence": num(raw.get("rec_unit_confidence")),
            "rec_unit_top_k": json.loads(raw["rec_unit_top_k"]) if _opt(raw.get("rec_unit_top_k")) else None,
            "rec_unit_needs_review": None
            if _opt(raw.get("rec_unit_needs_review")) is None
            else str(raw.get("rec_unit_needs_review")).strip().lower() in {"true", "1", "yes"},
        }
    )
    return rec
