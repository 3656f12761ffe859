"""``hotline-nlp train``: fit a tagger on a labelled export and version it.

The new version is always saved (its evaluation is worth keeping), but it is
promoted to CURRENT only when its cross-validated macro-F1 on the finest level
is at least that of the model it would replace, unless forced: a retrain on a
bad export must not silently downgrade the tags a city relies on.

Unless ``fast``, the setting is first chosen on the export itself by nested
cross-validation (``classifier.selection``); the manifest keeps every
candidate's inner score, the choice, and the outer score of the whole procedure.

When a ``holdout`` is given (the service's most recent corrections, see
``service.retrain``), the decision is made on it instead: the new tagger and
the current model both tag the held-out complaints, and the new one is
promoted when its accuracy there is not lower. That is the question analysts
ask after correcting tags: does the next model get *these* right?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hotline_nlp.classifier.dispatch.training import fit_dispatcher, read_units
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.classifier.model import load_model
from hotline_nlp.classifier.selection import select
from hotline_nlp.corpus.loaders import LoadResult
from hotline_nlp.models import manifest as mf
from hotline_nlp.models.space import check_writable
from hotline_nlp.models.store import ModelError, ModelStore, check_name

MIN_ROWS = 20


@dataclass
class TrainReport:
    name: str
    version: str
    path: Path
    promoted: bool
    metrics: dict
    previous: dict | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    selection: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "path": str(self.path),
            "promoted": self.promoted,
            "reason": self.reason,
            "metrics": self.metrics,
            "previous": self.previous,
            "notes": self.notes,
            "selection": self.selection,
        }


def headline(metrics: dict) -> float:
    """The figure versions are compared on: macro-F1 of the finest level (a
    dispatch-only model: its out-of-time top-1)."""
    if "level1" not in metrics:
        return float(metrics["dispatch"]["top1"])
    level = "level2" if "level2" in metrics else "level1"
    return float(metrics[level]["macro_f1"])


def headline_name(metrics: dict) -> str:
    return "macro-F1" if "level1" in metrics else "dispatch top-1"


@dataclass
class Holdout:
    """Labelled complaints kept out of training and used to decide promotion."""

    texts: list[str]
    level1: list[str]
    level2: list[str]
    what: str = "held-out complaints"

    def accuracy(self, predictions: list[dict]) -> float:
        """Share whose best full path (top-1 of ``top_k``) is the label's: a tagger that
        backs off to level 1 when unsure is judged on its best guess all the same."""
        ok = sum(
            best_path(p) == (f"{a} > {b}" if b else a)
            for p, a, b in zip(predictions, self.level1, self.level2)
        )
        return ok / len(self.texts) if self.texts else 0.0


def best_path(pred: dict) -> str:
    top = pred.get("top_k") or []
    if top:
        return top[0]["path"]
    return (
        f"{pred['pred_level1']} > {pred['pred_level2']}" if pred.get("pred_level2") else pred["pred_level1"]
    )


def _decide(store, name, metrics, force, holdout, tagger):
    """Whether the new version replaces the current one: ``(promote, reason, previous, metrics)``."""
    current = store.current_version(name)
    previous = None
    promote, reason = True, "first version" if current is None else ""
    if holdout is not None and holdout.texts:
        new_acc = holdout.accuracy(tagger.tag(holdout.texts, top_k=1))
        metrics = {
            **metrics,
            "holdout": {"what": holdout.what, "n": len(holdout.texts), "accuracy": round(new_acc, 4)},
        }
    if current is not None and holdout is not None and holdout.texts:
        try:
            prev_model = load_model(store.path_of(name, current))
            prev_acc = holdout.accuracy(prev_model.predict(holdout.texts, top_k=1))
        except ValueError as e:
            prev_acc, reason = None, f"current version {current} is unusable ({e})"
        if prev_acc is not None:
            previous = {"version": current, "holdout_accuracy": round(prev_acc, 4)}
            cmp = f"accuracy on the {len(holdout.texts)} {holdout.what} {new_acc:.4f} vs {current}'s {prev_acc:.4f}"
            if new_acc >= prev_acc:
                reason = cmp
            elif force:
                reason = f"forced ({cmp})"
            else:
                promote = False
                reason = f"not promoted: {cmp}; use --force or `hotline-nlp models promote {name} VERSION`"
    elif current is not None:
        try:
            prev_model = load_model(store.path_of(name, current))
            prev_metrics = prev_model.manifest.get("metrics", {})
            what, was = headline_name(metrics), headline_name(prev_metrics)
            key = "macro_f1" if what == "macro-F1" else "dispatch_top1"
            if what != was:  # a dispatch-only export must not silently replace a tagger (or back)
                previous = {"version": current, "kind": prev_model.manifest.get("kind")}
                cmp = f"{current} {'tags categories' if was == 'macro-F1' else 'only dispatches'}, this version "
                cmp += "tags categories" if what == "macro-F1" else "only dispatches"
                if force:
                    reason = f"forced ({cmp})"
                else:
                    promote = False
                    reason = (
                        f"not promoted: {cmp}; use --force or `hotline-nlp models promote {name} VERSION`"
                    )
            else:
                previous = {"version": current, key: headline(prev_metrics)}
                new, old = headline(metrics), previous[key]
                if new >= old:
                    reason = f"{what} {new:.4f} >= {current}'s {old:.4f}"
                elif force:
                    reason = f"forced ({what} {new:.4f} < {current}'s {old:.4f})"
                else:
                    promote = False
                    reason = (
                        f"not promoted: {what} {new:.4f} < {current}'s {old:.4f}; "
                        f"use --force or `hotline-nlp models promote {name} VERSION`"
                    )
        except (ValueError, KeyError) as e:  # the current model is broken: replacing it is an improvement
            reason = f"current version {current} is unusable ({e})"

    return promote, reason, previous, metrics


def dispatch_params(params: dict | None) -> dict:
    """The dispatcher's share of ``train``'s parameters (its auto-route precision)."""
    params = params or {}
    return {"route_precision": params["route_precision"]} if "route_precision" in params else {}


def train_dispatcher(
    data: LoadResult,
    *,
    name: str,
    models_dir=None,
    force: bool = False,
    params: dict | None = None,
    progress=None,
    units=None,
) -> TrainReport:
    """A dispatch-only model: the export has a unit column and no categories
    (``train --unit-col 回复单位``). Saved like a tagging model, without ``tagger/``;
    ``classify``, ``evaluate`` and ``serve`` then recommend units only."""
    frame = data.frame
    read_units(data, units)
    dispatcher, notes = fit_dispatcher(data, units, params=dispatch_params(params), progress=progress)
    if dispatcher is None:
        raise ValueError(f"{data.path}: " + (notes[-1] if notes else "no unit column to train dispatch on"))
    metrics = {"dispatch": dispatcher.cv_metrics_}
    labels = {
        "levels": 0,
        "units": [u.name for u in dispatcher.units_],
        "unit_directory": "given" if units else "inferred from the history",
    }
    training = {
        "file": data.path.name,
        "sha256": mf.data_fingerprint(frame["text"], frame["unit"]),
        "n_rows": int(len(frame)),
        "n_rejected": data.n_rejected_rows,
        "columns": data.column_map.source_for,
        "n_unlabeled": 0,
    }
    store = ModelStore(models_dir)
    promote, reason, previous, metrics = _decide(store, name, metrics, force, None, None)

    def write(directory: Path) -> None:
        dispatcher.save(directory / "dispatch")
        np.save(directory / "training_rows.npy", mf.row_hashes(frame["text"]), allow_pickle=False)

    try:
        version, path = store.save(
            name,
            write,
            {
                "kind": "dispatcher",
                "training": training,
                "labels": labels,
                "metrics": metrics,
                "params": dispatcher.get_params() | {"candidates": list(dispatcher.candidates)},
                "selection": {"dispatch": dispatcher.selection_},
            },
            promote=promote,
        )
    except OSError as e:
        raise ModelError(f"cannot save the model in {store.root}: {e.strerror or e}") from None
    sel = {"dispatch": dispatcher.selection_}
    return TrainReport(name, version, path, promote, metrics, previous, reason, list(data.notes) + notes, sel)


def train(
    data: LoadResult,
    *,
    name: str,
    models_dir: str | Path | None = None,
    force: bool = False,
    params: dict | None = None,
    progress=None,
    units: str | Path | None = None,
    fast: bool = False,
    unlabeled=None,
    unlabeled_sources: dict[str, int] | None = None,
    family=None,
    holdout: Holdout | None = None,
) -> TrainReport:
    """Fit, evaluate and save a tagger. ``fast`` skips the model selection (the
    defaults are used); ``unlabeled``: texts of the same city without labels
    (they inform the idf statistics); ``unlabeled_sources``: where those texts
    came from (source -> count; recorded in the manifest and the notes);
    ``family``: the candidates to choose among (default ``selection.FAMILY``)."""
    check_name(name)  # before the training, not after it
    frame = data.frame
    if "level1" not in frame and "unit" not in frame:
        raise ValueError(
            f"{data.path}: no label column (一级分类 ...) and no unit column (承办单位 ...) to train on; "
            "name them with --label-col or --unit-col"
        )
    try:  # before the fit: a read-only or full directory is an error now, not after it
        check_writable(ModelStore(models_dir).root)
    except OSError as e:
        raise ModelError(e.strerror or str(e)) from None
    if "level1" not in frame:
        return train_dispatcher(
            data, name=name, models_dir=models_dir, force=force, params=params, progress=progress, units=units
        )
    if len(frame) < MIN_ROWS:
        raise ValueError(
            f"{data.path}: only {len(frame)} usable labelled rows; at least {MIN_ROWS} are needed"
        )
    level2 = frame["level2"] if "level2" in frame and (frame["level2"] != "").all() else None
    if level2 is None and len(frame["level1"].unique()) < 2:
        raise ValueError(
            f"{data.path}: all rows have the same label {frame['level1'].iloc[0]!r}; nothing to learn"
        )
    read_units(data, units)  # a bad unit directory fails before the long tagger fit
    unlabeled = list(unlabeled) if unlabeled is not None else None
    base = HierarchicalTagger(**{k: v for k, v in (params or {}).items() if k != "route_precision"})
    selection = None
    if not fast:
        selection = select(
            frame["text"].tolist(),
            frame["level1"],
            level2,
            base=base.get_params(),
            unlabeled=unlabeled,
            progress=progress,
            **({"family": family} if family else {}),
        )
        base.set_params(**selection.params)
    tagger = base.fit(frame["text"], frame["level1"], level2, progress=progress, unlabeled=unlabeled)
    if progress:
        progress("dispatch")
    # the dispatcher reads the tagger's features, so tagging featurises each text once
    dispatcher, dispatch_notes = fit_dispatcher(
        data, units, params=dispatch_params(params), features=tagger.features_, progress=progress
    )
    metrics = dict(tagger.cv_metrics_)
    if dispatcher is not None:
        metrics["dispatch"] = dispatcher.cv_metrics_
    labels_y = frame["level1"] + (" > " + level2 if level2 is not None else "")
    labels = {"levels": tagger.n_levels_, "level1": sorted(frame["level1"].unique().tolist())}
    if level2 is not None:
        labels["paths"] = sorted(labels_y.unique().tolist())
    if dispatcher is not None:
        labels["units"] = [u.name for u in dispatcher.units_]
        labels["unit_directory"] = "given" if units else "inferred from the history"
    training = {
        "file": data.path.name,
        "sha256": mf.data_fingerprint(frame["text"], labels_y),
        "n_rows": int(len(frame)),
        "n_rejected": data.n_rejected_rows,
        "columns": data.column_map.source_for,
        "n_unlabeled": len(unlabeled) if unlabeled else 0,
    }
    if unlabeled_sources:
        training["unlabeled_sources"] = dict(unlabeled_sources)

    store = ModelStore(models_dir)
    promote, reason, previous, metrics = _decide(store, name, metrics, force, holdout, tagger)

    def write(directory: Path) -> None:
        tagger.save(directory / "tagger")
        if dispatcher is not None:
            dispatcher.save(directory / "dispatch")
        np.save(directory / "training_rows.npy", mf.row_hashes(frame["text"]), allow_pickle=False)

    sel = selection.to_json() if selection else {"chosen": "defaults (--fast)"}
    if dispatcher is not None:
        sel = {**sel, "dispatch": dispatcher.selection_}
    try:
        version, path = store.save(
            name,
            write,
            {
                "kind": "hierarchical-tagger",
                "training": training,
                "labels": labels,
                "metrics": metrics,
                "params": tagger.get_params(),
                "selection": sel,
            },
            promote=promote,
        )
    except OSError as e:  # the disk filled up during the run: one line, earlier versions intact
        raise ModelError(f"cannot save the model in {store.root}: {e.strerror or e}") from None
    notes = list(data.notes) + dispatch_notes
    notes += [
        f"{n} unlabelled texts from {source} used in the idf statistics"
        for source, n in (unlabeled_sources or {}).items()
    ]
    return TrainReport(name, version, path, promote, metrics, previous, reason, notes, sel)
