"""Hotspot reports: the weekly alert, the hot issues of a range, and the
emerging issues of a longer period (for the bulletin's 难点问题).

All three return plain dicts/lists that serialise to the JSON of the
``hotline-nlp hotspots`` contract; they are rendered by ``bulletin.hotspot_document``
(md / html / docx through the bulletin's renderers).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.category_stats import as_period, category_table
from hotline_nlp.topics.emergence import heat_index, score_week
from hotline_nlp.topics.issue_records import describe_issues, issue_record
from hotline_nlp.topics.periods import Period, date_range, weeks_between
from hotline_nlp.topics.window import HotspotConfig, HotspotError, Window, check_frame

# A year and a month: the same weeks last year (+-2) are in the baseline (seasonality).
DEFAULT_HISTORY_WEEKS = 56

__all__ = [
    "weekly_alert",
    "hot_issues",
    "hot_issues_parts",
    "emerging_issues",
    "replay",
    "HotspotConfig",
    "HotspotError",
]


def _config(config: HotspotConfig | None, alpha: float | None) -> HotspotConfig:
    cfg = config or HotspotConfig()
    if alpha is not None:
        if not 0 < alpha < 1:
            raise HotspotError(f"alpha (the false-alarm rate) must be between 0 and 1, got {alpha}")
        cfg = replace(cfg, emergence=replace(cfg.emergence, alpha=float(alpha)))
    return cfg


def _tag(frame: pd.DataFrame, model) -> tuple[pd.DataFrame, list[str]]:
    if model is None:
        return frame, []
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.tagging import tag_frame

    m = load_model(model) if isinstance(model, (str, Path)) else model
    return tag_frame(frame, m), [f"诉求分类由模型 {getattr(m, 'name', model)} 自动标注"]


def _categories(frame: pd.DataFrame, period: Period, notes: list[str]) -> list[dict]:
    if "level1" not in frame or frame["level1"].fillna("").astype(str).eq("").all():
        notes.append("数据中没有诉求分类（一级分类），可用 --model 指定模型自动标注")
        return []
    return category_table(frame, period)


def _first_col(totals: np.ndarray) -> int:
    """Index of the first week column with complaints (earlier columns are unknown, not zeros)."""
    nz = np.flatnonzero(np.asarray(totals) > 0)
    return int(nz[0]) if nz.size else len(totals)


def _first_data_col(win: Window) -> int:
    """Index of the first week column the data covers (earlier columns are not zeros, they are unknown)."""
    have = set(win.rows["week"])
    for j, w in enumerate(win.week_labels):
        if w in have:
            return j
    return len(win.week_labels)


def _score_at(first: int, counts: np.ndarray, totals: np.ndarray, col: int, cfg: HotspotConfig) -> dict:
    lo = min(first, col)
    return score_week(counts[:, lo : col + 1], totals[lo : col + 1], cfg.emergence)


def weekly_alert(
    frame: pd.DataFrame,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    model=None,
    *,
    state_dir: str | Path | None = None,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    top: int | None = None,
) -> dict:
    """The alert for one ISO week: categories, and the week's issues scored
    against their own history (earlier rows of ``frame``, ``history_weeks`` back).

    ``state_dir``: keep issue ids and weekly counts across runs (``alert_state``).
    Runs ``weekly_alert_parts`` on the local executor with ``frame`` as its one
    partition. Raises ``HotspotError`` for unusable input.
    """
    from hotline_nlp.corpus.executor import LocalExecutor

    return weekly_alert_parts(
        [check_frame(frame)], period, history_weeks, embedder, model, state_dir=state_dir,
        alpha=alpha, config=config, top=top, executor=LocalExecutor(),
    )  # fmt: skip


def weekly_alert_parts(
    sources: list,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    model=None,
    *,
    state_dir: str | Path | None = None,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    top: int | None = None,
    executor=None,
    options=None,
    on_rejects=None,
) -> dict:
    """``weekly_alert`` over input partitions (paths loaded with ``options``, or
    frames) on ``executor`` (``corpus.executor``; None: this process). The steps
    are those of ``topics.alert_engine``; ``on_rejects(frame)`` gets the rows the
    partitions' validation rejected."""
    from hotline_nlp.corpus.executor import LocalExecutor
    from hotline_nlp.topics.alert_engine import AlertRun, timed

    cfg = _config(config, alpha)
    period = as_period(period)
    if period.kind != "week":
        raise HotspotError(
            f"{period.label} is a {period.kind}; the weekly alert takes an ISO week such as 2024-W20"
        )
    if history_weeks < 0:
        raise HotspotError(f"history_weeks must be >= 0, got {history_weeks}")
    hist_start = period.start - pd.Timedelta(weeks=history_weeks)
    run = AlertRun(
        executor or LocalExecutor(), sources, period, hist_start, cfg, embedder, state_dir, options
    )
    data = run.run()
    if on_rejects is not None and data.rejects:
        on_rejects(pd.concat(data.rejects, ignore_index=True))
    cat_rows, notes = _tag(data.category_rows, model)
    table = data.table
    present = table.loc[table["members"] > 0]
    issue_ids = sorted({int(v) for v in present["issue"]})
    counts, totals = wc.matrix(table, issue_ids, data.week_labels), data.totals
    col = data.week_labels.index(period.label)
    first = _first_col(totals)
    s = _score_at(first, counts, totals, col, cfg)
    _rescore_warm_born(s, data.known_from, issue_ids, data.week_labels, counts, totals, col, cfg)
    n_hist = int(totals[first:col].sum()) if col else 0
    if n_hist == 0:
        notes.append("本周之前没有历史数据：问题仅列出，无法判断是否新出现或显著上升")
        s["emerging"] = np.zeros_like(s["emerging"])
    now = counts[:, col]
    order = sorted(
        (i for i in range(len(issue_ids)) if now[i] > 0),
        key=lambda i: (-bool(s["emerging"][i]), -s["score"][i], -now[i], issue_ids[i]),
    )
    limit = top or cfg.max_issues
    chosen = [i for i in order if s["emerging"][i]] + [i for i in order if not s["emerging"][i]]
    chosen = chosen[: max(limit, int(s["emerging"].sum()))]
    labels, dup_of = data.labels, data.dup_of
    in_week = (data.rows["week"] == period.label).to_numpy()
    with timed("describe the issues shown"):
        desc = describe_issues(
            data, labels, [issue_ids[i] for i in chosen], focus=in_week, config=cfg, dup_of=dup_of
        )
    seen = present.groupby("issue").agg(first=("first_at", "min"), last=("last_at", "max"))
    issues = []
    for i in chosen:
        rec = issue_record(data, labels, dup_of, issue_ids[i], desc, focus=in_week, config=cfg)
        rec["first_seen"] = seen.loc[issue_ids[i], "first"].date().isoformat()
        rec["last_seen"] = seen.loc[issue_ids[i], "last"].date().isoformat()
        prev = int(counts[i, col - 1]) if col else 0
        rec.update(
            {
                "count": int(now[i]),
                "previous_count": prev,
                "growth": None if prev == 0 else round((int(now[i]) - prev) / prev, 4),
                "expected": round(float(s["expected"][i]), 3),
                "p_value": float(s["p_value"][i]),
                "score": round(float(s["score"][i]), 3),
                "emerging": bool(s["emerging"][i]),
                "status": _status(
                    data,
                    issue_ids[i],
                    period,
                    bool(s["emerging"][i]),
                    now[i],
                    prev,
                    rec.get("first_seen"),
                ),
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
        "total": int(totals[col]),
        "history": {"start": hist_start.date().isoformat(), "weeks": history_weeks, "complaints": n_hist},
        "categories": _categories(cat_rows, period, notes),
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


def _rescore_warm_born(s, known_from, issue_ids, weeks, counts, totals, col, cfg) -> None:
    """Issues born in a warm run are scored from the week their counts are known
    from (``alert_engine.AlertRun._backfill``), with the window's dispersion."""
    pos = {k: i for i, k in enumerate(issue_ids)}
    rows = [pos[k] for k in known_from if k in pos]
    if not rows:
        return
    lo = min(
        weeks.index(known_from[issue_ids[rows[0]]]) if known_from[issue_ids[rows[0]]] in weeks else 0, col
    )
    em = replace(cfg.emergence, dispersion=float(s["dispersion"]))
    sub = score_week(counts[rows, lo : col + 1], totals[lo : col + 1], em)
    for key in ("expected", "p_value", "score", "emerging"):
        s[key][rows] = sub[key]


def _status(
    win, issue_id: int, period: Period, emerging: bool, now: int, prev: int, first_seen: str | None
) -> str:
    iss = win.tracker.issue(issue_id)
    if is_new(iss.origin, iss.born, period, first_seen):
        return "new"
    if emerging:
        return "growing"
    return "rising" if now > prev else ("falling" if now < prev else "steady")


def is_new(origin: str, born: str, period: Period, first_seen: str | None) -> bool:
    """新出现: born from the unmatched pool this week AND no complaint of it is
    older than the week. An issue born now out of complaints that waited in the
    pool for weeks (first_seen 49 weeks back) is not new, whatever its birth."""
    if origin != "new" or born != period.label:
        return False
    return first_seen is None or first_seen >= period.start.date().isoformat()


def _as_range(period_or_range) -> Period:
    if isinstance(period_or_range, Period):
        return period_or_range
    if isinstance(period_or_range, (tuple, list)) and len(period_or_range) == 2:
        return date_range(*period_or_range)
    return as_period(period_or_range)


def hot_issues(
    frame: pd.DataFrame,
    period_or_range,
    top: int = 10,
    embedder=None,
    model=None,
    *,
    config: HotspotConfig | None = None,
    half_life_days: float | None = None,
) -> dict:
    """The ``top`` hottest issues of a period or ``(start, end)`` range (inclusive
    dates), ranked by the heat index (``emergence`` module doc).

    Runs ``hot_issues_parts`` on the local executor with ``frame`` as its one
    partition (one code path; ``topics.range_engine`` says what it does)."""
    from hotline_nlp.corpus.executor import LocalExecutor

    data, notes = _tag(check_frame(frame), model)
    return hot_issues_parts(
        [data], period_or_range, top, embedder, None, config=config, half_life_days=half_life_days,
        executor=LocalExecutor(), notes=notes,
    )  # fmt: skip


def hot_issues_parts(
    sources: list,
    period_or_range,
    top: int = 10,
    embedder=None,
    model=None,
    *,
    config: HotspotConfig | None = None,
    half_life_days: float | None = None,
    executor=None,
    options=None,
    on_rejects=None,
    notes: list[str] | None = None,
) -> dict:
    """``hot_issues`` over input partitions (paths loaded with ``options``, or
    frames) on ``executor`` (None: this process): the map / groupby / sample
    steps of ``topics.range_engine``; no process holds the range's rows.
    ``model``: tag the categories on the workers (a loaded model or its directory)."""
    from hotline_nlp.corpus.executor import LocalExecutor
    from hotline_nlp.topics.range_engine import RangeRun

    cfg = config or HotspotConfig()
    period = _as_range(period_or_range)
    notes = list(notes or [])
    if model is not None:
        from hotline_nlp.classifier.model import load_model

        model = load_model(model) if isinstance(model, (str, Path)) else model
        notes.append(f"诉求分类由模型 {getattr(model, 'name', model)} 自动标注")
    half = half_life_days or max(7.0, (period.end - period.start).days / 4)
    run = RangeRun(executor or LocalExecutor(), sources, period, cfg, embedder, half, options, model)
    data = run.run()
    if on_rejects is not None and data.rejects:
        on_rejects(pd.concat(data.rejects, ignore_index=True))
    table = data.table
    present = table.loc[table["members"] > 0]
    issue_ids = sorted({int(v) for v in present["issue"]})
    g = present.groupby("issue")
    originals = g["originals"].sum()
    members = g["members"].sum()
    vol = [data.volume.get(k, 0.0) for k in issue_ids]
    dist = [data.callers.get(k, 0) if data.callers is not None else int(originals[k]) for k in issue_ids]
    lk = [data.likes.get(k, 0.0) if data.likes is not None else 0 for k in issue_ids]
    heat = heat_index(np.array(vol), np.array(dist), np.array(lk) if data.likes is not None else None)
    order = sorted(range(len(issue_ids)), key=lambda i: (-heat[i], issue_ids[i]))[:top]
    chosen = [issue_ids[i] for i in order]
    desc, fetched = run.describe(data, chosen)
    counts = wc.matrix(table, chosen, data.week_labels)
    first, last = g["first_at"].min(), g["last_at"].max()
    issues = []
    for rank, i in enumerate(order, start=1):
        k = issue_ids[i]
        rec = _range_record(data, k, desc, fetched, cfg)
        rec.update(
            {
                "first_seen": first[k].date().isoformat(),
                "last_seen": last[k].date().isoformat(),
                "repeats": int(members[k] - originals[k]),
                "complaint_ids": fetched["ids"][k],
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
        "settings": {"half_life_days": half, "embedder": data.rep.embedder_version_},
        "notes": notes,
    }


def _range_record(data, issue_id: int, desc: dict, fetched: dict, cfg: HotspotConfig) -> dict:
    """``issue_record`` over the issue's fetched central complaints (its examples
    and headline); the caller sets the counted fields from the whole range."""
    from types import SimpleNamespace

    rows = fetched["examples"][issue_id].reset_index(drop=True)
    win = SimpleNamespace(rows=rows, tracker=data.tracker)
    labels = np.full(len(rows), issue_id, dtype=np.int64)
    d = dict(desc.get(issue_id) or {})
    d["example_rows"] = np.arange(len(rows))
    return issue_record(win, labels, np.full(len(rows), -1, np.int64), issue_id, {issue_id: d}, None, cfg)


def replay(
    frame: pd.DataFrame,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    *,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
):
    """Step the weeks of ``period`` one by one, as weekly runs would.

    Returns ``(window, weeks)`` where ``weeks`` is a list of
    ``{"week", "total", "flagged": {issue id: count}, "scores": {issue id: score}}``
    (issue ids as they were that week; see ``window.tracker.resolve`` for merges).
    The cost is one vectorisation and one history clustering for the whole period.
    """
    cfg = _config(config, alpha)
    period = _as_range(period)
    data = check_frame(frame)
    weeks = weeks_between(period.start, period.end)
    win = Window(
        data, weeks[0].start - pd.Timedelta(weeks=history_weeks), weeks[-1].end, embedder=embedder, config=cfg
    )
    win.bootstrap(weeks[0].start)
    out = []
    for wk in weeks:
        win.step(wk.label)
        labels = win.count_labels(wk.label)
        dup_of = win.repeats(labels)
        ids = sorted({int(v) for v in labels[labels >= 0]})
        counts, totals = win.counts(labels, dup_of, ids), win.totals()
        col = win.week_labels.index(wk.label)
        first = _first_data_col(win)
        rec = {"week": wk.label, "total": int(totals[col]), "flagged": {}, "scores": {}}
        if col > first and totals[first:col].sum() > 0:  # something to compare with
            s = _score_at(first, counts, totals, col, cfg)
            rec["flagged"] = {ids[i]: int(counts[i, col]) for i in np.flatnonzero(s["emerging"])}
            rec["scores"] = {ids[i]: round(float(s["score"][i]), 3) for i in np.flatnonzero(counts[:, col])}
        out.append(rec)
    return win, out


def emerging_issues(
    frame: pd.DataFrame,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    *,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    max_issues: int = 10,
    **_ignored,
) -> list[dict]:
    """Issues flagged emerging in any ISO week of ``period`` (a month, quarter,
    half-year, year or range), most complaints first. Each: ``id``, ``label``,
    ``keywords``, ``places``, ``count`` (originals in the period), ``repeats``,
    ``first_seen``, ``last_seen``, ``weeks_flagged``, ``first_flagged``,
    ``examples``, ``complaint_ids`` (in the period). Empty when the period holds
    no complaints."""
    cfg = _config(config, alpha)
    period = _as_range(period)
    data = check_frame(frame)
    if data.loc[period.contains(data["created_at"])].empty:
        return []
    win, weeks = replay(data, period, history_weeks, embedder, config=cfg)
    flagged: dict[int, list[str]] = {}
    for rec in weeks:
        for k in rec["flagged"]:
            flagged.setdefault(k, []).append(rec["week"])
    if not flagged:
        return []
    labels = win.labels()
    dup_of = win.repeats(labels)
    flagged = _follow_merges(win, flagged)
    in_period = period.contains(win.rows["created_at"]).to_numpy()
    desc = describe_issues(win, labels, list(flagged), focus=in_period, config=cfg, dup_of=dup_of)
    out = []
    for k, wks in flagged.items():
        rec = issue_record(win, labels, dup_of, k, desc, focus=in_period, config=cfg)
        m = (labels == k) & in_period
        rec.update(
            {
                "count": int((m & (dup_of < 0)).sum()),
                "weeks_flagged": sorted(wks),
                "first_flagged": min(wks),
                "emerging": True,
            }
        )
        if rec["count"]:
            out.append(rec)
    out.sort(key=lambda r: (-r["count"], r["id"]))
    return out[:max_issues]


def _follow_merges(win: Window, flagged: dict[int, list[str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for k, wks in flagged.items():
        out.setdefault(win.tracker.resolve(k), []).extend(wks)
    return {k: sorted(set(v)) for k, v in out.items()}
