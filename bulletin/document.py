"""The report as a flat list of blocks, independent of the output format.

Sections build blocks (headings, paragraphs, tables, the chart); the DOCX,
HTML and Markdown renderers only lay them out, so all formats say the same
thing and the numbers are computed once.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from hotline_nlp.bulletin.figures import FigureBook


@dataclass
class Heading:
    text: str
    level: int = 1  # 1: 一、总体情况  2: （一）各地区办理情况


@dataclass
class Paragraph:
    text: str
    style: str = "body"  # body | note (注：… / omitted-section notes, smaller) | lead
    lead: str = ""  # bold run-in head, e.g. "1. 物业管理类诉求占比较大。"


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""  # 注：交办量 15 件以上。


@dataclass
class Image:
    caption: str
    png: bytes
    width_cm: float = 15.5

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class TitleBlock:
    platform: str  # 盘锦市 12345 政务服务便民热线平台
    kind: str  # 专 报
    issuer: str  # 盘锦市数据局
    issue: str  # 2024 年第 5 期
    title: str  # 关于…诉求办理情况的通报
    date: str  # 2024年7月18日


@dataclass
class Report:
    title: TitleBlock
    blocks: list = field(default_factory=list)
    figures: FigureBook = field(default_factory=FigureBook)
    omitted: list[str] = field(default_factory=list)  # one line per section left out
    meta: dict = field(default_factory=dict)

    def add(self, *blocks) -> None:
        self.blocks.extend(blocks)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def images(self) -> list[Image]:
        return [b for b in self.blocks if isinstance(b, Image)]

    def to_json(self) -> dict:
        """Everything but the image bytes: the blocks as data, and every figure."""
        blocks = []
        for b in self.blocks:
            d = {"type": type(b).__name__.lower(), **{k: v for k, v in vars(b).items() if k != "png"}}
            if isinstance(b, Image):
                d["bytes"] = len(b.png)
            blocks.append(d)
        return {
            "title": vars(self.title),
            "meta": self.meta,
            "omitted": self.omitted,
            "blocks": blocks,
            "figures": self.figures.to_json(),
        }
