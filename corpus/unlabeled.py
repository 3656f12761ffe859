"""Unlabelled text hiding in a labelled export: the rows whose label cell is empty.

A centre's export usually holds more complaints than anyone has tagged. For
training those rows are rejects ("empty label": they cannot teach a category),
but their text is the city's own language, as good as any ``--unlabeled FILE``.
``rows_without_label`` reads them back so ``train`` can use them the same way
(the idf statistics) and say how many it used, instead of dropping them silently.
"""

from __future__ import annotations

from pathlib import Path

from hotline_nlp.corpus.loaders import load_complaints


def rows_without_label(path: str | Path, **load_kwargs) -> list[str]:
    """Texts of the rows of ``path`` with a usable text but an empty (first-level) label.

    ``load_kwargs`` are those the labelled load used (columns, encoding,
    label_cols, sheet, limits), so both loads read the same columns; rows with
    other problems (empty text, duplicate id ...) stay rejected in both."""
    frame = load_complaints(path, **load_kwargs).frame  # labels not required: unlabelled rows kept
    if "level1" not in frame:
        return []
    return frame.loc[frame["level1"] == "", "text"].tolist()
