"""Part-of-speech tags of segmented words, from jieba's own dictionary.

Why not ``jieba.posseg``: it costs about 3 ms a complaint, and the place
extractor and the keyword phrases tag every complaint a report describes. The
project's segmenter already reproduces jieba's dictionary segmentation
(``fast_segmenter``); each word's tag is then the one ``dict.txt`` gives it
(``x`` for words it does not know), which is what ``jieba.posseg`` does
without its HMM.
"""

from __future__ import annotations

from functools import lru_cache

from hotline_nlp.corpus.text import segment


@lru_cache(maxsize=1)
def pos_tags() -> dict[str, str]:
    """Word -> jieba dictionary tag, lower-cased as the segmenter folds words."""
    from hotline_nlp.corpus.fast_segmenter import jieba_dict_path

    out: dict[str, str] = {}
    with open(jieba_dict_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                out[parts[0].lower()] = parts[2]
    return out


def tag(word: str) -> str:
    return pos_tags().get(word.lower(), "x")


@lru_cache(maxsize=131072)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """``((word, tag), ...)`` of a short normalised text (a place's head)."""
    tags = pos_tags()
    return tuple((w, tags.get(w, "x")) for w in segment(text))
