"""A `tokenizers` Unigram model that segments Chinese like ``jieba.lcut(s, HMM=False)``.

Why: the static embedder needs a Rust tokenizer (``StaticEmbedding`` only takes a
``tokenizers.Tokenizer``) that cuts text into *words*, not characters or BPE
pieces, so each word can carry its own vector. jieba without HMM is a unigram
language model: it picks the segmentation that maximises the sum of
``log(freq / total)`` over the dictionary words, which is exactly the Viterbi
search a ``tokenizers`` Unigram model does when each piece's score is that same
log-probability. Built from jieba's own ``dict.txt`` plus the project's domain
dictionary it therefore reproduces jieba's segmentation (up to tie-breaks),
several times faster and with no Python in the loop.

Differences from jieba, all on purpose: dictionary words are NFKC-folded and
lower-cased, and latin letters and digits in every width and case are pieces of
their own (the tokenizer itself does not normalise: an NFKC pass costs ~20% of
the embedder's speed and, on Chinese text, only changes punctuation, which
carries no vector anyway); whitespace, punctuation and any other character that is not a piece become
``<unk>`` (consecutive ones fused into one), where jieba emits them one by one;
and runs of latin letters and digits are cut by the same dictionary (down to
single characters) instead of being kept whole.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from tokenizers import Tokenizer
from tokenizers.models import Unigram

UNK = "<unk>"
# CJK Unified Ideographs, the range jieba treats as Han.
CJK_RANGE = (0x4E00, 0x9FD5)
ASCII_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
# the same in upper case and in full width (Ａ１ ａ): without a normaliser they
# must be pieces, or they would fall to <unk>
WIDE_CHARS = ASCII_CHARS.upper()[:26] + "".join(
    chr(ord(c) + 0xFEE0) for c in ASCII_CHARS + ASCII_CHARS.upper()[:26]
)


def jieba_dict_path() -> Path:
    """jieba's bundled main dictionary (``word freq [pos]`` per line)."""
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


def read_dict(path: str | Path) -> dict[str, int]:
    """Word -> frequency from a jieba-format dictionary (``word [freq] [pos]``).

    A later line overrides an earlier one, as ``jieba.load_userdict`` does. A
    missing frequency counts as 1 (jieba would guess one; 1 keeps the build
    reproducible). A malformed line raises ``ValueError`` naming file and line.
    """
    path = Path(path)
    out: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            word = parts[0]
            freq = 1
            if len(parts) >= 2:
                try:
                    freq = int(parts[1])
                except ValueError:
                    raise ValueError(
                        f"{path}:{lineno}: frequency {parts[1]!r} is not an integer "
                        f"(expected 'word freq [pos]')"
                    ) from None
                if freq < 0:
                    raise ValueError(f"{path}:{lineno}: negative frequency {freq}")
            out[word] = freq
    return out


def fold(text: str) -> str:
    """Dictionary keys are NFKC-folded and lower-cased (``B超`` -> ``b超``)."""
    return unicodedata.normalize("NFKC", text).lower()


