"""The weekly alert as map / groupby / sample steps over input partitions.

One code path for one machine and a cluster: every per-partition step is a
function of ``engine.pieces`` / ``engine.week`` / ``engine.history`` (each a
reduction of the one block kernel, ``engine.blocks.match``) run through the
executor seam (``corpus.executor``) by the run skeleton (``engine.run``):
in this process with the local executor, on Dask workers with
``--scheduler``. The client holds small things only: the issues' centroids,
the tracker's pool (capped), per-issue sums and counts, count tables, samples
and the few rows that describe the issues shown.

Cold run (no state), for ISO week W and its history weeks:

1. map   ``pieces.load``: each input partition's rows of the window, cut by week
         (kept where loaded);
2. map   ``pieces.scan``: document frequencies per week -> the IDF (client sums);
3. sample ``pieces.sample``: the rows with the smallest id hash, at most
         ``ClusterConfig.max_points`` (all of them in a small history) -> HDBSCAN
         in the client (``clustering.discover``), the tracker's first issues;
4. map   ``pieces.pool`` over the last ``pool_weeks`` history weeks: their
         unmatched complaints form the tracker's pool (skipped when the sample
         is the whole history: the client has them already);
5. the week W (``_advance``), in blocks of days (``engine.week``):
         map ``match_block`` (match to the issues, repeats with the look-back;
         per-issue vector sums back), map ``free_rows`` (the pool's new
         complaints), the tracker's step in the client (``step_matched``), map
         ``finish_block`` (each complaint's issue, the week's count table and
         sample; the blocks stay for describing);
6. map   ``history.count_block`` over the history weeks: each complaint matched to
         today's active issues, repeats found, reduced to a count table per
         week (the groupby), with each week's sample;
7. emergence is scored on the (issues x weeks) count table (``topics.hotspots``);
8. the issues shown are described from the kept blocks (``engine.describe``):
         W's blocks and its look-back weeks' (``label_block``, matched to
         today's issues).

Warm run (``--state-dir`` with a tracker): steps 2-4 are skipped (IDF and
issues are stored), files holding none of the needed weeks are not read,
every week after the tracker's last one up to W is advanced in turn (step 5,
each counted from the tracker's assignment, as the weekly runs would have),
and only stored-table gaps are counted by step 6. An issue born in a warm
week gets its counts in the earlier weeks from the pool (exactly) and from
those weeks' stored samples (estimated; ``engine.backfill``).

Replay (``topics.hotspots.replay`` / ``emerging_issues``) is a cold run for a
period's first week followed by ``advance`` through the rest, in one run
(``advance_to``): what a weekly alert run each week would have said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.config import HotspotError
from hotline_nlp.topics.engine import backfill as bf
from hotline_nlp.topics.engine import blocks as bk
from hotline_nlp.topics.engine import history
from hotline_nlp.topics.engine import pieces as pc
from hotline_nlp.topics.engine import week as wk
from hotline_nlp.topics.engine.run import EngineRun, ordered, stack_raw, timed
from hotline_nlp.topics.engine.state import AlertState, file_identity
from hotline_nlp.topics.periods import Period, parse_period, week_bounds, week_of_day, weeks_between
from hotline_nlp.topics.sampling import ALL
from hotline_nlp.topics.tracker import IssueTracker
from scipy import sparse


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
    # issues born in a warm run: the first week their counts are known from (``backfill``)
    known_from: dict = field(default_factory=dict)
    # issue -> its first and last complaint over every week of the tracker's timeline counted
    # (the run's whole table, not the report's window): the one first_seen of every view
    seen: pd.DataFrame | None = None


class AlertRun(EngineRun):
    """Weekly alerts over ``sources`` (paths or frames) on executor ``ex``: the
    week ``period`` (``run``), or each week from ``period`` to ``until`` in turn
    (``open`` then ``advance_to``, as replay does)."""

    kind = "alert"

    def __init__(
        self, ex, sources, period: Period, hist_start, config, embedder, state_dir, options=None,
        model=None, until: Period | None = None, first: Period | None = None,
    ):  # fmt: skip
        super().__init__(ex, sources, config, embedder, options, model)
        self.period = period
        self.until = until or period
        self.history = period.start - hist_start
        self.state = AlertState(state_dir).load(embedder, config.n_jobs, config.clusterer)
        # the week a cold run's tracker starts from (``topics.identity.anchor_week``): its IDF and
        # first issues are those of a cold alert for that week, the weeks after it are stepped
        self.first = period if self.state.warm or first is None or first.start > period.start else first
        self.start = min(hist_start, self.first.start - self.history)
        self.weeks = [p.label for p in weeks_between(self.start, self.until.end)]
        self.samples: dict[str, pd.DataFrame | None] = {}  # week -> sample counted in this run
        self.finished: dict[str, list] = {}  # week -> its describing blocks (kept), weeks advanced now
        self.stepped: set[str] = set()  # weeks advanced now (their blocks released once not needed)
        self.known_from: dict[int, str] = {}

    @property
    def tracker(self) -> IssueTracker:
        return self.tr

    # -- which weeks -------------------------------------------------------
    def weeks_in(self, lo, hi) -> list[str]:
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
            [w for w in self.weeks if self.first.label <= w <= last]
            if tr is None
            else [w for w in self.weeks if w <= last and (not tr.weeks_ or w > tr.weeks_[-1])]
        )
        first = min(self.step_weeks or [W])  # ISO week labels sort in time order
        self.recent = self.weeks_in(week_bounds(first)[0] - self.ctx, self.until.end)
        stored = set(self.state.totals) if tr is not None else set()
        self.count_weeks = [w for w in self.weeks if w < first and w not in stored]
        self.cat_weeks = [W, self.period.previous().label, self.period.last_year().label]
        needed = set(self.recent) | set(self.cat_weeks)
        for w in self.count_weeks:  # each with the look-back of its repeat check
            needed |= set(self.weeks_in(week_bounds(w)[0] - self.ctx, week_bounds(w)[1]))
        if tr is None:
            needed |= set(self.weeks)
        self.needed = needed

    # -- steps -------------------------------------------------------------
    def _load_sources(self) -> None:
        keep, ids = [], []
        for s in self.sources:
            ident = None if isinstance(s, pd.DataFrame) else file_identity(s)
            if ident is not None and self.state.warm and self.state.skippable(ident, self.needed):
                continue
            keep.append(s if isinstance(s, pd.DataFrame) else str(s))
            ids.append(ident)
        self._load(keep, self.needed)
        self.read_parts = {i: m.all_weeks for i, m in zip(ids, self.metas) if i is not None}

    def _check(self, require_week: bool = True) -> None:
        dated = [m for m in self.metas if m.dated]
        if not self.state.warm:
            dated = self._check_input()
        if require_week and not self.per_week.get(self.period.label):
            p = self.period
            raise HotspotError(
                f"no complaints in {p.label} ({p.start.date()}..{p.last_day.date()}); "
                f"the data covers {self._span_of(dated)}"
            )

    def _fit_window(self) -> None:
        """The IDF of the window; the sampling threshold of its history weeks."""
        scans = [w for w in self.weeks if w in self.pieces and w <= self.first.label]
        self.rep, got = self._fit(scans)
        hist = [i for i, w in enumerate(scans) if w < self.first.label]
        self._threshold(np.concatenate([got[i].prio for i in hist]) if hist else np.zeros(0, np.uint64))
        self.hist_weeks = [scans[i] for i in hist if got[i].n]

    def _bootstrap(self, shared) -> IssueTracker:
        """The first issues from the history's sample, and the pool."""
        cfg = self.cfg
        if not self.hist_weeks:
            tr = IssueTracker(cfg.tracker, n_jobs=cfg.n_jobs, clusterer=cfg.clusterer)
            return tr.start(None, np.zeros(0, np.int64), [], [])
        tr, meta, xs, c, best = self._cluster(self.rep, shared, self.hist_weeks, self.hist_weeks)
        weeks = meta["week"].tolist()
        pool_weeks = tr.pool_span(self.hist_weeks)
        if self.threshold == ALL or c is None or not c.shape[0]:
            keep = np.flatnonzero((best < 0) & meta["week"].isin(pool_weeks).to_numpy())
            tr.set_pool(
                meta["key"].iloc[keep].tolist(), [weeks[k] for k in keep], xs[keep] if keep.size else None
            )
            return tr
        sampled = dict(zip(meta["key"], best.tolist()))
        parts = ordered(
            self.ex, pc.pool, [self._of([w]) for w in pool_weeks], "alert-pool", rep=shared, centroids=c,
            threshold=cfg.tracker.cluster.assign_threshold, sampled=sampled, n_jobs=self.task_jobs,
        )  # fmt: skip
        pm = pd.concat([p[0] for p in parts], ignore_index=True)
        px = self.rep.weigh(*stack_raw([p[1] for p in parts]), copy=False) if len(pm) else None
        tr.set_pool(pm["key"].tolist(), pm["week"].tolist(), px)
        return tr

    def open(self, require_week: bool = True) -> None:
        """Plan, load, check; a cold run's IDF, first issues and pool."""
        self._plan()
        with timed("load partitions"):
            self._load_sources()
        self._check(require_week)
        if self.state.warm:
            self.rep, self.tr = self.state.rep, self.state.tracker
        else:
            with timed("scan (IDF)"):
                self._fit_window()
        self.shared = self.ex.share(self.rep)
        if not self.state.warm:
            with timed("sample, cluster, pool"):
                self.tr = self._bootstrap(self.shared)
        self.table = self.state.table.copy()  # every known count: stored, then this run's
        self.totals = dict(self.state.totals)
        self.frozen = [w for w in self.weeks if w in self.totals]  # counted, not recounted now

    def run(self) -> AlertData:
        """The alert for ``period`` (a state's later weeks are advanced too)."""
        self.open()
        self.advance_to(self.first.label)  # the history counted after the first week, as replay counts it
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
            rejects=self.rejects, known_from=dict(self.known_from), seen=self.seen(),
        )  # fmt: skip

    def seen(self) -> pd.DataFrame:
        """Issue (surviving id) -> ``first`` and ``last`` complaint, over every counted week."""
        t = wc.resolved(self.table, self.tr.resolve)
        t = t.loc[t["members"] > 0]
        return t.groupby("issue").agg(first=("first_at", "min"), last=("last_at", "max"))

    def advance_to(self, week: str) -> None:
        """Step the tracker through every step week up to ``week``, counting each
        from its assignment; then count the gaps of the table (cold: the history)
        against today's issues."""
        for w in [w for w in self.step_weeks if w <= week and w not in self.stepped]:
            self._advance(w)
            self.stepped.add(w)
        if self.count_weeks:
            with timed(f"count {len(self.count_weeks)} history weeks"):
                self._count_history()
            self.count_weeks = []

    # -- one week ------------------------------------------------------------
    def spans(self, weeks, spread: bool = False) -> list:
        """The days of ``weeks`` with complaints, cut into blocks (``blocks.day_spans``).

        ``spread``: at least one block per worker where the days allow, for blocks
        without a look-back (``label_block`` of the look-back weeks), so they do not
        run on one worker while the others wait. Blocks with a look-back are not
        spread: each would vectorise its own 14 days again (measured on the 1M
        stream: match 31.8 s spread over 2 workers against 22.7 s in one block).
        The answers do not depend on the cut."""
        wanted = set(weeks)
        per_day = {d: n for d, n in self.per_day.items() if week_of_day(d) in wanted}
        budget = bk.spread_budget(sum(per_day.values()), self.ex.n_workers) if spread else bk.ROWS_PER_TASK
        return bk.day_spans(per_day, budget)

    def active(self):
        tr = self.tr
        act = tr.active_
        c = tr.centroids_[act] if act else sparse.csr_matrix((0, self.rep.dim_), dtype=np.float32)
        return c, [tr.issues_[a].id for a in act]

    def _advance(self, w: str) -> None:
        """One week: match (map), the tracker's step (client), finish (map),
        then the history of the issues born in it (``backfill``)."""
        tr, ex, cfg = self.tr, self.ex, self.cfg
        wstart = max(week_bounds(w)[0] - self.history, self.start)
        c, ids = self.active()
        with timed(f"{w}: match {self.per_week.get(w, 0)} complaints"):
            items = [(self._of(self.weeks_in(a - self.ctx, b)), (a, b)) for a, b in self.spans([w])]
            kept = ex.keep(
                wk.match_block, items, name="alert-match", rep=self.shared, centroids=ex.share(c),
                issue_ids=ids, config=cfg, window_start=wstart, n_jobs=self.task_jobs,
            )  # fmt: skip
            S = ordered(ex, bk.summary_of, kept, "alert-match-summary")
        with timed(f"{w}: tracker step"):
            placed = tr.step_matched(w, wk.week_match(ex, kept, S, tr.config.pool_max))
        n_week = int(sum(s.n for s in S))
        c, ids = self.active()
        with timed(f"{w}: finish"):
            done = ex.keep(
                wk.finish_block, kept, name="alert-finish", week=w, surviving=self.surviving(),
                placed=pd.Series(placed, dtype=np.int64), centroids=ex.share(c), issue_ids=ids,
                n_week=n_week, config=cfg,
            )  # fmt: skip
            parts = ordered(ex, bk.summary_of, done, "alert-finish-get")
            ex.release(kept)
        tables = [p.table for p in parts if len(p.table)]
        table = ct.per_week_issue(pd.concat(tables, ignore_index=True), "sum") if tables else ct.empty_table()
        samples = [p.sample for p in parts if p.sample is not None and len(p.sample)]
        self.samples[w] = pd.concat(samples, ignore_index=True) if samples else None
        self.finished[w] = done
        with timed(f"{w}: history of the issues born in it"):
            born = bf.backfill(self, w)
        self._put(w, table, n_week)
        self.table = ct.concat(self.table, born)
        self.frozen.append(w)
        for old in [k for k in self.finished if k < w and k not in self._describe_weeks()]:
            ex.release(self.finished.pop(old))

    def _describe_weeks(self) -> set:
        """Weeks whose finished blocks a report still needs: a replay's from its period's first
        week on (not those stepped from the anchor before it), else the alert week's."""
        if self.until.label == self.period.label:
            return {self.period.label}
        return {w for w in self.step_weeks if w >= self.period.label}

    def surviving(self) -> np.ndarray:
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
        self.table = ct.concat(self.table, table)
        self.totals[w] = n

    def _count_history(self) -> None:
        c, act_ids = self.active()
        sizes = {w: self.per_week.get(w, 0) for w in self.count_weeks}
        groups = bk.cut(sizes, bk.spread_budget(sum(sizes.values()), self.ex.n_workers))
        reads = [self.weeks_in(week_bounds(g[0])[0] - self.ctx, week_bounds(g[-1])[1]) for g in groups]
        got = ordered(
            self.ex, history.count_block, [(self._of(r), g) for r, g in zip(reads, groups)], "alert-count",
            rep=self.shared, centroids=self.ex.share(c), issue_ids=act_ids, config=self.cfg,
            window_start=self.start, n_jobs=self.task_jobs,
        )  # fmt: skip
        for part in got:
            for wc_ in part:
                self._put(wc_.week, wc_.table, wc_.n)
                self.samples[wc_.week] = wc_.sample
                self.frozen.append(wc_.week)

    def sample_of(self, week: str) -> pd.DataFrame | None:
        """The sample of ``week``: counted in this run, else stored."""
        if week in self.samples:
            return self.samples[week]
        return self.state.sample(week)

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
        the workers when a model is given (``pieces.category_rows``)."""
        tagger = pc.tagger_ref(self.ex, self.model)
        got = ordered(
            self.ex, pc.category_rows, [self._of([w]) for w in self.cat_weeks], "alert-categories",
            tagger=tagger,
        )  # fmt: skip
        return pc.rows_of(got).drop_duplicates("key").drop(columns="key", errors="ignore")

    def close(self) -> None:
        """Forget the kept blocks and pieces."""
        for done in self.finished.values():
            self.ex.release(done)
        self.finished = {}
        self.ex.release([p for ps in self.pieces.values() for p in ps])
