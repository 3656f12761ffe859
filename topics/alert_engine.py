"""The weekly alert as map / groupby / sample steps over input partitions.

One code path for one machine and a cluster: every per-partition step is a
function of ``topics.alert_pieces`` / ``topics.weekly_counts`` run through the
executor seam (``corpus.executor``): in this process with the local executor,
on Dask workers with ``--scheduler``. The client holds only small things.

Cold run (no state), for ISO week W and its history weeks:

1. map   ``load_piece``: each input partition's rows of the window, cut by week
         (kept where loaded);
2. map   ``scan_week``: document frequencies per week -> the IDF (client sums);
3. sample ``sample_week``: the rows with the smallest id hash, at most
         ``ClusterConfig.max_points`` (all of them in a small history) -> HDBSCAN
         in the client (``clustering.discover``), the tracker's first issues;
4. map   ``pool_week`` over the last ``pool_weeks`` history weeks: their
         unmatched complaints form the tracker's pool (skipped when the sample
         is the whole history: the client has them already);
5. the week W (and the two look-back weeks of its repeat check) comes to the
   client: the tracker steps through it as before (sequential, small);
6. map   ``count_block`` over the history weeks: each complaint matched to
         today's active issues, repeats found, reduced to a count table per
         week (the groupby); W is counted in the client from the tracker's
         assignment with the same ``count_rows``;
7. emergence is scored on the (issues x weeks) count table (``hotspots``).

Each counted week also leaves a fixed id-hash sample (``week_samples``), kept
by ``--state-dir``.

Warm run (``--state-dir`` with a tracker): steps 2-4 are skipped (IDF and
issues are stored), files holding none of the needed weeks are not read, and
only weeks missing from the stored count table are counted (``alert_state``).
Issues born in the warm week get their counts in the stored weeks estimated
from those samples (map ``week_samples.estimate``, ``_backfill``).
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hotline_nlp.topics import alert_pieces as ap
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.alert_state import AlertState, file_identity
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, Representation
from hotline_nlp.topics.periods import Period, weeks_between
from hotline_nlp.topics.tracker import IssueTracker
from hotline_nlp.topics.window import HotspotError, semantic_weight_for
from scipy import sparse

_log = logging.getLogger("hotline_nlp.alert")
BLOCK_WEEKS = 2  # history weeks counted per task (each task also reads its two look-back weeks)
ALL = np.iinfo(np.uint64).max


@dataclass
class AlertData:
    """What the report needs: the recent rows (look-back + stepped weeks + W)
    with vectors, labels and repeats, the tracker, and the window's count table."""

    rows: pd.DataFrame
    x: sparse.csr_matrix
    tracker: IssueTracker
    rep: Representation
    labels: np.ndarray
    dup_of: np.ndarray
    table: pd.DataFrame  # resolved issue ids, window weeks only
    totals: np.ndarray  # rows per window week
    week_labels: list[str]
    category_rows: pd.DataFrame
    rejects: list = field(default_factory=list)
    # issues born in a warm run: the first week their counts are known from (``_backfill``)
    known_from: dict = field(default_factory=dict)


# -- task wrappers (one argument per item, so they map) --------------------------
def _scan(pieces, rep):
    return ap.scan_week(pieces, rep)


def _rows_raw(pieces, rep):
    return ap.rows_and_raw(pieces, rep)


def _sample(pieces, rep, threshold):
    return ap.sample_week(pieces, rep, threshold)


def _pool(pieces, rep, centroids, threshold, sampled, n_jobs):
    return ap.pool_week(pieces, rep, centroids, threshold, sampled, n_jobs)


def _count(item, rep, centroids, issue_ids, config, window_start, n_jobs):
    pieces, weeks = item
    return wc.count_block(pieces, weeks, rep, centroids, issue_ids, config, window_start, n_jobs)


def _estimate(item, rep, centroids, issue_ids, threshold):
    return ws.estimate(item, rep, centroids, issue_ids, threshold)


def _same(result):
    return result


def stack_raw(raws) -> tuple:
    """``[(counts, sem), ...]`` from map tasks -> one counts matrix and one semantic array."""
    counts = [r[0] for r in raws]
    sems = [r[1] for r in raws]
    c = sparse.vstack(counts, format="csr") if counts else sparse.csr_matrix((0, 1))
    s = None if not sems or sems[0] is None else np.concatenate(sems)
    return c, s


