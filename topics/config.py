"""The hotspot reports' settings (``HotspotConfig``, each default defined once).

Why one module: the weekly alert, the range report, replay and the emerging
list (``topics.engine``) and the bulletin's 难点问题 all read the same knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotline_nlp.topics.clustering import ClusterConfig
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, SEMANTIC_WEIGHT
from hotline_nlp.topics.emergence import EmergenceConfig
from hotline_nlp.topics.tracker import TrackerConfig


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
