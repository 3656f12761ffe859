"""The hotspot reports' settings (``HotspotConfig``, each default defined once).

Why one module: the weekly alert, the range report, replay and the emerging
list (``topics.engine``) and the bulletin's 难点问题 all read the same knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, SEMANTIC_WEIGHT
from hotline_nlp.topics.emergence import EmergenceConfig
from hotline_nlp.topics.identity import ANCHORS
from hotline_nlp.topics.tracker import TrackerConfig


class HotspotError(ValueError):
    """Input that cannot give a hotspot report; the message says what and where."""


@dataclass
class HotspotConfig:
    """Every knob of the hotspot reports (defaults measured in BENCHMARKS.md)."""

    tracker: TrackerConfig = field(default_factory=TrackerConfig)  # clustering and tracking
    emergence: EmergenceConfig = field(default_factory=EmergenceConfig)  # alpha, min_count ...
    # a year and a month: the same weeks last year (+-2) are in the baseline (seasonality)
    history_weeks: int = 56
    listed: int = 10  # issues the weekly alert and the range report list (every emerging one too)
    emerging_listed: int = 3  # emerging issues of a period listed (the bulletin's 难点问题)
    half_life_days: float | None = None  # the range's heat decay; None: a quarter of the range, >= 7 days
    # one identity per issue in every view (topics/identity.py): a cold run's tracker starts at the
    # first week of this span ("half": ISO weeks 1 and 27; "quarter", "year"), and the range report
    # takes its ids; "week" (the default): each cold run starts at the week it asks about, as
    # before. A shared span costs a replay of up to 26 weeks per cold view (on 2019's real
    # messages the W49 alert 29 -> 148 s, the Q4 range report 3.8 -> 312 s, under load 4), so it is
    # asked for (``hotspots --anchor half``); a --state-dir run is one timeline already
    anchor: str = "week"
    identity_overlap: float = 0.3  # share of a range cluster's members a tracker issue needs to name it
    fold_cos: float = 0.5  # issues whose centroids are this close are listed as one (难点问题)
    # share of the sentence embedding in the vectors; None: SEMANTIC_WEIGHT (complaint_vectors.py)
    # when an embedder is named, else 0 (character n-grams only, the measured default)
    semantic_weight: float | None = None
    dedup_window_days: float = 7.0
    dup_cos: float = 0.95
    caller_cos: float = 0.3  # same caller within the window counts as a repeat from this similarity on
    # 多人反映 (``dedup``'s chorus): texts this close (cosine) from different callers within
    # chorus_days (at most dedup_window_days); an issue with chorus_callers of them in its week
    # is flagged however few its complaints (0: never)
    chorus_cos: float = 0.9
    chorus_days: float = 3.0
    chorus_callers: int = 2
    examples: int = 3
    keyword_sample: int = 150
    n_jobs: int | None = None  # threads matching complaints to issues (None: every core available)
    # what finds issues: anything with fit_predict (or fit + labels_), e.g. sklearn's
    # AgglomerativeClustering; None is HDBSCAN set from tracker.cluster (clustering.default_clusterer)
    clusterer: Any = None

    def __post_init__(self) -> None:
        """Every setting checked here, once, whoever builds the config."""
        a = self.emergence.alpha
        if not 0 < a < 1:
            raise HotspotError(f"alpha (the false-alarm rate) must be between 0 and 1, got {a}")
        for name, v in (
            ("min_count", self.emergence.min_count),
            ("listed (--top)", self.listed),
            ("emerging_listed", self.emerging_listed),
        ):
            if int(v) < 1:
                raise HotspotError(f"{name} must be at least 1, got {v}")
        if self.history_weeks < 0:
            raise HotspotError(f"history_weeks must be >= 0, got {self.history_weeks}")
        if self.half_life_days is not None and not self.half_life_days > 0:
            raise HotspotError(f"half_life_days must be positive, got {self.half_life_days}")
        if not 0 < self.chorus_days <= self.dedup_window_days:
            raise HotspotError(
                f"chorus_days must be in (0, dedup_window_days = {self.dedup_window_days}], got {self.chorus_days}"
            )
        if not 0 < self.chorus_cos <= 1 or self.chorus_callers < 0:
            raise HotspotError(
                f"chorus_cos must be in (0, 1] and chorus_callers >= 0, got {self.chorus_cos}, {self.chorus_callers}"
            )
        if self.anchor not in ANCHORS:
            raise HotspotError(f"anchor must be one of {sorted(ANCHORS)}, got {self.anchor!r}")
        for name, v in (("identity_overlap", self.identity_overlap), ("fold_cos", self.fold_cos)):
            if not 0 < v <= 1:
                raise HotspotError(f"{name} must be in (0, 1], got {v}")
        if self.semantic_weight is not None and not 0 <= self.semantic_weight <= 1:
            raise HotspotError(f"semantic_weight must be between 0 and 1, got {self.semantic_weight}")

    def with_(self, **given) -> HotspotConfig:
        """This config with the ``given`` settings that are not None (``alpha`` and
        ``min_count`` set ``emergence``'s; ``jobs`` is ``n_jobs``): what a caller
        passing None for "the default" needs."""
        given = {("n_jobs" if k == "jobs" else k): v for k, v in given.items() if v is not None}
        em = {k: given.pop(k) for k in ("alpha", "min_count") if k in given}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise TypeError(f"no hotspot setting {sorted(unknown)}")
        emergence = replace(self.emergence, **em) if em else self.emergence
        return replace(self, emergence=emergence, **given)


def semantic_weight_for(config: HotspotConfig, embedder) -> float:
    """The semantic share a run uses: the configured one, else ``SEMANTIC_WEIGHT``
    when an embedder is named (so ``weekly_alert(frame, week, embedder=X)``
    uses X), else 0."""
    if config.semantic_weight is not None:
        return float(config.semantic_weight)
    return SEMANTIC_WEIGHT if embedder not in (None, NO_EMBEDDER) else 0.0
