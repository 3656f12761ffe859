"""The bulletin writer: 专报 sections computed from the data, every number traceable.

``build_report(frame, "2024H1", Options(...))`` returns a format-free ``Report``
(blocks + a ``FigureBook`` of every printed number with its filter and complaint
ids); ``write_report(report, "out.docx")`` renders DOCX, HTML, Markdown or JSON
and writes the figures appendix CSV beside it. See ``bulletin.handling_rates`` for the
rate definitions and the 综评分 weights.
"""

from hotline_nlp.bulletin.context import Options
from hotline_nlp.bulletin.handling_rates import Weights, load_weights
from hotline_nlp.bulletin.report import build_report, write_report

__all__ = ["Options", "Weights", "build_report", "load_weights", "write_report"]
