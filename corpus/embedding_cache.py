"""On-disk cache of sentence embeddings, keyed by (embedder version, text hash).

Why: the weekly jobs re-embed mostly the same complaints (a rolling window), and
the reference embedder (``use-multilingual``) or a transformer model needs
seconds per hundred long texts. A single SQLite file is enough: lookups are by
primary key, the file is safe to share between processes (WAL + busy timeout),
and deleting it is always safe. Vectors are stored as raw float32 bytes, so a
hit returns exactly the vector that was computed.

Location: ``paths.cache_dir()`` (``$HOTLINE_NLP_CACHE`` if set, else
``$HOTLINE_NLP_HOME/cache``, else ``~/.cache/hotline-nlp``); the file is ``embeddings.sqlite`` inside it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np
from hotline_nlp.paths import cache_dir

FILENAME = "embeddings.sqlite"
_CHUNK = 500  # keys per SELECT ... IN (...), well under SQLite's variable limit


def text_key(text: str) -> bytes:
    """16-byte digest of the exact text (no normalisation: the embedder sees it as is)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingCache:
    """Vectors by (version, text) in one SQLite file.

    >>> cache = EmbeddingCache(tmp_dir)               # doctest: +SKIP
    >>> found = cache.get_many("v1", ["a", "b"], dim=4)  # {index: vector}
    """

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.path = self.directory / FILENAME
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30)
                # Rows are 1-2 KB of vector: on SQLite's default 4 KB pages each would
                # take a page of its own (2x the disk); 32 KB pages pack them densely.
                # Only effective on a new file, so it is set before anything else.
                conn.execute("PRAGMA page_size=32768")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS vectors ("
                    " version TEXT NOT NULL, key BLOB NOT NULL, dim INTEGER NOT NULL,"
                    " vec BLOB NOT NULL, PRIMARY KEY (version, key))"
                )
            except (sqlite3.Error, OSError) as e:
                raise OSError(f"embedding cache {self.path} cannot be opened: {e}") from e
            self._local.conn = conn
        return conn

    def get_many(self, version: str, texts: list[str], dim: int) -> dict[int, np.ndarray]:
        """Cached vectors for ``texts``: {position in texts: float32 vector}.

        Entries whose stored dimension differs from ``dim`` are ignored (treated
        as misses), so a wrong-shaped row can never leak into a result.
        """
        conn = self._conn()
        keys = [text_key(t) for t in texts]
        positions: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            positions.setdefault(k, []).append(i)
        unique = list(positions)
        found: dict[int, np.ndarray] = {}
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key, dim, vec FROM vectors WHERE version = ? AND key IN ({marks})",
                [version, *chunk],
            ).fetchall()
            for key, d, blob in rows:
                if d != dim or len(blob) != 4 * dim:
                    continue
                vec = np.frombuffer(blob, dtype=np.float32)
                for i in positions[key]:
                    found[i] = vec
        return found

    def put_many(self, version: str, texts: list[str], vectors: np.ndarray) -> None:
        """Store float32 rows for texts (an existing entry is replaced)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise ValueError(f"expected ({len(texts)}, dim) vectors, got {vectors.shape}")
        dim = vectors.shape[1]
        rows = [(version, text_key(t), dim, v.tobytes()) for t, v in zip(texts, vectors)]
        conn = self._conn()
        with conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    def count(self, version: str | None = None) -> int:
        conn = self._conn()
        if version is None:
            return conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        return conn.execute("SELECT COUNT(*) FROM vectors WHERE version = ?", (version,)).fetchone()[0]

    def clear(self, version: str | None = None) -> int:
        """Delete all entries (or one version's); returns how many went."""
        conn = self._conn()
        with conn:
            if version is None:
                cur = conn.execute("DELETE FROM vectors")
            else:
                cur = conn.execute("DELETE FROM vectors WHERE version = ?", (version,))
        return cur.rowcount

    def versions(self) -> dict[str, dict[str, int]]:
        """Entries and vector bytes per embedder version (what ``embedder cache`` lists)."""
        if not self.path.is_file():
            return {}
        rows = (
            self._conn()
            .execute(
                "SELECT version, COUNT(*), SUM(LENGTH(vec)) FROM vectors GROUP BY version ORDER BY version"
            )
            .fetchall()
        )
        return {v: {"entries": int(n), "bytes": int(b or 0)} for v, n, b in rows}

    def vacuum(self) -> None:
        """Give deleted pages back to the file system (SQLite keeps them otherwise)."""
        conn = self._conn()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
