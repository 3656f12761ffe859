"""The hot issues of a range (``hot_issues``, ``--start/--end``) as map /
groupby / sample steps over input partitions, on the executor seam
(``corpus.executor``): in this process, or on Dask workers with ``--scheduler``.
No process holds the range's rows; the client holds small things only.

1. map    ``load_range_piece``: each partition's rows of the range's weeks (and
          of the comparison periods, for the category table), cut by week;
2. map    ``scan``: document frequencies per week -> the IDF (client sums);
3. sample ``sample``: the rows with the smallest id hash, at most
          ``ClusterConfig.max_points`` -> HDBSCAN in the client
          (``clustering.discover``): the issues;
4. map    ``match_block`` over blocks of weeks (each with the look-back of its
          repeat check): match, repeats, reduce per issue (weekly originals,
          decayed volume, caller hashes, likes, first/last seen, the best
          example candidates); the labels stay on the workers;
5. client: heat index and ranking (``hotspots.hot_issues``);
6. map    the kept match blocks describe the top issues (``issue_blocks``):
          only their rows that describe them come back (their first
          ``keyword_sample`` members, the keyword background, the most central
          examples, member ids) -> keywords, places, examples.

What can differ from the in-memory engine before issue 14 (``topics.window``):
- the clustering sample: a range over ``max_points`` complaints is clustered
  on the complaints with the smallest id hash, not a seeded random draw (the
  same as the weekly alert), and issues are born in their earliest *sampled*
  member's week;
- repeats: each week is checked with a look-back of two repeat windows
  (``weekly_counts``), so a chain of near copies longer than that can differ;
- distinct callers are counted by a 64-bit hash of the caller;
- the decayed volume is summed per block: heats can differ in the last bits.
On the test data and the real 2019 stream (4,326 complaints) the whole report
is the same JSON as the in-memory engine's.

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
from hotline_nlp.topics import alert_pieces as ap
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import range_pieces as rp
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.alert_engine import stack_raw, timed
from hotline_nlp.topics.complaint_vectors import NO_EMBEDDER, Representation
from hotline_nlp.topics.hotspot_config import HotspotError, semantic_weight_for
from hotline_nlp.topics.periods import Period, parse_period, weeks_between
from hotline_nlp.topics.tracker import IssueTracker
from scipy import sparse

ALL = np.iinfo(np.uint64).max
# Rows a match task counts (its look-back weeks come on top): more weeks per task
# means fewer look-back reads (a 2-week block reads 4 weeks); at least one week.
ROWS_PER_TASK = 60_000


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
    summaries: list = field(default_factory=list)
    category_rows: pd.DataFrame | None = None
    rejects: list = field(default_factory=list)


class RangeRun:
    """The range report's data over ``sources`` (paths or frames) on executor ``ex``."""

    def __init__(self, ex, sources, period: Period, config, embedder, half: float, options=None, model=None):
        self.ex, self.sources, self.period, self.cfg = ex, list(sources), period, config
        self.embedder, self.half, self.options, self.model = embedder, half, options, model
        self.weeks = [p.label for p in weeks_between(period.start, period.end)]
        self.ctx = pd.Timedelta(days=wc.context_days(config))
        self.task_jobs = config.n_jobs if getattr(ex, "client", None) is None else 1
        cmp = [period.previous(), period.last_year()]
        self.cat_weeks = sorted(
            set(self.weeks) | {p.label for c in cmp for p in weeks_between(c.start, c.end)}
        )

    def _of(self, weeks) -> list:
        return [p for w in weeks for p in self.pieces.get(w, [])]

    def _load(self) -> None:
        ex, p = self.ex, self.period
        srcs = [s if isinstance(s, pd.DataFrame) else str(s) for s in self.sources]
        handles = ex.keep(
            rp.load_range_piece, srcs, name="range-load", options=self.options,
            weeks=frozenset(self.cat_weeks), start=p.start, end=p.end,
        )  # fmt: skip
        metas = dict(ex.map(ap.meta_of, handles, name="range-meta"))
        self.metas = [metas[i] for i in range(len(handles))]
        self.rejects = [m["rejects"] for m in self.metas if m["rejects"] is not None and len(m["rejects"])]
        pairs = [(h, w) for h, m in zip(handles, self.metas) for w in sorted(m["per_week"])]
        picked = ex.keep(ap.week_of, pairs, name="range-week")
        self.pieces: dict[str, list] = {}
        for (_, w), piece in zip(pairs, picked):
            self.pieces.setdefault(w, []).append(piece)
        ex.release(handles)
        self.in_range: dict[str, int] = {}
        for m in self.metas:
            for w, n in m["in_range"].items():
                self.in_range[w] = self.in_range.get(w, 0) + n

    def _check(self) -> None:
        dated = [m for m in self.metas if m["dated"]]
        if all(m["rows"] == 0 for m in self.metas):
            raise HotspotError("no complaints: the input is empty")
        if not dated:
            raise HotspotError(
                "no complaint has a usable date (created_at is empty or unparseable in every row)"
            )
        if not sum(self.in_range.values()):
            span = f"{min(m['first'] for m in dated).date()}..{max(m['last'] for m in dated).date()}"
            raise HotspotError(f"no complaints in {self.period.label}; the data covers {span}")

    def _fit(self):
        weight = semantic_weight_for(self.cfg, self.embedder)
        rep = Representation(embedder=self.embedder if weight > 0 else NO_EMBEDDER, semantic_weight=weight)
        rep.prepare()
        shared = self.ex.share(rep)
        p = self.period
        got = dict(
            self.ex.map(
                rp.scan,
                [self._of([w]) for w in self.used],
                name="range-scan",
                rep=shared,
                start=p.start,
                end=p.end,
            )
        )
        df, n, sem = ap.df_total(got[i] for i in range(len(self.used)))
        rep.fit_raw(df, n, sem / n if sem is not None and n else None)
        prio = np.concatenate([got[i]["prio"] for i in range(len(self.used))])
        m = self.cfg.tracker.cluster.max_points
        self.threshold = ALL if prio.size <= m else int(np.partition(prio, m - 1)[m - 1])
        self.n_rows = int(prio.size)
        return rep

    def _issues(self, rep, shared):
        """Cluster the sample: the tracker (issues, ids, births) and each sampled row's issue."""
        cfg, p = self.cfg, self.period
        tr = IssueTracker(cfg.tracker, n_jobs=cfg.n_jobs, clusterer=cfg.clusterer)
        got = dict(
            self.ex.map(
                rp.sample, [self._of([w]) for w in self.used], name="range-sample", rep=shared,
                threshold=self.threshold, start=p.start, end=p.end,
            )
        )  # fmt: skip
        meta = pd.concat([got[i][0] for i in range(len(got))], ignore_index=True)
        xs = rep.weigh(*stack_raw([got[i][1] for i in range(len(got))]), copy=False)
        c, best = cl.discover(xs, cfg.tracker.cluster, cfg.n_jobs, cfg.clusterer)
        weeks = meta["week"].tolist()
        tr.start(c, best, weeks, weeks, scale=self.n_rows / max(len(meta), 1))
        if c is None:
            c = sparse.csr_matrix((0, rep.dim_), dtype=np.float32)
        # a Series, not a dict: ``share`` (Dask's scatter) would scatter a dict's values one by one
        return tr, c, pd.Series(best, index=meta["key"].to_numpy(), dtype=np.int64)

    def run(self) -> RangeData:
        with timed("range: load partitions"):
            self._load()
        self._check()
        self.used = [w for w in self.weeks if self.in_range.get(w)]
        with timed("range: scan (IDF)"):
            rep = self._fit()
        shared = self.ex.share(rep)
        with timed("range: sample, cluster"):
            tr, c, sampled = self._issues(rep, shared)
        ids = [tr.issues_[k].id for k in range(c.shape[0])]
        blocks = _blocks(self.used, self.in_range, ROWS_PER_TASK)
        reads = [self._reads(b) for b in blocks]
        p = self.period
        with timed(f"range: match {len(self.used)} weeks"):
            kept = self.ex.keep(
                _match, list(zip([self._of(r) for r in reads], blocks)), name="range-match", rep=shared,
                centroids=self.ex.share(c), issue_ids=ids,
                sampled=self.ex.share(sampled), config=self.cfg, start=p.start, end=p.end, half=self.half,
                n_jobs=self.task_jobs,
            )  # fmt: skip
            got = dict(self.ex.map(rp.summary_of, kept, name="range-summary"))
        summaries = [got[i] for i in range(len(kept))]
        data = RangeData(
            tracker=tr, rep=rep, total=int(sum(self.in_range.values())), week_labels=self.weeks,
            table=pd.concat([s["table"] for s in summaries] or [ct.empty_table()], ignore_index=True),
            volume=_sum_series(s["volume"] for s in summaries),
            callers=_callers(summaries), likes=_likes(summaries), rejects=self.rejects,
        )  # fmt: skip
        data.blocks, data.summaries = kept, summaries
        self.shared = shared
        cats = dict(
            self.ex.map(
                ap.category_rows, [self._of([w]) for w in self.cat_weeks], name="range-categories",
                tagger=ap.tagger_ref(self.ex, self.model),
            )
        )  # fmt: skip
        data.category_rows = ap.rows_of([cats[i] for i in range(len(cats))])
        return data

    def _reads(self, block: list[str]) -> list[str]:
        """The block's weeks and the look-back weeks of its repeat check."""
        lo = parse_period(block[0]).start - self.ctx
        return [w for w in self.used if w <= block[-1] and parse_period(w).end > lo]

    def describe(self, data: RangeData, chosen: list[int]) -> dict:
        """The records of the ``chosen`` issues from the kept match blocks
        (``issue_blocks.describe``: every complaint of the range is in focus);
        the blocks are released."""
        from hotline_nlp.topics import issue_blocks as ib

        tr = data.tracker
        with timed("range: describe the issues shown"):
            out = ib.describe(
                self.ex,
                data.blocks,
                chosen,
                tr,
                self.shared,
                np.arange(tr.next_id_, dtype=np.int64),
                None,
                self.cfg,
            )
        self.ex.release(data.blocks)
        return out


