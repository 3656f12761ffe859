"""The run skeleton the weekly alert (``alert.AlertRun``), replay and the range
report (``range.RangeRun``) build on: load the partitions into pieces, check
them, fit the IDF and the sampling threshold, cluster the sample into the
first issues. Each step is a map over pieces on the executor seam
(``corpus.executor``); the client holds small things only.
"""

from __future__ import annotations

import logging
import resource
import time
from contextlib import contextmanager
from functools import partial

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, Representation
from hotline_nlp.topics.config import HotspotError, semantic_weight_for
from hotline_nlp.topics.engine import pieces as pc
from hotline_nlp.topics.sampling import threshold_for
from hotline_nlp.topics.tracker import IssueTracker
from scipy import sparse

_log = logging.getLogger("hotline_nlp.alert")


@contextmanager
def timed(stage: str):
    """Log how long a step took and this process's peak memory so far
    (``hotline_nlp.alert`` at INFO; the benchmark shows it)."""
    t = time.perf_counter()
    yield
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _log.info("%s: %.1f s (peak so far %.0f MiB)", stage, time.perf_counter() - t, peak)


def ordered(ex, fn, items, name, **kw) -> list:
    """``ex.map`` results in item order."""
    got = dict(ex.map(fn, items, name=name, **kw))
    return [got[i] for i in range(len(items))]


def stack_raw(raws) -> tuple:
    """``[(counts, sem), ...]`` from map tasks -> one counts matrix and one semantic array."""
    counts = [r[0] for r in raws]
    sems = [r[1] for r in raws]
    c = sparse.vstack(counts, format="csr") if counts else sparse.csr_matrix((0, 1))
    s = None if not sems or sems[0] is None else np.concatenate(sems)
    return c, s


class EngineRun:
    """Pieces of ``sources`` (paths or frames) on executor ``ex`` with ``config``."""

    kind = "run"  # names the tasks (``alert-load``, ``range-scan`` ...)

    def __init__(self, ex, sources, config, embedder, options=None, model=None):
        self.ex, self.sources, self.cfg = ex, list(sources), config
        self.embedder, self.options, self.model = embedder, options, model
        self.ctx = pd.Timedelta(days=wc.context_days(config))
        # threads for matching inside a task: the run's setting here, one on a worker (one thread each)
        self.task_jobs = config.n_jobs if getattr(ex, "client", None) is None else 1
        self.pieces: dict[str, list] = {}

    def _of(self, weeks) -> list:
        return [p for w in weeks for p in self.pieces.get(w, [])]

    # -- load and check -------------------------------------------------------
    def _load(self, sources, weeks: set, span=None) -> None:
        ex = self.ex
        handles = ex.keep(
            pc.load,
            sources,
            name=f"{self.kind}-load",
            options=self.options,
            weeks=frozenset(weeks),
            span=span,
        )
        self.metas = ordered(ex, pc.meta_of, handles, f"{self.kind}-meta")
        self.rejects = [m.rejects for m in self.metas if m.rejects is not None and len(m.rejects)]
        pairs = [(h, w) for h, m in zip(handles, self.metas) for w in sorted(m.per_week)]
        picked = ex.keep(pc.week_of, pairs, name=f"{self.kind}-week")
        for (_, w), p in zip(pairs, picked):
            self.pieces.setdefault(w, []).append(p)
        ex.release(handles)
        self.per_week, self.per_day, self.in_range = {}, {}, {}
        for m in self.metas:
            for total, part in (
                (self.per_week, m.per_week),
                (self.per_day, m.per_day),
                (self.in_range, m.in_range),
            ):
                for k, n in part.items():
                    total[k] = total.get(k, 0) + n

    def _check_input(self) -> list:
        """Raise on an empty or undated input; the partitions with dated rows."""
        dated = [m for m in self.metas if m.dated]
        if all(m.rows == 0 for m in self.metas):
            raise HotspotError("no complaints: the input is empty")
        if not dated:
            raise HotspotError(
                "no complaint has a usable date (created_at is empty or unparseable in every row)"
            )
        return dated

    def _span_of(self, dated) -> str:
        if not dated:
            return "none of the partitions read"
        return f"{min(m.first for m in dated).date()}..{max(m.last for m in dated).date()}"

    # -- IDF, sample, first issues --------------------------------------------
    def _fit(self, weeks, span=None) -> tuple[Representation, list]:
        """The vectoriser with the IDF of ``weeks``; each week's ``pieces.Scan``."""
        weight = semantic_weight_for(self.cfg, self.embedder)
        rep = Representation(embedder=self.embedder if weight > 0 else NO_EMBEDDER, semantic_weight=weight)
        rep.prepare()
        shared = self.ex.share(rep)
        got = ordered(
            self.ex,
            partial(pc.scan, span=span),
            [self._of([w]) for w in weeks],
            f"{self.kind}-scan",
            rep=shared,
        )
        df, n, sem = pc.df_total(got)
        rep.fit_raw(df, n, sem / n if sem is not None and n else None)
        return rep, got

    def _threshold(self, prio: np.ndarray) -> None:
        self.n_sampled_from = int(prio.size)
        self.threshold = threshold_for(prio, self.cfg.tracker.cluster.max_points)

    def _cluster(self, rep, shared, weeks, known_weeks=None, span=None):
        """The sample of ``weeks`` (smallest id hashes) clustered (``clustering.discover``):
        the tracker with its first issues, the sample's rows, vectors and labels."""
        cfg = self.cfg
        tr = IssueTracker(cfg.tracker, n_jobs=cfg.n_jobs, clusterer=cfg.clusterer)
        got = ordered(
            self.ex, partial(pc.sample, span=span), [self._of([w]) for w in weeks], f"{self.kind}-sample",
            rep=shared, threshold=self.threshold,
        )  # fmt: skip
        meta = pd.concat([g[0] for g in got], ignore_index=True)
        xs = rep.weigh(*stack_raw([g[1] for g in got]), copy=False)
        c, best = cl.discover(xs, cfg.tracker.cluster, cfg.n_jobs, cfg.clusterer)
        sampled_weeks = meta["week"].tolist()
        tr.start(
            c, best, sampled_weeks, sampled_weeks if known_weeks is None else known_weeks,
            scale=self.n_sampled_from / max(len(meta), 1),
        )  # fmt: skip
        return tr, meta, xs, c, best
