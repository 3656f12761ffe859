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
from hotline_nlp.topics.coherence import SPARE, catch_all_note, is_one_voice
from hotline_nlp.topics.emergence import heat_index, score_week
from hotline_nlp.topics.hotspot_config import HotspotConfig, HotspotError, check_frame
from hotline_nlp.topics.periods import Period, date_range, weeks_between
from hotline_nlp.topics.status import is_new, issue_status

# A year and a month: the same weeks last year (+-2) are in the baseline (seasonality).
DEFAULT_HISTORY_WEEKS = 56

__all__ = [
    "weekly_alert",
    "hot_issues",
    "hot_issues_parts",
    "emerging_issues",
    "emerging_issues_parts",
    "replay",
    "replay_parts",
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


def _categories(frame: pd.DataFrame, period: Period, notes: list[str]) -> list[dict]:
    if "level1" not in frame or frame["level1"].fillna("").astype(str).eq("").all():
        notes.append("数据中没有诉求分类（一级分类），可用 --model 指定模型自动标注")
        return []
    return category_table(frame, period)


def _first_col(totals: np.ndarray) -> int:
    """Index of the first week column with complaints (earlier columns are unknown, not zeros)."""
    nz = np.flatnonzero(np.asarray(totals) > 0)
    return int(nz[0]) if nz.size else len(totals)


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
    partitions' validation rejected. ``model``: tag the categories (on the
    workers; a loaded model or its directory)."""
    from hotline_nlp.corpus.executor import LocalExecutor
    from hotline_nlp.topics.alert_engine import AlertRun

    cfg = _config(config, alpha)
    period = as_period(period)
    if period.kind != "week":
        raise HotspotError(
            f"{period.label} is a {period.kind}; the weekly alert takes an ISO week such as 2024-W20"
        )
    if history_weeks < 0:
        raise HotspotError(f"history_weeks must be >= 0, got {history_weeks}")
    model, notes = _model(model)
    hist_start = period.start - pd.Timedelta(weeks=history_weeks)
    run = AlertRun(
        executor or LocalExecutor(), sources, period, hist_start, cfg, embedder, state_dir, options, model
    )
    try:
        data = run.run()
        if on_rejects is not None and data.rejects:
            on_rejects(pd.concat(data.rejects, ignore_index=True))
        sc = _week_scores(data, period.label, cfg)
        if sc["n_hist"] == 0:
            notes.append("本周之前没有历史数据：问题仅列出，无法判断是否新出现或显著上升")
        s, now, issue_ids, counts, col = sc["s"], sc["now"], sc["ids"], sc["counts"], sc["col"]
        order = sorted(
            (i for i in range(len(issue_ids)) if now[i] > 0),
            key=lambda i: (-bool(s["emerging"][i]), -s["score"][i], -now[i], issue_ids[i]),
        )
        limit = top or cfg.max_issues
        chosen = [i for i in order if s["emerging"][i]] + [i for i in order if not s["emerging"][i]]
        chosen = chosen[: max(limit, int(s["emerging"].sum()))]
        recs = run.describe([issue_ids[i] for i in chosen], [period.label], (period.start, period.end))
    finally:
        run.close()
    present = data.table.loc[data.table["members"] > 0]
    seen = present.groupby("issue").agg(first=("first_at", "min"), last=("last_at", "max"))
    issues = []
    for i in chosen:
        rec = recs[issue_ids[i]]
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
                    data, issue_ids[i], period, bool(s["emerging"][i]), now[i], prev, rec.get("first_seen")
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
        "total": int(data.totals[col]),
        "history": {
            "start": hist_start.date().isoformat(),
            "weeks": history_weeks,
            "complaints": sc["n_hist"],
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


def _model(model) -> tuple:
    """The tagging model (loaded when a directory is given) and the report's note about it."""
    if model is None:
        return None, []
    from hotline_nlp.classifier.model import load_model

    m = load_model(model) if isinstance(model, (str, Path)) else model
    return m, [f"诉求分类由模型 {getattr(m, 'name', model)} 自动标注"]


