"""Versioned model directories: save atomically, promote, list, load safely.

Layout under the models directory::

    <name>/v1/manifest.json ...   one directory per version, never modified
    <name>/v2/...
    <name>/CURRENT                the promoted version ("v2"), replaced atomically

A version is written into a temporary sibling directory and renamed into place
only when complete, so a crash mid-save leaves the earlier versions and the
CURRENT pointer untouched. The HTTP service watches CURRENT to swap models
without a restart.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hotline_nlp import paths
from hotline_nlp.corpus.atomic import atomic_dir, write_text
from hotline_nlp.models import manifest as mf

_VERSION = re.compile(r"^v(\d+)$")
# A name is one directory under the models directory: no separators, no "@"
# (name@v3 picks a version), not starting with "." (so never "." or ".." and
# never a hidden directory that `models list` skips).
_NAME = re.compile(r"^[\w\-][\w.\-]{0,63}$")


class ModelError(ValueError):
    """A model cannot be found, read or trusted; the message says which and why."""


def check_name(name: str) -> str:
    """``name`` if it is a valid model name, else ``ModelError``. Every path the
    store builds from a name or version goes through this (or ``check_version``)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"model name {name!r} is not allowed: use 1-64 letters, digits, '_', '-' or '.', "
            "not starting with '.' (no path separators)"
        )
    return name


def check_version(version: str) -> str:
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ModelError(f"version {version!r} is not a model version (v1, v2, ...)")
    return version


def _readable_by_others(directory: Path) -> None:
    """Give a finished version directory normal permissions (0755 dirs, 0644
    files under the usual umask 022): ``mkdtemp`` creates it 0700, which a
    service running as another user cannot read. A stricter umask (077) is kept."""
    mask = os.umask(0)
    os.umask(mask)
    for p in [directory, *directory.rglob("*")]:
        if p.is_symlink():
            continue
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)


class ModelStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else paths.models_dir()

    def versions(self, name: str) -> list[str]:
        d = self.root / check_name(name)
        if not d.is_dir():
            return []
        found = [p.name for p in d.iterdir() if p.is_dir() and _VERSION.match(p.name)]
        return sorted(found, key=lambda v: int(v[1:]))

    def current_version(self, name: str) -> str | None:
        pointer = self.root / check_name(name) / "CURRENT"
        if pointer.is_file():
            v = pointer.read_text(encoding="utf-8").strip()
            if v and not _VERSION.match(v):
                raise ModelError(f"{pointer}: corrupt (holds {v[:20]!r}, not a version such as v3)")
            return v or None
        return None

    def path_of(self, name: str, version: str | None = None) -> Path:
        version = version or self.current_version(name)
        if version is None:
            raise ModelError(f"no promoted version of model {name!r} in {self.root}")
        return self.root / check_name(name) / check_version(version)

    def promote(self, name: str, version: str) -> None:
        check_name(name), check_version(version)
        if not (self.root / name / version / "manifest.json").is_file():
            raise ModelError(f"cannot promote {name}/{version}: no such model in {self.root}")
        write_text(self.root / name / "CURRENT", version + "\n")

    def save(self, name: str, write_files, manifest_fields: dict, *, promote: bool) -> tuple[str, Path]:
        """Create the next version of ``name``.

        ``write_files(directory)`` writes the model's files; the manifest (with
        checksums of those files) is added here. Returns ``(version, path)``.
        """
        check_name(name)
        base = self.root / name
        base.mkdir(parents=True, exist_ok=True)
        existing = self.versions(name)
        version = f"v{int(existing[-1][1:]) + 1}" if existing else "v1"
        target = base / version
        # replace=False: the rename fails if the version appeared meanwhile
        with atomic_dir(target, replace=False, prefix=".incoming-") as tmp:
            write_files(tmp)
            mf.write(tmp, mf.build(tmp, name=name, version=version, **manifest_fields))
            _readable_by_others(tmp)
        if promote:
            self.promote(name, version)
        return version, target

    def list(self) -> list[dict]:
        """One row per saved version with its headline metrics and ``status``:
        ``ok``, or ``corrupt`` with the reason in ``error`` (every file's
        checksum is verified, as loading would)."""
        rows = []
        if not self.root.is_dir():
            return rows
        for d in sorted(p for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name)):
            try:
                current = self.current_version(d.name)
            except ModelError:
                current = None
            for v in self.versions(d.name):
                try:
                    man = mf.read(d / v)
                    mf.verify(d / v, man)
                    metrics = man.get("metrics", {})
                    row = {
                        "name": d.name,
                        "version": v,
                        "status": "ok",
                        "current": v == current,
                        "created": man.get("created"),
                        "n_train": man.get("training_data", {}).get("n_rows"),
                    }
                    row["kind"] = man.get("kind")
                    for level, m in metrics.items():
                        if isinstance(m, dict) and "macro_f1" in m:
                            row[f"{level}_macro_f1"] = m["macro_f1"]
                            row[f"{level}_accuracy"] = m["accuracy"]
                        elif level == "dispatch" and isinstance(m, dict) and "top1" in m:
                            row["dispatch_top1"] = m["top1"]  # out of time, see the manifest
                except (ValueError, OSError) as e:
                    row = {"name": d.name, "version": v, "status": "corrupt", "current": v == current}
                    row["error"] = str(e)
                rows.append(row)
        return rows


def resolve(name_or_dir: str | Path, models_dir: str | Path | None = None) -> Path:
    """A model directory from a path, ``name`` (its promoted version) or ``name@v3``."""
    p = Path(name_or_dir)
    if (p / "manifest.json").is_file():
        return p
    if p.is_dir() and (p / "CURRENT").is_file():
        return ModelStore(p.parent).path_of(p.name)
    store = ModelStore(models_dir)
    name, _, version = str(name_or_dir).partition("@")
    if p.exists() and p.is_dir():
        raise ModelError(f"{p}: not a hotline-nlp model directory (no manifest.json)")
    check_name(name)
    if version:
        check_version(version)
    if not (store.root / name).is_dir():
        raise ModelError(
            f"no model {name!r}: not a directory, and not in the models directory {store.root} "
            "(train one with `hotline-nlp train`, or pass --models-dir)"
        )
    path = store.path_of(name, version or None)
    if not path.is_dir():
        raise ModelError(
            f"model {name!r} has no version {version or store.current_version(name)} in {store.root}"
        )
    return path
