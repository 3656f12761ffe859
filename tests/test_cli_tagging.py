"""The tagging commands through Typer's CliRunner, on real files and models."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hotline_nlp.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def cli_models(tmp_path_factory, train_csv):
    d = tmp_path_factory.mktemp("cli_models")
    res = run("train", "--data", train_csv, "--name", "city", "--models-dir", d, "--format", "json", "--fast")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["version"] == "v1" and report["promoted"]
    assert set(report["metrics"]) == {"level1", "level2", "dispatch"}  # the export names 承办单位
    return d


@pytest.mark.slow  # a full cross-validated training
def test_train_text_output_reports_metrics_per_level(tmp_path, train_csv):
    res = run("train", "--data", train_csv, "--name", "t", "--models-dir", tmp_path, "--fast")
    assert res.exit_code == 0, res.output
    assert "level1: macro-F1" in res.stdout and "level2: macro-F1" in res.stdout
    assert "saved t v1" in res.stdout


def test_classify_writes_input_rows_plus_predictions(tmp_path, cli_models, demo_raw):
    sample = demo_raw.sample(40, random_state=3)
    sample.to_excel(tmp_path / "week.xlsx", index=False)
    out = tmp_path / "tagged.csv"
    res = run(
        "classify",
        "--model",
        "city",
        "--models-dir",
        cli_models,
        "--input",
        tmp_path / "week.xlsx",
        "--output",
        out,
        "--top-k",
        "2",
    )
    assert res.exit_code == 0, res.output
    tagged = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(tagged.columns[: len(demo_raw.columns)]) == list(demo_raw.columns)
    for col in ("pred_level1", "pred_level2", "pred_path", "confidence", "top_k", "needs_review"):
        assert col in tagged
    for col in ("pred_unit", "unit_confidence", "unit_top_k", "unit_needs_review"):
        assert col in tagged
    assert tagged["诉求编号"].tolist() == sample["诉求编号"].tolist()
    assert all(len(json.loads(t)) == 2 for t in tagged["top_k"])
    assert (tagged["model_version"] == "city@v1").all()
    assert (tmp_path / "tagged.csv.rejects.csv").exists()


def test_classify_reports_rejects_and_keeps_going(tmp_path, cli_models):
    df = pd.DataFrame(
        {"诉求编号": ["1", "2", "3"], "诉求内容": ["小区物业不作为", "", "暖气不热室温只有15度"]}
    )
    df.to_csv(tmp_path / "in.csv", index=False)
    res = runner.invoke(
        app,
        [
            "classify",
            "--model",
            "city",
            "--models-dir",
            str(cli_models),
            "--input",
            str(tmp_path / "in.csv"),
            "--output",
            str(tmp_path / "out.jsonl"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "1 row(s) of in.csv rejected, e.g. row 3 (诉求内容): empty complaint text" in res.stderr
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    rej = pd.read_csv(tmp_path / "out.jsonl.rejects.csv")
    assert rej["row"].tolist() == [3]


def test_evaluate_json_contract(tmp_path, cli_models, demo_csv, train_csv):
    res = run(
        "evaluate", "--model", "city", "--models-dir", cli_models, "--data", demo_csv, "--format", "json"
    )
    assert res.exit_code == 0, res.output
    ev = json.loads(res.stdout)
    for key in ("n", "accuracy", "macro_f1", "level1", "level2"):
        assert key in ev
    for level in ("level1", "level2"):
        assert {"n", "accuracy", "macro_f1", "per_class", "confusion"} <= set(ev[level])
        conf = ev[level]["confusion"]
        assert len(conf["matrix"]) == len(conf["labels"])
    assert ev["n"] == sum(map(sum, ev["level1"]["confusion"]["matrix"]))
    for level in ("level1", "level2"):
        lo, hi = ev[level]["interval"]["macro_f1"]
        assert lo <= ev[level]["macro_f1"] <= hi
    pair = ev["confused_pairs"][0]
    assert pair["true"] != pair["predicted"] and 1 <= len(pair["examples"]) <= 3
    assert sum(b["n"] for b in ev["reliability"]) == ev["n"]
    assert ev["review"]["target_precision"] == 0.95 and ev["review"]["precision_accepted"] is not None
    # the demo file holds the model's training rows (train_csv is drawn from it): said so
    share = ev["training_overlap"]["share"]
    trained_share = len(pd.read_csv(train_csv)) / len(pd.read_csv(demo_csv))
    assert share == pytest.approx(trained_share, abs=0.02) and "training data" in ev["warning"]


def test_models_list_and_promote(cli_models):
    res = run("models", "list", "--models-dir", cli_models, "--format", "json")
    rows = json.loads(res.stdout)
    assert rows[0]["name"] == "city" and rows[0]["current"] and "level2_macro_f1" in rows[0]
    text = run("models", "list", "--models-dir", cli_models).stdout
    assert text.startswith("* city@v1")
    res = runner.invoke(app, ["models", "promote", "city", "v9", "--models-dir", str(cli_models)])
    assert res.exit_code == 2 and "model 'city' has no version v9" in res.stderr and "(has: v1)" in res.stderr


def test_bad_inputs_fail_with_one_line_errors(tmp_path, cli_models):
    res = runner.invoke(
        app,
        [
            "classify",
            "--model",
            "nosuch",
            "--models-dir",
            str(cli_models),
            "--input",
            "demo",
            "--output",
            str(tmp_path / "o.csv"),
        ],
    )
    assert res.exit_code == 2 and "no model 'nosuch'" in res.stderr and "Traceback" not in res.output
    (tmp_path / "x.csv").write_bytes("诉求内容\n停水\n".encode("utf-16"))
    res = runner.invoke(
        app,
        [
            "classify",
            "--model",
            "city",
            "--models-dir",
            str(cli_models),
            "--input",
            str(tmp_path / "x.csv"),
            "--output",
            str(tmp_path / "o.csv"),
        ],
    )
    assert res.exit_code == 2 and "x.csv: cannot decode" in res.stderr
    assert not (tmp_path / "o.csv").exists()
    res = runner.invoke(
        app,
        ["train", "--data", str(tmp_path / "x.csv"), "--encoding", "utf-16", "--models-dir", str(tmp_path)],
    )
    assert res.exit_code == 2 and "no label column" in res.stderr


def test_failed_classify_leaves_previous_output_intact(tmp_path, cli_models):
    out = tmp_path / "o.csv"
    out.write_text("previous good output", encoding="utf-8")
    pd.DataFrame({"备注": ["x"]}).to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(
        app,
        [
            "classify",
            "--model",
            "city",
            "--models-dir",
            str(cli_models),
            "--input",
            str(tmp_path / "bad.csv"),
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous good output"


def test_help_teaches_with_examples():
    res = run("train", "--help")
    assert "Examples" in res.stdout and "--label-col" in res.stdout
    assert "hotline-nlp classify --model" in run("classify", "--help").stdout
