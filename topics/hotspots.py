"""Hotspot reports, one public function each: the weekly alert (``weekly_alert``),
the hot issues of a range (``hot_issues``), replay (``replay``) and the emerging
issues of a longer period (``emerging_issues``, the bulletin's 难点问题); and the
``hotspots`` command's entry point (``hotspot_report``).

Each takes a DataFrame (one partition) or a list of partitions (paths loaded
with ``options``, or frames), a ``HotspotConfig`` (None: the defaults; every
setting is defined and checked there) and an executor (None: this process;
``corpus.executor``). The steps are those of ``topics.engine``. The results
are plain dicts/lists that serialise to the JSON of the ``hotline-nlp
hotspots`` contract; ``bulletin.hotspot_document`` renders them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hotline_nlp.classifier.model import load_model
from hotline_nlp.corpus.executor import LocalExecutor
from hotline_nlp.topics.category_stats import as_period, category_table, change_ratio
from hotline_nlp.topics.coherence import SPARE, catch_all_note, is_one_voice
from hotline_nlp.topics.config import HotspotConfig, HotspotError
from hotline_nlp.topics.emergence import heat_index
from hotline_nlp.topics.engine.alert import AlertRun
from hotline_nlp.topics.engine.alert_records import alert_records
from hotline_nlp.topics.engine.identity import RangeIdentity, range_identity
from hotline_nlp.topics.engine.pieces import check_frame
from hotline_nlp.topics.engine.range import RangeRun
from hotline_nlp.topics.identity import anchor_week, fold_groups
from hotline_nlp.topics.periods import Period, date_range, parse_period, weeks_between
from hotline_nlp.topics.week_scores import many_callers, status, week_scores
from hotline_nlp.topics.weekly_counts import matrix

__all__ = [
    "hotspot_report",
    "weekly_alert",
    "hot_issues",
    "emerging_issues",
    "replay",
    "HotspotConfig",
    "HotspotError",
]


def hotspot_report(data, period=None, start=None, end=None, config=None, **kw) -> dict:
    """What ``hotline-nlp hotspots`` computes: the weekly alert for ``period``, or the
    hot issues of ``start``..``end`` (inclusive days); ``kw`` as those take them
    (``state_dir`` for the alert only)."""
    if period is not None:
        return weekly_alert(data, period, config, **kw)
    kw.pop("state_dir", None)
    return hot_issues(data, (start, end), config, **kw)


def _sources(data) -> list:
    """A DataFrame is one partition (checked here); else the list of partitions."""
    if isinstance(data, pd.DataFrame):
        return [check_frame(data)]
    return list(data)


def _categories(frame: pd.DataFrame, period: Period, notes: list[str]) -> list[dict]:
    if "level1" not in frame or frame["level1"].fillna("").astype(str).eq("").all():
        notes.append("数据中没有诉求分类（一级分类），可用 --model 指定模型自动标注")
        return []
    return category_table(frame, period)


def _model(model) -> tuple:
    """The tagging model (loaded when a directory is given) and the report's note about it."""
    if model is None:
        return None, []
    m = load_model(model) if isinstance(model, (str, Path)) else model
    return m, [f"诉求分类由模型 {getattr(m, 'name', model)} 自动标注"]


def _as_range(period_or_range) -> Period:
    if isinstance(period_or_range, Period):
        return period_or_range
    if isinstance(period_or_range, (tuple, list)) and len(period_or_range) == 2:
        return date_range(*period_or_range)
    return as_period(period_or_range)


