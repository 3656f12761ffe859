"""The manifest every saved model directory carries (``manifest.json``).

It answers the questions asked of a model in production: which version is this,
what was it trained on (a hash and size of the data, not the data), how good was
it, with which libraries, and are its files intact (a SHA-256 per file, checked
at load time, so a half-copied or edited model fails loudly instead of tagging
badly).
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT = "hotline-nlp/tagging-model"
FORMAT_VERSION = 1
LIBRARIES = (
    "hotline-nlp",
    "scikit-learn",
    "numpy",
    "scipy",
    "jieba",
    "pandas",
    "sentence-transformers",
    "torch",
)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            pass
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_checksums(directory: Path) -> dict[str, str]:
    """SHA-256 of every file below ``directory`` except the manifest itself."""
    return {
        p.relative_to(directory).as_posix(): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def build(
    directory: Path,
    *,
    name: str,
    version: str,
    kind: str,
    training: dict,
    labels: dict,
    metrics: dict,
    params: dict,
    selection: dict | None = None,
) -> dict:
    """Manifest for the files already written in ``directory``."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "name": name,
        "version": version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data": training,
        "labels": labels,
        "metrics": metrics,
        "params": params,
        **({"selection": selection} if selection is not None else {}),
        "libraries": library_versions(),
        "files": file_checksums(directory),
    }


def write(directory: Path, manifest: dict) -> None:
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def read(directory: Path) -> dict:
    """Read and check a manifest; raise ``ValueError`` with the reason (one line)."""
    path = directory / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{directory}: not a hotline-nlp model (no manifest.json)")
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: manifest is corrupt ({e})") from None
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise ValueError(f"{path}: not a hotline-nlp tagging model manifest")
    check_schema(man, path)
    return man


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_schema(man: dict, path: Path) -> None:
    """The fields every reader relies on have the right types, so a hand-edited
    or truncated manifest is a one-line error here instead of a traceback later.
    An empty or missing ``files`` map is corruption: it would verify nothing."""
    fv = man.get("format_version")
    if type(fv) is not int or fv < 1:
        raise ValueError(f"{path}: manifest is corrupt (format_version must be a whole number, got {fv!r})")
    if fv > FORMAT_VERSION:
        raise ValueError(
            f"{path}: model format {fv} is newer than this hotline-nlp "
            f"understands ({FORMAT_VERSION}); upgrade hotline-nlp"
        )
    for key in ("name", "version", "kind"):
        if not isinstance(man.get(key), str) or not man[key]:
            raise ValueError(f"{path}: manifest is corrupt ({key} must be a non-empty string)")
    for key in ("metrics", "labels", "training_data", "params"):
        if key in man and not isinstance(man[key], dict):
            raise ValueError(f"{path}: manifest is corrupt ({key} must be an object)")
    files = man.get("files")
    if not isinstance(files, dict) or not files:
        raise ValueError(
            f"{path}: manifest is corrupt (files must map every model file to its SHA-256; "
            f"got {json.dumps(files)[:40]})"
        )
    for rel, digest in files.items():
        parts = rel.split("/")
        if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"{path}: manifest is corrupt (file name {rel!r} is not a plain relative path)")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ValueError(f"{path}: manifest is corrupt (checksum of {rel} is not a SHA-256)")


def verify(directory: Path, manifest: dict) -> None:
    """The files on disk are exactly the files listed, each with its recorded
    checksum: a missing, changed or extra file fails (an unlisted file would be
    loaded unchecked)."""
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        raise ValueError(f"{directory}: manifest lists no files, so nothing can be verified (corrupt)")
    on_disk = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if not p.is_dir() and p.name != "manifest.json"
    }
    extra = sorted(on_disk - set(listed))
    if extra:
        raise ValueError(f"{directory}: file {extra[0]} is not listed in the manifest (corrupt or tampered)")
    for rel, digest in listed.items():
        p = directory / rel
        if not p.is_file():
            raise ValueError(f"{directory}: file {rel} listed in the manifest is missing")
        if sha256_file(p) != digest:
            raise ValueError(f"{directory}: file {rel} is corrupt (checksum mismatch)")


def data_fingerprint(texts, labels) -> str:
    """SHA-256 over the training texts and labels, order-independent, so the same
    export re-sorted hashes the same."""
    rows = sorted(f"{t}\x1f{lab}" for t, lab in zip(texts, labels))
    h = hashlib.sha256()
    for r in rows:
        h.update(r.encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def row_hashes(texts) -> np.ndarray:
    """Sorted 64-bit hashes of texts (whitespace-normalised), saved beside a model
    so ``evaluate`` can tell how much of a file the model was trained on."""
    return np.unique(np.array([row_hash(t) for t in texts], dtype=np.uint64))


def row_hash(text) -> int:
    """64-bit hash of one text, whitespace-normalised (see ``row_hashes``)."""
    digest = hashlib.blake2b(" ".join(str(text).split()).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")
