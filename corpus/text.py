"""All text processing lives here: normalising, segmenting, stop words.

The classifier, hotspot detection and the bulletin writer must see a complaint
the same way, so there is exactly one normaliser and one segmenter. Segmentation
is jieba's dictionary model (HMM off, so the result depends only on the
dictionary and is reproducible) plus the project's domain dictionary; see
``segmenter`` for how it is run fast.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from hotline_nlp.corpus.resources import data_path

_WS = re.compile(r"\s+")
# Tokens that carry no topic: punctuation, pure numbers, single latin letters.
_JUNK = re.compile(r"^[\W_]+$|^\d+(\.\d+)?$|^[a-zA-Z]$")
_PUNCT = re.compile(r"^[\W_]+$")
_lock = threading.Lock()
# Bump when the segmenter's construction changes, so cached builds are not reused.
SEGMENTER_FORMAT = "segmenter-2: jieba dict + domain dict, lowercase"
_tokenizer = None
_lattice = None  # the numpy search (False: it cannot reproduce this tokenizer)
_lattice_lock = threading.Lock()


def clean(text: object) -> str:
    """Readable form of a complaint: whitespace runs (the exports' ``\\n\\t``
    padding, full-width spaces) become one space. Punctuation is kept, so this is
    what is stored and quoted in bulletins."""
    if text is None or (isinstance(text, float) and text != text):  # None or NaN
        return ""
    return _WS.sub(" ", str(text).replace("\u3000", " ")).strip()


def normalise(text: object) -> str:
    """What models read: ``clean`` plus NFKC, which folds full-width letters,
    digits and punctuation (Ａ１，-> A1,) so that 16度 and １６度 are one token."""
    return clean(unicodedata.normalize("NFKC", clean(text)))


def normalise_many(texts: Iterable[object]) -> list[str]:
    """``normalise`` of each text, faster on a batch. Full-width ASCII forms and
    the ideographic space (the compatibility characters of Chinese text, 。
    aside) are mapped in one numpy step over the whole batch; NFKC then runs
    only on texts that still need it. The same result: each of those characters
    decomposes to exactly the character it is mapped to, so NFKC of the mapped
    text is NFKC of the text."""
    import numpy as np

    cleaned = [clean(t) for t in texts]
    codes = np.frombuffer("".join(cleaned).encode("utf-32-le"), dtype=np.uint32).copy()
    wide = (codes >= 0xFF01) & (codes <= 0xFF5E)
    codes[wide] -= 0xFEE0
    codes[codes == 0x3000] = 0x20
    joined = codes.tobytes().decode("utf-32-le")
    out, at = [], 0
    for t in cleaned:
        t, at = joined[at : at + len(t)], at + len(t)
        if not unicodedata.is_normalized("NFKC", t):
            t = unicodedata.normalize("NFKC", t)
        out.append(clean(t))
    return out


def join_title_body(title: object, body: object) -> str:
    """Title and body as one text; the title is dropped when the body repeats it."""
    t, b = clean(title), clean(body)
    if not t:
        return b
    if not b or b.startswith(t):
        return b or t
    return f"{t}。{b}" if not t.endswith(("。", "！", "？", "!", "?")) else f"{t}{b}"


def _segmenter_sources() -> list:
    from hotline_nlp.corpus.fast_segmenter import project_dictionaries

    return project_dictionaries()


def segmenter():
    """The shared word segmenter, built once per process.

    It is jieba's own model -- the most probable path through jieba's
    ``dict.txt`` plus our domain dictionary, jieba's ``HMM=False`` mode -- run by
    a ``tokenizers`` Unigram model (``corpus.fast_segmenter``), which is several times
    faster than jieba's Python loop and segments batches on all cores. On Chinese
    it matches ``jieba.lcut(s, HMM=False)`` (299 of 300 real complaints
    identical); it also folds case and width. The built tokenizer is cached on
    disk, keyed by a hash of the dictionaries, so later processes load in ~1 s.
    """
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            _tokenizer = _load_or_build_segmenter()
    return _tokenizer


def _segmenter_key() -> str:
    import hashlib

    h = hashlib.sha256(SEGMENTER_FORMAT.encode())
    for p in _segmenter_sources():
        h.update(open(p, "rb").read())
    return h.hexdigest()[:16]


def _load_or_build_segmenter():
    from hotline_nlp.corpus.fast_segmenter import build_project_tokenizer
    from hotline_nlp.paths import cache_dir
    from tokenizers import Tokenizer, normalizers

    path = cache_dir() / f"segmenter-{_segmenter_key()}.json"
    if path.is_file():
        try:
            return Tokenizer.from_file(str(path))
        except Exception:  # a truncated cache file: rebuild it
            path.unlink(missing_ok=True)
    tok, _ = build_project_tokenizer()
    # ``segment`` has already applied NFKC (``normalise``); case folding is ours
    # to fix here, whatever the embedder's builder chooses for its own tokenizer.
    tok.normalizer = normalizers.Lowercase()
    try:
        from hotline_nlp.corpus.atomic import atomic_path

        with atomic_path(path) as tmp:
            tok.save(str(tmp))
    except OSError:
        pass  # a read-only cache only costs the rebuild next time
    return tok


def word_lattice():
    """The segmenter's search run in numpy over whole batches (``corpus.lattice``):
    the same words, several times less CPU than the tokenizer on long texts.
    Built once per process and cached on disk beside the tokenizer; None when
    it cannot reproduce the tokenizer (then the tokenizer itself segments)."""
    global _lattice
    with _lattice_lock:
        if _lattice is None:
            _lattice = _load_or_build_lattice() or False
    return _lattice or None


def _load_or_build_lattice():
    from hotline_nlp.corpus.lattice import LatticeSegmenter

    return LatticeSegmenter.cached(segmenter, f"segmenter-{_segmenter_key()}", _PUNCT)


@lru_cache(maxsize=1)
def tokenizer():
    """Plain jieba with the domain dictionary: the reference the fast segmenter
    is checked against in tests (and what ``segment`` reproduces)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    with data_path("domain_dict.txt").open("rb") as f:
        tk.load_userdict(f)
    return tk


