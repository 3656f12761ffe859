"""The hotspot settings and input checks, and ``Window``: the machinery of
``replay`` and ``emerging_issues`` (one window of complaints, vectorised once,
replayed week by week through an ``IssueTracker``).

``replay`` and ``emerging_issues`` take the complaints of a range, vectorise
them once (in memory), cluster the history once, then step through the weeks.
The weekly alert and the hot issues of a range do not use ``Window``: they run
as map / groupby / sample steps over partitions (``topics.alert_engine``,
``topics.range_engine``), so data larger than one machine's memory is counted
where it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import dedup
from hotline_nlp.topics.clustering import ClusterConfig
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, SEMANTIC_WEIGHT, Representation
from hotline_nlp.topics.emergence import EmergenceConfig
from hotline_nlp.topics.periods import week_labels, weeks_between
from hotline_nlp.topics.tracker import IssueTracker, TrackerConfig


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
    # share of the sentence embedding in the vectors; None: SEMANTIC_WEIGHT (complaint_vectors.py)
    # when an embedder is named, else 0 (character n-grams only, the measured default)
    semantic_weight: float | None = None
    dedup_window_days: float = 7.0
    dup_cos: float = 0.95
    caller_cos: float = 0.3  # same caller within the window counts as a repeat from this similarity on
    examples: int = 3
    max_issues: int = 20
    keyword_sample: int = 150
    n_jobs: int | None = None  # threads matching complaints to issues (None: every core available)
    # what finds issues: anything with fit_predict (or fit + labels_), e.g. sklearn's
    # AgglomerativeClustering; None is HDBSCAN set from tracker.cluster (clustering.default_clusterer)
    clusterer: Any = None


def semantic_weight_for(config: HotspotConfig, embedder) -> float:
    """The semantic share a run uses: the configured one, else ``SEMANTIC_WEIGHT``
    when an embedder is named (so ``weekly_alert(frame, week, embedder=X)``
    uses X), else 0."""
    if config.semantic_weight is not None:
        return float(config.semantic_weight)
    return SEMANTIC_WEIGHT if embedder not in (None, NO_EMBEDDER) else 0.0


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
    ):
        self.config = config or HotspotConfig()
        self.rows = frame.loc[(frame["created_at"] >= start) & (frame["created_at"] < end)]
        self.start, self.end = start, end
        self.week_labels = [p.label for p in weeks_between(start, end)]
        weight = semantic_weight_for(self.config, embedder)
        self.rep = Representation(embedder=embedder if weight > 0 else NO_EMBEDDER, semantic_weight=weight)
        self.tracker = None
        texts = self.rows["text"].tolist()
        self.x = self.rep.fit_transform(texts)
        self.keys = dedup.keys_of_texts(texts)
        self._pos = {k: i for i, k in enumerate(self.rows["key"].tolist())}

    # -- replay ------------------------------------------------------------
    def _week_rows(self, label: str) -> np.ndarray:
        return np.flatnonzero((self.rows["week"] == label).to_numpy())

    def bootstrap(self, before: pd.Timestamp) -> None:
        """Cluster every row before ``before``."""
        n = int((self.rows["created_at"] < before).sum())  # a prefix: rows are sorted by time
        self.tracker = IssueTracker(
            self.config.tracker, n_jobs=self.config.n_jobs, clusterer=self.config.clusterer
        )
        sub = self.rows.iloc[:n]
        self.tracker.bootstrap(sub["key"].tolist(), sub["week"].tolist(), self.x[:n] if n else None)

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
                text_keys=self.keys,
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
