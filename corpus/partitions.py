"""Partitioned inputs and outputs: a folder or glob of exports, read file by file.

Why: a province's complaints do not fit one frame, and a Dask cluster works on
pieces. A *partition* is one input file; ``classify``/``embed``/``hotspots``
accept a folder (every supported file under it, sorted by path) or a glob
(``exports/2024-*.parquet``) and load each partition on its own with the same
loader and validation as a single file (``corpus.loaders``). Rejected rows
carry their ``file`` beside their ``row``, so "row 17 of part-00003.parquet"
can be found.

Outputs mirror the inputs: ``PartWriter`` writes one Parquet part per input
partition (``part-00003.parquet`` for the fourth input) into a temporary
folder and renames it over the output folder only when every part is there, so
a failed run leaves the previous output intact and a retried task (a worker
killed mid-run) can never add a part twice: parts are named by partition, not
by arrival.
"""

from __future__ import annotations

import glob
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.loaders import FORMATS, DataError, LoadResult, load_complaints

GLOB_CHARS = set("*?[")
PART_NAME = "part-{:05d}.parquet"


def is_partitioned(spec: str | Path) -> bool:
    """True for a folder or a glob pattern (the partitioned reading applies)."""
    s = str(spec)
    return Path(s).is_dir() or bool(GLOB_CHARS & set(s))


def list_partitions(spec: str | Path) -> list[Path]:
    """The input files of ``spec``: itself, a folder's supported files (recursively,
    sorted), or a glob's matches (sorted). Raises ``DataError`` when none."""
    s = str(spec)
    p = Path(s)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS)
        if not files:
            raise DataError(f"{p}: folder holds no complaint exports ({', '.join(sorted(FORMATS))})")
        return files
    if GLOB_CHARS & set(s):
        files = sorted(Path(f) for f in glob.glob(s, recursive=True) if Path(f).is_file())
        if not files:
            raise DataError(f"{s}: no file matches this pattern")
        return files
    if not p.exists():
        raise DataError(f"{p}: no such file")
    return [p]


@dataclass(frozen=True)
class LoadOptions:
    """What ``load_complaints`` needs besides the path (shipped to workers)."""

    columns: str | None = None
    encoding: str | None = None
    require: tuple[str, ...] = ()


def load_partition(path: str | Path, options: LoadOptions | None = None) -> LoadResult:
    """Load one partition; its rejects gain a ``file`` column (first)."""
    options = options or LoadOptions()
    res = load_complaints(path, options.columns, encoding=options.encoding, require=options.require)
    res.rejects.insert(0, "file", str(path))
    return res


def rejects_summary(rejects: pd.DataFrame) -> str:
    """``N row(s) rejected, e.g. part-00003.parquet row 17 (text): empty`` (or '')."""
    if not len(rejects):
        return ""
    n = int(rejects[["file", "row"]].drop_duplicates().shape[0]) if "file" in rejects else len(rejects)
    first = rejects.iloc[0]
    where = f"{Path(str(first.get('file', ''))).name} row {first['row']}".strip()
    return f"{n} row(s) rejected, e.g. {where} ({first['column']}): {first['problem']}"


class PartWriter:
    """Writes ``part-NNNNN.parquet`` files into ``folder``, atomically as a whole.

    Use as a context manager: parts go to a temporary sibling folder; on a clean
    exit it replaces ``folder`` (the old one is removed only then); on an error
    the temporary folder is deleted and ``folder`` is untouched."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.written: set[int] = set()

    def __enter__(self) -> PartWriter:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", dir=self.folder.parent))
        return self

    def write(self, index: int, frame: pd.DataFrame) -> Path:
        if index in self.written:  # never twice: a part is named by its input partition
            raise RuntimeError(f"part {index} written twice")
        path = self.tmp / PART_NAME.format(index)
        frame.to_parquet(path, index=False)
        self.written.add(index)
        return path

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = None
        if self.folder.exists():
            old = self.folder.with_name(f".{self.folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            self.folder.rename(old)
        self.tmp.rename(self.folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def read_parts(folder: str | Path) -> pd.DataFrame:
    """Every part of an output folder, in partition order (for tests and follow-up steps)."""
    files = sorted(Path(folder).glob("part-*.parquet"))
    if not files:
        raise DataError(f"{folder}: no part-*.parquet files")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