def _words(encoding) -> list[str]:
    """Tokens minus punctuation, with adjacent latin/digit pieces joined back
    into one word ("2024", "wifi", "12345") as jieba keeps them."""
    out: list[str] = []
    prev_end, prev_ascii = -1, False
    for tok, (start, end) in zip(encoding.tokens, encoding.offsets):
        if tok == "<unk>" or _PUNCT.match(tok):
            prev_ascii = False
            continue
        is_ascii = tok.isascii()
        if is_ascii and prev_ascii and start == prev_end:
            out[-1] += tok
        else:
            out.append(tok)
        prev_end, prev_ascii = end, is_ascii
    return out


def segment(text: str) -> list[str]:
    """Words of one text (normalised and lower-cased), punctuation dropped."""
    return _words(segmenter().encode(normalise(text), add_special_tokens=False))


def segment_many(texts: Iterable[str], *, normalised: bool = False, plain: bool = False) -> list[list[str]]:
    """Words of many texts (the same as ``segment`` of each, faster).
    Pass ``normalised=True`` when the texts already went through ``normalise``;
    ``plain=True`` segments with the tokenizer itself (the reference)."""
    batch = list(texts) if normalised else [normalise(t) for t in texts]
    lat = None if plain else word_lattice()
    if lat is None:
        return [_words(e) for e in segmenter().encode_batch(batch, add_special_tokens=False)]
    return lat.word_lists(segment_words(batch, lat))


