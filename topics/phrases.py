"""Keyword phrases an issue's own members share: POS-aware candidates,
class-based TF-IDF over member counts, and a diversity step (MMR).

Why not plain c-TF-IDF over words: on small issues (1-3 complaints, most of a
week's alert) a word one complaint used once outranks everything (煤球, 陈家,
玩家), and an issue whose members tell different stories gets keywords from
whichever complaint used the rarest words. Three changes, each a defect of
issue 31:

* candidates are content words and pairs of adjacent content words
  (搅拌站 噪音 -> 搅拌站噪音; 捆绑 车位 -> 捆绑车位), tagged with jieba's
  dictionary part of speech: an *object* is a noun-like word, a *problem* a
  verb or adjective (噪音, 扰民, 涨价, 不热);
* an issue of two complaints or more only keeps phrases at least two of its
  complaints share (``min_share`` of them in larger issues): what the issue
  *is*, not what one caller added;
* the weight ``tf(p, c) / n_c * log(1 + A / tf(p))`` (c-TF-IDF as in
  BERTopic: ``n_c`` the issue's phrase count, ``A`` the mean per class; with
  document counts instead, the issue's main word, 车位 in the car-park issue,
  fell behind words used once by a few), plain verbs at half weight, is then
  re-ranked by maximal marginal
  relevance: each next phrase maximises ``lam * weight - (1 - lam) * overlap``
  with the phrases already chosen (shared characters), and a phrase sharing
  half its characters with one already chosen is skipped, so 搅拌站 and
  搅拌站噪音 do not both take a slot.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
from hotline_nlp.corpus.pos import pos_tags
from hotline_nlp.corpus.text import content_words as _content_words

# jieba tags of words that name the thing complained about, and of words that name what is wrong.
OBJECT_TAGS = frozenset({"n", "nz", "nt", "ng", "vn", "an", "j", "nrt", "eng", "x"})
# Idioms and set phrases (刻不容缓, 一墙之隔, 感激涕零) colour a letter; they never name an issue.
NEVER_TAGS = frozenset({"i", "l"})
PROBLEM_TAGS = frozenset({"v", "vd", "vi", "a", "ad", "ag", "z"})
# Problem words whose jieba tag says noun (噪音 is "n") but that say what is wrong.
PROBLEM_WORDS = frozenset(
    "噪音 噪声 扰民 污染 粉尘 油烟 异味 臭味 拖欠 欠薪 涨价 乱收费 收费 违建 违章 拥堵 堵塞 积水 漏水 停水 "
    "停电 断水 不热 安全隐患 隐患 质量 捆绑 强制 霸王条款 诈骗 维权 退款 延期 补贴 补助 赔偿 投诉 "
    "垃圾 脏乱差 破损 损坏 占道 违规 违法 虚假 欺诈 推诿 不作为 补课 有偿 赌博 扰民 不合理 "
    "太慢 太暗 延误 变更 落户 拆迁 改造 安置 乱停 乱摆 噪音扰民 无证 黑车 超载 欠费 涨 贵 昂贵".split()
)


@lru_cache(maxsize=65536)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple(_content_words(text))


def content_words(text: str) -> list[str]:
    """``corpus.text.content_words``, cached: a report's texts are read by the
    keywords, the names and the titles' keywords alike."""
    return list(_words_of(text))


def role(word: str) -> str:
    """``object`` or ``problem`` (see the module doc)."""
    if word in PROBLEM_WORDS:
        return "problem"
    tag = pos_tags().get(word, "x")
    return "problem" if tag in PROBLEM_TAGS else "object"


def occurrences(text: str, keep) -> Counter:
    """Each phrase candidate of one text with its count there: its content
    words that ``keep`` accepts (and the two words a long one is made of, when
    one is a problem word: 噪音扰民 -> 噪音, 扰民), and each pair of adjacent ones
    (at most 8 characters) that ``_pairs`` accepts."""
    words = content_words(text)
    tags = pos_tags()
    ok = [keep(w) and tags.get(w, "x") not in NEVER_TAGS for w in words]
    out: Counter = Counter(w for w, k in zip(words, ok) if k)
    for w in list(out):
        out.update({p: out[w] for p in _parts(w) if keep(p)})
    for i in range(len(words) - 1):
        a, b = words[i], words[i + 1]
        if ok[i] and ok[i + 1] and a != b and len(a) + len(b) <= 8 and _pairs(a, b):
            out[a + b] += 1
    return out


def candidates(text: str, keep) -> set[str]:
    """The phrase candidates of one text (``occurrences``), each once."""
    return set(occurrences(text, keep))


def _pairs(a: str, b: str) -> bool:
    """Do two adjacent words make a phrase? An object and a problem of the
    lexicon (搅拌站 噪音, 捆绑 车位, 拖欠 农民工). Two nouns side by side
    (面墙 整体, 现象 感觉) or a common verb beside a noun (还有 底气) are more
    often a slice of a sentence than a phrase: on the real 2019 alerts they
    were most of the keywords an analyst strikes out."""
    ra, rb = role(a), role(b)
    return (ra == "object" and b in PROBLEM_WORDS) or (a in PROBLEM_WORDS and rb == "object")


