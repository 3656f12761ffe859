"""Input pieces: each partition's rows cut by ISO week, where every engine step starts.

Why pieces: the input partitions (export files, or one in-memory frame) are
cut by ISO week once (``load``), and every later step works on the pieces of
one week or a few consecutive weeks, wherever they are kept (on the Dask
workers, or in this process with the local executor: the same functions). A
step gets the pieces, not the whole input, so no process ever holds the whole
history: the client receives only small results (document frequencies, a
sample, the unassigned pool, count tables).

Vectors are not kept between steps: a step recomputes the raw n-gram counts
of its rows (``Representation.raw``, vectorised hashing, cheap) instead of
holding a million complaints' vectors in memory or spilling them to disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hotline_nlp.classifier.partitioned import ModelRef, model_of
from hotline_nlp.classifier.tagging import tag_frame
from hotline_nlp.corpus.partitions import load_partition
from hotline_nlp.corpus.text import normalise_many
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.complaint_vectors import N_FEATURES
from hotline_nlp.topics.config import HotspotError
from hotline_nlp.topics.dedup import keys_of_texts
from hotline_nlp.topics.periods import week_labels
from hotline_nlp.topics.sampling import priorities

# Columns the engine reads (the rest of an export stays where it was loaded).
KEEP = ("id", "key", "created_at", "week", "text", "caller", "level1", "level2", "handling", "title", "likes")
EMPTY = ["id", "key", "created_at", "week", "text"]


def check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a date and a text, sorted by time, with ``key`` (unique id) and ``week``."""
    if frame is None or len(frame) == 0:
        raise HotspotError("no complaints: the input is empty")
    if "created_at" not in frame:
        raise HotspotError("the complaints have no date column (受理时间/created_at); hotspots need dates")
    if "text" not in frame:
        raise HotspotError("the complaints have no text column")
    ts = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
    if ts.notna().sum() == 0:
        raise HotspotError("no complaint has a usable date (created_at is empty or unparseable in every row)")
    out = frame.loc[ts.notna()].copy()
    out["created_at"] = ts[ts.notna()]
    out = out.sort_values("created_at", kind="stable")
    ids = (
        out["id"].astype(str)
        if "id" in out
        else pd.Series([f"row{i}" for i in range(len(out))], index=out.index)
    )
    dup = ids.duplicated(keep=False)
    if dup.any():  # keep ids readable but unique: the tracker keys on them
        ids = ids.where(~dup, ids + "@" + pd.Series(range(len(ids)), index=ids.index).astype(str))
    out["key"] = ids
    out["id"] = out["id"].astype(str) if "id" in out else ids
    out["week"] = week_labels(out["created_at"])
    out["text"] = out["text"].fillna("").astype(str)
    return out


def clean_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``check_frame`` without its errors (a partition may hold no usable row;
    the run as a whole reports that)."""
    if not len(frame) or "created_at" not in frame or "text" not in frame:
        return pd.DataFrame(columns=EMPTY)
    ts = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
    if ts.notna().sum() == 0:
        return pd.DataFrame(columns=EMPTY)
    out = check_frame(frame)
    return out[[c for c in KEEP if c in out]]


@dataclass
class PieceMeta:
    """What the client reads of a loaded partition."""

    rows: int  # rows of the partition
    dated: int  # of them with a usable date
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    rejects: pd.DataFrame | None  # rows the partition's validation rejected
    all_weeks: list[str]  # every ISO week it holds
    per_week: dict[str, int] = field(default_factory=dict)  # complaints of the weeks asked for
    per_day: dict[str, int] = field(default_factory=dict)  # per day of them (``YYYY-MM-DD``): for cutting
    in_range: dict[str, int] = field(default_factory=dict)  # per week, in the span asked for


@dataclass
class Piece:
    weeks: dict[str, pd.DataFrame]
    meta: PieceMeta


def load(source, options=None, weeks: frozenset = frozenset(), span=None) -> Piece:
    """One partition's rows of the ISO ``weeks`` asked for, split by week.

    ``source``: a path (loaded here, with ``corpus.partitions.LoadOptions``) or a
    DataFrame; ``span``: ``(start, end)``, whose rows per week are counted in
    ``meta.in_range`` (the range report)."""
    rejects = None
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        res = load_partition(source, options)
        frame, rejects = res.frame, res.rejects
    data = clean_rows(frame)
    meta = PieceMeta(
        rows=int(len(frame)),
        dated=int(len(data)),
        first=data["created_at"].min() if len(data) else None,
        last=data["created_at"].max() if len(data) else None,
        rejects=rejects,
        all_weeks=sorted(set(data["week"])),
    )
    data = data.loc[data["week"].isin(list(weeks))]
    meta.per_week = {str(w): int(n) for w, n in data["week"].value_counts().items()}
    days = data["created_at"].dt.strftime("%Y-%m-%d")
    meta.per_day = {str(d): int(n) for d, n in days.value_counts().items()}
    by_week = {str(w): g for w, g in data.groupby("week", sort=True)}
    if span is not None:
        for w, g in by_week.items():
            n = int(((g["created_at"] >= span[0]) & (g["created_at"] < span[1])).sum())
            if n:
                meta.in_range[w] = n
    return Piece(by_week, meta)


def meta_of(piece: Piece) -> PieceMeta:
    return piece.meta


def week_of(item) -> pd.DataFrame | None:
    """``(piece, week)`` -> that week's rows of the piece."""
    piece, week = item
    return piece.weeks.get(week)


