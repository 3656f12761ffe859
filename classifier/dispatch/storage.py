"""A fitted dispatcher on disk: ``dispatch.json`` (parameters, units, the choice and
its calibration, the selection's scores, notes), ``.npy`` arrays (the out-of-time
confidences behind the auto-route threshold, each candidate's weights) and the
text features' own directory. Nothing is pickled, so a model directory can be
read without running code from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hotline_nlp.classifier.dispatch.candidates import UnitSpace
from hotline_nlp.classifier.dispatch.directory import Unit
from hotline_nlp.classifier.dispatch.divisions import CityDivisions
from hotline_nlp.classifier.dispatch.places import PlaceEvidence
from hotline_nlp.classifier.dispatch.rerank import make_candidate
from hotline_nlp.classifier.features import TextFeatures
from sklearn.utils.validation import check_is_fitted


def write(d, directory: Path) -> None:
    """Save the fitted dispatcher ``d`` into ``directory``."""
    check_is_fitted(d, "model_")
    directory.mkdir(parents=True, exist_ok=True)
    if not d.shared_features_:
        d.features_.save(directory / "features")
    d.model_.save(directory)
    conf, correct, rank = d.oot_
    np.save(directory / "oot_confidence.npy", conf.astype(np.float32), allow_pickle=False)
    np.save(directory / "oot_rank.npy", rank.astype(np.int32), allow_pickle=False)
    params = d.get_params()
    params["candidates"] = list(params["candidates"])
    state = {
        "params": params,
        "units": [[u.name, u.jurisdiction, u.function, u.source, u.town] for u in d.space_.units],
        "districts": d.space_.jurisdictions[1:],
        "categories": sorted(d.cat_vocab_, key=d.cat_vocab_.get),
        "chosen": d.chosen_,
        "model_params": d.model_.params(),
        "temperature": d.temperature_,
        "threshold": d.threshold_,
        "route_rows": d.route_rows_,
        "selection": d.selection_,
        "places": d.places_.to_dict() if d.places_ is not None else None,
        "divisions_city": d.divisions_.city if d.divisions_ is not None else None,
        "metrics": d.cv_metrics_,
        "notes": d.notes_,
        "shared_features": d.shared_features_,
    }
    (directory / "dispatch.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def read(make, directory: Path, features=None):
    """The dispatcher saved in ``directory``, built by ``make(**params)``; ``features``:
    the tagger's ``TextFeatures``, for a dispatcher that shares them."""
    state = json.loads((directory / "dispatch.json").read_text(encoding="utf-8"))
    params = dict(state["params"])
    params["candidates"] = tuple(params["candidates"])
    d = make(**params)
    d.space_ = UnitSpace([Unit(*u) for u in state["units"]], state["districts"])
    d.cat_vocab_ = {c: i for i, c in enumerate(state["categories"])}
    d.chosen_ = state["chosen"]
    d.temperature_, d.threshold_ = state["temperature"], state["threshold"]
    d.route_rows_ = int(state.get("route_rows", 0))
    d.selection_, d.cv_metrics_, d.notes_ = state["selection"], state["metrics"], state["notes"]
    d.places_ = PlaceEvidence.from_dict(state["places"]) if state.get("places") else None
    d.divisions_ = CityDivisions(state["divisions_city"]) if state.get("divisions_city") else None
    d.shared_features_ = bool(state.get("shared_features"))
    if d.shared_features_ and features is None:
        raise ValueError(f"{directory}: this dispatcher shares the tagger's features; load it with the model")
    d.features_ = features if d.shared_features_ else TextFeatures.load(directory / "features")
    d.model_ = make_candidate(d.chosen_, state["model_params"]).load_state(directory, d.space_)
    conf = np.load(directory / "oot_confidence.npy", allow_pickle=False)
    rank = np.load(directory / "oot_rank.npy", allow_pickle=False)
    d.oot_ = (conf, rank == 0, rank)
    if d.places_ is not None and d.places_.units_ != list(d.space_.names):
        raise ValueError(f"{directory}: place evidence does not match the unit directory")
    return d
