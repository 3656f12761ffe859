"""Statuses agree with the numbers, and every view words them the same way
(issue 31: "rising" for one complaint against none, a 新发 badge beside
首次出现 2019-07-03, 显著上升 for 6 complaints against 6)."""

from __future__ import annotations

import pytest
from hotline_nlp.bulletin.hotspot_document import hotspot_document
from hotline_nlp.bulletin.renderers import render_text
from hotline_nlp.service.ui.render import env
from hotline_nlp.topics.periods import parse_period
from hotline_nlp.topics.status import STATUS_ZH, flagged_words, is_new, issue_status


@pytest.mark.parametrize(
    "new, emerging, now, prev, want",
    [
        (False, False, 1, 0, "weak"),  # one complaint against none is not a rise
        (False, False, 2, 1, "weak"),
        (False, False, 4, 1, "more"),  # up, but the test did not flag it: not 上升
        (False, True, 6, 6, "elevated"),  # flagged on its trend, level: not 显著上升
        (False, True, 7, 2, "growing"),
        (True, True, 5, 0, "new"),
        (False, False, 1, 2, "steady"),
        (False, False, 0, 3, "falling"),
    ],
)
def test_issue_status_follows_the_numbers(new, emerging, now, prev, want):
    assert issue_status(new=new, emerging=emerging, now=now, prev=prev) == want


def test_no_status_words_rising_without_the_test():
    rising = {k for k, v in STATUS_ZH.items() if "上升" in v}
    for now in range(6):
        for prev in range(6):
            assert issue_status(new=False, emerging=False, now=now, prev=prev) not in rising


def test_new_only_when_first_seen_in_the_window():
    week = parse_period("2019-W49")
    assert is_new("new", "2019-W49", week, "2019-12-03")
    assert not is_new("new", "2019-W49", week, "2019-01-09")  # born W49, first complaint in January
    assert not is_new("history", "2019-W49", week, "2019-12-03")
    assert flagged_words("new", "2019-12-03", "2019-12-02") == "新出现"
    assert flagged_words("new", "2019-07-03", "2019-12-02") == "显著增多"
    assert flagged_words("history", "2019-12-03", "2019-12-02") == "显著增多"


def _issue(status: str, emerging: bool, count: int, prev: int) -> dict:
    return {
        "id": 24,
        "label": "丽发新城搅拌站噪音扰民",
        "description": "丽发新城建搅拌站噪音扰民",
        "keywords": ["搅拌站", "噪音"],
        "places": [],
        "groups": [],
        "count": count,
        "previous_count": prev,
        "growth": None,
        "expected": 0.4,
        "score": 3.2,
        "emerging": emerging,
        "status": status,
        "first_seen": "2019-07-03",
        "last_seen": "2019-12-04",
        "repeats": 0,
        "examples": [],
        "complaint_ids": ["1"],
        "weekly": [{"week": "2019-W48", "count": prev}, {"week": "2019-W49", "count": count}],
    }


def _alert(issues: list[dict]) -> dict:
    p = parse_period("2019-W49")
    return {
        "kind": "weekly_alert",
        "period": p.to_json(),
        "total": 90,
        "history": {"start": "2018-11-05", "weeks": 56, "complaints": 4000},
        "categories": [],
        "issues": issues,
        "settings": {"alpha": 0.001, "min_count": 3},
        "notes": [],
    }


def test_alert_document_words_the_status_not_a_fixed_word():
    md = render_text(
        hotspot_document(_alert([_issue("elevated", True, 6, 6), _issue("weak", False, 1, 0)])), "md"
    )
    assert "持续偏多" in md
    assert "显著上升" not in md  # 6 against 6
    assert "零星" in md
    assert "| 上升 |" not in md and "预警：持续偏多" in md


def test_console_badge_says_the_status_not_always_new():
    html = env().get_template("issue_row.html").render(i=_issue("growing", True, 7, 2), week="2019-W49")
    assert "显著上升" in html and "新发" not in html
    html = env().get_template("issue_row.html").render(i=_issue("new", True, 5, 0), week="2019-W49")
    assert "新出现" in html
