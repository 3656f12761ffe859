"""``hotline-nlp demo``: the whole product on the bundled corpus, in one run.

It is the README's first command: train a tagger on the bundled demo corpus,
tag a sample of complaints, run the weekly hotspot alert for a week in which
the planted EV-charger issue is rising, and write a half-year bulletin. Every
step uses the same library calls as the individual commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.corpus.resources import data_path

DEMO_WEEK = "2024-W48"
DEMO_PERIOD = "2024H2"


def demo_corpus() -> Path:
    return Path(str(data_path("demo_complaints.csv")))


def planted() -> dict:
    return json.loads(Path(str(data_path("demo_planted.json"))).read_text(encoding="utf-8"))


def train_step(out: Path, progress=None):
    from hotline_nlp.classifier.training import train

    data = load_complaints(demo_corpus(), require=("labels",))
    return data, train(
        # the demo shows the product in minutes: the defaults, no model selection
        data,
        name="demo",
        models_dir=out / "models",
        force=True,
        progress=progress,
        fast=True,
    )


def tag_sample(model, data, n: int = 8) -> pd.DataFrame:
    """Tag the last ``n`` complaints of the corpus (the newest week's)."""
    frame = data.frame.sort_values("created_at").tail(n)
    recs = model.predict(frame["text"].tolist(), top_k=3)
    return pd.DataFrame(
        {
            "id": frame["id"].to_numpy(),
            "text": [t[:36] + ("…" if len(t) > 36 else "") for t in frame["text"]],
            "label": (frame["level1"] + " > " + frame["level2"]).to_numpy(),
            "predicted": [r["pred_path"] for r in recs],
            "confidence": [r["confidence"] for r in recs],
            "needs_review": [r["needs_review"] for r in recs],
        }
    )


def hotspot_step(data, out: Path, week: str = DEMO_WEEK) -> tuple[dict, Path]:
    """The weekly alert for ``week``, written as Markdown (+ chart) and JSON."""
    from hotline_nlp.bulletin.hotspot_report import render_result
    from hotline_nlp.topics.hotspots import weekly_alert

    result = weekly_alert(data.frame, week)
    md = out / f"hotspots_{week}.md"
    render_result(result, "md", md)
    render_result(result, "json", out / f"hotspots_{week}.json")
    return result, md


def planted_check(result: dict) -> str:
    """Does the alert flag the planted EV-charger issue? (Checked against the
    generator's answer key, demo_planted.json.)"""
    truth = set(planted()["ids"])
    flagged = [i for i in result["issues"] if i.get("emerging")]
    hits = [i for i in flagged if truth & set(map(str, i.get("complaint_ids", [])))]
    if not hits:
        return "planted EV-charger issue NOT flagged this week"
    i = hits[0]
    return (
        f"planted EV-charger issue flagged: issue {i['id']} '{i['label']}', {i['count']} this week "
        f"(previous {i['previous_count']}), {len(flagged)} issue(s) flagged in all"
    )


def report_step(data, out: Path, period: str = DEMO_PERIOD) -> list[Path]:
    """The half-year bulletin as DOCX, HTML and Markdown (each with its figures appendix)."""
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.report import build_report, write_report

    rep = build_report(data.frame, period, Options(city="盘锦市（演示数据）"))
    written: list[Path] = []
    for suffix in ("docx", "html", "md"):
        written += [Path(p) for p in write_report(rep, out / f"report_{period}.{suffix}")]
    return list(dict.fromkeys(written))
