"""Is an issue one problem, or a catch-all of unrelated complaints?

Why: clustering leaves a few large groups whose members share only the
vocabulary of petitions (2019's #5 "市委、行动、具体", 85 complaints: proposals
to the city on anything). Heat ranks them high because they are large; an
analyst reads them as noise. The test is how alike the members' texts are:
``coherence`` is the mean pairwise cosine of their character-bigram TF-IDF
vectors (IDF from the members and a background of other complaints), over a
seeded sample of at most ``sample`` members. A real issue's members repeat its
place and its matter (丽发新城 搅拌站: about 0.2 and above on the real 2019
export); a catch-all's members share almost nothing but boilerplate.

``is_catch_all`` flags an issue of at least ``min_size`` members whose
coherence is under ``threshold``.

Text similarity alone misses the largest catch-all of the real year: #5 is 85
proposals of one caller on 84 different subjects (a hospital, a ruin park, air
pollution ...), all written in the same template ("在国家大力倡导……的大背景下，
希望市委市政府……"), so its members look alike (coherence 0.10, as high as
real issues). ``is_one_voice`` catches it: at least ``min_size`` complaints of
which distinct callers are at most ``voice_share``; one person's many letters
are not a problem many people share (多人反映同一问题). On the year's top 20 of
the real export (BENCHMARKS.md, label quality) the next lowest caller share is
0.67 (12 callers, 17 complaints).
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

THRESHOLD = 0.06
MIN_SIZE = 10
SAMPLE = 60
VOICE_SHARE = 0.25
_HASH = HashingVectorizer(
    analyzer="char", ngram_range=(2, 2), n_features=2**20, alternate_sign=False, norm=None
)
SPARE = 5  # issues described beyond a report's top, to fill the places of catch-alls kept out


def background_df(background: list[str] | None) -> tuple[np.ndarray, int]:
    """Document frequency of each hashed character bigram over ``background``
    (computed once per report, shared by every issue's ``coherence``)."""
    texts = [str(t) for t in background or []]
    if not texts:
        return np.zeros(_HASH.n_features, np.int64), 0
    x = _HASH.transform(texts)
    return np.asarray((x > 0).sum(axis=0)).ravel(), len(texts)


def coherence(texts: list[str], background=None, sample: int = SAMPLE) -> float | None:
    """Mean pairwise cosine of the members' character-bigram TF-IDF vectors
    (sublinear tf, IDF over the members and the background: texts, or
    ``background_df`` of them); None for fewer than two texts."""
    texts = [str(t) for t in texts if str(t).strip()]
    if len(texts) < 2:
        return None
    if len(texts) > sample:
        pick = np.random.default_rng(0).choice(len(texts), sample, replace=False)
        texts = [texts[i] for i in sorted(pick)]
    bg_df, bg_n = background if isinstance(background, tuple) else background_df(background)
    x = _HASH.transform(texts).tocsr()
    df = np.asarray((x > 0).sum(axis=0)).ravel() + bg_df
    idf = np.log((1.0 + len(texts) + bg_n) / (1.0 + df)) + 1.0
    x.data = 1.0 + np.log(x.data)
    x = normalize(x.multiply(idf[None, :]).tocsr())
    sim = (x @ x.T).toarray()
    n = len(texts)
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))


def is_catch_all(
    value: float | None, size: int, threshold: float = THRESHOLD, min_size: int = MIN_SIZE
) -> bool:
    """Many members, little in common (module doc)."""
    return value is not None and size >= min_size and value < threshold


def is_one_voice(callers: int, complaints: int, share: float = VOICE_SHARE, min_size: int = MIN_SIZE) -> bool:
    """Many complaints, few callers (module doc)."""
    return complaints >= min_size and callers <= share * complaints


def catch_all_note(n: int) -> str:
    """The report's note on the issues kept out of its top list."""
    return f"另有 {n} 个问题为同一来电人的多事项留言或内容杂糅（内部一致性低），未列入热点问题表"