class AlertRun:
    """One weekly alert over ``sources`` (paths or frames) on executor ``ex``."""

    def __init__(self, ex, sources, period: Period, hist_start, config, embedder, state_dir, options=None):
        self.ex, self.sources, self.period, self.cfg = ex, list(sources), period, config
        self.embedder, self.options = embedder, options
        self.start = hist_start
        self.weeks = [p.label for p in weeks_between(hist_start, period.end)]
        self.state = AlertState(state_dir).load(embedder, config.n_jobs, config.clusterer)
        self.ctx = pd.Timedelta(days=wc.context_days(config))
        # threads for matching inside a task: the run's setting here, one on a worker (one thread each)
        self.task_jobs = config.n_jobs if getattr(ex, "client", None) is None else 1
        self.samples: dict[str, pd.DataFrame | None] = {}  # week -> sample counted in this run
        self.est_weeks: list[str] = []  # stored weeks whose samples estimate issues born now
        self.whole_weeks: dict = {}  # those sampled whole (scale 1: exact)

    # -- which weeks -------------------------------------------------------
    def _weeks_in(self, lo, hi) -> list[str]:
        """Window weeks overlapping [lo, hi) (lo no earlier than the window start)."""
        return [p.label for p in weeks_between(max(lo, self.start), hi) if p.label in self.weeks]

    def _plan(self) -> None:
        W = self.period.label
        tr = self.state.tracker
        if tr is not None and tr.weeks_ and W < tr.weeks_[-1] and W not in tr.assignments_:
            raise HotspotError(
                f"the state directory holds weeks up to {tr.weeks_[-1]}; an alert for the earlier week {W} "
                "needs another --state-dir (or none)"
            )
        self.step_weeks = (
            [W] if tr is None else [w for w in self.weeks if w <= W and (not tr.weeks_ or w > tr.weeks_[-1])]
        )
        first = min(self.step_weeks or [W])  # ISO week labels sort in time order
        self.recent = self._weeks_in(_bounds(first)[0] - self.ctx, self.period.end)
        stored = set(self.state.totals) if tr is not None else set()
        self.count_weeks = [w for w in self.weeks if w < W and w not in stored]
        self.blocks = [
            self.count_weeks[i : i + BLOCK_WEEKS] for i in range(0, len(self.count_weeks), BLOCK_WEEKS)
        ]
        self.block_reads = [
            self._weeks_in(_bounds(b[0])[0] - self.ctx, _bounds(b[-1])[1]) for b in self.blocks
        ]
        self.cat_weeks = [W, self.period.previous().label, self.period.last_year().label]
        needed = set(self.recent) | set(self.cat_weeks) | {w for r in self.block_reads for w in r}
        if tr is None:
            needed |= set(self.weeks)
        self.needed = needed

    # -- steps -------------------------------------------------------------
    def _load(self) -> None:
        ex, keep, ids = self.ex, [], []
        for s in self.sources:
            ident = None if isinstance(s, pd.DataFrame) else file_identity(s)
            if ident is not None and self.state.warm and self.state.skippable(ident, self.needed):
                continue
            keep.append(s if isinstance(s, pd.DataFrame) else str(s))
            ids.append(ident)
        handles = ex.keep(
            ap.load_piece, keep, name="alert-load", options=self.options, weeks=frozenset(self.needed)
        )
        metas = dict(ex.map(ap.meta_of, handles, name="alert-meta"))
        self.metas = [metas[i] for i in range(len(handles))]
        self.rejects = [m["rejects"] for m in self.metas if m["rejects"] is not None and len(m["rejects"])]
        self.read_parts = {i: m["all_weeks"] for i, m in zip(ids, self.metas) if i is not None}
        pairs = [(h, w) for h, m in zip(handles, self.metas) for w in sorted(m["per_week"])]
        picked = ex.keep(ap.week_of, pairs, name="alert-week")
        self.pieces: dict[str, list] = {}
        for (_, w), p in zip(pairs, picked):
            self.pieces.setdefault(w, []).append(p)
        ex.release(handles)
        self.per_week = {}
        for m in self.metas:
            for w, n in m["per_week"].items():
                self.per_week[w] = self.per_week.get(w, 0) + n

    def _check(self) -> None:
        dated = [m for m in self.metas if m["dated"]]
        if not self.state.warm and all(m["rows"] == 0 for m in self.metas):
            raise HotspotError("no complaints: the input is empty")
        if not self.state.warm and not dated:
            raise HotspotError(
                "no complaint has a usable date (created_at is empty or unparseable in every row)"
            )
        if not self.per_week.get(self.period.label):
            span = (
                f"{min(m['first'] for m in dated).date()}..{max(m['last'] for m in dated).date()}"
                if dated
                else "none of the partitions read"
            )
            raise HotspotError(
                f"no complaints in {self.period.label} ({self.period.start.date()}..{self.period.last_day.date()}); "
                f"the data covers {span}"
            )

    def _of(self, weeks) -> list:
        return [p for w in weeks for p in self.pieces.get(w, [])]

    def _fit(self):
        weight = semantic_weight_for(self.cfg, self.embedder)
        rep = Representation(embedder=self.embedder if weight > 0 else NO_EMBEDDER, semantic_weight=weight)
        rep.prepare()
        shared = self.ex.share(rep)
        scans = [s for w in self.weeks if w in self.pieces for s in [w]]
        got = dict(self.ex.map(_scan, [self._of([w]) for w in scans], name="alert-scan", rep=shared))
        df, n, sem = ap.df_total(got[i] for i in range(len(scans)))
        rep.fit_raw(df, n, sem / n if sem is not None and n else None)
        hist = [i for i, w in enumerate(scans) if w < self.period.label]
        prio = np.concatenate([got[i]["prio"] for i in hist]) if hist else np.zeros(0, np.uint64)
        self.hist_weeks = [scans[i] for i in hist if got[i]["n"]]
        self.n_hist = int(prio.size)
        m = self.cfg.tracker.cluster.max_points
        self.threshold = ALL if prio.size <= m else int(np.partition(prio, m - 1)[m - 1])
        return rep

    def _bootstrap(self, rep, shared) -> IssueTracker:
        cfg = self.cfg
        tr = IssueTracker(cfg.tracker, n_jobs=cfg.n_jobs, clusterer=cfg.clusterer)
        if not self.hist_weeks:
            return tr.start(None, np.zeros(0, np.int64), [], [])
        got = dict(
            self.ex.map(
                _sample,
                [self._of([w]) for w in self.hist_weeks],
                name="alert-sample",
                rep=shared,
                threshold=self.threshold,
            )
        )
        meta = pd.concat([got[i][0] for i in range(len(got))], ignore_index=True)
        xs = rep.weigh(*stack_raw([got[i][1] for i in range(len(got))]), copy=False)
        c, best = cl.discover(xs, cfg.tracker.cluster, cfg.n_jobs, cfg.clusterer)
        weeks = meta["week"].tolist()
        tr.start(c, best, weeks, self.hist_weeks, scale=self.n_hist / max(len(meta), 1))
        pool_weeks = tr.pool_span(self.hist_weeks)
        if self.threshold == ALL or c is None or not c.shape[0]:
            keep = np.flatnonzero((best < 0) & meta["week"].isin(pool_weeks).to_numpy())
            tr.set_pool(
                meta["key"].iloc[keep].tolist(), [weeks[k] for k in keep], xs[keep] if keep.size else None
            )
            return tr
        sampled = dict(zip(meta["key"], best.tolist()))
        got = dict(
            self.ex.map(
                _pool, [self._of([w]) for w in pool_weeks], name="alert-pool", rep=shared, centroids=c,
                threshold=cfg.tracker.cluster.assign_threshold, sampled=sampled, n_jobs=self.task_jobs,
            )
        )  # fmt: skip
        parts = [got[i] for i in range(len(pool_weeks))]
        pm = pd.concat([p[0] for p in parts], ignore_index=True)
        px = rep.weigh(*stack_raw([p[1] for p in parts]), copy=False) if len(pm) else None
        tr.set_pool(pm["key"].tolist(), pm["week"].tolist(), px)
        return tr

    def run(self) -> AlertData:
        self._plan()
        with timed("load partitions"):
            self._load()
        self._check()
        if self.state.warm:
            rep, tr = self.state.rep, self.state.tracker
            shared = self.ex.share(rep)
        else:
            with timed("scan (IDF)"):
                rep = self._fit()
            shared = self.ex.share(rep)
            with timed("sample, cluster, pool"):
                tr = self._bootstrap(rep, shared)
        with timed("recent weeks to the client"):
            rows, x, keys = self._recent(shared, rep)
        week_of_row = rows["week"].to_numpy()
        with timed("tracker steps"):
            for w in self.step_weeks:
                idx = np.flatnonzero(week_of_row == w)
                tr.step(w, rows["key"].iloc[idx].tolist(), x[idx])
        started = self._start_estimates(tr, shared)  # on the workers while the client counts the week
        with timed("the week's repeats and counts"):
            labels, dup_of, week_table = self._count_week(rows, x, keys, tr)
        act = tr.active_
        centroids = tr.centroids_[act] if act else sparse.csr_matrix((0, rep.dim_), dtype=np.float32)
        act_ids = [tr.issues_[a].id for a in act]
        with timed(f"count {len(self.count_weeks)} history weeks"):
            tables, totals = self._count_history(shared, centroids, act_ids)
        tables.append(week_table)
        totals[self.period.label] = int((week_of_row == self.period.label).sum())
        with timed("history of issues born now (samples)"):
            backfill, known_from = self._backfill(tr, started)
        with timed("save the state"):
            window, all_totals = self._save(tr, rep, tables, totals, backfill)
        with timed("look-back labels, category rows"):
            self._lookback_labels(rows, x, tr, labels, centroids, act_ids)
            cat = dict(
                self.ex.map(ap.rows_of, [self._of([w]) for w in self.cat_weeks], name="alert-categories")
            )
        return AlertData(
            rows=rows, x=x, tracker=tr, rep=rep, labels=labels, dup_of=dup_of,
            table=wc.resolved(window, tr.resolve),
            totals=np.array([int(all_totals.get(w, 0)) for w in self.weeks], dtype=np.int64),
            week_labels=self.weeks,
            category_rows=ap.rows_of([cat[i] for i in range(len(cat))]).drop_duplicates("key"),
            rejects=self.rejects,
            known_from=known_from,
        )  # fmt: skip

    def _lookback_labels(self, rows, x, tr, labels, centroids, act_ids) -> None:
        """Issues of the look-back rows (they describe issues: keyword documents,
        background): a week the tracker stepped keeps the issue it gave each
        complaint then (through merges); the others are matched to today's issues."""
        week_of_row = rows["week"].to_numpy()
        before = np.flatnonzero(week_of_row < self.period.label)
        stepped = np.array([w in tr.assignments_ for w in week_of_row[before]], dtype=bool)
        for w in sorted(set(week_of_row[before[stepped]])):
            idx = before[week_of_row[before] == w]
            got = tr.assignments_[w]
            labels[idx] = [
                tr.resolve(k) if (k := got.get(str(c), -1)) >= 0 else -1 for c in rows["key"].iloc[idx]
            ]
        rest = before[~stepped]
        if rest.size and act_ids:
            best, _ = cl.assign(
                x, centroids, self.cfg.tracker.cluster.assign_threshold, rows=rest, n_jobs=self.cfg.n_jobs
            )
            ids = np.asarray(act_ids, np.int64)
            labels[rest] = np.where(best >= 0, ids[np.maximum(best, 0)], -1)

    def _recent(self, shared, rep):
        """The recent weeks' rows, vectors and text keys, in the client."""
        got = dict(
            self.ex.map(_rows_raw, [self._of([w]) for w in self.recent], name="alert-recent", rep=shared)
        )
        parts = [got[i] for i in range(len(self.recent))]
        rows = ap.rows_of([p[0] for p in parts])
        keys = np.concatenate([p[1][2] for p in parts]) if parts else np.zeros(0, np.uint64)
        return rows, rep.weigh(*stack_raw([p[1][:2] for p in parts]), copy=False), keys

    def _born_now(self, tr) -> tuple[list[str], list[int]]:
        """The stored weeks not recounted now, and the issues born in this run."""
        W = self.period.label
        recounted = set(self.count_weeks) | {W}
        stored = [w for w in self.weeks if w < W and w in self.state.totals and w not in recounted]
        born = [
            i.id
            for i in tr.issues_
            if i.origin == "new" and i.born in self.step_weeks and i.merged_into is None
        ]
        if not self.state.warm or not stored or not born:
            return [], []
        return stored, born

    def _start_estimates(self, tr, shared) -> list:
        """Submit the sample estimates of the issues born now (``_backfill``);
        kept where computed until ``_backfill`` gathers them."""
        stored, born = self._born_now(tr)
        pool = set(tr.pool_span(tr.weeks_))  # counted exactly from the pool (_pool_members)
        self.est_weeks = [w for w in stored if w in self.state.sample_weeks and w not in pool]
        if not self.est_weeks:
            return []
        samples = [(w, self.state.sample(w)) for w in self.est_weeks]
        self.whole_weeks = {w: s for w, s in samples if len(s) and int(s["scale"].iloc[0]) == 1}
        return self.ex.keep(
            _estimate, samples, name="alert-estimate", rep=shared,
            centroids=tr.centroids_of(born), issue_ids=born,
            threshold=self.cfg.tracker.cluster.assign_threshold,
        )  # fmt: skip

    def _backfill(self, tr, started: list) -> tuple[pd.DataFrame, dict]:
        """Warm runs: an issue born now out of the pool has no counts in the
        stored weeks (they were counted before it existed). Each stored week
        gets, per such issue, the larger of its exact members there (complaints
        that waited unassigned and joined it, ``tracker.assignments_``, and those
        still in the pool that the centroid rule gives it, ``_pool_members``;
        counted as originals, dated to the week's Monday): exact in the pool's
        weeks. Older weeks get the estimate from their stored samples
        (``week_samples.estimate``, a map started by ``_start_estimates``),
        spread evenly over them (``week_samples.spread``). A stored week without
        a sample (a state from before samples) has only the exact part, so such
        issues are scored from after it, or from their first pool week
        (``known_from``)."""
        stored, born = self._born_now(tr)
        if not born:
            return ct.empty_table(), {}
        recs = []
        for w in stored:
            n = pd.Series([k for k in tr.assignments_.get(w, {}).values() if k in set(born)]).value_counts()
            at = _bounds(w)[0]
            recs += [(w, int(k), int(c), int(c), at, at) for k, c in n.items()]
        exact = pd.DataFrame(recs, columns=ct.COLUMNS) if recs else ct.empty_table()
        exact = _add(exact, self._pool_members(tr, born, set(stored)))
        got = dict(self.ex.map(_same, started, name="alert-estimate-get"))
        self.ex.release(started)
        estimated = pd.concat([got[i] for i in range(len(started))] or [ct.empty_table()], ignore_index=True)
        estimated = ws.spread(estimated, self.est_weeks, set(self.whole_weeks), lambda w: _bounds(w)[0])
        table = ws.combine(exact, estimated)
        missing = [w for w in stored if w not in self.state.sample_weeks]
        if not missing:
            return table, {}
        first = tr.pool_span(tr.weeks_)[0]
        after = [w for w in self.weeks if w > max(missing)]
        first = min(first, after[0]) if after else first
        return table, {i: first for i in born}

    def _pool_members(self, tr, born, stored: set) -> pd.DataFrame:
        """The complaints still in the pool (unassigned in their week) that the
        centroid rule gives to an issue born now, unless an older active issue
        is nearer: exact counts for the pool's weeks, as a re-match of those
        weeks would find them (as originals, dated to the week's Monday)."""
        if tr.pool_x_ is None or not born:
            return ct.empty_table()
        weeks = np.asarray(tr.pool_weeks_, dtype=object)
        rows = np.flatnonzero(np.isin(weeks, list(stored)))
        if not rows.size:
            return ct.empty_table()
        thr = self.cfg.tracker.cluster.assign_threshold
        best, sim = cl.assign(tr.pool_x_, tr.centroids_of(born), thr, rows=rows, n_jobs=self.cfg.n_jobs)
        hit = best >= 0
        older = [k for k in (tr.issues_[a].id for a in tr.active_) if k not in set(born)]
        if hit.any() and older:  # issues born since the complaint waited may be nearer (as in a re-match)
            _, other = cl.assign(
                tr.pool_x_, tr.centroids_of(older), thr, rows=rows[hit], n_jobs=self.cfg.n_jobs
            )
            hit[np.flatnonzero(hit)] = sim[hit] >= other
        if not hit.any():
            return ct.empty_table()
        ids, wk = np.asarray(born, np.int64)[best[hit]], weeks[rows[hit]]
        parts = []
        for w in sorted(set(wk)):
            m = wk == w
            at = np.full(int(m.sum()), _bounds(w)[0], dtype="datetime64[ns]")
            parts.append(ct.reduce_rows(ids[m], np.ones(int(m.sum()), bool), at, w))
        return pd.concat(parts, ignore_index=True)

    def _save(self, tr, rep, tables, totals, backfill):
        """The window's count table (stored weeks + those counted now + the
        backfill of issues born now); saved with the state."""
        stored = self.state.table
        new = pd.concat([t for t in tables if len(t)] or [ct.empty_table()], ignore_index=True)
        old = stored.loc[~stored["week"].isin(set(new["week"]) | set(totals))] if len(stored) else stored
        full = pd.concat([t for t in (old, new, backfill) if len(t)] or [ct.empty_table()], ignore_index=True)
        all_totals = {**self.state.totals, **totals}
        window = full.loc[full["week"].isin(self.weeks)]
        self.state.save(
            tr, rep, window, {w: n for w, n in sorted(all_totals.items()) if w in self.weeks},
            {**self.state.partitions, **self.read_parts}, self.samples,
        )  # fmt: skip
        return window, all_totals

    def _count_week(self, rows, x, keys, tr):
        """Labels and repeats of the recent rows; the week W's count table."""
        W = self.period.label
        labels = np.full(len(rows), -1, dtype=np.int64)
        dup_of = np.full(len(rows), -1, dtype=np.int64)
        assigned = tr.assignments_.get(W, {})
        times = rows["created_at"].to_numpy()
        lo = max(self.period.start - self.ctx, self.start)
        a, s, b = np.searchsorted(
            times, np.array([lo, self.period.start, self.period.end], dtype="datetime64[ns]")
        )
        own = np.array([assigned.get(k, -1) for k in rows["key"].iloc[s:b]], dtype=np.int64)
        labels[s:b] = [tr.resolve(int(k)) if k >= 0 else -1 for k in own]
        table, d = wc.count_rows(rows.iloc[a:b], x[a:b], keys[a:b], s - a, labels[s:b], W, self.cfg)
        dup_of[a:b] = np.where(d >= 0, d + a, -1)
        if self.state.warm and W in self.state.totals:  # a stored week: its counts as stored
            table = self.state.table.loc[self.state.table["week"] == W]
        else:
            self.samples[W] = self._week_sample(rows.iloc[s:b], x[s:b], d[s - a :] < 0, tr)
        return labels, dup_of, table

    def _week_sample(self, rows, x, original, tr) -> pd.DataFrame:
        """The week's stored sample (``week_samples``), with each sampled row's best
        cosine to the issues active after the tracker's step."""
        m, scale = ws.chosen(rows["key"])
        act = tr.active_
        idx = np.flatnonzero(m)
        sim = np.zeros(idx.size, np.float32)
        if act and idx.size:
            _, sim = cl.assign(
                x,
                tr.centroids_[act],
                self.cfg.tracker.cluster.assign_threshold,
                rows=idx,
                n_jobs=self.cfg.n_jobs,
            )
        return ws.frame(rows.iloc[idx], original[idx], sim, scale)

    def _count_history(self, shared, centroids, act_ids) -> tuple[list, dict]:
        items = [(self._of(r), b) for r, b in zip(self.block_reads, self.blocks)]
        got = dict(
            self.ex.map(
                _count, items, name="alert-count", rep=shared, centroids=centroids, issue_ids=act_ids,
                config=self.cfg, window_start=self.start, n_jobs=self.task_jobs,
            )
        )  # fmt: skip
        tables, totals = [], {}
        for i in range(len(items)):
            for w, t, n, sample in got[i]:
                tables.append(t)
                totals[w] = n
                self.samples[w] = sample
        return tables, totals


def _add(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two count tables of disjoint complaints, summed per (week, issue)."""
    parts = [t for t in (a, b) if len(t)]
    if len(parts) < 2:
        return parts[0] if parts else ct.empty_table()
    return ct.per_week_issue(pd.concat(parts, ignore_index=True), "sum")


@contextmanager
def timed(stage: str):
    """Log how long a step took and this process's peak memory so far
    (``hotline_nlp.alert`` at INFO; the benchmark shows it)."""
    import resource

    t = time.perf_counter()
    yield
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _log.info("%s: %.1f s (peak so far %.0f MiB)", stage, time.perf_counter() - t, peak)


def _bounds(week: str):
    from hotline_nlp.topics.periods import parse_period

    p = parse_period(week)
    return p.start, p.end
