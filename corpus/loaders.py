"""Read a complaints export (CSV in UTF-8 or GBK/GB18030, XLSX, JSONL, Parquet).

``load_complaints`` is the single entry point: it reads the file as strings,
maps the headers to canonical names (``corpus.columns``), validates every row
(``corpus.validate``) and returns the accepted rows beside the rejected ones.
Problems with the file as a whole (unreadable, wrong encoding, no text column)
raise ``DataError``; problems with single rows never raise, they become rejects
with the row and column named, so one bad row cannot sink a weekly run and no
row disappears without a trace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus import columns as cols
from hotline_nlp.corpus.safe_cells import restore_frame, write_csv
from hotline_nlp.corpus.validate import Limits, validate_rows

ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class DataError(ValueError):
    """The file as a whole cannot be used (message names the file and the fix)."""


@dataclass
class LoadResult:
    """Accepted rows in canonical columns, plus everything needed to explain the rest.

    ``frame``   canonical columns (``text`` always; see ``corpus.columns``) and ``row``,
                the row number a person would look up (spreadsheet numbering for
                CSV/XLSX: the header is row 1; line number for JSONL; 1-based for Parquet).
    ``raw``     the original columns of the same accepted rows, same index, for outputs
                that must carry the input through unchanged.
    ``rejects`` one line per problem: row, id, column, problem, value.
    """

    path: Path
    frame: pd.DataFrame
    raw: pd.DataFrame
    rejects: pd.DataFrame
    column_map: cols.ColumnMap
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_rejected_rows(self) -> int:
        return int(self.rejects["row"].nunique()) if len(self.rejects) else 0

    def write_rejects(self, path: str | Path) -> Path:
        """Write the rejects as UTF-8 CSV (written even when empty, so a run's
        outputs are always the same set of files; formula-safe, atomic)."""
        return write_csv(self.rejects, path)

    def summary(self) -> str:
        s = f"{self.path.name}: {len(self.frame)} rows accepted, {self.n_rejected_rows} rejected"
        return s + "".join(f"\n  note: {n}" for n in self.notes)


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise DataError(
            f"{path}: unknown file type {path.suffix!r}; expected one of "
            f"{', '.join(sorted(FORMATS))} (or pass the format explicitly)"
        ) from None


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    tried = (encoding,) if encoding else ENCODINGS
    last: UnicodeDecodeError | None = None
    for enc in tried:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as e:
            last = e
            continue
        except LookupError:
            raise DataError(f"{path}: unknown encoding {enc!r}") from None
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        import io

        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise DataError(f"{path}: not a readable CSV ({e})") from None
        return df, enc
    assert last is not None
    raise DataError(
        f"{path}: cannot decode as {' or '.join(tried)} (bad byte at offset {last.start}); "
        "re-export as UTF-8 or pass --encoding"
    )


def _read_jsonl(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list[dict]]:
    """One JSON object per line; a line that is not an object becomes a reject."""
    records, bad = [], []
    enc = encoding or "utf-8-sig"
    try:
        lines = path.read_text(encoding=enc).splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not valid {enc} (bad byte at offset {e.start}); pass --encoding") from None
    if path.suffix.lower() == ".json" and lines and lines[0].lstrip().startswith("["):
        try:
            arr = json.loads("\n".join(lines))
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: invalid JSON ({e})") from None
        lines = [json.dumps(r, ensure_ascii=False) for r in arr]
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            bad.append(
                {"row": i, "id": "", "column": "", "problem": f"invalid JSON: {e.msg}", "value": line[:80]}
            )
            continue
        if not isinstance(obj, dict):
            bad.append(
                {"row": i, "id": "", "column": "", "problem": "line is not a JSON object", "value": line[:80]}
            )
            continue
        obj["__row__"] = i
        records.append(obj)
    df = pd.DataFrame.from_records(records)
    rows = df.pop("__row__") if "__row__" in df else pd.Series([], dtype=int)
    df = df.astype(object).where(df.notna(), "").astype(str) if len(df) else df
    df.index = pd.Index(rows.astype(int).tolist()) if len(df) else df.index
    return df, bad


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, list]:
    """The named sheet, or every sheet holding complaints.

    Workbooks often hold one sheet per month with the same columns: an analyst
    expects all of them counted, so those are read one after the other (rows
    numbered ``sheet!row``). Sheets without a complaint text column (a 说明 sheet,
    a pivot) are left out with a note; sheets holding complaints under different
    columns are an error naming them (choose one with ``--sheet``)."""
    if sheet is not None:
        try:
            df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl").fillna("")
        except ValueError as e:  # "Worksheet named 'x' not found"
            raise DataError(f"{path}: {e}") from None
        return df, [i + 2 for i in range(len(df))]
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
    data, skipped = {}, []
    for name, df in sheets.items():
        df = df.dropna(how="all").fillna("")
        cmap = cols.map_columns([str(c).strip() for c in df.columns])
        if len(df) and ({"title", "body"} & set(cmap.source_for)):
            data[name] = df
        elif len(df):
            skipped.append(name)
    if len(data) <= 1:
        name, df = next(iter(data.items())) if data else next(iter(sheets.items()))
        df = df.fillna("")
        rows = [int(i) + 2 for i in df.index]
        df.attrs["notes"] = [
            f"sheets not read (no complaint text column): {', '.join(map(str, skipped))}"
        ] * bool(skipped)
        return df, rows
    headers = {name: [str(c).strip() for c in df.columns] for name, df in data.items()}
    first = next(iter(headers.values()))
    if any(h != first for h in headers.values()):
        desc = "; ".join(f"{n!r}: {', '.join(h)}" for n, h in headers.items())
        raise DataError(
            f"{path}: {len(data)} sheets hold complaints under different columns ({desc}); "
            "choose one with --sheet NAME"
        )
    rows = [f"{name}!{int(i) + 2}" for name, df in data.items() for i in df.index]
    df = pd.concat(list(data.values()), ignore_index=True)
    df.attrs["notes"] = [f"read {len(data)} sheets with the same columns: {', '.join(map(str, data))}"]
    if skipped:
        df.attrs["notes"].append(
            f"sheets not read (no complaint text column): {', '.join(map(str, skipped))}"
        )
    return df, rows


def read_table(
    path: str | Path, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None
):
    """Read any supported export as all-string columns.

    Returns ``(frame, row_numbers, early_rejects, encoding)``; what the reader had
    to decide (which sheets were read) is in ``frame.attrs["notes"]``. CSV/XLSX
    cells neutralised against formula injection (``'=...``) get their text back.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a file")
    kind = detect_format(path, fmt)
    early: list[dict] = []
    used_enc = None
    try:
        if kind == "csv":
            df, used_enc = _read_csv(path, encoding)
            rows = [i + 2 for i in range(len(df))]
        elif kind == "xlsx":
            df, rows = _read_xlsx(path, sheet)
        elif kind == "parquet":
            df = pd.read_parquet(path)
            df = df.astype(object).where(df.notna(), "").astype(str)
            rows = [i + 1 for i in range(len(df))]
        else:
            df, early = _read_jsonl(path, encoding)
            rows = list(df.index) if len(df) else []
    except DataError:
        raise
    except Exception as e:  # corrupt xlsx/parquet: the library's own error, with the file named
        raise DataError(f"{path}: cannot read as {kind} ({type(e).__name__}: {e})") from None
    notes = df.attrs.get("notes", [])
    df = df.reset_index(drop=True)
    df.columns = [str(c).strip() for c in df.columns]
    if kind in ("csv", "xlsx"):
        restore_frame(df)
    df.attrs["notes"] = notes
    return df, rows, early, used_enc


def load_complaints(
    path: str | Path,
    columns: str | dict[str, str] | None = None,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    require: tuple[str, ...] = (),
    label_cols: list[str] | None = None,
    limits: Limits | None = None,
    sheet: str | None = None,
) -> LoadResult:
    """Load, map and validate an export.

    ``columns``     overrides, as ``"text=诉求内容,id=工单号"`` or a dict.
    ``require``     canonical columns that must exist (``"created_at"`` for hotspots,
                    ``"labels"`` for training, ``"labels_or_unit"``: labels, or at least a
                    unit column for a dispatch-only model); ``text`` is always required.
    ``sheet``       the XLSX sheet to read (default: every sheet holding complaints).
    ``label_cols``  explicit label columns, coarse to fine (``--label-col``); they
                    become ``level1``, ``level2`` ... in the canonical frame.
    """
    path = Path(path)
    overrides = (
        cols.parse_overrides(columns) if isinstance(columns, str) or columns is None else dict(columns)
    )
    df, rows, early, enc = read_table(path, fmt, encoding, sheet)
    file_notes = list(df.attrs.get("notes", []))
    df = cols.split_merged_headers(df, file_notes)
    if label_cols:
        missing = [c for c in label_cols if c not in df.columns]
        if missing:
            raise DataError(f"{path}: label column(s) {missing} not found (has: {', '.join(df.columns)})")
        for i, c in enumerate(label_cols, start=1):
            overrides[f"level{i}"] = c
        if len(label_cols) > 2:
            raise DataError(f"{path}: at most two label levels are supported, got {label_cols}")
    try:
        cmap = cols.map_columns(list(df.columns), overrides)
    except KeyError as e:
        raise DataError(f"{path}: {e.args[0]}") from None
    if "title" not in cmap.source_for and "body" not in cmap.source_for:
        raise DataError(
            f"{path}: no complaint text column; expected one of "
            f"{', '.join(cols.ALIASES['body'][:6])} (found: {', '.join(df.columns)}); "
            "name it with --columns text=COLUMN"
        )
    if "labels_or_unit" in require:  # `train`/`evaluate`: categories, or a unit column alone (dispatch)
        has_labels = bool({"level1", "category"} & set(cmap.source_for))
        if not has_labels and "unit" not in cmap.source_for:
            raise DataError(
                f"{path}: no label column (一级分类/二级分类 or 分类) and no unit column (承办单位/处置单位 ...) "
                f"(found: {', '.join(df.columns)}); name them with --label-col or --unit-col"
            )
        require = tuple(r for r in require if r != "labels_or_unit") + (("labels",) if has_labels else ())
    for need in require:
        if need == "labels":
            if not ({"level1", "category"} & set(cmap.source_for)):
                raise DataError(
                    f"{path}: no label column; expected 一级分类/二级分类 or 分类 (found: "
                    f"{', '.join(df.columns)}); name them with --label-col"
                )
        elif need not in cmap.source_for:
            raise DataError(
                f"{path}: no {need} column; expected one of {', '.join(cols.ALIASES[need][:5])} "
                f"(found: {', '.join(df.columns)}); name it with --columns {need}=COLUMN"
            )
    lim = limits or Limits()
    frame, rejects, notes = validate_rows(df, rows, cmap, path=path, limits=lim, require=require)
    rejects = pd.concat([pd.DataFrame(early), rejects], ignore_index=True) if early else rejects
    raw = df.loc[frame.index]
    notes[:0] = file_notes
    if enc and enc != "utf-8-sig":
        notes.insert(0, f"decoded as {enc}")
    return LoadResult(path, frame, raw, rejects, cmap, enc, notes)