def _parts(word: str) -> tuple[str, ...]:
    """The two dictionary words a long word is made of, one a problem word
    (噪音扰民 -> 噪音, 扰民), so complaints that wrote 噪音 and 噪音扰民 share 噪音;
    names (广铁集团) stay whole."""
    if len(word) < 4:
        return ()
    tags = pos_tags()
    for i in range(2, len(word) - 1):
        a, b = word[:i], word[i:]
        if a in tags and b in tags and (a in PROBLEM_WORDS or b in PROBLEM_WORDS):
            return (a, b)
    return ()


def _overlap(a: str, b: str) -> float:
    """Character containment of two phrases: 1 when one holds the other."""
    if a in b or b in a:
        return 1.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / min(len(sa), len(sb))


def mmr(scored: list[tuple[float, str]], top: int, lam: float = 0.7) -> list[tuple[float, str]]:
    """``top`` of ``scored`` (weight, phrase) by maximal marginal relevance."""
    if not scored:
        return []
    best = max(s for s, _ in scored) or 1.0
    pool = [(s / best, s, p) for s, p in scored]
    chosen: list[tuple[float, str]] = []
    while pool and len(chosen) < top:
        # a phrase inside one already chosen (or holding it, or sharing half its
        # characters) adds nothing: 搅拌站 after 搅拌站噪音, 新政购房 after 人才新政
        pool = [q for q in pool if not any(_overlap(q[2], c) >= 0.5 for _, c in chosen)]
        if not pool:
            break
        i = max(
            range(len(pool)),
            key=lambda j: (
                lam * pool[j][0] - (1 - lam) * max((_overlap(pool[j][2], c) for _, c in chosen), default=0.0),
                len(pool[j][2]),
                pool[j][2],
            ),
        )
        _, s, p = pool.pop(i)
        chosen.append((s, p))
    return chosen


def shared_phrases(
    docs_by_issue: dict[int, list[str]],
    keep_by_issue: dict,
    top: int = 8,
    background: list[str] | None = None,
    min_share: float = 0.1,
) -> dict[int, list[dict]]:
    """Top ``top`` phrases per issue: ``{issue: [{"word", "weight", "share", "role"}]}``
    (``share``: the fraction of its complaints that use the phrase).
    ``keep_by_issue[k]``: which words may be part of issue ``k``'s phrases
    (not its place names); ``background``: texts outside any issue, one more
    class, so words every complaint uses get a low weight even with few issues."""
    classes = dict(docs_by_issue)
    if background:
        classes[-1] = background
    df: dict[int, Counter] = {}
    tf: dict[int, Counter] = {}
    for k, texts in classes.items():
        keep = keep_by_issue.get(k) or keep_by_issue.get(-1)
        d: Counter = Counter()
        c: Counter = Counter()
        for t in texts:
            got = occurrences(t, keep)
            c.update(got)
            d.update(set(got))
        df[k], tf[k] = d, c
    total: Counter = Counter()
    for c in tf.values():
        total.update(c)
    sizes = [sum(c.values()) for c in tf.values() if c]
    avg = float(np.mean(sizes)) if sizes else 1.0
    out: dict[int, list[dict]] = {}
    for k, texts in docs_by_issue.items():
        n = len(texts)
        words = sum(tf[k].values()) or 1
        need = 1 if n < 2 else max(2, int(np.ceil(min_share * n)))
        scored = [
            (c / words * np.log(1.0 + avg / total[p]) * _pos_weight(p), p)
            for p, c in tf[k].items()
            if df[k][p] >= need
        ]
        scored.sort(key=lambda x: (-x[0], x[1]))
        picked = mmr(scored[: 6 * top], top)
        out[k] = [
            {
                "word": p,
                "weight": round(float(s), 5),
                "share": round(df[k][p] / n, 3),
                "role": phrase_role(p),
            }
            for s, p in picked
        ]
    return out


VERB_WEIGHT = 0.5  # a plain verb (存在, 申请, 安排) names neither the thing nor what is wrong with it


def _pos_weight(phrase: str) -> float:
    """Nouns and the problem lexicon count in full, plain verbs at ``VERB_WEIGHT``."""
    if phrase in PROBLEM_WORDS or pos_tags().get(phrase, "x") not in ("v", "vd", "vi", "ad", "d"):
        return 1.0
    return VERB_WEIGHT


def phrase_role(phrase: str) -> str:
    """A phrase is a problem when one of its words is a problem word of the
    lexicon (搅拌站噪音, 捆绑销售) or when its last word is a verb or an adjective."""
    words = content_words(phrase) or [phrase]
    if phrase in PROBLEM_WORDS or any(w in PROBLEM_WORDS for w in words):
        return "problem"
    return role(words[-1])


def is_lexicon_problem(phrase: str) -> bool:
    """Does the phrase hold a word of the problem lexicon (噪音, 拖欠, 捆绑)?"""
    return phrase in PROBLEM_WORDS or any(w in PROBLEM_WORDS for w in content_words(phrase))
