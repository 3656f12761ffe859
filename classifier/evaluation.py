"""``hotline-nlp evaluate``: score a saved model on a labelled export.

Besides the point figures it says how far they can be trusted: bootstrap
intervals, the most-confused class pairs with examples, a reliability table,
the precision the ``needs_review`` threshold reaches on these rows, and
whether (part of) the file is the model's own training data, in which case
the figures are optimistic.
"""

from __future__ import annotations

import numpy as np
from hotline_nlp.classifier import trust
from hotline_nlp.classifier.dispatch.scoring import per_unit
from hotline_nlp.classifier.eval_metrics import level_metrics
from hotline_nlp.corpus.loaders import LoadResult
from hotline_nlp.models import manifest as mf


def training_overlap(model, texts) -> dict:
    """Share of ``texts`` the model was trained on (from the row hashes saved
    beside it; older models without them are compared on the data hash only)."""
    rows_file = model.path / "training_rows.npy"
    if not rows_file.exists():
        return {"known": False, "share": None}
    trained = np.load(rows_file, allow_pickle=False)
    ours = np.array([mf.row_hash(t) for t in texts], dtype=np.uint64)
    share = float(np.isin(ours, trained).mean()) if len(ours) else 0.0
    return {"known": True, "share": round(share, 4)}


def is_training_data(model, frame) -> bool:
    """True when ``frame`` is the data the model was trained on (same texts and
    labels, any order: the manifest's training hash). Scores on it measure
    memory, not quality, and the report must say so."""
    want = model.manifest.get("training_data", {}).get("sha256")
    if not want or "level1" not in frame:
        return False
    labels = frame["level1"] + (
        " > " + frame["level2"] if model.tagger.n_levels_ == 2 and "level2" in frame else ""
    )
    return mf.data_fingerprint(frame["text"], labels) == want


def evaluate(model, data: LoadResult) -> dict:
    """Accuracy, macro-F1 (with 95 % bootstrap intervals), per-class scores and
    confusion, per level the data has; confused pairs, reliability, review check.

    Level-2 is scored on full paths; a tag backed off to level 1 counts as wrong
    at level 2 (it did not give a sub-category) and the share is reported.
    """
    frame = data.frame
    if "level1" not in frame:
        raise ValueError(f"{data.path}: no label column to evaluate against")
    texts = frame["text"].tolist()
    recs = model.predict(texts, top_k=1)
    pred1 = [r["pred_level1"] for r in recs]
    out = {
        "model": model.label_id,
        "file": str(data.path),
        "n": int(len(frame)),
        "n_rejected": data.n_rejected_rows,
        "level1": level_metrics(frame["level1"], pred1, confusion=True),
    }
    out["level1"]["interval"] = trust.bootstrap_interval(frame["level1"], pred1)
    out["accuracy"], out["macro_f1"] = out["level1"]["accuracy"], out["level1"]["macro_f1"]
    truth, pred, conf = (
        frame["level1"].astype(str).to_numpy(),
        np.array(pred1),
        [r["confidence_level1"] for r in recs],
    )
    if "level2" in frame and model.tagger.n_levels_ == 2:
        truth = (frame["level1"] + " > " + frame["level2"]).astype(str).to_numpy()
        pred = np.array([r["pred_path"] for r in recs])
        out["level2"] = level_metrics(truth, pred, confusion=True)
        out["level2"]["interval"] = trust.bootstrap_interval(truth, pred)
        out["level2"]["backoff_share"] = round(sum(not r["pred_level2"] for r in recs) / max(1, len(recs)), 4)
        conf = [r["confidence"] for r in recs]
    out["training_data"] = is_training_data(model, frame)
    if "unit" in frame and "pred_unit" in (recs[0] if recs else {}):
        out["dispatch"] = dispatch_metrics(model, frame)
    out["needs_review_share"] = round(sum(r["needs_review"] for r in recs) / max(1, len(recs)), 4)
    out["confused_pairs"] = trust.confused_pairs(truth, pred, texts)
    out["reliability"] = trust.reliability_table(conf, truth == pred)
    ok1 = frame["level1"].astype(str).to_numpy() == np.array(pred1)
    out["review"] = trust.review_check(
        [r["needs_review"] for r in recs], ok1, float(model.tagger.review_precision)
    )
    out["training_overlap"] = training_overlap(model, texts)
    data_hash = model.manifest.get("training_data", {}).get("sha256")
    labels = frame["level1"] + (
        " > " + frame["level2"] if "level2" in frame and model.tagger.n_levels_ == 2 else ""
    )
    out["training_overlap"]["same_data_hash"] = bool(
        data_hash and data_hash == mf.data_fingerprint(frame["text"], labels)
    )
    share = out["training_overlap"]["share"]
    if out["training_overlap"]["same_data_hash"] or (share or 0) > 0:
        out["warning"] = (
            f"{round(100 * (share if share is not None else 1.0))} % of these rows are the model's own "
            "training data: the figures are optimistic; evaluate on rows it never saw"
        )
    return out


def dispatch_metrics(model, frame) -> dict:
    """First-dispatch accuracy on the rows that name a unit: top-1, top-3, per unit.

    Scored from the complaint text (and its predicted category) alone, as at
    intake; units the model's directory lacks count as misses and are counted."""
    rows = frame[frame["unit"] != ""]
    recs = model.predict(rows["text"].tolist(), top_k=3)
    truth = rows["unit"].tolist()
    pred = [r["pred_unit"] for r in recs]
    top3 = [t in [a["unit"] for a in r["unit_top_k"]] for t, r in zip(truth, recs)]
    n = len(truth)
    known = set(model.dispatcher.classes_)
    return {
        "n": n,
        "top1": round(sum(t == p for t, p in zip(truth, pred)) / max(1, n), 4),
        "top3": round(sum(top3) / max(1, n), 4),
        "n_unknown_units": sum(t not in known for t in truth),
        "review_share": round(sum(r["unit_needs_review"] for r in recs) / max(1, n), 4),
        "per_unit": per_unit(truth, pred),
    }
