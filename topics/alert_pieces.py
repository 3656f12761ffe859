"""The weekly alert's per-partition steps: what runs on the Dask workers (or, with
the local executor, in this process: the same functions, one code path).

Why pieces: the input partitions (export files, or one in-memory frame) are
cut by ISO week once (``load_piece``), and every later step works on the
pieces of one week or a few consecutive weeks, wherever they are kept. A step
gets the pieces, not the whole input, so no process ever holds the whole
history: the client receives only small results (document frequencies, a
sample, the unassigned pool, a count table per week).

Vectors are not kept between steps: a step recomputes the raw n-gram counts
of its rows (``Representation.raw``, vectorised hashing, cheap) instead of
holding a million complaints' vectors in memory or spilling them to disk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.corpus.text import normalise_many
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.complaint_vectors import N_FEATURES
from hotline_nlp.topics.dedup import keys_of_texts

# Columns the alert reads (the rest of an export stays where it was loaded).
KEEP = ("id", "key", "created_at", "week", "text", "caller", "level1", "level2", "handling", "title", "likes")


def clean_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a date, sorted by time, with ``key`` (unique id), ``week`` and
    ``text``: ``window.check_frame`` without its errors (a partition may hold no
    usable row; the run as a whole reports that)."""
    if not len(frame) or "created_at" not in frame or "text" not in frame:
        return pd.DataFrame(columns=["id", "key", "created_at", "week", "text"])
    from hotline_nlp.topics.hotspot_config import check_frame

    ts = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
    if ts.notna().sum() == 0:
        return pd.DataFrame(columns=["id", "key", "created_at", "week", "text"])
    out = check_frame(frame)
    return out[[c for c in KEEP if c in out]]


def load_piece(source, options=None, weeks: frozenset = frozenset()) -> dict:
    """One partition's rows of the ISO ``weeks`` asked for, split by week.

    ``source``: a path (loaded here, with ``corpus.partitions.LoadOptions``) or a
    DataFrame. Returns ``{"weeks": {label: rows}, "meta": {"rows", "dated",
    "first", "last", "all_weeks", "per_week", "per_day", "rejects"}}`` (``per_day``:
    complaints per day of those weeks, ``YYYY-MM-DD``, for cutting a week into blocks)."""
    rejects = None
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        from hotline_nlp.corpus.partitions import load_partition

        res = load_partition(source, options)
        frame, rejects = res.frame, res.rejects
    data = clean_rows(frame)
    meta = {
        "rows": int(len(frame)),
        "dated": int(len(data)),
        "first": data["created_at"].min() if len(data) else None,
        "last": data["created_at"].max() if len(data) else None,
        "rejects": rejects,
        "all_weeks": sorted(set(data["week"])),
    }
    data = data.loc[data["week"].isin(list(weeks))]
    meta["per_week"] = {str(w): int(n) for w, n in data["week"].value_counts().items()}
    days = data["created_at"].dt.strftime("%Y-%m-%d")
    meta["per_day"] = {str(d): int(n) for d, n in days.value_counts().items()}
    return {"weeks": {str(w): g for w, g in data.groupby("week", sort=True)}, "meta": meta}


def meta_of(piece: dict) -> dict:
    return piece["meta"]


def week_of(item) -> pd.DataFrame | None:
    """``(piece, week)`` -> that week's rows of the piece."""
    piece, week = item
    return piece["weeks"].get(week)


def rows_of(pieces) -> pd.DataFrame:
    """The pieces' rows as one frame in time order (ties: partition order, then row order)."""
    frames = [p for p in pieces if p is not None and len(p)]
    if not frames:
        return pd.DataFrame(columns=["id", "key", "created_at", "week", "text"])
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return out.sort_values("created_at", kind="stable").reset_index(drop=True)


def raw_of(rows: pd.DataFrame, rep):
    """Raw n-gram counts, raw semantic vectors and text keys of ``rows``."""
    norm = normalise_many(rows["text"].tolist())
    counts, sem = rep.raw(norm)
    return counts, sem, keys_of_texts(norm, normalised=True)