def weekly_alert(
    data, period, config: HotspotConfig | None = None, *, embedder=None, model=None,
    state_dir: str | Path | None = None, executor=None, options=None, on_rejects=None,
) -> dict:  # fmt: skip
    """The alert for one ISO week: categories, and the week's issues scored
    against their own history (``config.history_weeks`` back).

    ``state_dir``: keep issue ids and weekly counts across runs (``engine.state``);
    ``model``: tag the categories (on the workers; a loaded model or its
    directory); ``on_rejects(frame)`` gets the rows the partitions' validation
    rejected. Raises ``HotspotError`` for unusable input."""
    cfg = config or HotspotConfig()
    period = as_period(period)
    if period.kind != "week":
        raise HotspotError(
            f"{period.label} is a {period.kind}; the weekly alert takes an ISO week such as 2024-W20"
        )
    model, notes = _model(model)
    hist_start = period.start - pd.Timedelta(weeks=cfg.history_weeks)
    run = AlertRun(
        executor or LocalExecutor(),
        _sources(data),
        period,
        hist_start,
        cfg,
        embedder,
        state_dir,
        options,
        model,
        first=parse_period(anchor_week(period.label, cfg.anchor)),
    )
    try:
        data = run.run()
        if on_rejects is not None and data.rejects:
            on_rejects(pd.concat(data.rejects, ignore_index=True))
        sc = week_scores(data, period.label, cfg)
        if sc.n_hist == 0:
            notes.append("本周之前没有历史数据：问题仅列出，无法判断是否新出现或显著上升")
        s, now, issue_ids, counts, col = sc.s, sc.now, sc.ids, sc.counts, sc.col
        order = sorted(
            (i for i in range(len(issue_ids)) if now[i] > 0),
            key=lambda i: (-bool(s["emerging"][i]), -s["score"][i], -now[i], issue_ids[i]),
        )
        chosen = [i for i in order if s["emerging"][i]] + [i for i in order if not s["emerging"][i]]
        chosen = chosen[: max(cfg.listed, int(s["emerging"].sum()))]
        recs = alert_records(run, [issue_ids[i] for i in chosen], [period.label], (period.start, period.end))
    finally:
        run.close()
    seen = data.seen  # over the tracker's whole timeline: the first_seen every view gives
    issues = []
    for i in chosen:
        rec = recs[issue_ids[i]]
        rec["first_seen"] = seen.loc[issue_ids[i], "first"].date().isoformat()
        rec["last_seen"] = seen.loc[issue_ids[i], "last"].date().isoformat()
        prev = int(counts[i, col - 1]) if col else 0
        em = bool(s["emerging"][i])
        rec.update(
            {
                "count": int(now[i]),
                "previous_count": prev,
                "growth": None if (g := change_ratio(int(now[i]), prev)) is None else round(g, 4),
                "expected": round(float(s["expected"][i]), 3),
                "p_value": float(s["p_value"][i]),
                "score": round(float(s["score"][i]), 3),
                "emerging": em,
                "chorus": int(sc.chorus[i]),  # callers of the week sending near-identical texts
                "many_callers": bool(many_callers(sc.chorus[i], cfg)),  # 多人反映
                "status": status(data.tracker, issue_ids[i], period, em, now[i], prev, rec.get("first_seen")),
                "weekly": [
                    {"week": w, "count": int(c)}
                    for w, c in zip(
                        data.week_labels[max(0, col - 11) : col + 1], counts[i, max(0, col - 11) : col + 1]
                    )
                ],
            }
        )
        issues.append(rec)
    return {
        "kind": "weekly_alert",
        "period": period.to_json(),
        "total": int(data.totals[col]),
        "history": {
            "start": hist_start.date().isoformat(),
            "weeks": cfg.history_weeks,
            "complaints": sc.n_hist,
        },
        "categories": _categories(data.category_rows, period, notes),
        "issues": issues,
        "settings": {
            "alpha": cfg.emergence.alpha,
            "min_count": cfg.emergence.min_count,
            "dispersion": round(float(s["dispersion"]), 4),
            "embedder": data.rep.embedder_version_,
            "state_dir": str(state_dir) if state_dir else None,
        },
        "notes": notes,
    }


