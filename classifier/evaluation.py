"""``hotline-nlp evaluate``: score a saved model on a labelled export.

Besides the point figures it says how far they can be trusted: bootstrap
intervals, the most-confused class pairs with examples, a reliability table,
the precision the ``needs_review`` threshold reaches on these rows, and
whether (part of) the file is the model's own training data, in which case
the figures are optimistic.
"""

from __future__ import annotations

import numpy as np
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier import trust
from hotline_nlp.classifier.dispatch.directory import make_unit
from hotline_nlp.classifier.dispatch.scoring import per_unit
from hotline_nlp.classifier.dispatch.selection import route_share
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


def evaluate(model, data: LoadResult, route_precision: float | None = None) -> dict:
    """Accuracy, macro-F1 (with 95 % bootstrap intervals), per-class scores and
    confusion, per level the data has; confused pairs, reliability, review check.
    With a dispatcher and a unit column, ``dispatch`` (see ``dispatch_metrics``;
    ``route_precision``: the auto-route target, default the model's own).

    Level-2 is scored on full paths; a tag backed off to level 1 counts as wrong
    at level 2 (it did not give a sub-category) and the share is reported.
    """
    frame = data.frame
    if model.dispatcher is not None and "unit" in frame and (model.tagger is None or "level1" not in frame):
        return dispatch_only(model, data, route_precision)
    if model.tagger is None:
        raise ValueError(f"{data.path}: no unit column to score model {model.label_id}'s dispatch against")
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
        out["dispatch"] = dispatch_metrics(model, frame, route_precision)
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


def dispatch_only(model, data: LoadResult, route_precision: float | None = None) -> dict:
    """``evaluate`` for a file with units and no categories (or a dispatch-only model)."""
    texts = data.frame["text"].tolist()
    out = {
        "model": model.label_id,
        "file": str(data.path),
        "n": int(len(data.frame)),
        "n_rejected": data.n_rejected_rows,
        "dispatch": dispatch_metrics(model, data.frame, route_precision),
        "training_overlap": training_overlap(model, texts),
    }
    share = out["training_overlap"]["share"]
    if share:
        out["warning"] = (
            f"{100 * share:.1f} % of these rows are the model's own training data: the figures are "
            "optimistic; evaluate on rows it never saw"
        )
    return out


def dispatch_metrics(model, frame, route_precision: float | None = None) -> dict:
    """First-dispatch accuracy on the rows that name a unit: top-1/3/5, jurisdiction and
    function accuracy, calibration, the auto-route share, per unit.

    Scored from the complaint text (its predicted category, and the file's 所属区县 /
    所属街道 / 地址 where present), as at intake; units the model's directory lacks count
    as misses and are counted. The auto-route threshold is the confidence at which the
    model's own out-of-time predictions reached ``route_precision`` (the model's target
    when None): chosen without these rows, so the precision reached here is a fair test."""
    rows = frame[frame["unit"] != ""]
    places = {c: rows[c].tolist() if c in rows else None for c in ("district", "town", "address")}
    recs = model.predict(
        rows["text"].tolist(),
        top_k=5,
        districts=places["district"],
        towns=places["town"],
        addresses=places["address"],
    )
    d = model.dispatcher
    truth = rows["unit"].tolist()
    pred = [r["pred_unit"] for r in recs]
    ranked = [[a["unit"] for a in r["unit_top_k"]] for r in recs]
    n = len(truth)
    known = {u.name: u for u in d.units_}
    districts = d.space_.jurisdictions[1:]
    true_units = [known.get(t) or make_unit(t, districts) for t in truth]
    conf = np.array([r["unit_confidence"] for r in recs], dtype=float)
    ok = np.array([t == p for t, p in zip(truth, pred)], dtype=bool)
    target = float(route_precision if route_precision is not None else d.route_precision)
    threshold = d.route_threshold(route_precision)
    jur_ok = [r["pred_jurisdiction"] == u.jurisdiction for r, u in zip(recs, true_units)]
    fun_ok = [r["pred_function"] == u.function for r, u in zip(recs, true_units)]
    return {
        "n": n,
        "top1": round(float(ok.mean()), 4) if n else 0.0,
        "top3": round(sum(t in r[:3] for t, r in zip(truth, ranked)) / max(1, n), 4),
        "top5": round(sum(t in r[:5] for t, r in zip(truth, ranked)) / max(1, n), 4),
        "jurisdiction_accuracy": round(sum(jur_ok) / max(1, n), 4),
        "function_accuracy": round(sum(fun_ok) / max(1, n), 4),
        "n_unknown_units": sum(t not in known for t in truth),
        "auto_route": route_share(conf, ok, threshold, target),
        "review_share": round(sum(r["unit_needs_review"] for r in recs) / max(1, n), 4),
        "ece": round(cal.expected_calibration_error(conf, ok), 4) if n else None,
        "reliability": trust.reliability_table(conf.tolist(), ok),
        "chosen": d.chosen_,
        "per_unit": per_unit(truth, pred),
    }