def segment_words(texts: list[str], lat=None):
    """Words of normalised texts as ``corpus.lattice.Words`` (piece ids, for
    callers that map words to columns without making strings); None when the
    numpy search is unavailable."""
    lat = lat or word_lattice()
    if lat is None:
        return None
    prepared, other = lat.prepare(texts)
    words = lat.words(prepared)
    if other:
        encodings = segmenter().encode_batch([texts[i] for i in other], add_special_tokens=False)
        words = words.with_lists({i: _words(e) for i, e in zip(other, encodings)})
    return words


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Function words and complaint boilerplate (市民反映, 希望, 相关部门 ...)."""
    with data_path("stopwords.txt").open(encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


# jieba's part-of-speech tags for words that cannot name an issue: conjunctions
# (只有, 不管), adverbs (尽快), position (以后, 附近), time (当时, 上周), pronouns,
# numerals and measure words (一下, 多次), prepositions, particles, interjections,
# status words (含含糊糊).
FUNCTION_TAGS = frozenset(
    {
        "c",
        "d",
        "ad",
        "dg",
        "df",
        "f",
        "t",
        "tg",
        "r",
        "rr",
        "rz",
        "rg",
        "m",
        "mq",
        "mg",
        "q",
        "p",
        "u",
        "ud",
        "ug",
        "uj",
        "ul",
        "uv",
        "uz",
        "y",
        "e",
        "o",
        "z",
        "zg",
    }
)


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """Words jieba's ``dict.txt`` tags with one of ``FUNCTION_TAGS``.

    The stop list cannot enumerate every 只有 and 当时 that a cluster's word
    counts happen to lift into its keywords; the dictionary the segmenter is
    built from already knows them. Words of the domain dictionary never count,
    whatever jieba says.
    """
    from hotline_nlp.corpus.fast_segmenter import jieba_dict_path

    domain = set()
    with data_path("domain_dict.txt").open(encoding="utf-8") as f:
        domain.update(line.split()[0] for line in f if line.strip() and not line.startswith("#"))
    out = set()
    with open(jieba_dict_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] in FUNCTION_TAGS and parts[0] not in domain:
                out.add(parts[0])
    return frozenset(out)


def content_words(text: str) -> list[str]:
    """Segmented words minus stop words, function words and junk: what
    keywords and representative-example vectors are made of."""
    stop, function = stopwords(), function_words()
    return [w for w in segment(text) if w not in stop and w not in function and not _JUNK.match(w)]


# Openers callers and operators put before the matter itself (greetings, 市民反映：...).
_OPENERS = [
    re.compile(r"^(尊敬的[^，,。！!]{0,15}?)?(您好|你好|领导好|领导您好)[，,！!。、\s]*"),
    re.compile(r"^尊敬的[^，,。！!]{0,15}[，,：:！!]\s*"),
    re.compile(
        r"^(来电)?(市民|来电人|来电市民|诉求人|群众|网友)[^，,。]{0,4}?(来电)?(反映|反应|称|陈述|表示|投诉|举报|咨询|诉求)[：:，,]?"
    ),
    re.compile(
        r"^(我|本人)(们)?(想|要|来|现)?(反映|反应|投诉|举报|咨询)(一下|一个|个)?(问题|情况|事情)?[：:，,。]?"
    ),
    re.compile(r"^(反映|反应|投诉|举报)[：:，,]?"),
    re.compile(r"^(市民|来电人|来电市民|群众)[^，,。：:]{0,4}?来电[：:，,]"),
    re.compile(r"^(各位)?领导(们)?(好|您好)"),
    re.compile(r"^麻烦(问|咨询|反映)一下"),
    re.compile(r"^(重复来电|再次来电|第[二三四五]次来电|(此前|之前|以前)(已经|已)?反映过(一次|多次)?)"),
    re.compile(r"^来电(人)?(求助|称)[：:]?"),
    re.compile(r"^求助"),
    re.compile(r"^关于"),  # titles: "关于买到假货的问题"
]


def strip_openers(text: str, min_chars: int = 8) -> str:
    """Drop greetings and 来电人称 / 我想反映 openers, as long as ``min_chars`` are left.

    Used where a complaint is quoted or an issue described (bulletin examples,
    issue headlines): 市民来电： says nothing about what the complaint is.
    """
    changed = True
    while changed:
        changed = False
        for pat in _OPENERS:
            new = pat.sub("", text, count=1).lstrip("，,。：:！!、；; ")
            if new != text and len(new) >= min_chars:
                text, changed = new, True
    return text
