"""``hotline-nlp evaluate``: score a saved model on a labelled export."""

from __future__ import annotations

from hotline_nlp.classifier.eval_metrics import level_metrics
from hotline_nlp.corpus.loaders import LoadResult
from hotline_nlp.models import manifest as mf


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
    """Accuracy, macro-F1, per-class scores and confusion, per level the data has.

    Level-2 is scored on full paths; a tag backed off to level 1 counts as wrong
    at level 2 (it did not give a sub-category) and the share is reported.
    """
    frame = data.frame
    if "level1" not in frame:
        raise ValueError(f"{data.path}: no label column to evaluate against")
    recs = model.predict(frame["text"].tolist(), top_k=1)
    out = {
        "model": model.label_id,
        "file": str(data.path),
        "n": int(len(frame)),
        "n_rejected": data.n_rejected_rows,
        "level1": level_metrics(frame["level1"], [r["pred_level1"] for r in recs], confusion=True),
    }
    out["accuracy"], out["macro_f1"] = out["level1"]["accuracy"], out["level1"]["macro_f1"]
    if "level2" in frame and model.tagger.n_levels_ == 2:
        truth = (frame["level1"] + " > " + frame["level2"]).tolist()
        out["level2"] = level_metrics(truth, [r["pred_path"] for r in recs], confusion=True)
        out["level2"]["backoff_share"] = round(sum(not r["pred_level2"] for r in recs) / max(1, len(recs)), 4)
    out["training_data"] = is_training_data(model, frame)
    out["needs_review_share"] = round(sum(r["needs_review"] for r in recs) / max(1, len(recs)), 4)
    return out