def _week_scores(data, week: str, cfg: HotspotConfig) -> dict:
    """Emergence of every issue with complaints in the window of ``data``, scored
    at ``week`` (``emergence.score_week``): ``ids``, ``counts`` (issues x weeks),
    ``col`` (the week's column), ``now`` (its counts), ``s`` (the scores; nothing
    is emerging without history) and ``n_hist`` (complaints before the week)."""
    table, totals = data.table, data.totals
    present = table.loc[table["members"] > 0]
    issue_ids = sorted({int(v) for v in present["issue"]})
    counts = wc.matrix(table, issue_ids, data.week_labels)
    col = data.week_labels.index(week)
    first = _first_col(totals)
    s = _score_at(first, counts, totals, col, cfg)
    _rescore_warm_born(s, data.known_from, issue_ids, data.week_labels, counts, totals, col, cfg)
    n_hist = int(totals[first:col].sum()) if col else 0
    if n_hist == 0:
        s["emerging"] = np.zeros_like(s["emerging"])
    return {"ids": issue_ids, "counts": counts, "col": col, "now": counts[:, col], "s": s, "n_hist": n_hist}


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
    new = is_new(iss.origin, iss.born, period, first_seen)
    return issue_status(new=new, emerging=emerging, now=int(now), prev=int(prev))


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

    return hot_issues_parts(
        [check_frame(frame)], period_or_range, top, embedder, model, config=config,
        half_life_days=half_life_days, executor=LocalExecutor(),
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
) -> dict:
    """``hot_issues`` over input partitions (paths loaded with ``options``, or
    frames) on ``executor`` (None: this process): the map / groupby / sample
    steps of ``topics.range_engine``; no process holds the range's rows.
    ``model``: tag the categories on the workers (a loaded model or its directory)."""
    from hotline_nlp.corpus.executor import LocalExecutor
    from hotline_nlp.topics.range_engine import RangeRun

    cfg = config or HotspotConfig()
    period = _as_range(period_or_range)
    model, notes = _model(model)
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
    order = sorted(range(len(issue_ids)), key=lambda i: (-heat[i], issue_ids[i]))
    voices = {i for i in order if is_one_voice(dist[i], int(originals[issue_ids[i]]))}
    order = [i for i in order if i not in voices][: top + SPARE]  # catch-alls kept out (coherence)
    recs = run.describe(data, [issue_ids[i] for i in order])
    mixed = {i for i in order if recs[issue_ids[i]]["catch_all"]}
    order = [i for i in order if i not in mixed][:top]
    chosen = [issue_ids[i] for i in order]
    if voices or mixed:
        notes.append(catch_all_note(len(voices) + len(mixed)))
    counts = wc.matrix(table, chosen, data.week_labels)
    first, last = g["first_at"].min(), g["last_at"].max()
    issues = []
    for rank, i in enumerate(order, start=1):
        k = issue_ids[i]
        rec = recs[k]
        rec.update(
            {
                "first_seen": first[k].date().isoformat(),
                "last_seen": last[k].date().isoformat(),
                "repeats": int(members[k] - originals[k]),
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

    Returns ``(run, weeks)``: ``run`` is the ``alert_engine.AlertRun`` that
    stepped them (``run.tracker``; close it with ``run.close()``), ``weeks`` a
    list of ``{"week", "total", "flagged": {issue id: count}, "scores": {issue
    id: score}}`` (issue ids as they were that week; ``run.tracker.resolve``
    follows merges). Runs ``replay_parts`` with ``frame`` as its one partition."""
    return replay_parts([check_frame(frame)], period, history_weeks, embedder, alpha=alpha, config=config)


def replay_parts(
    sources: list,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    *,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    executor=None,
    options=None,
):
    """``replay`` over input partitions on ``executor`` (None: this process): a
    cold weekly alert for the period's first week (its history: ``history_weeks``
    before it), then each later week advanced as a warm weekly run would
    (``alert_engine``), each scored on its own ``history_weeks``."""
    from hotline_nlp.corpus.executor import LocalExecutor
    from hotline_nlp.topics.alert_engine import AlertRun

    cfg = _config(config, alpha)
    period = _as_range(period)
    weeks = weeks_between(period.start, period.end)
    run = AlertRun(
        executor or LocalExecutor(), sources, weeks[0], weeks[0].start - pd.Timedelta(weeks=history_weeks),
        cfg, embedder, None, options, until=weeks[-1],
    )  # fmt: skip
    out = []
    try:
        run.open(require_week=False)
        for wk in weeks:
            run.advance_to(wk.label)
            data = run.data(wk.label)
            sc = _week_scores(data, wk.label, cfg)
            s, now, ids = sc["s"], sc["now"], sc["ids"]
            rec = {"week": wk.label, "total": int(data.totals[sc["col"]]), "flagged": {}, "scores": {}}
            if sc["n_hist"] > 0:  # something to compare with
                rec["flagged"] = {ids[i]: int(now[i]) for i in np.flatnonzero(s["emerging"])}
                rec["scores"] = {ids[i]: round(float(s["score"][i]), 3) for i in np.flatnonzero(now)}
            out.append(rec)
    except BaseException:
        run.close()
        raise
    return run, out


def emerging_issues(
    frame: pd.DataFrame,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    *,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    max_issues: int = 10,
) -> list[dict]:
    """Issues flagged emerging in any ISO week of ``period`` (a month, quarter,
    half-year, year or range), most complaints first. Each: ``id``, ``label``,
    ``keywords``, ``places``, ``count`` (originals in the period), ``repeats``,
    ``first_seen``, ``last_seen``, ``weeks_flagged``, ``first_flagged``,
    ``examples``, ``complaint_ids`` (in the period). Empty when the period holds
    no complaints. Runs ``emerging_issues_parts`` with ``frame`` as its one partition."""
    period = _as_range(period)
    data = check_frame(frame)
    if data.loc[period.contains(data["created_at"])].empty:
        return []
    return emerging_issues_parts(
        [data], period, history_weeks, embedder, alpha=alpha, config=config, max_issues=max_issues
    )


def emerging_issues_parts(
    sources: list,
    period,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    embedder=None,
    *,
    alpha: float | None = None,
    config: HotspotConfig | None = None,
    max_issues: int = 10,
    executor=None,
    options=None,
) -> list[dict]:
    """``emerging_issues`` over input partitions on ``executor`` (None: this
    process): ``replay_parts``, then the flagged issues (followed through merges)
    described from the period's complaints, which stayed where they were counted."""
    cfg = _config(config, alpha)
    period = _as_range(period)
    run, weeks = replay_parts(
        sources, period, history_weeks, embedder, config=cfg, executor=executor, options=options
    )
    try:
        flagged: dict[int, list[str]] = {}
        for rec in weeks:
            for k in rec["flagged"]:
                flagged.setdefault(run.tracker.resolve(k), []).append(rec["week"])
        if not flagged:
            return []
        flagged = {k: sorted(set(v)) for k, v in flagged.items()}
        # the period's weeks only: keywords, examples, ids and first_seen/last_seen
        # are the period's (as the bulletin reports them), not the history's
        recs = run.describe(
            list(flagged), [w["week"] for w in weeks], (period.start, period.end), lookback=False
        )
    finally:
        run.close()
    out = []
    for k, wks in flagged.items():
        rec = recs[k]
        rec.update(
            {
                "count": len(rec["complaint_ids"]) - rec["repeats"],
                "weeks_flagged": wks,
                "first_flagged": min(wks),
                "emerging": True,
            }
        )
        if rec["count"]:
            out.append(rec)
    out.sort(key=lambda r: (-r["count"], r["id"]))
    return out[:max_issues]
