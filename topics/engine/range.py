"""The hot issues of a range (``hot_issues``, ``--start/--end``) as map /
groupby / sample steps over input partitions, on the executor seam
(``corpus.executor``): in this process, or on Dask workers with ``--scheduler``.
No process holds the range's rows; the client holds small things only.

1. map    ``pieces.load``: each partition's rows of the range's weeks (and
          of the comparison periods, for the category table), cut by week;
2. map    ``pieces.scan``: document frequencies per week -> the IDF (client sums);
3. sample ``pieces.sample``: the rows with the smallest id hash, at most
          ``ClusterConfig.max_points`` -> HDBSCAN in the client
          (``clustering.discover``): the issues;
4. map    ``match_block`` over blocks of weeks (``blocks.cut``, each with the
          look-back of its repeat check): the kernel (``blocks.match``), reduced per issue (weekly originals,
          decayed volume, caller hashes, likes, first/last seen, the best
          example candidates); the labels stay on the workers;
5. client: heat index and ranking (``hotspots.hot_issues``);
6. map    the kept match blocks describe the top issues (``engine.describe``):
          only their rows that describe them come back (their first
          ``keyword_sample`` members, the keyword background, the most central
          examples, member ids) -> keywords, places, examples.

What the client does hold: the issues' centroids and the sample, per-issue
reductions (caller hash sets: one 8-byte hash per distinct caller of an issue),
the top issues' describing rows and member ids, and the category table's rows
without text (its ``complaint_ids`` lists, part of the JSON contract, name
every complaint of the range).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.config import HotspotError
from hotline_nlp.topics.emergence import decay_weights
from hotline_nlp.topics.engine import blocks as bk
from hotline_nlp.topics.engine import describe as ds
from hotline_nlp.topics.engine import pieces as pc
from hotline_nlp.topics.engine.run import EngineRun, ordered, timed
from hotline_nlp.topics.periods import Period, week_bounds, weeks_between
from hotline_nlp.topics.tracker import IssueTracker
from scipy import sparse


@dataclass
class IssueReduction:
    """A match block's rows reduced per issue: what the heat index needs."""

    table: pd.DataFrame  # count_table.COLUMNS per week of the block
    volume: pd.Series  # issue -> decayed volume of originals
    callers: dict | None  # issue -> distinct caller hashes (None: no caller column)
    empty_callers: pd.Series | None  # issue -> members without a caller
    likes: pd.Series | None  # issue -> likes (None: no likes column)


@dataclass
class RangeData:
    """What the report needs: per-issue reductions of the whole range, and the tracker."""

    tracker: IssueTracker
    rep: Representation
    total: int
    week_labels: list[str]
    table: pd.DataFrame  # count_table.COLUMNS over the range's weeks
    volume: dict
    callers: dict | None  # issue -> distinct callers (None: the data has no caller column)
    likes: dict | None
    blocks: list = field(default_factory=list)  # kept match results, for ``describe``
    surviving: np.ndarray | None = None  # cluster id -> the cluster it is folded into (``RangeRun.fold``)
    category_rows: pd.DataFrame | None = None
    rejects: list = field(default_factory=list)


def match_block(item, rep, centroids, issue_ids, sampled, config, span, half, n_jobs=1) -> bk.Block:
    """``(pieces, weeks)``: the kernel over the range's consecutive ``weeks`` (the
    pieces also hold the look-back before the first; a complaint of the clustered
    sample keeps its label), reduced per issue (``IssueReduction``, the summary);
    the block stays on the worker for describing."""
    pieces, weeks = item
    rows = pc.rows_of(pieces, span)
    times = rows["created_at"].to_numpy()
    periods = bk.week_periods(weeks)
    checks = bk.checks_of(times, periods, wc.context_days(config), span[0])
    lo = int(np.searchsorted(times, np.datetime64(periods[0][0], "ns")))
    hi = int(np.searchsorted(times, np.datetime64(periods[-1][1], "ns")))
    m = bk.match(rows, (lo, hi), checks, rep, centroids, issue_ids, config, n_jobs, sampled=sampled)
    tables, at = [], 0
    for w, (_, s, b) in zip(weeks, checks):
        if b > s:
            own = m.rows["created_at"].to_numpy()[at : at + b - s]
            part = slice(at, at + b - s)
            tables.append(ct.reduce_rows(m.labels[part], m.original[part], own, w, chorus=m.chorus[part]))
            at += b - s
    summary = reduce_block(m.rows, m.labels, m.original, tables, span[1], half)
    return bk.Block(bk.keep_fields(m.rows), m.labels, m.original, summary=summary)


