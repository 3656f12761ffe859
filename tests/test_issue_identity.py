"""One issue identity in every view (issue 31, item 3): the weekly alert, the
range report and the bulletin's 难点问题 give one issue the same id and
first_seen, and 难点问题 lists near-duplicates once.

Before: the alert's tracker started from its own week, the 难点问题 replay from
its period's first week and the range report numbered its own clusters, so the
planted issue had up to three ids, and 难点问题's first_seen was the period's
first complaint, not the issue's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.topics.config import HotspotConfig, HotspotError
from hotline_nlp.topics.hotspots import emerging_issues, hot_issues, weekly_alert
from hotline_nlp.topics.identity import anchor_week, fold_groups, overlap_ids
from scipy import sparse
from test_topics_hotspots import make_stream, week_label

START = "2024-01-01"
SHARED = HotspotConfig(anchor="half")  # the views share the half-year's timeline (opt-in: it is slower)


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    # 30 weeks from 2024-W01, the plant growing from week 22 (2024-W23): it crosses the
    # half-year (2024-W27), so every view of 2024Q3 sees an issue older than its period
    return make_stream(weeks=30, planted_from=22)


def planted_of(issues: list[dict], stream: pd.DataFrame) -> dict:
    """The listed issue most of whose complaints are the plant."""
    planted = set(stream.loc[stream.topic == "planted", "id"])
    best = max(issues, key=lambda i: len(planted & set(map(str, i["complaint_ids"]))))
    assert len(planted & set(map(str, best["complaint_ids"]))) > len(best["complaint_ids"]) / 2, best
    return best


def test_anchor_weeks():
    assert anchor_week("2019-W49", "half") == "2019-W27"
    assert anchor_week("2019-W26", "half") == "2019-W01"
    assert anchor_week("2019-W49", "quarter") == "2019-W40"
    assert anchor_week("2019-W49", "year") == "2019-W01"
    assert anchor_week("2019-W49", "week") == "2019-W49"
    with pytest.raises(HotspotError, match="anchor"):
        HotspotConfig(anchor="month")


def test_alert_range_and_emerging_agree_on_the_plant(stream):
    week = week_label(START, 28)  # 2024-W29, the plant's seventh week
    alert = planted_of(weekly_alert(stream, week, SHARED)["issues"], stream)
    emerging = planted_of(emerging_issues(stream, "2024Q3", SHARED), stream)
    ranged = planted_of(hot_issues(stream, ("2024-07-01", "2024-09-30"), SHARED)["issues"], stream)
    first = stream.loc[stream.topic == "planted", "created_at"].min().date().isoformat()
    assert alert["id"] == emerging["id"] == ranged["id"], (alert["id"], emerging["id"], ranged["id"])
    # first_seen is the issue's first complaint on the timeline (before the quarter), in every view
    assert alert["first_seen"] == emerging["first_seen"] == ranged["first_seen"]
    assert alert["first_seen"] <= week_label(START, 23) and alert["first_seen"] < "2024-07-01"
    assert first <= alert["first_seen"]


def test_range_ids_never_collide_and_are_listed_once(stream):
    r = hot_issues(stream, ("2024-07-01", "2024-07-28"), SHARED.with_(listed=10))
    ids = [i["id"] for i in r["issues"]]
    assert len(ids) == len(set(ids)), ids
    assert r["settings"]["anchor"] == "2024-W27"


def test_fold_groups_joins_close_centroids_under_the_oldest_id():
    c = sparse.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32))
    assert fold_groups(c, [140, 141, 7], 0.5) == {140: 140, 141: 140, 7: 7}
    assert fold_groups(c, [140, 141, 7], 0.9) == {140: 140, 141: 141, 7: 7}


def test_overlap_ids_takes_the_tracker_id_and_fresh_ids_for_the_rest():
    keys = np.array(["a", "b", "c", "d", "e", "f", "g"])
    labels = np.array([0, 0, 0, 1, 1, 2, -1])
    tracker_of = pd.Series({"a": 24, "b": 24, "c": 9, "d": 24, "e": 24, "f": 3})
    got = overlap_ids(keys, labels, tracker_of, 0.5, next_id=200)
    assert got == {0: 24, 1: 24, 2: 3}  # clusters 0 and 1 are one tracker issue
    got = overlap_ids(keys, labels, pd.Series(dtype=np.int64), 0.5, next_id=200)
    assert got == {0: 200, 1: 201, 2: 202}  # unmatched: after the tracker's last id


def test_bulletin_words_the_first_complaint_every_view_gives(stream):
    """难点问题 says when the issue was flagged and, for an older issue, its first complaint
    (the alert's 首次出现): "identified 2024-09-16" beside "首次出现 2023-11-25" now reads as one issue."""
    from hotline_nlp.bulletin import fmt
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.document import Paragraph
    from hotline_nlp.bulletin.report import build_report

    found = emerging_issues(stream, "2024Q3", SHARED)
    issue = planted_of(found, stream)
    rep = build_report(stream, "2024Q3", Options(), emerging=found)
    text = " ".join(b.text for b in rep.blocks if isinstance(b, Paragraph) and "此类诉求" in b.text)
    assert f"最早一件相关诉求见于{fmt.date_cn(pd.Timestamp(issue['first_seen']))}" in text, text


def test_cli_anchor_is_checked_and_named_in_the_settings(tmp_path):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    demo = "corpus/data/demo_complaints.csv"
    res = CliRunner().invoke(app, ["hotspots", "--input", demo, "--period", "2024-W48", "--anchor", "month"])
    assert res.exit_code != 0 and "anchor must be one of" in res.output, res.output
