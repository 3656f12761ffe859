"""``embed`` over a partitioned input, on this machine or a Dask cluster.

The unit of work is one input partition (``embed_partition``): load and
validate it, embed its accepted rows with the embedder (loaded once per worker
process). The client writes one Parquet part per partition (columns ``file``,
``row``, ``id``, ``embedding``: a list of float32) or, when ``--output`` is an
``.npy`` file, the concatenation plus its ``.rows.csv`` row map, as ``embed``
does for one file.

Embedders on workers: the bundled ones ship inside the package; a directory the
user names is copied to every worker (``DaskExecutor.ship_directory``), so the
workers need not share a disk with the client. Each worker keeps its own
embedding cache (``$HOTLINE_NLP_CACHE`` on its machine): results are the same
with or without it, only repeated texts get faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hotline_nlp.corpus.atomic import atomic_path
from hotline_nlp.corpus.embedding import load_embedder
from hotline_nlp.corpus.executor import directory_digest, resolve_shipped, worker_cached
from hotline_nlp.corpus.partitions import LoadOptions, PartWriter, load_partition
from hotline_nlp.corpus.safe_cells import write_csv


@dataclass(frozen=True)
class EmbedderRef:
    """An embedder name, or a directory plus the key of its shipped copy."""

    name: str | None
    key: str | None = None

    @classmethod
    def of(cls, name: str | None) -> EmbedderRef:
        p = Path(name) if name else None
        if p is not None and p.is_dir():
            return cls(str(p.resolve()), f"embedder-{directory_digest(p)}")
        return cls(name, None)

    def load(self):
        name = str(resolve_shipped(self.key, self.name)) if self.key else self.name
        return worker_cached(f"embedder:{self.key or self.name}", load_embedder, name)


@dataclass
class EmbeddedPart:
    file: str
    index: pd.DataFrame  # file, row, id
    vectors: np.ndarray
    rejects: pd.DataFrame
    name: str
    version: str


def embed_partition(
    path: str, *, ref: EmbedderRef, options: LoadOptions | None = None, batch_size=None, cache=True
):
    """Load, validate and embed one partition (runs on a worker or here)."""
    data = load_partition(path, options or LoadOptions())
    emb = ref.load()
    x = emb.encode(data.frame["text"].tolist(), batch_size=batch_size, show_progress=False, cache=cache)
    index = data.frame[[c for c in ("row", "id") if c in data.frame.columns]].reset_index(drop=True)
    index.insert(0, "file", str(path))
    return EmbeddedPart(str(path), index, np.asarray(x, np.float32), data.rejects, emb.name, emb.version)


def embed_partitions(
    executor,
    files: list[Path],
    output: Path,
    embedder: str | None = None,
    *,
    options: LoadOptions | None = None,
    batch_size: int | None = None,
    cache: bool = True,
) -> dict:
    """Embed every partition into ``output`` (a Parquet folder, or one ``.npy``)."""
    ref = EmbedderRef.of(embedder)
    if ref.key:
        executor.ship_directory(ref.key, ref.name)
    results = executor.map(
        embed_partition,
        [str(f) for f in files],
        name="embed",
        ref=ref,
        options=options,
        batch_size=batch_size,
        cache=cache,
    )
    rejects, n, dim, name, version = [], 0, 0, "", ""
    if output.suffix == ".npy":
        parts = {}
        for i, r in results:
            parts[i], name, version = r, r.name, r.version
            rejects.append(r.rejects)
        ordered = [parts[i] for i in sorted(parts)]
        x = np.concatenate([p.vectors for p in ordered]) if ordered else np.zeros((0, 0), np.float32)
        with atomic_path(output) as tmp:
            np.save(tmp, x)
        rows = output.with_name(output.name[: -len(".npy")] + ".rows.csv")
        # ids come from the exports: formula-safe like every spreadsheet-bound CSV
        write_csv(pd.concat([p.index for p in ordered], ignore_index=True), rows)
        n, dim = x.shape
    else:
        with PartWriter(output) as w:
            for i, r in results:
                frame = r.index.copy()
                frame["embedding"] = list(r.vectors)
                w.write(i, frame)
                rejects.append(r.rejects)
                n, dim, name, version = n + len(frame), r.vectors.shape[1], r.name, r.version
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame()
    if len(rej):
        rej = rej.sort_values(["file", "row"], kind="stable", ignore_index=True)
    return {
        "output": str(output),
        "rows": int(n),
        "dim": int(dim),
        "parts": len(files),
        "embedder": name,
        "embedder_version": version,
        "rejects": rej,
    }
