"""The bulletin on real citizen messages (shared/data/zhwz2020, never copied
into the repository): sections without data are left out, and the example
quotes stay short, anonymous and in the bulletin's voice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hotline_nlp.bulletin.context import Options
from hotline_nlp.bulletin.document import Paragraph
from hotline_nlp.bulletin.report import build_report
from hotline_nlp.corpus.loaders import load_complaints

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "zhwz2020" / "labeled.csv"


@pytest.mark.skipif(not REAL.exists(), reason=f"real data not present at {REAL}")
def test_real_messages_report():
    frame = load_complaints(REAL).frame
    frame = frame.loc[frame["created_at"].notna()]
    rep = build_report(frame, "2019", Options())
    total = rep.figures["overview.total"].value
    assert total == int(((frame["created_at"] >= "2019-01-01") & (frame["created_at"] < "2020-01-01")).sum())
    assert any("承办单位" in o for o in rep.omitted)  # message boards have no handling units
    quotes = [
        q
        for b in rep.blocks
        if isinstance(b, Paragraph)
        for q in re.findall(r"市民反映[^；]*?（诉求编号：[^）]+）", b.text)
    ]
    assert len(quotes) >= 8
    for q in quotes:
        body = q.split("（诉求编号")[0]
        assert 8 < len(body) <= 4 + 61, q
        assert not re.search(r"\d{7,}", body) and "我" not in body, q
