"""All text processing lives here: normalising, segmenting, stop words.

The classifier, the hotspot engine and the bulletin writer must see a complaint
the same way, so there is exactly one normaliser and one segmenter. Segmentation
is jieba (HMM off, so the result depends only on the dictionary and is fast and
reproducible) with the project's domain dictionary loaded once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Iterable

import logging

import jieba

jieba.setLogLevel(logging.WARNING)

_WS = re.compile(r"\s+")
# Tokens that carry no topic: punctuation, pure numbers, single latin letters.
_JUNK = re.compile(r"^[\W_]+$|^\d+(\.\d+)?$|^[a-zA-Z]$")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def data_path(name: str):
    """Path of a file shipped in ``corpus/data``."""
    return resources.files("hotline_nlp.corpus").joinpath("data", name)


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


def join_title_body(title: object, body: object) -> str:
    """Title and body as one text; the title is dropped when the body repeats it."""
    t, b = clean(title), clean(body)
    if not t:
        return b
    if not b or b.startswith(t):
        return b or t
    return f"{t}。{b}" if not t.endswith(("。", "！", "？", "!", "?")) else f"{t}{b}"


def tokenizer() -> jieba.Tokenizer:
    """The shared jieba tokenizer with the domain dictionary, built once per process."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            tk = jieba.Tokenizer()
            tk.initialize()
            with data_path("domain_dict.txt").open("rb") as f:
                tk.load_userdict(f)
            _tokenizer = tk
    return _tokenizer


def segment(text: str) -> list[str]:
    """Words of one text after ``normalise`` (jieba, HMM off), whitespace dropped."""
    return [w for w in tokenizer().lcut(normalise(text), HMM=False) if w.strip()]


def segment_many(texts: Iterable[str]) -> list[list[str]]:
    return [segment(t) for t in texts]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Function words and complaint boilerplate (市民反映, 希望, 相关部门 ...)."""
    with data_path("stopwords.txt").open(encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def content_words(text: str) -> list[str]:
    """Segmented words minus stop words and junk: what keywords are made of."""
    stop = stopwords()
    return [w for w in segment(text) if w not in stop and not _JUNK.match(w)]
