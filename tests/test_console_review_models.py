"""The review loop for every kind of model, in process (TestClient on a real
SQLite store, real models trained here): a one-level model with a dispatcher
(like zhwz2020, 一级分类 only, plus a unit column) offers its level-1 categories
and the units in the review card and both corrections are stored; 待审 counts the
complaints that need review, not every uncorrected one; /ui/metrics shows no
二级分类准确率 for a one-level model; growth percentages follow the bulletin's
minimum base. The real browser does the same in test_console_browser.py."""

from __future__ import annotations

import html
import random
import re

import pytest
from fastapi.testclient import TestClient
from hotline_nlp.service.app import create_app
from hotline_nlp.service.auth import ApiKey
from hotline_nlp.service.settings import Settings

ANALYST = "review-models-analyst-01"
PLATFORM = "review-models-platform-1"
KEYS = (ApiKey("zhao", "analyst", ANALYST), ApiKey("hub", "ingest", PLATFORM))
A, P = {"X-API-Key": ANALYST}, {"X-API-Key": PLATFORM}


def train_city_model(models_dir):
    """A one-level model (一级分类 only) with a dispatcher (承办单位), trained on the
    dispatch tests' history with a third of the housing complaints labelled 教育,
    so its housing tags are unsure (they need review) and its heating tags are not."""
    from hotline_nlp.classifier.training import train
    from hotline_nlp.corpus.loaders import load_complaints
    from test_dispatch import _rows

    frame = _rows(n=300)
    rng = random.Random(5)
    frame["一级分类"] = [
        ("教育" if rng.random() < 0.35 else v) if v == "住房建设" else v for v in frame["一级分类"]
    ]
    path = models_dir.parent / "city-history.csv"
    frame.to_csv(path, index=False)
    train(
        load_complaints(path, require=("labels",)),
        name="city",
        models_dir=models_dir,
        params={"embedder": None, "cv": 2},
    )
    return models_dir


def city_items(n: int = 90) -> list[dict]:
    from test_dispatch import _rows

    rows = _rows(seed=9, n=n)
    return [
        {
            "id": f"C{i:03d}",
            "created_at": f"2024-03-{4 + i % 21:02d}T09:{i % 60:02d}:00",
            "text": r["诉求内容"],
            "district": r["所属区县"],
            "unit": r["承办单位"],
        }
        for i, r in rows.iterrows()
    ]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("city-review")
    models = train_city_model(tmp / "models")
    settings = Settings(model="city", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=models, api_keys=KEYS)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        res = c.post("/v1/complaints", json={"items": city_items()}, headers=P)
        assert res.status_code == 201, res.text
        yield c


def _options(page: str) -> list[str]:
    select = re.search(r'<select id="correct".*?</select>', page, re.S).group(0)
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', select)]


def test_one_level_card_offers_level1_categories_and_the_units(city):
    model = city.app.state.models.model
    page = city.get("/ui/review", headers=A).text
    assert _options(page) == model.manifest["labels"]["level1"]  # not empty groups
    assert 'id="rec-unit"' in page and 'list="units"' in page
    units = re.search(r'<datalist id="units">(.*?)</datalist>', page, re.S).group(1)
    assert sorted(html.unescape(u) for u in re.findall(r'value="([^"]+)"', units)) == sorted(
        model.dispatcher.classes_
    )


def test_one_level_correction_and_unit_correction_are_stored(city):
    page = city.get("/ui/review", headers=A).text
    cid = re.search(r'data-id="([^"]+)"', page).group(1)
    tag = city.get(f"/v1/complaints/{cid}", headers=A).json()["tags"]
    other = next(o for o in _options(page) if o != tag["level1"])
    res = city.post(
        f"/ui/review/{cid}",
        data={"path": other, "unit": "市热力公司"},
        headers={**A, "X-Requested-With": "fetch"},
    )
    assert res.status_code == 200 and f"已更正 {cid} → {other}" in res.text, res.text[:500]
    got = city.get(f"/v1/complaints/{cid}", headers=A).json()
    assert got["category"] == other and got["labels"] == {"level1": other, "level2": None}
    assert got["correction"]["unit"] == "市热力公司" and got["correction"]["labelled_by"] == "zhao"
    hist = city.get(f"/v1/complaints/{cid}/history", headers=A).json()["items"]
    assert {(h["field"], h["new"]) for h in hist} == {("label_level1", other), ("unit", "市热力公司")}
    # accepting with a unit only corrects the unit and confirms the tag
    page = res.text
    nxt = re.search(r'data-id="([^"]+)"', page).group(1)
    res = city.post(f"/ui/review/{nxt}", data={"action": "accept", "unit": "东山区教育局"}, headers=A)
    assert res.status_code == 303
    got = city.get(f"/v1/complaints/{nxt}", headers=A).json()
    assert got["correction"]["unit"] == "东山区教育局" and got["labels"]["level1"] == got["tags"]["level1"]


