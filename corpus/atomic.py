"""Write a file so that readers see the old version or the new one, never half.

Every output of the product (tagged exports, alerts, bulletins, embeddings,
store exports, caches) goes through ``atomic_path``: the content is written to
a temporary file beside the target and renamed over it only once complete, so
a failed run leaves earlier outputs intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so writers that pick
    a format from it still work); on success it replaces ``path``, on error it is
    removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get normal permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_output(path: str | Path) -> Path:
    """Raise ``OSError`` (one readable line) when ``path`` cannot be written:
    asked before the work, so an ``--output`` under a file or in a read-only
    directory is an error in the first second, not after the run."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, f"{path} is a directory; give a file name")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(20, f"cannot write {path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK):
        raise PermissionError(13, f"cannot write {path}: {parent} is not writable")
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)