def priorities(keys) -> np.ndarray:
    """A fixed pseudo-random number per complaint id: the sample is the rows with
    the smallest, so it does not depend on how the input is partitioned."""
    return pd.util.hash_pandas_object(pd.Series(list(keys), dtype=object), index=False).to_numpy()


# -- the steps ------------------------------------------------------------------
def scan_week(pieces, rep, with_rows: bool = False) -> dict:
    """Document frequencies (for the IDF), semantic sum, row count and sampling
    priorities of one week; with ``with_rows`` also its rows and raw vectors
    (the weeks the client works on)."""
    rows = rows_of(pieces)
    counts, sem, keys = raw_of(rows, rep)
    idx, cnt = np.unique(counts.indices, return_counts=True)
    out = {
        "n": len(rows),
        "df": (idx.astype(np.int32), cnt.astype(np.int64)),
        "sem_sum": sem.sum(axis=0, dtype=np.float64) if sem is not None and len(sem) else None,
        "prio": priorities(rows["key"]),
    }
    if with_rows:
        out["rows"], out["raw"] = rows, (counts, sem, keys)
    return out


def rows_and_raw(pieces, rep) -> tuple[pd.DataFrame, tuple]:
    rows = rows_of(pieces)
    return rows, raw_of(rows, rep)


def df_total(parts) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Sum of ``scan_week`` results: document frequencies, documents, semantic sum."""
    df = np.zeros(N_FEATURES, np.int64)
    n, sem = 0, None
    for p in parts:
        idx, cnt = p["df"]
        np.add.at(df, idx, cnt)
        n += p["n"]
        if p["sem_sum"] is not None:
            sem = p["sem_sum"] if sem is None else sem + p["sem_sum"]
    return df, n, sem


def sample_week(pieces, rep, threshold: int) -> tuple[pd.DataFrame, tuple]:
    """The week's rows whose priority is at most ``threshold``, with raw vectors."""
    rows = rows_of(pieces)
    take = priorities(rows["key"]) <= np.uint64(threshold)
    rows = rows.loc[take].reset_index(drop=True)
    rows["pos"] = np.flatnonzero(take)
    return rows[["key", "week", "pos"]], raw_of(rows, rep)[:2]


def pool_week(
    pieces, rep, centroids, threshold: float, sampled: dict, n_jobs=1
) -> tuple[pd.DataFrame, tuple]:
    """Rows of a pool week that match no bootstrap issue (``sampled``: the
    sample's own labels, key -> issue index, which win over the centroid rule
    as in ``clustering.discover``); with raw vectors, in time order."""
    rows = rows_of(pieces)
    counts, sem, _ = raw_of(rows, rep)
    best, _ = cl.assign(rep.weigh(counts, sem), centroids, threshold, n_jobs=n_jobs)
    own = rows["key"].map(sampled)
    label = np.where(own.notna(), own.fillna(-1).to_numpy(np.int64), best)
    free = np.flatnonzero(label < 0)
    out = rows.iloc[free][["key", "week"]].reset_index(drop=True)
    out["pos"] = free
    return out, (counts[free], None if sem is None else sem[free])


# -- the category table's rows ------------------------------------------------
CAT_COLUMNS = ("id", "key", "created_at", "level1", "level2", "handling")


def category_rows(pieces, tagger=None) -> pd.DataFrame:
    """The pieces' rows without their text (tagged first with ``tagger``: a model,
    or a ``classifier.partitioned.ModelRef`` loaded once per worker): what the
    category table counts."""
    rows = rows_of(pieces)
    if tagger is not None and len(rows):
        from hotline_nlp.classifier.partitioned import ModelRef, model_of
        from hotline_nlp.classifier.tagging import tag_frame

        rows = tag_frame(rows, model_of(tagger) if isinstance(tagger, ModelRef) else tagger)
    return rows[[c for c in CAT_COLUMNS if c in rows]]


def tagger_ref(ex, model):
    """The categories' tagger for ``category_rows`` on executor ``ex``: the model
    itself here, its directory shipped to the workers (once) on a cluster."""
    if model is None or getattr(ex, "client", None) is None:
        return model
    from hotline_nlp.classifier.partitioned import ModelRef

    ref = ModelRef.of(model.path)
    ex.ship_directory(ref.key, ref.path)
    return ref