def reduce_block(own: pd.DataFrame, lab, original, tables, end, half) -> IssueReduction:
    """The block's rows reduced per issue: weekly table, decayed volume of
    originals, caller hashes, likes."""
    ages = ((end - own["created_at"]).dt.total_seconds() / 86400).to_numpy()
    w = decay_weights(ages, half) * original
    m = lab >= 0
    f = pd.DataFrame({"issue": lab[m], "w": w[m]})
    out = IssueReduction(
        table=pd.concat(tables, ignore_index=True) if tables else ct.empty_table(),
        volume=f.groupby("issue")["w"].sum(),
        callers=None,
        empty_callers=None,
        likes=None,
    )
    if "caller" in own:
        c = own["caller"].fillna("").astype(str).to_numpy()[m]
        h = pd.util.hash_pandas_object(pd.Series(c, dtype=object), index=False).to_numpy()
        g = pd.DataFrame({"issue": lab[m], "h": h, "empty": c == ""})
        out.empty_callers = g.groupby("issue")["empty"].sum()
        full = g.loc[~g["empty"]]
        out.callers = {int(k): np.unique(v.to_numpy()) for k, v in full.groupby("issue")["h"]}
    if "likes" in own:
        lk = pd.to_numeric(own["likes"], errors="coerce").fillna(0).to_numpy()
        out.likes = pd.Series(lk[m]).groupby(lab[m]).sum()
    return out


class RangeRun(EngineRun):
    """The range report's data over ``sources`` (paths or frames) on executor ``ex``."""

    kind = "range"

    def __init__(self, ex, sources, period: Period, config, embedder, half: float, options=None, model=None):
        super().__init__(ex, sources, config, embedder, options, model)
        self.period, self.half = period, half
        self.span = (period.start, period.end)
        self.weeks = [p.label for p in weeks_between(period.start, period.end)]
        cmp = [period.previous(), period.last_year()]
        self.cat_weeks = sorted(
            set(self.weeks) | {p.label for c in cmp for p in weeks_between(c.start, c.end)}
        )

    def _check(self) -> None:
        dated = self._check_input()
        if not sum(self.in_range.values()):
            raise HotspotError(
                f"no complaints in {self.period.label}; the data covers {self._span_of(dated)}"
            )

    def run(self) -> RangeData:
        with timed("range: load partitions"):
            self._load(
                [s if isinstance(s, pd.DataFrame) else str(s) for s in self.sources],
                set(self.cat_weeks),
                self.span,
            )
        self._check()
        used = [w for w in self.weeks if self.in_range.get(w)]
        with timed("range: scan (IDF)"):
            rep, got = self._fit(used, self.span)
            self._threshold(np.concatenate([g.prio for g in got]))
        self.shared = shared = self.ex.share(rep)
        with timed("range: sample, cluster"):
            tr, meta, _, c, best = self._cluster(rep, shared, used, span=self.span)
        if c is None:
            c = sparse.csr_matrix((0, rep.dim_), dtype=np.float32)
        # a Series, not a dict: ``share`` (Dask's scatter) would scatter a dict's values one by one
        sampled = pd.Series(best, index=meta["key"].to_numpy(), dtype=np.int64)
        ids = [tr.issues_[k].id for k in range(c.shape[0])]
        groups = bk.cut({w: self.in_range[w] for w in used})
        items = [(self._of(self._reads(used, g)), g) for g in groups]
        with timed(f"range: match {len(used)} weeks"):
            kept = self.ex.keep(
                match_block, items, name="range-match", rep=shared, centroids=self.ex.share(c), issue_ids=ids,
                sampled=self.ex.share(sampled), config=self.cfg, span=self.span, half=self.half,
                n_jobs=self.task_jobs,
            )  # fmt: skip
            S = ordered(self.ex, bk.summary_of, kept, "range-summary")
        self.summaries = S
        data = RangeData(
            tracker=tr, rep=rep, total=int(sum(self.in_range.values())), week_labels=self.weeks,
            table=pd.concat([s.table for s in S] or [ct.empty_table()], ignore_index=True),
            volume=_sum_series(s.volume for s in S), callers=_callers(S), likes=_likes(S),
            rejects=self.rejects, blocks=kept,
        )  # fmt: skip
        cats = ordered(
            self.ex, pc.category_rows, [self._of([w]) for w in self.cat_weeks], "range-categories",
            tagger=pc.tagger_ref(self.ex, self.model),
        )  # fmt: skip
        data.category_rows = pc.rows_of(cats)
        return data

    def _reads(self, used: list[str], block: list[str]) -> list[str]:
        """The block's weeks and the look-back weeks of its repeat check."""
        lo = week_bounds(block[0])[0] - self.ctx
        return [w for w in used if w <= block[-1] and week_bounds(w)[1] > lo]

    def describe(self, data: RangeData, chosen: list[int]) -> dict:
        """The records of the ``chosen`` issues from the kept match blocks
        (``describe.describe``: every complaint of the range is in focus);
        the blocks are released."""
        tr = data.tracker
        with timed("range: describe the issues shown"):
            surviving = np.arange(tr.next_id_, dtype=np.int64) if data.surviving is None else data.surviving
            out = ds.describe(self.ex, data.blocks, chosen, tr, self.shared, surviving, None, self.cfg)
        self.ex.release(data.blocks)
        return out

    def fold(self, data: RangeData, into: dict[int, int]) -> RangeData:
        """``data`` with the clusters ``into`` maps elsewhere (cluster id -> the cluster
        it joins: clusters the tracker knows as one issue, ``engine.identity``) reduced
        as one: weekly table, volume, callers and likes summed over them."""
        surv = np.arange(data.tracker.next_id_, dtype=np.int64)
        for k, v in into.items():
            surv[int(k)] = int(v)
        S = [_remap(s, surv) for s in self.summaries]
        data.table = pd.concat([s.table for s in S] or [ct.empty_table()], ignore_index=True)
        data.volume, data.callers, data.likes = _sum_series(s.volume for s in S), _callers(S), _likes(S)
        data.surviving = surv
        return data

    def close(self) -> None:
        self.ex.release([p for ps in self.pieces.values() for p in ps])