def test_waiting_counts_only_complaints_that_need_review(city):
    flagged = city.get(
        "/v1/complaints", params={"needs_review": "true", "corrected": "false", "limit": 1}, headers=A
    ).json()["total"]
    uncorrected = city.get("/v1/complaints", params={"corrected": "false", "limit": 1}, headers=A).json()[
        "total"
    ]
    assert 0 < flagged < uncorrected  # the fixture has both kinds
    page = city.get("/ui/review", headers=A).text
    assert f"待审 {flagged} 条" in page
    assert f"待审 {flagged} 件" in city.get("/ui/metrics", headers=A).text
    assert city.get("/v1/metrics", headers=A).json()["review_queue"] == flagged
    queue = city.get("/v1/review", params={"limit": 200}, headers=A).json()
    assert [x["tags"]["needs_review"] for x in queue] == [True] * flagged + [False] * (uncorrected - flagged)
    assert 'id="spot-check"' not in page


def test_metrics_of_a_one_level_model_show_no_second_level(city, tmp_path_factory, service_models_dir):
    page = city.get("/ui/metrics", headers=A).text
    assert "一级分类准确率" in page and "二级分类准确率" not in page
    # the two-level session model keeps the column
    tmp = tmp_path_factory.mktemp("two-level")
    settings = Settings(
        model="demo", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=service_models_dir, api_keys=KEYS
    )
    with TestClient(create_app(settings)) as c:
        from support import synthetic_rows

        items = [{k: r[k] for k in ("id", "created_at", "title", "body")} for r in synthetic_rows(20, 5)]
        assert c.post("/v1/complaints", json={"items": items}, headers=P).status_code == 201
        t = c.get(f"/v1/complaints/{items[0]['id']}", headers=A).json()["tags"]
        fixed = {"label_level1": t["level1"], "label_level2": t["level2"]}
        assert c.patch(f"/v1/complaints/{items[0]['id']}", json=fixed, headers=A).status_code == 200
        assert "二级分类准确率" in c.get("/ui/metrics", headers=A).text


def test_console_growth_follows_the_bulletins_minimum_base(city):
    """One rule: ``category_stats.change_ratio`` (MIN_CHANGE_BASE = 10), used by the
    bulletin, the alert JSON and so the console; below the base it says why."""
    from hotline_nlp.service.ui.render import env
    from hotline_nlp.topics.category_stats import MIN_CHANGE_BASE, change_ratio

    alert = city.get("/v1/hotspots", params={"period": "2024-W12"}, headers=A).json()
    assert alert["issues"]
    for i in alert["issues"]:
        expected = change_ratio(i["count"], i["previous_count"])
        assert i["growth"] == (None if expected is None else round(expected, 4)), i
        if i["previous_count"] < MIN_CHANGE_BASE:
            assert i["growth"] is None
    row = env().get_template("issue_row.html")
    small = {
        "id": 1,
        "label": "x",
        "count": 4,
        "previous_count": 2,
        "growth": None,
        "keywords": [],
        "weekly": [],
    }
    shown = row.render(i=small, week="2024-W12", growth=env().globals["growth"])
    assert "不适用（基数仅 2 件）" in shown and "%" not in shown
    big = {**small, "count": 30, "previous_count": 15, "growth": change_ratio(30, 15)}
    assert "+100%" in row.render(i=big, week="2024-W12")
    new = {**small, "previous_count": 0}
    assert "新增" in row.render(i=new, week="2024-W12")
    for c in alert["categories"]:
        assert c["change_vs_previous"] is None or c["previous_count"] >= MIN_CHANGE_BASE
