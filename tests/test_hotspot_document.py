"""The hotspot reports go through the bulletin's document model and renderers:
every format (md / html / docx / json) from one result, quotes masked as the
bulletin masks them, and the JSON is the result itself (the data contract)."""

from __future__ import annotations

import json

import pytest
from docx import Document
from hotline_nlp.bulletin.document import Table
from hotline_nlp.bulletin.hotspot_document import hotspot_document
from hotline_nlp.bulletin.hotspot_report import render_result

PHONE, PLATE = "13912345678", "辽L12345"
WEEKS = [{"week": f"2024-W{w:02d}", "count": c} for w, c in zip(range(20, 24), (0, 1, 2, 9))]


def _alert() -> dict:
    issue = {
        "id": 7,
        "label": "充电桩 物业",
        "count": 9,
        "previous_count": 2,
        "expected": 1.5,
        "score": 12.3,
        "status": "new",
        "emerging": True,
        "first_seen": "2024-W22",
        "places": [{"name": "兴隆台区"}],
        "examples": [
            {"id": "A1", "text": f"物业不让安装充电桩，我的电话{PHONE}，车牌{PLATE}。", "date": "2024-06-03"},
        ],
        "weekly": WEEKS,
        "complaint_ids": ["A1"],
    }
    return {
        "kind": "weekly_alert",
        "period": {"label": "2024-W23", "start": "2024-06-03", "end": "2024-06-09"},
        "total": 40,
        "history": {"start": "2023-05-01", "weeks": 56, "complaints": 900},
        "categories": [
            {
                "category": "城乡建设",
                "count": 12,
                "share": 0.3,
                "change_vs_previous": 0.5,
                "change_vs_last_year": None,
                "subcategories": [{"category": "物业管理", "share": 0.6}],
            }
        ],
        "issues": [issue],
        "settings": {"alpha": 0.001, "min_count": 3},
        "notes": [],
    }


def test_alert_is_a_document_with_one_chart_and_masked_quotes():
    doc = hotspot_document(_alert())
    text = json.dumps(doc.to_json(), ensure_ascii=False)
    assert "新出现和快速上升的问题" in text and "本周诉求问题一览" in text and "城乡建设" in text
    assert PHONE not in text and PLATE not in text and "诉求编号：A1" in text
    assert len(doc.images()) == 1 and doc.images()[0].png[:4] == b"\x89PNG"
    (table,) = [b for b in doc.blocks if isinstance(b, Table)]
    assert table.rows[0][:3] == ["7", "充电桩 物业", "9"] and table.rows[0][6] == "预警：新出现"


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "json"])
def test_every_format_renders_the_alert(fmt, tmp_path):
    out = tmp_path / f"alert.{fmt}"
    text = render_result(_alert(), fmt, out)
    if fmt == "json":
        assert json.loads(out.read_text("utf-8")) == json.loads(json.dumps(_alert()))
        return  # the data contract: raw, unrendered
    if fmt == "docx":
        body = "\n".join(p.text for p in Document(str(out)).paragraphs)
        assert text == "" and "新出现和快速上升的问题" in body
    else:
        body = out.read_text("utf-8")
        assert body == text and "新出现和快速上升的问题" in body
    assert PHONE not in body and PLATE not in body
    if fmt == "md":
        assert "](alert.md.png)" in body and (tmp_path / "alert.md.png").read_bytes()[:4] == b"\x89PNG"


def test_docx_needs_a_file():
    with pytest.raises(ValueError, match="output"):
        render_result(_alert(), "docx")
