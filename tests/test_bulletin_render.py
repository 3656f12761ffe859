"""The rendered files: DOCX (opened with python-docx, and rendered to PDF/PNG
where LibreOffice and poppler exist), HTML, Markdown, JSON, the figures
appendix, and the ``report`` command end to end."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from hotline_nlp.bulletin.context import Options
from hotline_nlp.bulletin.report import build_report, write_report
from hotline_nlp.cli import app
from hotline_nlp.corpus.loaders import load_complaints
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data" / "bulletin_small.csv"


@pytest.fixture(scope="module")
def report():
    frame = load_complaints(DATA).frame
    return build_report(
        frame,
        "2024H1",
        Options(
            min_volume=3,
            city="测试市",
            issuer="测试市数据局",
            issue="2024 年第 5 期",
            date="2024年7月18日",
        ),
    )


def test_docx_has_masthead_tables_and_chart(report, tmp_path):
    out = tmp_path / "r.docx"
    written = write_report(report, out)
    assert written == [out, tmp_path / "r.figures.csv"]
    doc = Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[:3] == ["测试市 12345 政务服务便民热线平台", "专 报", "测试市数据局\t2024 年第 5 期"]
    for heading in (
        "一、总体情况",
        "（一）各地区办理情况",
        "（四）热点诉求分析",
        "二、“评优评差”情况",
        "热点诉求趋势图",
    ):
        assert heading in texts
    assert "注：交办量 3 件以上。" in texts
    assert len(doc.tables) == len(report.tables()) == 5
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == report.tables()[0].columns
    assert [c.text for c in t.rows[1].cells][:3] == ["1", "兴隆台区", "6"]
    assert len(doc.inline_shapes) == 1
    blip = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert doc.part.related_parts[blip].blob[:4] == b"\x89PNG"


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="LibreOffice (soffice) and poppler (pdftoppm) are needed to render the DOCX",
)
def test_docx_renders_to_pdf_and_png(report, tmp_path):
    out = write_report(report, tmp_path / "r.docx")[0]
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "r.pdf"
    assert pdf.stat().st_size > 10_000
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    h, w, _ = rgb.shape
    assert h > w  # A4 portrait
    assert (rgb.sum(axis=2) < 384).mean() > 0.005  # text was drawn, not a blank page
    top = rgb[: h // 4]
    assert ((top[..., 0] > 150) & (top[..., 1] < 80)).sum() > 50  # the red masthead


def test_html_is_self_contained(report, tmp_path):
    out = tmp_path / "r.html"
    write_report(report, out)
    html = out.read_text(encoding="utf-8")
    assert html.count("<table>") == 5 and 'src="data:image/png;base64,' in html
    assert "专 报" in html and "一、总体情况" in html and "（诉求编号：" in html
    assert (tmp_path / "r.figures.csv").exists()


def test_markdown_links_or_inlines_the_chart(report, tmp_path):
    files = write_report(report, tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "![热点诉求趋势图](r_chart1.png)" in md and (tmp_path / "r_chart1.png") in files
    assert "| 序号 | 受理单位 | 交办总量 | 得星平均分 |" in md
    write_report(report, tmp_path / "i.md", md_images="inline")
    assert "](data:image/png;base64," in (tmp_path / "i.md").read_text(encoding="utf-8")


def test_json_and_appendix_list_every_figure(report, tmp_path):
    write_report(report, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    figs = {f["key"]: f for f in data["figures"]}
    assert figs["overview.total"]["value"] == 20 and len(figs["overview.total"]["complaint_ids"]) == 20
    assert figs["units.县区.兴隆台区.satisfied"]["display"] == "80.00%"
    assert "承办单位=兴隆台区" in figs["units.县区.兴隆台区.satisfied"]["filter"]
    assert {b["type"] for b in data["blocks"]} >= {"heading", "paragraph", "table", "image"}
    # every number printed in a table is a figure
    displays = {f["display"] for f in data["figures"]}
    for t in report.tables():
        for row in t.rows:
            assert all(cell in displays for cell in row[2:]), row
    write_report(report, tmp_path / "r.html")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.figures.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(report.figures)
    closed = next(r for r in rows if r["key"] == "overview.closed")
    assert closed["display"] == "87.50%" and closed["n_complaints"] == "16"
    assert "T04" in closed["complaint_ids"].split() and "T04" not in closed["numerator_ids"].split()


def test_cli_report(tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.docx"
    res = runner.invoke(
        app,
        [
            "report",
            "--input",
            str(DATA),
            "--period",
            "2024H1",
            "--output",
            str(out),
            "--city",
            "测试市",
            "--min-volume",
            "3",
            "--no-emerging",
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "r.figures.csv").exists()
    res = runner.invoke(
        app, ["report", "-i", str(DATA), "-p", "2024Q1", "-f", "json", "-o", "-", "--no-emerging"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["meta"]["period"] == {"label": "2024Q1", "start": "2024-01-01", "end": "2024-03-31"}
    res = runner.invoke(app, ["report", "-i", str(DATA), "-p", "2024-13", "-o", str(tmp_path / "x.md")])
    assert res.exit_code == 2 and "month must be 01-12" in res.output
    res = runner.invoke(app, ["report", "-i", str(DATA), "-p", "2024H1", "-f", "md", "-o", "-"])
    assert res.exit_code == 2 and "give a file for docx, html and md" in res.output
    res = runner.invoke(app, ["report", "-i", str(DATA), "-p", "2024H1", "-o", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and "cannot tell the report format" in res.output
    # several formats from one run
    res = runner.invoke(
        app,
        [
            "report",
            "-i",
            str(DATA),
            "-p",
            "2024H1",
            "--no-emerging",
            "-o",
            str(tmp_path / "m.md"),
            "-o",
            str(tmp_path / "h.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.md").exists() and (tmp_path / "h.figures.csv").exists()


def test_cli_report_tags_unlabelled_exports_with_a_model(tmp_path, trained_model, models_dir):
    import pandas as pd

    raw = pd.read_csv(DATA, dtype=str, keep_default_na=False).drop(columns=["一级分类", "二级分类"])
    path = tmp_path / "untagged.csv"
    raw.to_csv(path, index=False)
    runner = CliRunner()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["report", "-i", str(path), "-p", "2024H1", "-o", str(out), "--no-emerging"])
    assert res.exit_code == 0 and "热点诉求分析：数据无分类列" in res.output
    res = runner.invoke(
        app,
        [
            "report",
            "-i",
            str(path),
            "-p",
            "2024H1",
            "-o",
            str(out),
            "--model",
            "demo",
            "--models-dir",
            str(models_dir),
            "--no-emerging",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert any(k.startswith("hot.") for k in (f["key"] for f in data["figures"]))
    notes = [b["text"] for b in data["blocks"] if b["type"] == "paragraph" and b["style"] == "note"]
    assert any("由模型" in n and "自动标注" in n for n in notes)
    res = runner.invoke(
        app,
        [
            "report",
            "-i",
            str(path),
            "-p",
            "2024H1",
            "-o",
            str(out),
            "--model",
            "nosuch",
            "--models-dir",
            str(models_dir),
        ],
    )
    assert res.exit_code == 2