def hot_issues(
    data, period_or_range, config: HotspotConfig | None = None, *, embedder=None, model=None,
    executor=None, options=None, on_rejects=None,
) -> dict:  # fmt: skip
    """The ``config.listed`` hottest issues of a period or ``(start, end)`` range
    (inclusive dates), ranked by the heat index (``emergence`` module doc); the
    steps of ``engine.range``: no process holds the range's rows."""
    cfg = config or HotspotConfig()
    period = _as_range(period_or_range)
    model, notes = _model(model)
    half = cfg.half_life_days or max(7.0, (period.end - period.start).days / 4)
    ex, sources = executor or LocalExecutor(), _sources(data)
    run = RangeRun(ex, sources, period, cfg, embedder, half, options, model)
    try:
        data = run.run()
        if on_rejects is not None and data.rejects:
            on_rejects(pd.concat(data.rejects, ignore_index=True))
        # one identity: each cluster takes the id of the tracker's issue (engine.identity), when the
        # views share a timeline (cfg.anchor); "week": the range numbers its own clusters
        if cfg.anchor == "week":
            ident = RangeIdentity(ids={}, first_seen={}, anchor="week")
        else:
            ident = range_identity(ex, sources, period, cfg, embedder, options, data.blocks)
        reps: dict[int, int] = {}
        for r, k in sorted(ident.ids.items()):
            reps.setdefault(k, r)
        into = {r: reps[k] for r, k in ident.ids.items() if reps[k] != r}
        if into:  # clusters of one tracker issue are one issue
            data = run.fold(data, into)
        table = data.table
        present = table.loc[table["members"] > 0]
        issue_ids = sorted({int(v) for v in present["issue"]})
        g = present.groupby("issue")
        originals = g["originals"].sum()
        members = g["members"].sum()
        chorus = g["chorus"].sum()
        vol = [data.volume.get(k, 0.0) for k in issue_ids]
        dist = [data.callers.get(k, 0) if data.callers is not None else int(originals[k]) for k in issue_ids]
        lk = [data.likes.get(k, 0.0) if data.likes is not None else 0 for k in issue_ids]
        heat = heat_index(np.array(vol), np.array(dist), np.array(lk) if data.likes is not None else None)
        order = sorted(range(len(issue_ids)), key=lambda i: (-heat[i], issue_ids[i]))
        voices = {i for i in order if is_one_voice(dist[i], int(originals[issue_ids[i]]))}
        order = [i for i in order if i not in voices][: cfg.listed + SPARE]  # catch-alls kept out (coherence)
        recs = run.describe(data, [issue_ids[i] for i in order])
    finally:
        run.close()
    mixed = {i for i in order if recs[issue_ids[i]]["catch_all"]}
    order = [i for i in order if i not in mixed][: cfg.listed]
    chosen = [issue_ids[i] for i in order]
    if voices or mixed:
        notes.append(catch_all_note(len(voices) + len(mixed)))
    counts = matrix(table, chosen, data.week_labels)
    first, last = g["first_at"].min(), g["last_at"].max()
    issues = []
    for rank, i in enumerate(order, start=1):
        k = issue_ids[i]
        rec = recs[k]
        rec["id"] = ident.ids.get(k, k)
        rec.update(
            {
                "first_seen": ident.first_seen.get(rec["id"], first[k]).date().isoformat(),
                "last_seen": last[k].date().isoformat(),
                "repeats": int(members[k] - originals[k]),
                "chorus": int(chorus[k]),  # 多人反映: originals whose near-identical text another caller sent
            }
        )
        rec.update(
            {
                "rank": rank,
                "heat": round(float(heat[i]), 2),
                "distinct_callers": int(dist[i]),
                "likes": int(lk[i]) if data.likes is not None else None,
                "weekly": [
                    {"week": wk, "count": int(c)} for wk, c in zip(data.week_labels, counts[rank - 1])
                ],
            }
        )
        issues.append(rec)
    return {
        "kind": "hot_issues",
        "period": period.to_json(),
        "total": data.total,
        "categories": _categories(data.category_rows, period, notes),
        "issues": issues,
        "settings": {"half_life_days": half, "embedder": data.rep.embedder_version_, "anchor": ident.anchor},
        "notes": notes,
    }


def _replayed(data, period, cfg, embedder, executor, options) -> tuple[AlertRun, list]:
    """An open ``AlertRun`` that stepped the weeks of ``period`` (the caller closes
    it) and each week's ``{"week", "total", "flagged": {issue id: count},
    "scores": {issue id: score}, "chorus": {issue id: originals in a chorus}}``
    (issue ids as they were that week)."""
    weeks = weeks_between(period.start, period.end)
    run = AlertRun(
        executor or LocalExecutor(), _sources(data), weeks[0], weeks[0].start - pd.Timedelta(weeks=cfg.history_weeks),
        cfg, embedder, None, options, until=weeks[-1], first=parse_period(anchor_week(weeks[0].label, cfg.anchor)),
    )  # fmt: skip
    out = []
    try:
        run.open(require_week=False)
        run.advance_to(run.first.label)  # from the anchor, as a cold alert of any of these weeks steps
        for wk in weeks:
            run.advance_to(wk.label)
            data = run.data(wk.label)
            sc = week_scores(data, wk.label, cfg)
            rec = {
                "week": wk.label,
                "total": int(data.totals[sc.col]),
                "flagged": {},
                "scores": {},
                "chorus": {},
            }
            if sc.n_hist > 0:  # something to compare with
                rec["flagged"] = {sc.ids[i]: int(sc.now[i]) for i in np.flatnonzero(sc.s["emerging"])}
                rec["chorus"] = {sc.ids[i]: int(sc.chorus[i]) for i in np.flatnonzero(sc.chorus)}
                rec["scores"] = {sc.ids[i]: round(float(sc.s["score"][i]), 3) for i in np.flatnonzero(sc.now)}
            out.append(rec)
    except BaseException:
        run.close()
        raise
    return run, out


