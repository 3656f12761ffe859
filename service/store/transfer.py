"""Import an export file into the store, and export the store to a file.

Import reads any export ``corpus.loaders`` reads (CSV/XLSX/JSONL/Parquet, any
header aliases), so a month of history from the hotline platform can seed the
store before the work-order system starts posting. It follows the API's rules:
a row whose id is stored with the same content is skipped (or, when it brings
outcome values the stored row lacks, updates them: a later export of the same
month carries the complaints closed and rated since), one with other content
is reported as a conflict and not imported, rows the loader rejects are
reported with their row numbers. Nothing is dropped without a line saying so.

Export writes canonical column names, the outcome columns (``closed``,
``satisfaction``, ``on_time``, ``revisited``, ``stars``: what the bulletin's
rates read) and ``likes``/``dislikes`` (点赞数/反对数: the hotspot heat) included, plus the store's own (``received_at``, ``updated_at``, ``tag_*``,
``model_*``), so ``import`` of an export restores the same records, tags and
outcome included, without a model, and ``hotline-nlp report`` on an export has
its rate sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.atomic import atomic_path
from hotline_nlp.corpus.clock import now_local
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.corpus.safe_cells import write_csv, write_xlsx
from hotline_nlp.service.store import records as rec
from hotline_nlp.service.store import repository as repo
from hotline_nlp.service.store.tables import META_FIELDS, UPDATABLE_FIELDS
from sqlalchemy import Engine

CHUNK = 500
EXPORT_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".parquet": "parquet"}


@dataclass
class ImportReport:
    path: Path
    read: int = 0
    created: int = 0
    existing: int = 0
    updated: int = 0  # stored rows whose outcome fields this import changed
    tagged: int = 0
    conflicts: list[str] = field(default_factory=list)
    rejects: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "input": str(self.path),
            "read": self.read,
            "created": self.created,
            "existing": self.existing,
            "updated": self.updated,
            "tagged": self.tagged,
            "conflicts": self.conflicts,
            "rejected_rows": 0 if self.rejects is None else int(self.rejects["row"].nunique()),
            "notes": self.notes,
        }


def _received(value, default: datetime | None) -> datetime | None:
    ts = pd.to_datetime(value, errors="coerce") if str(value or "").strip() else pd.NaT
    return default if pd.isna(ts) else ts.to_pydatetime().replace(microsecond=0)


def file_records(path: str | Path, columns: str | None = None) -> tuple[list[dict], object]:
    """Records (tags restored where the file is our own export) and the LoadResult."""
    loaded = load_complaints(path, columns, require=("created_at",))
    now = now_local()
    frame, raw = loaded.frame, loaded.raw
    out = []
    for idx, row in frame.iterrows():
        raw_row = raw.loc[idx].to_dict()
        r = rec.make_record(
            id=row["id"],
            title=row.get("title"),
            body=row.get("body"),
            created_at=row["created_at"],
            received_at=_received(raw_row.get("received_at"), now),
            labels=(row.get("level1"), row.get("level2")),
            **{f: row.get(f) for f in (*META_FIELDS, *UPDATABLE_FIELDS)},
        )
        r = rec.from_export_row(r, raw_row)
        if str(raw_row.get("updated_at") or "").strip():  # our own export: keep when it last changed
            r["updated_at"] = _received(raw_row["updated_at"], None)
        out.append(r)
    return out, loaded


def import_file(
    engine: Engine,
    path: str | Path,
    *,
    model=None,
    columns: str | None = None,
    top_k: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    records, loaded = file_records(path, columns)
    now = now_local()  # updated_at of changed outcomes
    report = ImportReport(Path(path), read=len(records), rejects=loaded.rejects, notes=list(loaded.notes))
    tagger = None
    if model is not None:

        def count(n: int) -> None:
            report.tagged += n

        tagger = rec.model_tagger(model, top_k, on_batch=count)

    for i in range(0, len(records), CHUNK):
        chunk = records[i : i + CHUNK]
        existing = repo.fetch_many(engine, (r["id"] for r in chunk))
        clash = {
            r["id"]
            for r in chunk
            if r["id"] in existing and existing[r["id"]]["input_hash"] != r["input_hash"]
        }
        report.conflicts.extend(sorted(clash))
        result = repo.ingest(
            engine,
            [r for r in chunk if r["id"] not in clash],
            tagger,
            now,
            who=f"import {Path(path).name}"[:100],
        )
        report.created += result.n_created
        report.updated += result.n_updated
        report.existing += len(result.created) - result.n_created - result.n_updated
        if progress:
            progress(min(i + CHUNK, len(records)), len(records))
    if report.updated:  # said in a note too, so the text summary shows it
        report.notes.append(
            f"{report.updated} stored complaints had their outcome "
            f"({', '.join(UPDATABLE_FIELDS)}) updated from this file"
        )
    return report


def export_file(engine: Engine, path: str | Path) -> int:
    """Write every stored complaint to ``path`` (.csv, .xlsx, .jsonl or .parquet); returns the count.
    Written to a temporary file and renamed, so a failed export never leaves half a file."""
    path = Path(path)
    kind = EXPORT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"{path}: unknown export type {path.suffix!r}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    frame = pd.DataFrame(
        [rec.to_export_row(r) for r in repo.iter_rows(engine)], columns=list(rec.EXPORT_COLUMNS)
    )
    if kind == "csv":  # BOM: Excel opens Chinese text correctly; formulas neutralised (safe_cells)
        write_csv(frame, path, encoding="utf-8-sig")
        return len(frame)
    if kind == "xlsx":  # neutralised too; control characters XLSX cannot hold are dropped
        write_xlsx(frame, path)
        return len(frame)
    with atomic_path(path) as tmp:
        if kind == "jsonl":
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")
        else:
            frame.to_parquet(tmp, index=False)
    return len(frame)
