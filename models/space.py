"""Can the models directory take a new version? Asked before training, not after.

Training takes minutes; finding out at the end that the directory is read-only
or the disk is full throws that work away with a traceback. ``check_writable``
creates the directory, writes and removes a probe file, and checks the free
space against ``MIN_FREE_BYTES`` (a saved tagger is a few MiB; the margin
covers its temporary copy), so the error comes first, in one line.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

MIN_FREE_BYTES = 64 * 2**20


def check_writable(root: Path, min_free: int = MIN_FREE_BYTES) -> None:
    """Raise ``OSError`` with a readable message when ``root`` cannot take a model."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=root)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        raise OSError(e.errno, f"models directory {root} is not writable ({e.strerror})") from None
    free = shutil.disk_usage(root).free
    if free < min_free:
        raise OSError(
            errno.ENOSPC,
            f"models directory {root} has only {free / 2**20:.1f} MiB free; "
            f"a new model version needs at least {min_free / 2**20:.0f} MiB",
        )
