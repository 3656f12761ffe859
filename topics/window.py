"""The shared machinery of the hotspot reports: one window of complaints,
embedded once, replayed week by week through an ``IssueTracker``.

``weekly_alert``, ``emerging_issues`` and the benchmark all do the same thing:
take the complaints of [history start, period end), vectorise them once, cluster
the history once, then step through the weeks to report. ``Window`` holds that
state so none of them re-embeds or re-clusters.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import dedup
from hotline_nlp.topics.clustering import ClusterConfig
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.emergence import EmergenceConfig
from hotline_nlp.topics.periods import week_labels, weeks_between
from hotline_nlp.topics.tracker import IssueTracker, TrackerConfig
from hotline_nlp.topics.vector_store import BlockedRows, BlockStore, week_bounds


class HotspotError(ValueError):
    """Input that cannot give a hotspot report; the message says what and where."""


@dataclass
class HotspotConfig:
    """Every knob of the hotspot reports (defaults measured in BENCHMARKS.md)."""

    tracker: TrackerConfig = field(
        default_factory=lambda: TrackerConfig(
            cluster=ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.2)
        )
    )
    emergence: EmergenceConfig = field(default_factory=EmergenceConfig)
    semantic_weight: float = 0.0  # share of the sentence embedding in the vectors (complaint_vectors.py)
    dedup_window_days: float = 7.0
    dup_cos: float = 0.95
    caller_cos: float = 0.3  # same caller within the window counts as a repeat from this similarity on
    examples: int = 3
    max_issues: int = 20
    keyword_sample: int = 150
    memory_mb: float = 1024  # raw vector blocks held in memory; the rest go to disk (topics.vector_store)
    n_jobs: int | None = None  # threads matching complaints to issues (None: every core available)


def check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a date and a text, sorted by time, with ``key`` (unique id) and ``week``."""
    if frame is None or len(frame) == 0:
        raise HotspotError("no complaints: the input is empty")
    if "created_at" not in frame:
        raise HotspotError("the complaints have no date column (受理时间/created_at); hotspots need dates")
    if "text" not in frame:
        raise HotspotError("the complaints have no text column")
    ts = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
    if ts.notna().sum() == 0:
        raise HotspotError("no complaint has a usable date (created_at is empty or unparseable in every row)")
    out = frame.loc[ts.notna()].copy()
    out["created_at"] = ts[ts.notna()]
    out = out.sort_values("created_at", kind="stable")
    ids = (
        out["id"].astype(str)
        if "id" in out
        else pd.Series([f"row{i}" for i in range(len(out))], index=out.index)
    )
    dup = ids.duplicated(keep=False)
    if dup.any():  # keep ids readable but unique: the tracker keys on them
        ids = ids.where(~dup, ids + "@" + pd.Series(range(len(ids)), index=ids.index).astype(str))
    out["key"] = ids
    out["id"] = out["id"].astype(str) if "id" in out else ids
    out["week"] = week_labels(out["created_at"])
    out["text"] = out["text"].fillna("").astype(str)
    return out


def data_span(frame: pd.DataFrame) -> str:
    return f"{frame['created_at'].min().date()}..{frame['created_at'].max().date()}"