def _blocks(weeks: list[str], rows: dict[str, int], budget: int) -> list[list[str]]:
    """Consecutive weeks cut into blocks of at most ``budget`` rows (a week over
    budget is a block of its own). The report does not depend on the cut."""
    out: list[list[str]] = []
    size = 0
    for w in weeks:
        if out and size + rows[w] <= budget:
            out[-1].append(w)
            size += rows[w]
        else:
            out.append([w])
            size = rows[w]
    return out


def _match(item, **kw):
    pieces, weeks = item
    return rp.match_block(pieces, weeks, **kw)


def _sum_series(parts) -> dict:
    out: dict[int, float] = {}
    for s in parts:
        for k, v in s.items():
            out[int(k)] = out.get(int(k), 0.0) + float(v)
    return out


def _callers(S) -> dict | None:
    if not any(s["has_caller"] for s in S):
        return None
    sets: dict[int, list] = {}
    empty: dict[int, int] = {}
    for s in S:
        if s["has_caller"]:
            for k, h in s["callers"].items():
                sets.setdefault(k, []).append(h)
            for k, n in s["empty_callers"].items():
                empty[int(k)] = empty.get(int(k), 0) + int(n)
        else:  # rows without a caller column: each member counts as one caller (no caller given)
            members = s["table"].groupby("issue")["members"].sum()
            for k, n in members.items():
                empty[int(k)] = empty.get(int(k), 0) + int(n)
    keys = set(sets) | set(empty)
    return {
        k: int(np.unique(np.concatenate(sets.get(k, [np.zeros(0, np.uint64)]))).size) + empty.get(k, 0)
        for k in keys
    }


def _likes(S) -> dict | None:
    if not any(s["has_likes"] for s in S):
        return None
    return _sum_series(s["likes"] for s in S if s["has_likes"])
