"""The on-disk cache as a whole: what it holds, and cleaning it.

The cache holds sentence vectors by embedder version (one SQLite file,
``corpus.embedding_cache``), always safe to delete: vectors are recomputed.
Hotspot runs before issue 14 also spilled vectors into ``spill/vectors-*``
folders (the home-made out-of-core store Dask replaced); those a run left
behind are listed and removed here.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from hotline_nlp.corpus.embedding import load_embedder
from hotline_nlp.corpus.embedding_cache import FILENAME, EmbeddingCache
from hotline_nlp.paths import cache_dir

OWNER_FILE = "owner.pid"  # the process an old spill folder belonged to


def stale_spill_dirs(root: Path) -> list[Path]:
    """Spill folders under ``root`` whose process is gone (left by a killed run of
    an earlier version); ``hotline-nlp cache clean`` removes them."""
    stale = []
    for d in sorted(Path(root).glob("vectors-*")) if Path(root).is_dir() else []:
        try:
            pid = int((d / OWNER_FILE).read_text("ascii"))
        except (OSError, ValueError):
            pid = None  # no owner recorded
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


def summary() -> dict:
    """Where the cache is, its size, the vectors per embedder version and the spill folders."""
    root = cache_dir()
    db = root / FILENAME
    spill = root / "spill"
    return {
        "directory": str(root),
        "embeddings_file": str(db),
        "file_bytes": sum(f.stat().st_size for f in root.glob(FILENAME + "*") if f.is_file())
        if root.is_dir()
        else 0,
        "versions": EmbeddingCache(root).versions() if db.is_file() else {},
        "spill_folders": sorted(str(d) for d in spill.glob("vectors-*")) if spill.is_dir() else [],
        "stale_spill_folders": [str(d) for d in stale_spill_dirs(spill)],
    }


def clean(versions: list[str] | None = None, *, keep_current: bool = False, all_: bool = False) -> dict:
    """Delete the vectors of ``versions`` (or of every version but the default
    embedder's current one, or of all), then the spill folders of runs that ended.

    Raises ValueError for conflicting choices or an unknown version, and
    ``EmbedderError`` when the default embedder cannot be loaded for ``keep_current``.
    """
    if sum([bool(versions), keep_current, all_]) > 1:
        raise ValueError("give one of --version, --keep-current or --all")
    root = cache_dir()
    cache = EmbeddingCache(root)
    have = cache.versions() if cache.path.is_file() else {}
    if versions:
        unknown = [v for v in versions if v not in have]
        if unknown:
            raise ValueError(
                f"no cached vectors for version(s) {', '.join(unknown)}; cached: {', '.join(have) or 'none'}"
            )
        drop = list(versions)
    elif keep_current:
        current = load_embedder(None).version
        drop = [v for v in have if v != current]
    else:
        drop = list(have) if all_ else []
    removed = {v: cache.clear(v) for v in drop}
    if removed:
        cache.vacuum()
    cache.close()
    stale = stale_spill_dirs(root / "spill")
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
    return {"removed_vectors": removed, "removed_spill_folders": [str(d) for d in stale]}
