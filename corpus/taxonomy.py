"""Category trees: the default 12345 taxonomy, or a city's own.

A taxonomy is a CSV with one row per leaf (``一级分类,二级分类[,三级分类]``,
like the official tree in zhwz2020's ``taxonomy.csv``). Training can check its
labels against one, so a typo such as 物业管里 becomes a reject naming the row
instead of a new, one-example category; without one, the tagger learns
whatever label set the data has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.resources import data_path
from hotline_nlp.corpus.text import clean

DEFAULT = "taxonomy_12345.csv"


@dataclass(frozen=True)
class Taxonomy:
    source: str
    children: dict[str, tuple[str, ...]]  # level-1 -> level-2 names (may be empty)

    @property
    def level1(self) -> list[str]:
        return list(self.children)

    @property
    def paths(self) -> list[str]:
        return [f"{a} > {b}" for a, subs in self.children.items() for b in subs]

    def contains(self, level1: str, level2: str | None = None) -> bool:
        if level1 not in self.children:
            return False
        return not level2 or level2 in self.children[level1]

    def check(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rejects (row, id, column, problem, value) for labels not in the tree."""
        out = []
        has2 = "level2" in frame
        for row, rid, l1, l2 in zip(
            frame["row"], frame["id"], frame["level1"], frame["level2"] if has2 else [""] * len(frame)
        ):
            if l1 not in self.children:
                out.append(
                    {
                        "row": row,
                        "id": rid,
                        "column": "level1",
                        "problem": f"category {l1!r} is not in taxonomy {self.source}",
                        "value": l1,
                    }
                )
            elif has2 and l2 and self.children[l1] and l2 not in self.children[l1]:
                out.append(
                    {
                        "row": row,
                        "id": rid,
                        "column": "level2",
                        "problem": f"{l1} has no sub-category {l2!r} in taxonomy {self.source}",
                        "value": l2,
                    }
                )
        return pd.DataFrame(out, columns=["row", "id", "column", "problem", "value"])


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy CSV (UTF-8 or GB18030); ``None`` or ``"default"`` is the bundled one."""
    from hotline_nlp.corpus.loaders import DataError, read_table

    if path in (None, "default"):
        path = Path(str(data_path(DEFAULT)))
    df, _, _, _ = read_table(path)
    cols = list(df.columns)
    if len(cols) < 1 or not any(c in cols for c in ("一级分类", "level1", "category1")):
        raise DataError(f"{path}: a taxonomy needs a 一级分类 column (and optionally 二级分类); has {cols}")
    c1 = next(c for c in ("一级分类", "level1", "category1") if c in cols)
    c2 = next((c for c in ("二级分类", "level2", "category2") if c in cols), None)
    children: dict[str, list[str]] = {}
    for i, r in df.iterrows():
        a = clean(r[c1])
        if not a:
            raise DataError(f"{path}: row {i + 2} has an empty {c1}")
        subs = children.setdefault(a, [])
        b = clean(r[c2]) if c2 else ""
        if b and b not in subs:
            subs.append(b)
    return Taxonomy(str(Path(path).name), {k: tuple(v) for k, v in children.items()})


def restrict_to(data, taxonomy: Taxonomy):
    """Move rows whose labels are not in ``taxonomy`` from ``data.frame`` to its
    rejects (in place) and return ``data``; a note records the taxonomy used."""
    rej = taxonomy.check(data.frame)
    if len(rej):
        data.frame = data.frame[~data.frame["row"].isin(rej["row"])]
        data.raw = data.raw.loc[data.frame.index]
        data.rejects = pd.concat([data.rejects, rej], ignore_index=True)
    data.notes.append(f"labels checked against taxonomy {taxonomy.source}: {len(rej)} row(s) not in it")
    return data