class Window:
    """Complaints of [start, end) with vectors, a tracker, and per-row issue ids."""

    def __init__(
        self,
        frame: pd.DataFrame,
        start: pd.Timestamp,
        end: pd.Timestamp,
        *,
        embedder=None,
        config: HotspotConfig | None = None,
        state_dir: str | Path | None = None,
    ):
        self.config = config or HotspotConfig()
        self.rows = frame.loc[(frame["created_at"] >= start) & (frame["created_at"] < end)]
        self.start, self.end = start, end
        self.week_labels = [p.label for p in weeks_between(start, end)]
        self.state_dir = Path(state_dir) if state_dir else None
        loaded = bool(self.state_dir and (self.state_dir / "tracker.json").is_file())
        if loaded:
            self.rep = Representation.load(self.state_dir / "representation", embedder=embedder)
            self.tracker = IssueTracker.load(self.state_dir, n_jobs=self.config.n_jobs)
        else:
            self.rep = Representation(
                embedder=embedder if self.config.semantic_weight > 0 else "none",
                semantic_weight=self.config.semantic_weight,
            )
            self.tracker = None
        store = BlockStore(
            self.state_dir / "vectors" if self.state_dir else None,
            budget_bytes=int(self.config.memory_mb * 2**20),
        )
        # rows are sorted by time (check_frame), so each week is one contiguous block
        self.x = BlockedRows.build(
            self.rep,
            self.rows["text"].tolist(),
            self.rows["key"].tolist(),
            week_bounds(self.rows["week"].to_numpy()),
            store,
        )
        if not loaded:
            self.rep.fit_raw(self.x.df_, self.x.n_docs_, self.x.semantic_mean_)
        self._pos = {k: i for i, k in enumerate(self.rows["key"].tolist())}

    # -- replay ------------------------------------------------------------
    def _week_rows(self, label: str) -> np.ndarray:
        return np.flatnonzero((self.rows["week"] == label).to_numpy())

    def bootstrap(self, before: pd.Timestamp) -> None:
        """Cluster every row before ``before`` (unless a saved tracker was loaded)."""
        if self.tracker is not None:
            return
        n = int((self.rows["created_at"] < before).sum())  # a prefix: rows are sorted by time
        self.tracker = IssueTracker(self.config.tracker, n_jobs=self.config.n_jobs)
        sub = self.rows.iloc[:n]
        self.tracker.bootstrap(sub["key"].tolist(), sub["week"].tolist(), self.x.view(0, n) if n else None)

    def step(self, label: str) -> bool:
        """Process one week; False when the tracker already holds it (a saved state)."""
        if label in self.tracker.assignments_ and self.tracker.weeks_ and label <= self.tracker.weeks_[-1]:
            return False
        idx = self._week_rows(label)
        self.tracker.step(label, self.rows["key"].iloc[idx].tolist(), self.x[idx])
        return True

    def run_until(self, label: str) -> None:
        """Step every week after the tracker's last one, up to and including ``label``."""
        for w in self.week_labels:
            if w > label:
                break
            if not self.tracker.weeks_ or w > self.tracker.weeks_[-1]:
                self.step(w)

    def save(self) -> None:
        """Write the tracker and representation to ``state_dir`` atomically.

        The stored vector blocks (``vectors/``, a cache keyed by content) are
        moved into the new state, and those this window did not use are pruned."""
        if not self.state_dir:
            return
        self.state_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".hotspot-state-", dir=self.state_dir.parent))
        try:
            self.tracker.save(tmp)
            self.rep.save(tmp / "representation")
            old = None
            if self.state_dir.exists():
                old = self.state_dir.with_name(self.state_dir.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                self.state_dir.rename(old)
            tmp.rename(self.state_dir)
            if old is not None:
                if (old / "vectors").is_dir():
                    (old / "vectors").rename(self.state_dir / "vectors")
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.x.store.prune(set(self.x.names))

    # -- results -----------------------------------------------------------
    def labels(self) -> np.ndarray:
        """Issue id per row (merges followed; -1 = no issue)."""
        out = np.full(len(self.rows), -1, dtype=np.int64)
        for _w, assigned in self.tracker.assignments_.items():
            for key, issue in assigned.items():
                i = self._pos.get(key)
                if i is not None and issue >= 0:
                    out[i] = self.tracker.resolve(issue)
        return out

    def count_labels(self, week: str) -> np.ndarray:
        """Issue per row for *counting*: rows of ``week`` keep the tracker's
        assignment; earlier rows are matched afresh to today's issues by the same
        centroid rule ("how many complaints like this were there before?"). So an
        issue born this week still gets an honest baseline (last winter's heating
        complaints count for this winter's new heating issue), and baseline and
        current count use one rule."""
        labels = self.labels()
        act = self.tracker.active_
        before = np.flatnonzero((self.rows["week"] < week).to_numpy())
        if act and before.size:
            best, _ = cl.assign(
                self.x,
                self.tracker.centroids_[act],
                self.config.tracker.cluster.assign_threshold,
                rows=before,
                n_jobs=self.config.n_jobs,
            )
            act_ids = np.array([self.tracker.issues_[a].id for a in act], dtype=np.int64)
            labels[before] = np.where(best >= 0, act_ids[np.maximum(best, 0)], -1)
        return labels

    def repeats(self, labels: np.ndarray | None = None) -> np.ndarray:
        """Position of each row's original (-1 = original); computed once per window
        (the rules do not depend on issues, see ``dedup``)."""
        if getattr(self, "_dup", None) is None:
            callers = self.rows["caller"].tolist() if "caller" in self.rows else None
            self._dup = dedup.find_repeats(
                self.rows["created_at"],
                None,
                self.x,
                callers,
                self.config.dedup_window_days,
                self.config.dup_cos,
                self.config.caller_cos,
                text_keys=self.x.keys(),
            )
        return self._dup

    def counts(self, labels: np.ndarray, dup_of: np.ndarray, issue_ids: list[int]) -> np.ndarray:
        """(issues x weeks) counts of originals, columns = ``week_labels``."""
        col = {w: j for j, w in enumerate(self.week_labels)}
        row = {k: i for i, k in enumerate(issue_ids)}
        m = np.zeros((len(issue_ids), len(self.week_labels)), dtype=np.int64)
        if not issue_ids:
            return m
        sel = np.flatnonzero((labels >= 0) & (dup_of < 0))
        r = pd.Series(labels[sel]).map(row).to_numpy()
        c = pd.Series(self.rows["week"].to_numpy()[sel]).map(col).to_numpy()
        ok = ~(pd.isna(r) | pd.isna(c))
        np.add.at(m, (r[ok].astype(np.int64), c[ok].astype(np.int64)), 1)
        return m

    def totals(self) -> np.ndarray:
        vc = self.rows["week"].value_counts()
        return np.array([int(vc.get(w, 0)) for w in self.week_labels], dtype=np.int64)
