"""The rough edges a new user hit with the CLI (issue 29): a report without
--output, a week written without its W, a rejects file the warning does not
name, and tagged XLSX that reads like a database dump."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hotline_nlp.cli import app
from typer.testing import CliRunner

runner = CliRunner()
BULLETIN_DATA = Path(__file__).parent / "data" / "bulletin_small.csv"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


# --- report without --output ------------------------------------------------------


def test_report_without_output_writes_default_files_and_says_where(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("report", "-i", BULLETIN_DATA, "-p", "2024H1", "--no-emerging", "--min-volume", "3")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "report_2024H1.docx").stat().st_size > 0
    assert (tmp_path / "report_2024H1.figures.csv").exists()
    assert len(res.stdout.splitlines()) <= 3 and "report_2024H1.docx" in res.stdout
    assert "{" not in res.stdout  # never the JSON document on the terminal


def test_report_format_without_output_names_the_file_by_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("report", "-i", BULLETIN_DATA, "-p", "2024Q1", "-f", "md", "--no-emerging")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "report_2024Q1.md").read_text(encoding="utf-8").strip()
    assert "report_2024Q1.md" in res.stdout


def test_report_json_on_stdout_only_when_asked_with_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("report", "-i", BULLETIN_DATA, "-p", "2024Q1", "-f", "json", "-o", "-", "--no-emerging")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["meta"]["period"]["label"] == "2024Q1"
    assert not list(tmp_path.iterdir())
    res = run("report", "-i", BULLETIN_DATA, "-p", "2024Q1", "-f", "docx", "-o", "-")
    assert res.exit_code == 2 and "stdout" in res.stderr


# --- a week without its W ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["hotspots", "report"])
def test_a_week_written_without_w_gets_the_iso_week_suggested(command, tmp_path):
    res = run(command, "--input", "demo", "--period", "2019-34", "--output", tmp_path / "x.md")
    assert res.exit_code == 2
    assert "2019-W34" in res.stderr and "month must be 01-12" in res.stderr


def test_hotspots_given_a_month_says_which_week_it_may_mean(tmp_path):
    res = run("hotspots", "--input", "demo", "--period", "2019-05")
    assert res.exit_code == 2
    assert "2019-05 is a month" in res.stderr and "2019-W05" in res.stderr


# --- the rejects warning names the file -----------------------------------------------------


@pytest.fixture(scope="module")
def one_level_export(tmp_path_factory, demo_raw) -> Path:
    """A one-level export (一级分类 only, no unit column, like zhwz2020) and one row
    without text, which the loader rejects."""
    sub = demo_raw.groupby("一级分类").head(25)[["诉求编号", "受理时间", "诉求内容", "一级分类"]].copy()
    bad = sub.iloc[[0]].copy()
    bad["诉求编号"], bad["诉求内容"] = "NO-TEXT", ""
    path = tmp_path_factory.mktemp("one_level") / "level1.csv"
    pd.concat([sub, bad]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def one_level_model(tmp_path_factory, one_level_export):
    models = tmp_path_factory.mktemp("one_level_models")
    rej = models.parent / "train_rejects.csv"
    res = run(
        "train", "--data", one_level_export, "--name", "l1", "--models-dir", models,
        "--fast", "--embedder", "none", "--rejects", rej,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return models, res, rej


def test_train_rejects_warning_names_the_file_it_wrote(one_level_model):
    _, res, rej = one_level_model
    warning = next(line for line in res.stderr.splitlines() if line.startswith("warning:"))
    assert f"all in {rej}" in warning and "--rejects FILE" not in warning
    assert "NO-TEXT" in rej.read_text(encoding="utf-8")


def test_evaluate_does_not_point_to_an_option_it_does_not_have(one_level_model, one_level_export):
    models, _, _ = one_level_model
    res = run("evaluate", "--model", "l1", "--models-dir", models, "--data", one_level_export)
    assert res.exit_code == 0, res.output
    assert "row(s) of level1.csv rejected" in res.stderr and "--rejects" not in res.stderr


# --- XLSX for people ------------------------------------------------------------------


def test_classify_xlsx_is_written_for_a_person(tmp_path, one_level_model, one_level_export):
    from openpyxl import load_workbook

    models, _, _ = one_level_model
    out = tmp_path / "tagged.xlsx"
    res = run(
        "classify", "--model", "l1", "--models-dir", models, "--input", one_level_export,
        "--output", out, "--top-k", "2",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert "pred_level2" not in header  # a one-level model has no second level
    assert {"pred_level1", "confidence", "top_k", "needs_review"} <= set(header)
    for i, name in enumerate(header, start=1):
        column = [r[i - 1] for r in ws.iter_rows(min_row=2, values_only=True)]
        assert any(v not in (None, "") for v in column), f"column {name} is empty"
        width = ws.column_dimensions[ws.cell(1, i).column_letter].width
        assert width and width >= len(name), (name, width)
    text_col = header.index("诉求内容") + 1
    assert ws.column_dimensions[ws.cell(1, text_col).column_letter].width > 30  # long Chinese text
    top_k = [r[header.index("top_k")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert not any(str(t).lstrip().startswith(("[", "{")) for t in top_k)
    first = top_k[0].split("; ")
    assert len(first) == 2 and all(re.search(r"\S \d\.\d\d$", part) for part in first), top_k[0]


def test_readable_top_k_names_units_and_categories():
    from hotline_nlp.classifier.tagging import readable_top_k

    cats = json.dumps(
        [{"path": "城市管理 > 路灯照明", "confidence": 0.8123}, {"path": "供热", "confidence": 0.1}]
    )
    assert readable_top_k(cats) == "城市管理 > 路灯照明 0.81; 供热 0.10"
    assert readable_top_k([{"unit": "市住建局", "confidence": 0.5}]) == "市住建局 0.50"
