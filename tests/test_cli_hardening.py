"""One-line errors, rejects everywhere, all-or-nothing outputs (issue 17 items 8, 9, 10, 11).

A full disk and a read-only models directory are real: a tiny tmpfs (mounted as
root; skipped where mounting is not allowed) that really fails the write.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from hotline_nlp.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(res) -> str:
    assert res.exit_code != 0, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = [x for x in res.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, res.stderr
    return lines[0]


@pytest.fixture
def tiny_fs(tmp_path):
    """Mount a tmpfs of the given size (and options) on a fresh directory."""
    mounted = []

    def make(size: str, *opts: str) -> Path:
        d = tmp_path / f"fs{len(mounted)}"
        d.mkdir()
        o = ",".join((f"size={size}", *opts))
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", o, "tmpfs", str(d)], capture_output=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()})")
        mounted.append(d)
        return d

    yield make
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], check=False)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory, demo_raw) -> Path:
    """300 rows of November 2024 plus one row with a broken date."""
    sub = demo_raw[demo_raw["受理时间"].str.startswith("2024-11")].head(300).copy()
    bad = sub.iloc[[0]].copy()
    bad["诉求编号"], bad["受理时间"] = "BAD-DATE", "下周二"
    path = tmp_path_factory.mktemp("export") / "nov.csv"
    pd.concat([sub, bad]).to_csv(path, index=False)
    return path


# --- item 11: classify to an unsupported type --------------------------------


def test_classify_to_docx_is_an_error_not_a_csv(tmp_path, small_export):
    res = run("classify", "--model", "x", "--input", small_export, "--output", tmp_path / "x.docx")
    assert "cannot write tagged rows as '.docx'" in one_line_error(res)
    assert not (tmp_path / "x.docx").exists()


# --- item 9: unwritable outputs, full disk, read-only models dir ---------------


def test_output_under_a_file_fails_before_the_work(tmp_path, small_export):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "r.docx"
    res = run("report", "-i", small_export, "-p", "2024-11", "-o", out, "--no-emerging")
    assert "is a file, not a directory" in one_line_error(res)
    res = run("classify", "--model", "x", "--input", small_export, "--output", tmp_path / "afile" / "t.csv")
    assert "is a file" in one_line_error(res)


def test_report_on_a_full_disk_leaves_nothing_half_written(tiny_fs, small_export):
    fs = tiny_fs("48k")
    (fs / "r.docx").write_bytes(b"old report")
    res = run("report", "-i", small_export, "-p", "2024-11", "-o", fs / "r.docx", "--no-emerging")
    assert "No space left on device" in one_line_error(res)
    # no new docx without its figures file, no temporaries; the rejects of the input are listed
    assert sorted(p.name for p in fs.iterdir()) == ["r.docx", "r.docx.rejects.csv"]
    assert (fs / "r.docx").read_bytes() == b"old report"


def test_classify_on_a_full_disk_is_one_line(tiny_fs, trained_model, models_dir, small_export):
    fs = tiny_fs("16k")
    res = run(
        "classify", "--model", "demo", "--models-dir", models_dir, "--input", small_export,
        "--output", fs / "t.xlsx", "--rejects", fs / "rej.csv",
    )  # fmt: skip
    assert "No space left on device" in one_line_error(res)
    assert not (fs / "t.xlsx").exists() and not [p for p in fs.iterdir() if p.name.startswith(".")]


def test_read_only_models_dir_fails_before_training(tiny_fs, train_csv):
    ro = tiny_fs("1m", "ro")
    res = run(
        "train", "--data", train_csv, "--name", "x", "--models-dir", ro / "models", "--embedder", "none"
    )
    assert "not writable" in one_line_error(res)
    full = tiny_fs("64k")
    res = run("train", "--data", train_csv, "--name", "x", "--models-dir", full, "--embedder", "none")
    assert "MiB free" in one_line_error(res)


# --- item 8: rejects everywhere --------------------------------------------------


def test_report_writes_rejects_and_says_so_in_the_bulletin(tmp_path, small_export):
    out = tmp_path / "r.md"
    res = run("report", "-i", small_export, "-p", "2024-11", "-o", out, "--no-emerging")
    assert res.exit_code == 0, res.output
    rej = pd.read_csv(tmp_path / "r.md.rejects.csv", dtype=str)
    assert rej["id"].tolist() == ["BAD-DATE"]
    assert "1 条记录因数据问题" in out.read_text(encoding="utf-8")
    assert "r.md.rejects.csv" in res.stderr


def test_hotspots_writes_rejects_and_its_notes_are_chinese(tmp_path, small_export):
    unlabelled = tmp_path / "in.csv"
    pd.read_csv(small_export, dtype=str).drop(columns=["一级分类", "二级分类"]).to_csv(
        unlabelled, index=False
    )
    out = tmp_path / "hot.md"
    res = run(
        "hotspots", "--input", unlabelled, "--start", "2024-11-01", "--end", "2024-11-30",
        "--output", out, "--top", "3",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "hot.md.rejects.csv", dtype=str)["id"].tolist() == ["BAD-DATE"]
    notes = [x for x in out.read_text(encoding="utf-8").splitlines() if x.startswith("> ")]
    assert any("没有诉求分类" in n for n in notes)  # the Chinese alert's notes are in Chinese
    assert not [n for n in notes if re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", n)], notes


# --- item 10: a period without data -----------------------------------------------


def test_report_for_a_period_without_data_says_so(tmp_path, small_export):
    res = run("report", "-i", small_export, "-p", "2019-05", "-o", tmp_path / "r.docx", "--no-emerging")
    assert "no complaints in 2019-05" in one_line_error(res)
    assert not (tmp_path / "r.docx").exists()


# --- item 11: evaluate on training data, tests never touch the user's home -------


def test_evaluate_on_training_data_says_so(trained_model, models_dir, train_csv, small_export):
    res = run("evaluate", "--model", "demo", "--models-dir", models_dir, "--data", train_csv)
    assert res.exit_code == 0, res.output
    assert "was trained on" in res.stderr
    res = run("evaluate", "--model", "demo", "--models-dir", models_dir, "--data", small_export)
    assert res.exit_code == 0 and "was trained on" not in res.stderr


def test_tests_do_not_write_into_the_users_home(tmp_path_factory):
    base = tmp_path_factory.getbasetemp().resolve()
    for var in ("HOTLINE_NLP_HOME", "HOTLINE_NLP_CACHE"):
        assert Path(os.environ[var]).resolve().is_relative_to(base), var


def test_embed_and_store_import_list_their_rejects_too(tmp_path, small_export):
    res = run("embed", "--input", small_export, "--output", tmp_path / "v.npy", "--embedder", "zh-static-v1")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "v.rejects.csv", dtype=str)["id"].tolist() == ["BAD-DATE"]
    db = f"sqlite:///{tmp_path / 's.db'}"
    res = run("store", "import", "--db", db, "--input", small_export, "--rejects", tmp_path / "imp.csv")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "imp.csv", dtype=str)["id"].tolist() == ["BAD-DATE"]