def replay(
    data, period, config: HotspotConfig | None = None, *, embedder=None, executor=None, options=None
) -> dict:
    """Step the weeks of ``period`` one by one, as weekly runs would: a cold alert
    for its first week (its history: ``config.history_weeks`` before it), then
    each later week advanced as a warm weekly run would take it. Returns
    ``{"weeks": [{"week", "total", "flagged": {issue id: count}, "scores":
    {issue id: score}, "chorus": {issue id: originals in a chorus (多人反映)}}], "surviving": {flagged issue id: the id it survives as
    through merges}}`` (issue ids as they were that week)."""
    cfg = config or HotspotConfig()
    run, weeks = _replayed(data, _as_range(period), cfg, embedder, executor, options)
    try:
        flagged = sorted({k for w in weeks for k in w["flagged"]})
        return {"weeks": weeks, "surviving": {k: run.tracker.resolve(k) for k in flagged}}
    finally:
        run.close()


def emerging_issues(
    data, period, config: HotspotConfig | None = None, *, embedder=None, executor=None, options=None
) -> list[dict]:
    """Issues flagged emerging in any ISO week of ``period`` (a month, quarter,
    half-year, year or range), most complaints first, at most
    ``config.emerging_listed``. Each: ``id``, ``label``, ``keywords``, ``places``,
    ``count`` (originals in the period), ``repeats``, ``first_seen``,
    ``last_seen``, ``weeks_flagged``, ``first_flagged``, ``chorus_weeks`` (weeks
    flagged as 多人反映), ``examples``,
    ``complaint_ids`` (in the period). Empty when the period holds no
    complaints: ``replay``, then the flagged issues (followed through merges)
    described from the period's complaints, which stayed where they were counted."""
    cfg = config or HotspotConfig()
    period = _as_range(period)
    if isinstance(data, pd.DataFrame):
        data = check_frame(data)
        if data.loc[period.contains(data["created_at"])].empty:
            return []
    run, weeks = _replayed(data, period, cfg, embedder, executor, options)
    try:
        flagged: dict[int, list[str]] = {}
        chorus: dict[int, list[str]] = {}  # weeks the issue was flagged as 多人反映
        for rec in weeks:
            for k in rec["flagged"]:
                flagged.setdefault(run.tracker.resolve(k), []).append(rec["week"])
                if many_callers(rec["chorus"].get(k, 0), cfg):
                    chorus.setdefault(run.tracker.resolve(k), []).append(rec["week"])
        if not flagged:
            return []
        # near-duplicates (two births of one problem) are listed once, under the older id
        ids = sorted(flagged)
        fold = fold_groups(run.tracker.centroids_of(ids), ids, cfg.fold_cos)
        listed: dict[int, list[str]] = {}
        for k, wks in flagged.items():
            listed.setdefault(fold[k], []).extend(wks)
        listed = {k: sorted(set(v)) for k, v in listed.items()}
        # the period's weeks only: keywords, examples, ids and last_seen are the period's
        # (as the bulletin reports them); first_seen is the timeline's (every view's)
        recs = alert_records(
            run, list(listed), [w["week"] for w in weeks], (period.start, period.end), lookback=False,
            fold=fold,
        )  # fmt: skip
        seen = run.seen()
    finally:
        run.close()
    out = []
    for k, wks in listed.items():
        rec = recs[k]
        group = sorted(j for j, g in fold.items() if g == k)
        known = [j for j in group if j in seen.index]
        if known:
            rec["first_seen"] = seen.loc[known, "first"].min().date().isoformat()
        rec["folded"] = [j for j in group if j != k]  # near-duplicates listed under this id
        rec.update(
            {
                "count": len(rec["complaint_ids"]) - rec["repeats"],
                "weeks_flagged": wks,
                "first_flagged": min(wks),
                "chorus_weeks": sorted(set(chorus.get(k, []))),
                "emerging": True,
            }
        )
        if rec["count"]:
            out.append(rec)
    out.sort(key=lambda r: (-r["count"], r["id"]))
    return out[: cfg.emerging_listed]
