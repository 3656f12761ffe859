"""The weekly alert as map / groupby / sample steps over input partitions.

One code path for one machine and a cluster: every per-partition step is a
function of ``topics.alert_pieces`` / ``topics.week_pieces`` /
``topics.weekly_counts`` run through the executor seam (``corpus.executor``):
in this process with the local executor, on Dask workers with
``--scheduler``. The client holds small things only: the issues' centroids,
the tracker's pool (capped), per-issue sums and counts, count tables, samples
and the few rows that describe the issues shown.

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
5. the week W (``advance``), in blocks of days (``week_pieces``):
         map ``match_block`` (match to the issues, repeats with the look-back;
         per-issue vector sums back), map ``free_rows`` (the pool's new
         complaints), the tracker's step in the client (``step_matched``), map
         ``finish_block`` (each complaint's issue, the week's count table and
         sample; the blocks stay for describing);
6. map   ``count_block`` over the history weeks: each complaint matched to
         today's active issues, repeats found, reduced to a count table per
         week (the groupby), with each week's sample;
7. emergence is scored on the (issues x weeks) count table (``hotspots``);
8. the issues shown are described from the kept blocks (``issue_blocks``):
         W's blocks and its look-back weeks' (``label_block``, matched to
         today's issues).

Warm run (``--state-dir`` with a tracker): steps 2-4 are skipped (IDF and
issues are stored), files holding none of the needed weeks are not read,
every week after the tracker's last one up to W is advanced in turn (step 5,
each counted from the tracker's assignment, as the weekly runs would have),
and only stored-table gaps are counted by step 6. An issue born in a warm
week gets its counts in the earlier weeks from the pool (exactly) and from
those weeks' stored samples (estimated; ``_backfill``).

``replay`` (``hotspots.replay`` / ``emerging_issues``) is a cold run for a
period's first week followed by ``advance`` through the rest, in one run
(``advance_to``): what a weekly alert run each week would have said.
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
from hotline_nlp.topics import issue_blocks as ib
from hotline_nlp.topics import week_pieces as wp
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.alert_state import AlertState, file_identity
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, Representation
from hotline_nlp.topics.hotspot_config import HotspotError, semantic_weight_for
from hotline_nlp.topics.periods import Period, parse_period, weeks_between
from hotline_nlp.topics.tracker import IssueTracker, WeekMatch, pool_cut
from scipy import sparse

_log = logging.getLogger("hotline_nlp.alert")
BLOCK_WEEKS = 2  # history weeks counted per task (each task also reads its two look-back weeks)
ALL = np.iinfo(np.uint64).max


@dataclass
class AlertData:
    """What the report needs: the tracker, the window's count table and totals,
    the category rows, and ``describe`` (the issues shown, from kept blocks)."""

    tracker: IssueTracker
    rep: Representation
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


def _sample(pieces, rep, threshold):
    return ap.sample_week(pieces, rep, threshold)


def _pool(pieces, rep, centroids, threshold, sampled, n_jobs):
    return ap.pool_week(pieces, rep, centroids, threshold, sampled, n_jobs)


def _count(item, rep, centroids, issue_ids, config, window_start, n_jobs):
    pieces, weeks = item
    return wc.count_block(pieces, weeks, rep, centroids, issue_ids, config, window_start, n_jobs)


def _estimate(item, rep, centroids, issue_ids, threshold):
    return ws.estimate(item, rep, centroids, issue_ids, threshold)


def _free(kept, cut):
    return wp.free_rows(kept, cut)


def _finish(kept, **kw):
    return wp.finish_block(kept, **kw)


def stack_raw(raws) -> tuple:
    """``[(counts, sem), ...]`` from map tasks -> one counts matrix and one semantic array."""
    counts = [r[0] for r in raws]
    sems = [r[1] for r in raws]
    c = sparse.vstack(counts, format="csr") if counts else sparse.csr_matrix((0, 1))
    s = None if not sems or sems[0] is None else np.concatenate(sems)
    return c, s


def _ordered(ex, fn, items, name, **kw) -> list:
    """``ex.map`` results in item order."""
    got = dict(ex.map(fn, items, name=name, **kw))
    return [got[i] for i in range(len(items))]


class AlertRun:
    """Weekly alerts over ``sources`` (paths or frames) on executor ``ex``: the
    week ``period`` (``run``), or each week from ``period`` to ``until`` in turn
    (``open`` then ``advance_to``, as ``replay`` does)."""

    def __init__(
        self, ex, sources, period: Period, hist_start, config, embedder, state_dir, options=None,
        model=None, until: Period | None = None,
    ):  # fmt: skip
        self.ex, self.sources, self.period, self.cfg = ex, list(sources), period, config
        self.embedder, self.options, self.model = embedder, options, model
        self.until = until or period
        self.start = hist_start
        self.history = period.start - hist_start
        self.weeks = [p.label for p in weeks_between(hist_start, self.until.end)]
        self.state = AlertState(state_dir).load(embedder, config.n_jobs, config.clusterer)
        self.ctx = pd.Timedelta(days=wc.context_days(config))
        # threads for matching inside a task: the run's setting here, one on a worker (one thread each)
        self.task_jobs = config.n_jobs if getattr(ex, "client", None) is None else 1
        self.samples: dict[str, pd.DataFrame | None] = {}  # week -> sample counted in this run
        self.finished: dict[str, list] = {}  # week -> its describing blocks (kept), weeks advanced now
        self.known_from: dict[int, str] = {}

    @property
    def tracker(self) -> IssueTracker:
        return self.tr

    # -- which weeks -------------------------------------------------------
    def _weeks_in(self, lo, hi) -> list[str]:
        """Window weeks overlapping [lo, hi) (lo no earlier than the window start)."""
        return [p.label for p in weeks_between(max(lo, self.start), hi) if p.label in self.weeks]

    def _plan(self) -> None:
        W = self.period.label
        tr = self.state.tracker
        if tr is not None and tr.weeks_ and W < tr.weeks_[-1] and W not in tr.weeks_:
            raise HotspotError(
                f"the state directory holds weeks up to {tr.weeks_[-1]}; an alert for the earlier week {W} "
                "needs another --state-dir (or none)"
            )
        last = self.until.label
        self.step_weeks = (
            [w for w in self.weeks if W <= w <= last]
            if tr is None
            else [w for w in self.weeks if w <= last and (not tr.weeks_ or w > tr.weeks_[-1])]
        )
        first = min(self.step_weeks or [W])  # ISO week labels sort in time order
        self.recent = self._weeks_in(_bounds(first)[0] - self.ctx, self.until.end)
        stored = set(self.state.totals) if tr is not None else set()
        self.count_weeks = [w for w in self.weeks if w < first and w not in stored]
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
        self.per_week, self.per_day = {}, {}
        for m in self.metas:
            for w, n in m["per_week"].items():
                self.per_week[w] = self.per_week.get(w, 0) + n
            for d, n in m["per_day"].items():
                self.per_day[d] = self.per_day.get(d, 0) + n

    def _check(self, require_week: bool = True) -> None:
        dated = [m for m in self.metas if m["dated"]]
        if not self.state.warm and all(m["rows"] == 0 for m in self.metas):
            raise HotspotError("no complaints: the input is empty")
        if not self.state.warm and not dated:
            raise HotspotError(
                "no complaint has a usable date (created_at is empty or unparseable in every row)"
            )
        if require_week and not self.per_week.get(self.period.label):
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
        scans = [w for w in self.weeks if w in self.pieces]
        got = _ordered(self.ex, _scan, [self._of([w]) for w in scans], "alert-scan", rep=shared)
        df, n, sem = ap.df_total(got)
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
        got = _ordered(
            self.ex, _sample, [self._of([w]) for w in self.hist_weeks], "alert-sample",
            rep=shared, threshold=self.threshold,
        )  # fmt: skip
        meta = pd.concat([g[0] for g in got], ignore_index=True)
        xs = rep.weigh(*stack_raw([g[1] for g in got]), copy=False)
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
        parts = _ordered(
            self.ex, _pool, [self._of([w]) for w in pool_weeks], "alert-pool", rep=shared, centroids=c,
            threshold=cfg.tracker.cluster.assign_threshold, sampled=sampled, n_jobs=self.task_jobs,
        )  # fmt: skip
        pm = pd.concat([p[0] for p in parts], ignore_index=True)
        px = rep.weigh(*stack_raw([p[1] for p in parts]), copy=False) if len(pm) else None
        tr.set_pool(pm["key"].tolist(), pm["week"].tolist(), px)
        return tr

    def open(self, require_week: bool = True) -> None:
        """Plan, load, check; a cold run's IDF, first issues and pool."""
        self._plan()
        with timed("load partitions"):
            self._load()
        self._check(require_week)
        if self.state.warm:
            self.rep, self.tr = self.state.rep, self.state.tracker
        else:
            with timed("scan (IDF)"):
                self.rep = self._fit()
        self.shared = self.ex.share(self.rep)
        if not self.state.warm:
            with timed("sample, cluster, pool"):
                self.tr = self._bootstrap(self.rep, self.shared)
        self.table = self.state.table.copy()  # every known count: stored, then this run's
        self.totals = dict(self.state.totals)
        self.frozen = [w for w in self.weeks if w in self.totals]  # counted, not recounted now

    def run(self) -> AlertData:
        """The alert for ``period`` (a state's later weeks are advanced too)."""
        self.open()
        self.advance_to(self.period.label)
        with timed("save the state"):
            window = self._save()
        with timed("category rows"):
            cat = self._category_rows()
        return self.data(self.period.label, window, cat)

    def data(self, week: str, window: pd.DataFrame | None = None, cat=None) -> AlertData:
        """The report's view of the weeks up to ``week`` (its history window)."""
        p = parse_period(week)
        labels = [q.label for q in weeks_between(max(p.start - self.history, self.start), p.end)]
        table = window if window is not None else self.table.loc[self.table["week"].isin(labels)]
        return AlertData(
            tracker=self.tr, rep=self.rep, table=wc.resolved(table, self.tr.resolve),
            totals=np.array([int(self.totals.get(w, 0)) for w in labels], dtype=np.int64),
            week_labels=labels,
            category_rows=cat if cat is not None else pd.DataFrame(columns=["id", "created_at"]),
            rejects=self.rejects, known_from=dict(self.known_from),
        )  # fmt: skip

    def advance_to(self, week: str) -> None:
        """Step the tracker through every step week up to ``week``, counting each
        from its assignment; then count the gaps of the table (cold: the history)
        against today's issues."""
        for w in [w for w in self.step_weeks if w <= week and w not in self.finished]:
            self._advance(w)
        if self.count_weeks:
            with timed(f"count {len(self.count_weeks)} history weeks"):
                self._count_history()
            self.count_weeks = []

    # -- one week ------------------------------------------------------------
    def _spans(self, weeks, spread: bool = False) -> list:
        """The days of ``weeks`` with complaints, cut into blocks (``week_pieces.day_blocks``).

        ``spread``: at least one block per worker where the days allow, for blocks
        without a look-back (``label_block`` of the look-back weeks), so they do not
        run on one worker while the others wait. Blocks with a look-back are not
        spread: each would vectorise its own 14 days again (measured on the 1M
        stream: match 31.8 s spread over 2 workers against 22.7 s in one block).
        The answers do not depend on the cut."""
        wanted = set(weeks)
        per_day = {d: n for d, n in self.per_day.items() if week_of_day(d) in wanted}
        budget = wp.ROWS_PER_TASK
        if spread:
            budget = max(1, min(budget, -(-sum(per_day.values()) // max(1, self.ex.n_workers))))
        return wp.day_blocks(per_day, budget)

    def _active(self):
        tr = self.tr
        act = tr.active_
        c = tr.centroids_[act] if act else sparse.csr_matrix((0, self.rep.dim_), dtype=np.float32)
        return c, [tr.issues_[a].id for a in act]

    def _advance(self, w: str) -> None:
        """One week: match (map), the tracker's step (client), finish (map),
        then the history of the issues born in it (``_backfill``)."""
        tr, ex, cfg = self.tr, self.ex, self.cfg
        spans = self._spans([w])
        wstart = max(_bounds(w)[0] - self.history, self.start)
        c, ids = self._active()
        with timed(f"{w}: match {self.per_week.get(w, 0)} complaints"):
            items = [(self._of(self._weeks_in(a - self.ctx, b)), (a, b)) for a, b in spans]
            kept = ex.keep(
                wp.match_block, items, name="alert-match", rep=self.shared, centroids=ex.share(c),
                issue_ids=ids, config=cfg, window_start=wstart, n_jobs=self.task_jobs,
            )  # fmt: skip
            S = _ordered(ex, wp.summary_of, kept, "alert-match-summary")
        with timed(f"{w}: tracker step"):
            m = self._week_match(kept, S)
            placed = tr.step_matched(w, m)
        n_week = int(sum(s["n"] for s in S))
        c, ids = self._active()
        with timed(f"{w}: finish"):
            done = ex.keep(
                _finish, kept, name="alert-finish", week=w, surviving=self._surviving(),
                placed=pd.Series(placed, dtype=np.int64), centroids=ex.share(c), issue_ids=ids,
                n_week=n_week, config=cfg,
            )  # fmt: skip
            parts = _ordered(ex, wp.finished_part, done, "alert-finish-get")
            ex.release(kept)
        tables = [t for t, _ in parts if len(t)]
        table = ct.per_week_issue(pd.concat(tables, ignore_index=True), "sum") if tables else ct.empty_table()
        samples = [s for _, s in parts if s is not None and len(s)]
        self.samples[w] = pd.concat(samples, ignore_index=True) if samples else None
        self.finished[w] = done
        with timed(f"{w}: history of the issues born in it"):
            backfill = self._backfill(w)
        self._put(w, table, n_week)
        self.table = _concat(self.table, backfill)
        self.frozen.append(w)
        for old in [k for k in self.finished if k < w and k not in self._describe_weeks()]:
            ex.release(self.finished.pop(old))

    def _describe_weeks(self) -> set:
        """Weeks whose finished blocks a report still needs: all of a replay's, else the alert week's."""
        return set(self.step_weeks) if self.until.label != self.period.label else {self.period.label}

    def _week_match(self, kept, S) -> WeekMatch:
        """The per-block sums added up per issue (in block order) and the pool's new
        complaints: the week's unmatched ones with the ``pool_max`` smallest id hashes."""
        moved: dict[int, list] = {}
        for s in S:
            for j, (k, n) in enumerate(zip(s["issues"], s["counts"])):
                n0, v0 = moved.get(int(k), (0, None))
                moved[int(k)] = (n0 + int(n), s["sums"][j] if v0 is None else v0 + s["sums"][j])
        prio = np.concatenate([s["free_prio"] for s in S]) if S else np.zeros(0, np.uint64)
        free_ids, free_x = [], None
        if prio.size:
            cut = pool_cut(prio, self.tr.config.pool_max)
            got = _ordered(self.ex, _free, kept, "alert-pool-new", cut=cut)
            frames = [g for g in got if len(g[0])]
            if frames:
                keys = [k for g in frames for k in g[0]]
                times = np.concatenate([g[1] for g in frames])
                x = sparse.vstack([g[2] for g in frames], format="csr")
                order = np.argsort(times, kind="stable")  # time order, as one frame of the week would be
                free_ids, free_x = [keys[i] for i in order], x[order]
        return WeekMatch(moved, free_ids, free_x)

    def _surviving(self) -> np.ndarray:
        """Issue id -> the id it survives as (through merges), for every id given so far."""
        tr = self.tr
        surv = np.arange(tr.next_id_, dtype=np.int64)
        for iss in tr.issues_:
            surv[iss.id] = tr.resolve(iss.id)
        return surv

    def _put(self, w: str, table: pd.DataFrame, n: int) -> None:
        """Week ``w``'s count table and total replace any stored ones."""
        if len(self.table):
            self.table = self.table.loc[self.table["week"] != w]
        self.table = _concat(self.table, table)
        self.totals[w] = n

    def _count_history(self) -> None:
        c, act_ids = self._active()
        items = [(self._of(r), b) for r, b in zip(self.block_reads, self.blocks)]
        got = _ordered(
            self.ex, _count, items, "alert-count", rep=self.shared, centroids=self.ex.share(c),
            issue_ids=act_ids, config=self.cfg, window_start=self.start, n_jobs=self.task_jobs,
        )  # fmt: skip
        for part in got:
            for w, t, n, sample in part:
                self._put(w, t, n)
                self.samples[w] = sample
                self.frozen.append(w)

    # -- issues born in a week ---------------------------------------------
    def _backfill(self, w: str) -> pd.DataFrame:
        """An issue born in week ``w`` out of the pool has no counts in the weeks
        counted before it existed (stored weeks, and weeks advanced earlier).
        Each such week gets, per such issue, the larger of its exact members
        there (complaints that waited unassigned and joined it,
        ``tracker.assignments_``, and those still in the pool that the centroid
        rule gives it, ``_pool_members``; counted as originals, dated to the
        week's Monday): exact in the pool's weeks. Older weeks get the estimate
        from their samples (``week_samples.estimate``, a map), spread evenly over
        them (``week_samples.spread``). A week without a sample (a state from
        before samples) has only the exact part, so such issues are scored from
        after it, or from their first pool week (``known_from``)."""
        tr = self.tr
        frozen = [k for k in self.frozen if k < w]
        born = [i.id for i in tr.issues_ if i.origin == "new" and i.born == w and i.merged_into is None]
        if not frozen or not born:
            return ct.empty_table()
        recs = []
        for k in frozen:
            n = pd.Series([v for v in tr.assignments_.get(k, {}).values() if v in set(born)]).value_counts()
            at = _bounds(k)[0]
            recs += [(k, int(i), int(c), int(c), at, at) for i, c in n.items()]
        exact = pd.DataFrame(recs, columns=ct.COLUMNS) if recs else ct.empty_table()
        exact = _add(exact, self._pool_members(born, set(frozen)))
        pool = set(tr.pool_span(tr.weeks_))  # counted exactly from the pool (_pool_members)
        est = [(k, self._sample(k)) for k in frozen if k not in pool]
        est = [(k, s) for k, s in est if s is not None]
        whole = {k for k, s in est if len(s) and int(s["scale"].iloc[0]) == 1}
        got = _ordered(
            self.ex, _estimate, est, "alert-estimate", rep=self.shared, centroids=tr.centroids_of(born),
            issue_ids=born, threshold=self.cfg.tracker.cluster.assign_threshold,
        )  # fmt: skip
        estimated = pd.concat(got or [ct.empty_table()], ignore_index=True)
        estimated = ws.spread(estimated, [k for k, _ in est], whole, lambda k: _bounds(k)[0])
        table = ws.combine(exact, estimated)
        missing = [k for k in frozen if k not in pool and self._sample(k) is None]
        if missing:
            first = tr.pool_span(tr.weeks_)[0]
            after = [k for k in self.weeks if k > max(missing)]
            first = min(first, after[0]) if after else first
            self.known_from.update({i: first for i in born})
        return table

    def _sample(self, week: str) -> pd.DataFrame | None:
        """The sample of ``week``: counted in this run, else stored."""
        if week in self.samples:
            return self.samples[week]
        return self.state.sample(week)

    def _pool_members(self, born, weeks: set) -> pd.DataFrame:
        """The complaints still in the pool (unassigned in their week) that the
        centroid rule gives to an issue born now, unless an older active issue
        is nearer: exact counts for the pool's weeks, as a re-match of those
        weeks would find them (as originals, dated to the week's Monday)."""
        tr = self.tr
        if tr.pool_x_ is None or not born:
            return ct.empty_table()
        pw = np.asarray(tr.pool_weeks_, dtype=object)
        rows = np.flatnonzero(np.isin(pw, list(weeks)))
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
        ids, wk = np.asarray(born, np.int64)[best[hit]], pw[rows[hit]]
        parts = []
        for k in sorted(set(wk)):
            m = wk == k
            at = np.full(int(m.sum()), _bounds(k)[0], dtype="datetime64[ns]")
            parts.append(ct.reduce_rows(ids[m], np.ones(int(m.sum()), bool), at, k))
        return pd.concat(parts, ignore_index=True)

    # -- state, categories, describing ---------------------------------------
    def _save(self) -> pd.DataFrame:
        """The window's count table (saved with the state)."""
        window = self.table.loc[self.table["week"].isin(self.weeks)]
        self.state.save(
            self.tr, self.rep, window, {w: n for w, n in sorted(self.totals.items()) if w in self.weeks},
            {**self.state.partitions, **self.read_parts}, self.samples,
        )  # fmt: skip
        return window

    def _category_rows(self) -> pd.DataFrame:
        """The rows of the week and its comparison weeks, without text, tagged on
        the workers when a model is given (``alert_pieces.category_rows``)."""
        tagger = ap.tagger_ref(self.ex, self.model)
        got = _ordered(
            self.ex, ap.category_rows, [self._of([w]) for w in self.cat_weeks], "alert-categories",
            tagger=tagger,
        )  # fmt: skip
        return ap.rows_of(got).drop_duplicates("key").drop(columns="key", errors="ignore")

    def placements(self, weeks) -> pd.Series:
        """The tracker's own placements of complaints of ``weeks`` (surviving ids)."""
        tr = self.tr
        got = {k: tr.resolve(v) for w in weeks for k, v in tr.assignments_.get(w, {}).items() if v >= 0}
        return pd.Series(got, dtype=np.int64)

    def describe(self, chosen: list[int], weeks: list[str], focus, lookback: bool = True) -> dict:
        """Records of the ``chosen`` issues (``issue_blocks``) from the complaints
        of ``weeks`` (blocks finished in this run, or re-matched to today's
        issues for a stored week shown again) and, with ``lookback``, of the
        look-back weeks before them (matched to today's issues); ``focus``: the
        report's ``(start, end)``."""
        ex, cfg = self.ex, self.cfg
        c, ids = self._active()
        shared_c = ex.share(c)
        blocks, mine = [], []
        first = min(weeks)
        back = [w for w in self._weeks_in(_bounds(first)[0] - self.ctx, _bounds(first)[0]) if w < first]
        if lookback and back:
            items = [(self._of(self._weeks_in(a, b)), (a, b)) for a, b in self._spans(back, spread=True)]
            got = ex.keep(
                wp.label_block, items, name="describe-lookback", rep=self.shared, centroids=shared_c,
                issue_ids=ids, config=cfg, window_start=self.start, placed=self.placements(back),
            )  # fmt: skip
            blocks += got
            mine += got
        for w in sorted(weeks):
            if w not in self.per_week:
                continue
            if w in self.finished:
                blocks += self.finished[w]
                continue
            wstart = max(_bounds(w)[0] - self.history, self.start)
            items = [(self._of(self._weeks_in(a - self.ctx, b)), (a, b)) for a, b in self._spans([w])]
            got = ex.keep(
                wp.label_block, items, name="describe-week", rep=self.shared, centroids=shared_c,
                issue_ids=ids, config=cfg, window_start=wstart, placed=self.placements([w]), focus=True,
            )  # fmt: skip
            blocks += got
            mine += got
        with timed("describe the issues shown"):
            out = ib.describe(
                ex,
                blocks,
                chosen,
                self.tr,
                self.shared,
                self._surviving(),
                self.placements(self.weeks),
                cfg,
                focus=focus,
            )
        ex.release(mine)
        return out

    def close(self) -> None:
        """Forget the kept blocks and pieces."""
        for done in self.finished.values():
            self.ex.release(done)
        self.finished = {}
        self.ex.release([p for ps in getattr(self, "pieces", {}).values() for p in ps])


def week_of_day(day: str) -> str:
    """``YYYY-MM-DD`` -> its ISO week label."""
    y, n, _ = pd.Timestamp(day).isocalendar()
    return f"{y}-W{n:02d}"


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    parts = [t for t in (a, b) if len(t)]
    return pd.concat(parts, ignore_index=True)[ct.COLUMNS] if parts else ct.empty_table()


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
    p = parse_period(week)
    return p.start, p.end
