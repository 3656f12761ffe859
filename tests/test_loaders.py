"""Loaders: every format and encoding, column mapping, every validation error."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hotline_nlp.corpus.columns import map_columns, parse_overrides
from hotline_nlp.corpus.loaders import DataError, load_complaints
from hotline_nlp.corpus.text import clean, join_title_body, segment

ROWS = [
    {
        "诉求编号": "7600001",
        "受理时间": "2024-05-13 09:12:00",
        "诉求标题": "暖气不热",
        "诉求内容": "\n\t\t  市民反映兴隆台区泰祥小区室温16度不达标。\n\t",
        "一级分类": "供热",
        "二级分类": "供热质量",
    },
    {
        "诉求编号": "7600002",
        "受理时间": "2024/05/14 10:00",
        "诉求标题": "",
        "诉求内容": "物业拒绝业主安装新能源汽车充电桩",
        "一级分类": "新能源汽车充电设施",
        "二级分类": "物业阻挠安装充电桩",
    },
    {
        "诉求编号": "7600003",
        "受理时间": "2024-05-15",
        "诉求标题": "出租车拒载",
        "诉求内容": "在万达广场打车司机拒载",
        "一级分类": "出租车（网约车）",
        "二级分类": "司乘服务",
    },
]


def frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "suffix,writer",
    [
        (".csv", lambda df, p: df.to_csv(p, index=False, encoding="utf-8")),
        (".gbk.csv", lambda df, p: df.to_csv(p, index=False, encoding="gbk")),
        (".gb18030.csv", lambda df, p: df.to_csv(p, index=False, encoding="gb18030")),
        (".bom.csv", lambda df, p: df.to_csv(p, index=False, encoding="utf-8-sig")),
        (".xlsx", lambda df, p: df.to_excel(p, index=False)),
        (".jsonl", lambda df, p: df.to_json(p, orient="records", lines=True, force_ascii=False)),
        (".parquet", lambda df, p: df.to_parquet(p, index=False)),
    ],
)
def test_each_format_and_encoding_loads_the_same_rows(tmp_path, suffix, writer):
    path = tmp_path / f"export{suffix}"
    writer(frame(), path)
    res = load_complaints(path)
    f = res.frame
    assert list(f["id"]) == ["7600001", "7600002", "7600003"]
    assert (
        f["text"].iloc[0] == "暖气不热。市民反映兴隆台区泰祥小区室温16度不达标。"
    )  # title joined, padding gone
    assert f["text"].iloc[1] == "物业拒绝业主安装新能源汽车充电桩"  # no title: body alone
    assert f["level1"].iloc[2] == "出租车（网约车）"
    assert f["created_at"].iloc[1] == pd.Timestamp("2024-05-14 10:00")
    assert res.rejects.empty
    if "gbk" in suffix or "gb18030" in suffix:
        assert "decoded as gb18030" in res.notes


def test_english_headers_and_category_path_are_mapped(tmp_path):
    df = pd.DataFrame(
        {
            "ID": ["a1", "a2"],
            "Title": ["噪音", ""],
            "Text": ["工地夜间施工", "公交车不按站停"],
            "created_at": ["2024-01-01", "2024-01-02"],
            "category": ["环境保护 > 噪音污染", "公交 > 公交服务"],
        }
    )
    df.to_csv(tmp_path / "e.csv", index=False)
    f = load_complaints(tmp_path / "e.csv").frame
    assert list(f["level1"]) == ["环境保护", "公交"]
    assert list(f["level2"]) == ["噪音污染", "公交服务"]
    assert list(f["id"]) == ["a1", "a2"]


def test_zhwz_style_headers_map(tmp_path):
    df = pd.DataFrame(
        {
            "留言编号": ["1"],
            "留言用户": ["A1"],
            "留言主题": ["K8县路灯不亮"],
            "留言时间": ["2017/10/14 14:25:14"],
            "留言详情": ["\n\t\t\t路灯坏了一个月\n\t"],
            "一级分类": ["城乡建设"],
            "点赞数": ["3"],
        }
    )
    df.to_csv(tmp_path / "z.csv", index=False)
    f = load_complaints(tmp_path / "z.csv").frame
    assert f["text"].iloc[0] == "K8县路灯不亮。路灯坏了一个月"
    assert f["caller"].iloc[0] == "A1" and f["likes"].iloc[0] == 3


def test_explicit_column_override(tmp_path):
    df = pd.DataFrame({"工单号": ["x1"], "事项描述": ["小区停水两天"], "备注": ["无"]})
    df.to_csv(tmp_path / "o.csv", index=False)
    with pytest.raises(DataError, match="no complaint text column.*--columns text="):
        load_complaints(tmp_path / "o.csv")
    f = load_complaints(tmp_path / "o.csv", "text=事项描述,id=工单号").frame
    assert f["id"].iloc[0] == "x1" and f["text"].iloc[0] == "小区停水两天"
    with pytest.raises(DataError, match="'不存在' given for 'body' is not in the file"):
        load_complaints(tmp_path / "o.csv", "text=不存在")
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        parse_overrides("colour=红")


def test_missing_required_columns_name_the_file(tmp_path):
    df = pd.DataFrame({"诉求内容": ["路灯不亮"]})
    df.to_csv(tmp_path / "nodate.csv", index=False)
    with pytest.raises(DataError, match=r"nodate\.csv: no created_at column"):
        load_complaints(tmp_path / "nodate.csv", require=("created_at",))
    with pytest.raises(DataError, match=r"nodate\.csv: no label column"):
        load_complaints(tmp_path / "nodate.csv", require=("labels",))


def test_every_row_problem_is_a_reject_naming_row_and_column(tmp_path):
    rows = [dict(r) for r in ROWS] + [
        {**ROWS[0], "诉求编号": "7600004", "诉求标题": "", "诉求内容": "  \n\t "},  # empty text
        {**ROWS[0], "诉求编号": "7600005", "受理时间": "2024-13-45"},  # bad date
        {**ROWS[0], "诉求编号": "7600001"},  # duplicate id
        {**ROWS[0], "诉求编号": "7600006", "诉求内容": "很长" * 20_000},  # huge text
        {**ROWS[0], "诉求编号": "7600007", "一级分类": ""},  # empty label
    ]
    path = tmp_path / "bad.csv"
    frame(rows).to_csv(path, index=False)
    res = load_complaints(path, require=("labels",))
    assert list(res.frame["id"]) == ["7600001", "7600002", "7600003"]
    rej = res.rejects.set_index("id")
    assert rej.loc["7600004", "problem"] == "empty complaint text" and rej.loc["7600004", "row"] == 5
    assert rej.loc["7600004", "column"] == "诉求内容"
    assert "unparseable date '2024-13-45'" in rej.loc["7600005", "problem"]
    assert rej.loc["7600005", "column"] == "受理时间"
    dup = res.rejects[res.rejects["problem"].str.startswith("duplicate")]
    assert dup["row"].tolist() == [7] and "first at row 2" in dup["problem"].iloc[0]
    assert "limit 20,000" in rej.loc["7600006", "problem"]
    assert rej.loc["7600007", "problem"] == "empty label" and rej.loc["7600007", "column"] == "一级分类"
    assert res.n_rejected_rows == 5  # nothing dropped silently: 3 accepted + 5 rejected = 8 rows
    out = res.write_rejects(tmp_path / "rejects.csv")
    assert len(pd.read_csv(out)) == 5


def test_missing_dates_only_rejected_when_dates_are_required(tmp_path):
    rows = [ROWS[0], {**ROWS[1], "受理时间": ""}]
    frame(rows).to_csv(tmp_path / "d.csv", index=False)
    assert len(load_complaints(tmp_path / "d.csv").frame) == 2
    res = load_complaints(tmp_path / "d.csv", require=("created_at",))
    assert len(res.frame) == 1 and res.rejects["problem"].tolist() == ["missing date"]


def test_wrong_encoding_is_a_clear_file_error(tmp_path):
    path = tmp_path / "utf16.csv"
    frame().to_csv(path, index=False, encoding="utf-16")
    with pytest.raises(DataError, match=r"utf16\.csv: cannot decode as utf-8-sig or gb18030.*--encoding"):
        load_complaints(path)
    assert len(load_complaints(path, encoding="utf-16").frame) == 3


def test_corrupt_and_missing_files(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(DataError, match=r"broken\.xlsx: cannot read as xlsx"):
        load_complaints(tmp_path / "broken.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1garbage")
    with pytest.raises(DataError, match=r"broken\.parquet: cannot read as parquet"):
        load_complaints(tmp_path / "broken.parquet")
    with pytest.raises(DataError, match="no such file"):
        load_complaints(tmp_path / "absent.csv")
    (tmp_path / "x.doc").write_bytes(b"")
    with pytest.raises(DataError, match="unknown file type '.doc'"):
        load_complaints(tmp_path / "x.doc")


def test_bad_jsonl_lines_are_rejects_with_line_numbers(tmp_path):
    lines = [
        json.dumps({"id": "1", "text": "停水"}, ensure_ascii=False),
        "{not json",
        "[1, 2]",
        json.dumps({"id": "2", "text": "停电"}, ensure_ascii=False),
    ]
    (tmp_path / "x.jsonl").write_text("\n".join(lines), encoding="utf-8")
    res = load_complaints(tmp_path / "x.jsonl")
    assert list(res.frame["id"]) == ["1", "2"] and list(res.frame["row"]) == [1, 4]
    assert res.rejects["row"].tolist() == [2, 3]
    assert res.rejects["problem"].str.contains("invalid JSON|not a JSON object").all()


def test_no_id_column_makes_row_ids_and_says_so(tmp_path):
    pd.DataFrame({"内容": ["停水", "停电"]}).to_csv(tmp_path / "n.csv", index=False)
    res = load_complaints(tmp_path / "n.csv")
    assert list(res.frame["id"]) == ["R2", "R3"] and any("no id column" in n for n in res.notes)


def test_text_helpers():
    assert clean("\n\t 一\u3000二  三 \n") == "一 二 三"
    assert join_title_body("标题", "标题就是正文") == "标题就是正文"
    assert "充电桩" in segment("物业拒绝安装充电桩") and "测温退费" in segment("要求测温退费")
    assert map_columns(["留言详情", "留言主题"]).source_for == {"title": "留言主题", "body": "留言详情"}


def test_real_zhwz_export_loads_with_its_one_duplicate(zhwz):
    res = load_complaints(zhwz / "labeled.csv", require=("labels",))
    assert len(res.frame) + res.n_rejected_rows == 2773
    assert res.rejects["problem"].str.startswith("duplicate id").all()


def test_fast_segmenter_matches_jieba_on_chinese():
    """The Rust segmenter is jieba's model: same words on Chinese text."""
    import re

    from hotline_nlp.corpus.text import tokenizer

    texts = [
        "市民反映兴隆台区水木清华小区物业不允许业主车辆临时进入园区，搬运重物不便",
        "在万达广场3楼一笼升小笼灌汤包馆办理储值卡，现商家停止经营，无法退款",
        "物业公司拒绝出具同意安装新能源汽车充电桩证明",
        "网约车司机不使用计价器，一口要价",
    ]
    han = re.compile(r"[\u4e00-\u9fd5]")
    for t in texts:
        ours = [w for w in segment(t) if han.search(w)]
        ref = [w for w in tokenizer().lcut(t, HMM=False) if han.search(w)]
        assert ours == ref
    assert segment("2024年WiFi坏了，打12345") == ["2024", "年", "wifi", "坏", "了", "打", "12345"]
