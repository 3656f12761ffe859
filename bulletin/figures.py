"""Traceable figures: every number a bulletin prints, with how it was obtained.

A 12345 office is asked "where does 98.88% come from?" by the departments it
ranks. Each number the writer prints is therefore registered here once, with
the filter that produced it (in words an analyst can re-apply to the export)
and the complaint ids behind it, and the same record is what the text quotes
(``book.add(...)`` returns the display string). ``--format json`` lists them
all and the DOCX/HTML/Markdown outputs get them as an appendix CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hotline_nlp.corpus.safe_cells import neutralise


@dataclass
class Figure:
    """One printed number.

    ``value``          the raw number (a count, or a fraction for rates and changes;
                       ``None`` when it could not be computed).
    ``display``        exactly as printed in the report ("16.58%", "6714", "76.92").
    ``filter``         which complaints, in words ("受理时间 2024-01-01 至 2024-06-30；办理方式=转办").
    ``complaint_ids``  the complaints the figure is computed over (for a rate: the denominator).
    ``numerator_ids``  for a rate, the complaints counted in the numerator.
    ``base_ids``       for a change (同比/环比), the complaints of the comparison period.
    """

    key: str
    name: str
    value: float | int | None
    display: str
    filter: str
    complaint_ids: list[str] = field(default_factory=list)
    numerator_ids: list[str] | None = None
    base_ids: list[str] | None = None
    section: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        return {k: v for k, v in d.items() if v is not None}


class _SafeWriter:
    """csv.writer whose text cells are neutralised against formula injection
    (category and unit names come from the export: corpus.safe_cells)."""

    def __init__(self, buf) -> None:
        self._w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row) -> None:
        self._w.writerow([neutralise(v) for v in row])


class FigureBook:
    """The figures of one report, in the order they were first printed."""

    def __init__(self) -> None:
        self._figures: dict[str, Figure] = {}
        self.section = ""

    def add(
        self,
        key: str,
        name: str,
        value,
        display: str,
        filter: str,
        complaint_ids=(),
        *,
        numerator_ids=None,
        base_ids=None,
    ) -> str:
        """Register a figure (same key twice keeps the first) and return its display text."""
        if key not in self._figures:
            self._figures[key] = Figure(
                key=key,
                name=name,
                value=value,
                display=display,
                filter=filter,
                complaint_ids=[str(i) for i in complaint_ids],
                numerator_ids=None if numerator_ids is None else [str(i) for i in numerator_ids],
                base_ids=None if base_ids is None else [str(i) for i in base_ids],
                section=self.section,
            )
        return display

    def __getitem__(self, key: str) -> Figure:
        return self._figures[key]

    def __contains__(self, key: str) -> bool:
        return key in self._figures

    def __len__(self) -> int:
        return len(self._figures)

    def __iter__(self):
        return iter(self._figures.values())

    def to_json(self) -> list[dict]:
        return [f.to_json() for f in self]

    def to_csv(self) -> str:
        """One row per figure; id lists are space-separated (ids never contain spaces);
        safe to open in a spreadsheet (text quoted, formulas neutralised)."""
        buf = io.StringIO()
        w = _SafeWriter(buf)
        w.writerow(
            [
                "key",
                "section",
                "name",
                "display",
                "value",
                "filter",
                "n_complaints",
                "complaint_ids",
                "numerator_ids",
                "base_ids",
            ]
        )
        for f in self:
            w.writerow(
                [
                    f.key,
                    f.section,
                    f.name,
                    f.display,
                    "" if f.value is None else f.value,
                    f.filter,
                    len(f.complaint_ids),
                    " ".join(f.complaint_ids),
                    " ".join(f.numerator_ids or []),
                    " ".join(f.base_ids or []),
                ]
            )
        return buf.getvalue()

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        # utf-8-sig so that Excel, which the offices open it with, reads the Chinese correctly
        from hotline_nlp.corpus.atomic import write_text

        write_text(path, self.to_csv(), encoding="utf-8-sig")
        return path
