"""Outputs are replaced whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest
from hotline_nlp.corpus.atomic import atomic_path, write_text


def test_success_replaces_and_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "out" / "report.md"
    write_text(target, "first")
    assert target.read_text(encoding="utf-8") == "first"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half a rep", encoding="utf-8")
            raise RuntimeError("renderer crashed")
    assert target.read_text(encoding="utf-8") == "first"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temp file left behind
    write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "second"


def test_outputs_get_ordinary_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "a.csv", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_docx_save_that_fails_midway_leaves_the_earlier_report(tmp_path, monkeypatch):
    """python-docx writes straight into the path it is given: a crash mid-save
    used to leave a truncated .docx over the earlier good one."""
    import hotline_nlp.bulletin.render_docx as render_docx
    from hotline_nlp.bulletin.report import write_report

    out = tmp_path / "r.docx"
    out.write_bytes(b"earlier good report")

    def crash_midway(report, path):  # the path, or the stream write_report renders into
        (path.write if hasattr(path, "write") else open(path, "wb").write)(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(render_docx, "render_docx", crash_midway)
    with pytest.raises(OSError):
        write_report(object(), out)
    assert out.read_bytes() == b"earlier good report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]
