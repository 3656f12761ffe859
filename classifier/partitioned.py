"""``classify`` over a partitioned input, on this machine or a Dask cluster.

Why a module of its own: the unit of work is one input partition (a file), run
by ``corpus.executor`` here or on a worker. ``tag_partition`` is that unit: it
loads and validates the partition, tags it with the model (loaded once per
worker process, keyed by the model's path and manifest checksum) and returns
the tagged rows and the rejects. The client writes the parts
(``corpus.partitions.PartWriter``): one Parquet part per input partition, or
one file when ``--output`` is a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hotline_nlp.classifier.tagging import classify_result, review_count, write_table
from hotline_nlp.corpus.executor import resolve_shipped, worker_cached
from hotline_nlp.corpus.partitions import LoadOptions, PartWriter, load_partition


@dataclass(frozen=True)
class ModelRef:
    """What a worker needs to find and load a tagging model: its directory and
    the checksum of its manifest (which lists every file's checksum)."""

    path: str
    checksum: str

    @classmethod
    def of(cls, path: str | Path) -> ModelRef:
        man = Path(path) / "manifest.json"
        return cls(str(path), hashlib.sha256(man.read_bytes()).hexdigest()[:16])

    @property
    def key(self) -> str:
        return f"model-{self.checksum}"


def _load(ref: ModelRef):
    from hotline_nlp.classifier.model import load_model

    return load_model(resolve_shipped(ref.key, ref.path))


def model_of(ref: ModelRef):
    """The loaded model in this process (loaded on first use, then reused)."""
    return worker_cached(ref.key, _load, ref)


@dataclass
class PartResult:
    file: str
    frame: pd.DataFrame
    rejects: pd.DataFrame
    model_label: str


def tag_partition(path: str, *, ref: ModelRef, top_k: int = 3, options: LoadOptions | None = None):
    """Load, validate and tag one partition (runs on a worker or here)."""
    data = load_partition(path, options or LoadOptions())
    m = model_of(ref)
    out = classify_result(data, m, top_k=top_k) if len(data.frame) else data.raw.iloc[:0].copy()
    return PartResult(str(path), out.reset_index(drop=True), data.rejects, m.label_id)


def classify_partitions(
    executor,
    files: list[Path],
    ref: ModelRef,
    output: Path,
    *,
    top_k: int = 3,
    options: LoadOptions | None = None,
) -> dict:
    """Tag every partition; write ``output`` (a folder of parts, or one file by
    extension). Returns a summary with the rejects frame (``file``, ``row``, ...)."""
    executor.ship_directory(ref.key, ref.path)
    as_folder = output.suffix == "" or output.is_dir()
    results = executor.map(
        tag_partition, [str(f) for f in files], name="tag", ref=ref, top_k=top_k, options=options
    )
    rejects, n, n_review, label = [], 0, 0, ""
    if as_folder:
        with PartWriter(output) as w:
            for i, r in results:
                w.write(i, r.frame)
                rejects.append(r.rejects)
                n, n_review, label = n + len(r.frame), n_review + _review(r.frame), r.model_label
    else:
        parts = {}
        for i, r in results:
            parts[i] = r.frame
            rejects.append(r.rejects)
            label = r.model_label
        frame = pd.concat([parts[i] for i in sorted(parts)], ignore_index=True)
        write_table(frame, output)
        n, n_review = len(frame), _review(frame)
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame()
    if len(rej):
        rej = rej.sort_values(["file", "row"], kind="stable", ignore_index=True)
    return {"rows": n, "needs_review": n_review, "rejects": rej, "model": label, "parts": len(files)}


def _review(frame: pd.DataFrame) -> int:
    return review_count(frame)
