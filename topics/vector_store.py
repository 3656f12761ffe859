"""A window's complaint vectors, held week by week within a memory budget.

Why: a weekly alert needs vectors for every complaint of its history (56
weeks). At a large city's volume (a million complaints a year, ~600 n-gram
features each) one sparse matrix of them is several GB, and scipy's copies
multiply that. The window's rows are sorted by time, so each ISO week is a
contiguous block of rows. ``BlockedRows`` computes each block's *raw* part
once (n-gram counts, semantic vectors, text keys for the repeat check; see
``Representation.raw``), keeps blocks in memory while they fit
``memory_mb``, writes the rest to disk, and presents the whole as one
read-only matrix: ``x.shape``, ``x[a:b]`` and ``x[positions]`` return weighted
unit rows (CSR) built on the fly from the few blocks they touch.

With a state directory the raw blocks are stored there (``vectors/``), named
by a digest of their rows' ids and texts and of the representation's raw
signature, so next week's run reads the old weeks back and only hashes the new
one. A block whose rows changed (a late complaint) gets a new digest and is
recomputed; blocks no window uses any more are pruned when the state is saved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import weakref
from collections import OrderedDict
from pathlib import Path

import numpy as np
from hotline_nlp.corpus.text import normalise
from hotline_nlp.topics.complaint_vectors import N_FEATURES
from hotline_nlp.topics.dedup import keys_of_texts
from scipy import sparse

RAW_FILE_SUFFIX = ".raw.npz"


class RawBlock:
    """The fit-independent part of one block of rows."""

    __slots__ = ("counts", "semantic", "keys")

    def __init__(self, counts: sparse.csr_matrix, semantic: np.ndarray | None, keys: np.ndarray):
        self.counts, self.semantic, self.keys = counts, semantic, keys

    @property
    def nbytes(self) -> int:
        c = self.counts
        return (
            c.data.nbytes
            + c.indices.nbytes
            + c.indptr.nbytes
            + self.keys.nbytes
            + (self.semantic.nbytes if self.semantic is not None else 0)
        )

    def save(self, path: Path) -> None:
        """Write atomically (a crash never leaves a half block under its final name)."""
        from hotline_nlp.corpus.atomic import atomic_path

        arrays = {
            "data": self.counts.data,
            "indices": self.counts.indices,
            "indptr": self.counts.indptr,
            "shape": np.array(self.counts.shape, np.int64),
            "keys": self.keys,
        }
        if self.semantic is not None:
            arrays["semantic"] = self.semantic
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> RawBlock:
        with np.load(path, allow_pickle=False) as z:
            counts = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            sem = z["semantic"] if "semantic" in z.files else None
            return cls(counts, sem, z["keys"])


OWNER_FILE = "owner.pid"  # the process a spill folder belongs to


def stale_spill_dirs(root: Path) -> list[Path]:
    """Spill folders under ``root`` whose process is gone (a run that was killed
    before it could clean up); ``hotline-nlp cache clean`` removes them."""
    stale = []
    for d in sorted(Path(root).glob("vectors-*")) if Path(root).is_dir() else []:
        try:
            pid = int((d / OWNER_FILE).read_text("ascii"))
        except (OSError, ValueError):
            pid = None  # no owner recorded: made before this rule, or being made right now
        alive = pid is None and time.time() - d.stat().st_mtime < 3600
        if pid is not None:
            try:
                os.kill(pid, 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:  # someone else's live process
                alive = True
        if not alive:
            stale.append(d)
    return stale


class BlockStore:
    """Raw blocks by name: in memory up to ``budget`` bytes, the rest on disk.

    ``directory`` (a state directory's ``vectors/``) keeps every block on disk
    as well, for later runs; without one, blocks over the budget go to a
    private spill folder under the user cache (not /tmp, which is often RAM),
    removed when the store is garbage-collected.
    """

    def __init__(self, directory: Path | None = None, budget_bytes: int = 1 << 30):
        self.directory = Path(directory) if directory else None
        self.budget = int(budget_bytes)
        self._mem: dict[str, RawBlock] = {}
        self._held = 0
        self._spill: Path | None = None
        self.computed = 0  # blocks computed this run (the rest were read back)

    def _disk(self) -> Path:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            return self.directory
        if self._spill is None:
            from hotline_nlp.corpus.embedding_cache import cache_dir

            root = cache_dir() / "spill"
            root.mkdir(parents=True, exist_ok=True)
            self._spill = Path(tempfile.mkdtemp(prefix="vectors-", dir=root))
            (self._spill / OWNER_FILE).write_text(str(os.getpid()), "ascii")
            weakref.finalize(self, shutil.rmtree, self._spill, True)
        return self._spill

    def _path(self, name: str) -> Path:
        return self._disk() / f"{name}{RAW_FILE_SUFFIX}"

    def has_saved(self, name: str) -> bool:
        return self.directory is not None and (self.directory / f"{name}{RAW_FILE_SUFFIX}").is_file()

    def put(self, name: str, block: RawBlock) -> None:
        """Store a newly computed block (saved in ``directory`` when there is one)."""
        if self.directory is not None:
            block.save(self._path(name))
        if not self.hold(name, block) and self.directory is None:
            block.save(self._path(name))

    def hold(self, name: str, block: RawBlock) -> bool:
        """Keep ``block`` in memory if the budget allows; True when kept."""
        if name in self._mem:
            return True
        if self._held + block.nbytes > self.budget:
            return False
        self._mem[name] = block
        self._held += block.nbytes
        return True

    def get(self, name: str) -> RawBlock:
        if name in self._mem:
            return self._mem[name]
        path = self._path(name)
        try:
            return RawBlock.load(path)
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(
                f"{path}: stored vectors cannot be read ({e}); delete the file to recompute it"
            ) from None

    def prune(self, keep: set[str]) -> int:
        """Delete saved blocks not in ``keep``; returns how many were removed."""
        if self.directory is None or not self.directory.is_dir():
            return 0
        gone = 0
        for f in self.directory.glob(f"*{RAW_FILE_SUFFIX}"):
            if f.name[: -len(RAW_FILE_SUFFIX)] not in keep:
                f.unlink(missing_ok=True)
                gone += 1
        return gone


class BlockedRows:
    """A read-only matrix of weighted unit rows, stored as raw row blocks.

    ``bounds`` are the blocks' [start, end) row ranges, contiguous and in order.
    Build with ``BlockedRows.build``; index like a CSR matrix (slices, integer
    arrays, boolean masks); the result is always a CSR matrix. ``view(a, b)``
    is a cheap window onto rows [a, b) sharing the same blocks.
    """

    def __init__(self, rep, names: list[str], bounds: np.ndarray, store: BlockStore, decoded: int = 3):
        self.rep, self.names, self.bounds, self.store = rep, names, np.asarray(bounds, np.int64), store
        self._decoded: OrderedDict[int, sparse.csr_matrix] = OrderedDict()
        self._max_decoded = decoded
        self.offset, self.n = 0, int(self.bounds[-1, 1]) if len(self.bounds) else 0

    # -- construction ------------------------------------------------------
    @classmethod
    def build(
        cls, rep, texts: list[str], ids: list[str], bounds, store: BlockStore, progress=None
    ) -> BlockedRows:
        """Compute (or read back) every block's raw part; returns the matrix and
        leaves ``df_``, ``n_docs_`` and ``semantic_mean_`` on it for fitting ``rep``."""
        rep.prepare()
        sig = rep.raw_signature
        names, keys = [], []
        df = np.zeros(N_FEATURES, np.int64)
        sem_sum, n_docs = None, 0
        for a, b in bounds:
            h = hashlib.blake2b(sig.encode("utf-8"), digest_size=12)
            for i in range(a, b):
                h.update(str(ids[i]).encode("utf-8") + b"\x1f" + str(texts[i]).encode("utf-8") + b"\x1e")
            name = h.hexdigest()
            names.append(name)
            if store.has_saved(name):
                block = store.get(name)
                store.hold(name, block)
            else:
                norm = [normalise(t) for t in texts[a:b]]
                counts, sem = rep.raw(norm)
                block = RawBlock(counts, sem, keys_of_texts(norm, normalised=True))
                store.put(name, block)
                store.computed += 1
            df += np.bincount(block.counts.indices, minlength=N_FEATURES)
            keys.append(block.keys)
            if block.semantic is not None and len(block.semantic):
                s = block.semantic.sum(axis=0, dtype=np.float64)
                sem_sum = s if sem_sum is None else sem_sum + s
            n_docs += b - a
            if progress:
                progress(b - a)
        out = cls(rep, names, np.asarray(bounds, np.int64).reshape(-1, 2), store)
        out.df_, out.n_docs_ = df, n_docs
        out._keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        out.semantic_mean_ = sem_sum / n_docs if sem_sum is not None and n_docs else None
        return out

    # -- matrix interface --------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.rep.dim_)

    def view(self, a: int, b: int) -> BlockedRows:
        v = BlockedRows.__new__(BlockedRows)
        v.__dict__.update(self.__dict__)
        v.offset, v.n = self.offset + a, max(0, min(b, self.n) - a)
        return v

    def _block(self, k: int) -> sparse.csr_matrix:
        hit = self._decoded.get(k)
        if hit is not None:
            self._decoded.move_to_end(k)
            return hit
        raw = self.store.get(self.names[k])
        x = self.rep.weigh(raw.counts, raw.semantic)
        self._decoded[k] = x
        while len(self._decoded) > self._max_decoded:
            self._decoded.popitem(last=False)
        return x

    def keys(self) -> np.ndarray:
        """Text keys of the rows (for the identical-text repeat rule)."""
        return self._keys[self.offset : self.offset + self.n]

    def _range(self, a: int, b: int) -> sparse.csr_matrix:
        a, b = a + self.offset, b + self.offset
        first = int(np.searchsorted(self.bounds[:, 1], a, side="right"))
        parts = []
        k = first
        while k < len(self.bounds) and self.bounds[k, 0] < b:
            s, e = self.bounds[k]
            x = self._block(k)
            parts.append(x[max(a, s) - s : min(b, e) - s])
            k += 1
        if not parts:
            return sparse.csr_matrix((0, self.shape[1]), dtype=np.float32)
        return parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")

    def _take(self, pos: np.ndarray) -> sparse.csr_matrix:
        if pos.size == 0:
            return sparse.csr_matrix((0, self.shape[1]), dtype=np.float32)
        if pos.min() < 0 or pos.max() >= self.n:
            raise IndexError(f"row index out of range for {self.n} rows")
        if pos.size > 1 and np.all(np.diff(pos) == 1):
            return self._range(int(pos[0]), int(pos[-1]) + 1)
        order = np.argsort(pos, kind="stable")
        sp = pos[order] + self.offset
        blk = np.searchsorted(self.bounds[:, 1], sp, side="right")
        parts = []
        for k in np.unique(blk):
            sel = sp[blk == k] - self.bounds[k, 0]
            parts.append(self._block(int(k))[sel])
        x = parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return x[inverse]

    def __getitem__(self, item) -> sparse.csr_matrix:
        if isinstance(item, slice):
            a, b, step = item.indices(self.n)
            if step != 1:
                return self._take(np.arange(a, b, step))
            return self._range(a, b) if b > a else sparse.csr_matrix((0, self.shape[1]), dtype=np.float32)
        if isinstance(item, (int, np.integer)):
            i = int(item) + (self.n if item < 0 else 0)
            return self._range(i, i + 1)
        pos = np.asarray(item)
        if pos.dtype == bool:
            pos = np.flatnonzero(pos)
        return self._take(pos.astype(np.int64).ravel())


def week_bounds(week_of_row) -> np.ndarray:
    """[start, end) of each run of equal labels in ``week_of_row`` (rows sorted by time)."""
    w = np.asarray(week_of_row)
    if w.size == 0:
        return np.zeros((0, 2), np.int64)
    cut = np.flatnonzero(w[1:] != w[:-1]) + 1
    starts = np.concatenate(([0], cut))
    ends = np.concatenate((cut, [w.size]))
    return np.stack([starts, ends], axis=1).astype(np.int64)
