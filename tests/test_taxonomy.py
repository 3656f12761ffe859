"""The default 12345 taxonomy and user taxonomies."""

from __future__ import annotations

import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.corpus.loaders import DataError, load_complaints
from hotline_nlp.corpus.taxonomy import load_taxonomy, restrict_to
from typer.testing import CliRunner

BULLETIN_NAMES = {
    "物业管理": ["物业服务管理", "公共区域设施", "物业维修服务"],
    "消费维权": ["售后服务纠纷", "退费纠纷"],
    "供热": ["供热质量", "测温退费"],
    "市容市貌": ["流动商贩", "私搭乱建", "露天烧烤", "门市占道"],
    "出租车（网约车）": ["司乘服务", "计价议价及票据"],
}
COMMON = [
    "供水",
    "燃气",
    "供电",
    "公交",
    "交通管理",
    "教育",
    "医疗卫生",
    "社保医保",
    "劳动权益",
    "住房建设",
    "环境保护",
    "新能源汽车充电设施",
]


def test_default_taxonomy_has_every_bulletin_category():
    t = load_taxonomy()
    assert len(t.level1) >= 15
    for l1, subs in BULLETIN_NAMES.items():
        for l2 in subs:
            assert t.contains(l1, l2), (l1, l2)
    for l1 in COMMON:
        assert l1 in t.level1
    assert all(len(s) >= 2 for s in t.children.values())


def test_demo_corpus_labels_are_all_in_the_default_taxonomy(demo_csv):
    data = restrict_to(load_complaints(demo_csv, require=("labels",)), load_taxonomy())
    assert data.rejects.empty


def test_unknown_labels_become_rejects(tmp_path):
    df = pd.DataFrame(
        {
            "诉求内容": ["暖气不热", "物业不管", "路灯坏了"],
            "一级分类": ["供热", "物业管里", "供热"],
            "二级分类": ["供热质量", "物业服务管理", "不存在的子类"],
        }
    )
    df.to_csv(tmp_path / "x.csv", index=False)
    data = restrict_to(load_complaints(tmp_path / "x.csv", require=("labels",)), load_taxonomy())
    assert list(data.frame["text"]) == ["暖气不热"]
    probs = data.rejects.set_index("row")["problem"]
    assert (
        "'物业管里' is not in taxonomy" in probs[3] and "供热 has no sub-category '不存在的子类'" in probs[4]
    )


def test_user_taxonomy_csv_like_the_official_tree(tmp_path):
    pd.DataFrame(
        {
            "一级分类": ["城乡建设", "城乡建设", "教育文体"],
            "二级分类": ["安全生产", "物业管理", "教育"],
            "三级分类": ["事故处理", "物业服务", "招生"],
        }
    ).to_csv(tmp_path / "t.csv", index=False, encoding="gbk")
    t = load_taxonomy(tmp_path / "t.csv")
    assert t.level1 == ["城乡建设", "教育文体"] and t.children["城乡建设"] == ("安全生产", "物业管理")
    pd.DataFrame({"名字": ["x"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match="needs a 一级分类 column"):
        load_taxonomy(tmp_path / "bad.csv")


@pytest.mark.slow  # a full cross-validated training
def test_train_with_taxonomy_rejects_typos(tmp_path, train_csv):
    df = pd.read_csv(train_csv, dtype=str, keep_default_na=False)
    df.loc[df.index[:3], "一级分类"] = "物业管里"
    df.to_csv(tmp_path / "typo.csv", index=False)
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(tmp_path / "typo.csv"),
            "--taxonomy",
            "default",
            "--models-dir",
            str(tmp_path / "m"),
            "--rejects",
            str(tmp_path / "rej.csv"),
            "--format",
            "json",
            "--fast",
        ],
    )
    assert res.exit_code == 0, res.output
    rej = pd.read_csv(tmp_path / "rej.csv")
    assert len(rej) == 3 and rej["problem"].str.contains("物业管里").all()