def rows_of(pieces, span=None) -> pd.DataFrame:
    """The pieces' rows as one frame in time order (ties: partition order, then
    row order); with ``span`` ``(start, end)`` only those in it."""
    frames = [p for p in pieces if p is not None and len(p)]
    if not frames:
        return pd.DataFrame(columns=EMPTY)
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    out = out.sort_values("created_at", kind="stable").reset_index(drop=True)
    if span is not None:
        t = out["created_at"]
        out = out.loc[(t >= span[0]) & (t < span[1])].reset_index(drop=True)
    return out


def raw_of(rows: pd.DataFrame, rep):
    """Raw n-gram counts, raw semantic vectors and text keys of ``rows``."""
    norm = normalise_many(rows["text"].tolist())
    counts, sem = rep.raw(norm)
    return counts, sem, keys_of_texts(norm, normalised=True)


# -- IDF, sample, pool -------------------------------------------------------------
@dataclass
class Scan:
    """Document frequencies (for the IDF), semantic sum, rows and sampling priorities of some pieces."""

    n: int
    df: tuple  # (feature indices, document counts)
    sem_sum: np.ndarray | None
    prio: np.ndarray


def scan(pieces, rep, span=None) -> Scan:
    rows = rows_of(pieces, span)
    counts, sem, _ = raw_of(rows, rep)
    idx, cnt = np.unique(counts.indices, return_counts=True)
    return Scan(
        n=len(rows),
        df=(idx.astype(np.int32), cnt.astype(np.int64)),
        sem_sum=sem.sum(axis=0, dtype=np.float64) if sem is not None and len(sem) else None,
        prio=priorities(rows["key"]),
    )


def df_total(parts) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Sum of ``scan`` results: document frequencies, documents, semantic sum."""
    df = np.zeros(N_FEATURES, np.int64)
    n, sem = 0, None
    for p in parts:
        idx, cnt = p.df
        np.add.at(df, idx, cnt)
        n += p.n
        if p.sem_sum is not None:
            sem = p.sem_sum if sem is None else sem + p.sem_sum
    return df, n, sem


def sample(pieces, rep, threshold: int, span=None) -> tuple[pd.DataFrame, tuple]:
    """The rows whose priority is at most ``threshold``, with raw vectors."""
    rows = rows_of(pieces, span)
    take = priorities(rows["key"]) <= np.uint64(threshold)
    rows = rows.loc[take].reset_index(drop=True)
    rows["pos"] = np.flatnonzero(take)
    return rows[["key", "week", "pos"]], raw_of(rows, rep)[:2]


def pool(pieces, rep, centroids, threshold: float, sampled: dict, n_jobs=1) -> tuple[pd.DataFrame, tuple]:
    """Rows of a pool week that match no first issue (``sampled``: the
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
        rows = tag_frame(rows, model_of(tagger) if isinstance(tagger, ModelRef) else tagger)
    return rows[[c for c in CAT_COLUMNS if c in rows]]


def tagger_ref(ex, model):
    """The categories' tagger for ``category_rows`` on executor ``ex``: the model
    itself here, its directory shipped to the workers (once) on a cluster."""
    if model is None or getattr(ex, "client", None) is None:
        return model
    ref = ModelRef.of(model.path)
    ex.ship_directory(ref.key, ref.path)
    return ref
