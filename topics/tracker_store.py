"""The issue tracker saved and loaded (the weekly alert's ``--state-dir``): a
directory of JSON + ``.npz`` (no pickle): ``tracker.json`` (config, issues,
lineage, pool ids), ``centroids.npz``, ``pool.npz`` and one
``assignments/<week>.json`` per week."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.tracker import FORMAT, Issue, IssueTracker, TrackerConfig
from scipy import sparse


def save_tracker(tr: IssueTracker, directory: Path) -> None:
    directory = Path(directory)
    (directory / "assignments").mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "config": asdict(tr.config),
        "next_id": tr.next_id_,
        "weeks": tr.weeks_,
        "issues": [asdict(i) for i in tr.issues_],
        "pool": {"ids": tr.pool_ids_, "weeks": tr.pool_weeks_},
    }
    (directory / "tracker.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), "utf-8")
    c = tr.centroids_ if tr.centroids_ is not None else sparse.csr_matrix((0, 1), dtype=np.float32)
    sparse.save_npz(directory / "centroids.npz", sparse.csr_matrix(c), compressed=False)
    if tr.pool_x_ is not None:
        sparse.save_npz(directory / "pool.npz", tr.pool_x_, compressed=False)
    for w, a in tr.assignments_.items():
        (directory / "assignments" / f"{w}.json").write_text(json.dumps(a), "utf-8")


def load_tracker(directory: Path, n_jobs: int | None = None, clusterer=None) -> IssueTracker:
    directory = Path(directory)
    try:
        state = json.loads((directory / "tracker.json").read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{directory}/tracker.json cannot be read: {e}") from None
    if state.get("format") != FORMAT:
        raise ValueError(f"{directory}: issue state format {state.get('format')} is not {FORMAT}")
    cfgj = state["config"]
    tr = IssueTracker(
        TrackerConfig(cluster=cl.ClusterConfig(**cfgj.pop("cluster")), **cfgj),
        n_jobs=n_jobs,
        clusterer=clusterer,
    )
    tr._init()
    tr.issues_ = [Issue(**i) for i in state["issues"]]
    tr.next_id_ = state["next_id"]
    tr.weeks_ = list(state["weeks"])
    c = sparse.load_npz(directory / "centroids.npz").tocsr()
    tr.centroids_ = c if c.shape[0] else None
    pool = directory / "pool.npz"
    tr.set_pool(
        state["pool"]["ids"],
        state["pool"]["weeks"],
        sparse.load_npz(pool).tocsr() if pool.is_file() and state["pool"]["ids"] else None,
    )
    for f in sorted((directory / "assignments").glob("*.json")):
        tr.assignments_[f.stem] = {k: int(v) for k, v in json.loads(f.read_text("utf-8")).items()}
    tr._reindex()
    return tr