def merge_dicts(dicts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Fold keys as the tokenizer folds text and merge, later dicts overriding.

    Within one dict, keys that fold together (``B超`` / ``b超``) add up; words
    with a zero frequency or whitespace inside are dropped, since jieba never
    emits the first and the tokenizer can never see the second.
    """
    merged: dict[str, int] = {}
    for d in dicts:
        local: dict[str, int] = {}
        for w, f in d.items():
            k = fold(w)
            if f <= 0 or not k or any(c.isspace() for c in k):
                continue
            local[k] = local.get(k, 0) + f
        merged.update(local)
    return merged


def is_cjk_char(ch: str) -> bool:
    return len(ch) == 1 and CJK_RANGE[0] <= ord(ch) <= CJK_RANGE[1]


def select_vocabulary(
    freqs: Mapping[str, int],
    max_words: int | None,
    always: Iterable[str] = (),
) -> list[str]:
    """The words the tokenizer (and so the embedding table) keeps.

    Every single character of the dictionary, every word of ``always`` (domain
    terms), and then the ``max_words`` most frequent multi-character words
    (all of them when ``max_words`` is None). Single characters are always in, so
    any Chinese text still tokenises fully: a dropped rare word simply falls back
    to shorter words or characters, which is how a capped vocabulary degrades.
    Ties are broken by the word itself so the selection is reproducible.
    """
    always = {fold(w) for w in always}
    singles = [w for w in freqs if len(w) == 1]
    multi = sorted((w for w in freqs if len(w) > 1), key=lambda w: (-freqs[w], w))
    if max_words is not None:
        multi = multi[:max_words]
    chosen = set(singles) | set(multi) | {w for w in always if w in freqs}
    return sorted(chosen, key=lambda w: (-freqs[w], w))


def build_tokenizer(
    freqs: Mapping[str, int],
    vocabulary: Iterable[str] | None = None,
    add_cjk_chars: bool = True,
) -> Tokenizer:
    """Unigram tokenizer whose pieces are ``vocabulary`` (default: all of ``freqs``).

    Scores are ``log(freq / total)`` with ``total`` over the whole of ``freqs``
    (not just the kept words), so keeping fewer words does not change how the
    kept ones compete. Latin letters and digits, in both cases and both widths,
    are always pieces (frequency 1 if the dictionary lacks them). With ``add_cjk_chars`` every CJK ideograph missing
    from the dictionary becomes a piece with frequency 1 too, which is what jieba
    does with an unknown character (``FREQ.get(w) or 1``); without it such a
    character is ``<unk>``. Id 0 is ``<unk>``.
    """
    words = list(freqs) if vocabulary is None else list(vocabulary)
    total = float(sum(freqs.values()))
    if total <= 0:
        raise ValueError("dictionary is empty (no word with a positive frequency)")
    pieces: list[tuple[str, float]] = [(UNK, 0.0)]
    seen = {UNK}
    for w in words:
        if w in seen:
            continue
        seen.add(w)
        pieces.append((w, math.log(max(freqs.get(w, 1), 1) / total)))
    floor = math.log(1.0 / total)
    extra = [chr(cp) for cp in range(CJK_RANGE[0], CJK_RANGE[1] + 1)] if add_cjk_chars else []
    # latin letters and digits: without them a run like "a3" would become <unk>
    for ch in [*ASCII_CHARS, *WIDE_CHARS, *extra]:
        if ch not in seen:
            seen.add(ch)
            pieces.append((ch, floor))
    tok = Tokenizer(Unigram(pieces, unk_id=0, byte_fallback=False))
    # No pre-tokenizer: the Viterbi search runs over the whole text. Whitespace and
    # punctuation are not pieces, so they become <unk> nodes that no word can
    # span, which cuts the text where jieba's block regex would, and skipping the
    # regex pass makes encoding ~40% faster.
    return tok


def project_dictionaries() -> list[Path]:
    """jieba's dict.txt, then the project's domain dictionary (which overrides)."""
    from hotline_nlp.corpus.text import data_path

    return [jieba_dict_path(), Path(str(data_path("domain_dict.txt")))]


def build_project_tokenizer(
    max_words: int | None = None, add_cjk_chars: bool = True
) -> tuple[Tokenizer, dict[str, int]]:
    """The tokenizer of the bundled embedder: jieba + domain terms, optionally capped.

    Returns the tokenizer and the merged frequencies it was built from (the build
    pipeline uses them for frequency weighting).
    """
    paths = project_dictionaries()
    dicts = [read_dict(p) for p in paths]
    freqs = merge_dicts(dicts)
    vocab = select_vocabulary(freqs, max_words, always=dicts[-1].keys())
    return build_tokenizer(freqs, vocab, add_cjk_chars=add_cjk_chars), freqs


def tokenize(tok: Tokenizer, texts: list[str]) -> list[list[str]]:
    """Token strings of many texts (``<unk>`` kept), in parallel in Rust."""
    return [e.tokens for e in tok.encode_batch(texts, add_special_tokens=False)]