def _remap(s: IssueReduction, surv: np.ndarray) -> IssueReduction:
    """One block's reduction with its cluster ids mapped through ``surv``."""

    def by(x: pd.Series | None) -> pd.Series | None:
        return None if x is None else x.groupby(surv[x.index.to_numpy(np.int64)]).sum()

    table = s.table
    if len(table):
        table = ct.per_week_issue(table.assign(issue=surv[table["issue"].to_numpy(np.int64)]), "sum")
    callers = None
    if s.callers is not None:
        parts: dict[int, list] = {}
        for k, h in s.callers.items():
            parts.setdefault(int(surv[int(k)]), []).append(h)
        callers = {k: np.unique(np.concatenate(v)) for k, v in parts.items()}
    return IssueReduction(table, by(s.volume), callers, by(s.empty_callers), by(s.likes))


def _sum_series(parts) -> dict:
    out: dict[int, float] = {}
    for s in parts:
        for k, v in s.items():
            out[int(k)] = out.get(int(k), 0.0) + float(v)
    return out


def _callers(S: list[IssueReduction]) -> dict | None:
    if not any(s.callers is not None for s in S):
        return None
    sets: dict[int, list] = {}
    empty: dict[int, int] = {}
    for s in S:
        if s.callers is not None:
            for k, h in s.callers.items():
                sets.setdefault(k, []).append(h)
            for k, n in s.empty_callers.items():
                empty[int(k)] = empty.get(int(k), 0) + int(n)
        else:  # rows without a caller column: each member counts as one caller (no caller given)
            for k, n in s.table.groupby("issue")["members"].sum().items():
                empty[int(k)] = empty.get(int(k), 0) + int(n)
    keys = set(sets) | set(empty)
    return {
        k: int(np.unique(np.concatenate(sets.get(k, [np.zeros(0, np.uint64)]))).size) + empty.get(k, 0)
        for k in keys
    }


def _likes(S: list[IssueReduction]) -> dict | None:
    if not any(s.likes is not None for s in S):
        return None
    return _sum_series(s.likes for s in S if s.likes is not None)
