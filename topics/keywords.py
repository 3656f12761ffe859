"""Naming issues: class-based TF-IDF keywords, places, groups and a short label.

c-TF-IDF (as in BERTopic) treats all complaints of one issue as one document:
a word's weight in issue c is ``tf(w, c) * log(1 + A / f(w))`` where ``tf`` is
its share of the issue's words, ``f(w)`` its count over all issues and ``A`` the
average number of words per issue. Words every issue uses (物业, 问题) sink;
words one issue repeats (搅拌站, 充电桩) rise.

Place names are taken out of the keywords first (``places.extract_places``):
they are reported separately as the issue's ``places``, and otherwise the name
of the compound every complaint repeats would be the top "keyword".
"""

from __future__ import annotations

import re
from collections import Counter

from hotline_nlp.corpus.text import content_words
from hotline_nlp.topics import places as pl
from hotline_nlp.topics.coherence import background_df, coherence
from hotline_nlp.topics.phrases import shared_phrases

# Words that survive the stop list but say nothing about an issue.
_WEAK = frozenset(
    {
        "A市",
        "市",
        "区",
        "县",
        "小区",
        "业主",
        "居民",
        "群众",
        "领导",
        "您好",
        "你好",
        "政府",
        "部门",
        "相关",
        "问题",
        "情况",
        "反映",
        "要求",
        "希望",
        "请求",
        "投诉",
        "咨询",
        "建议",
        "现在",
        "没有",
        "知道",
        "已经",
        "还是",
        "不是",
        "就是",
        "可以",
        "需要",
        "能够",
        "这样",
        "那么",
        "一直",
        "时候",
        "为何",
        "是否",
        "请问",
        "谢谢",
        "严重",
        "影响",
        "不能",
        "进行",
        "导致",
        "造成",
        "表示",
        "工作",
        "单位",
        "求助",
        "举报",
        "诉求",
        "来电",
        "市民",
        "来电人",
    }
)


def is_informative(text: str) -> bool:
    """Does ``text`` name anything? "问题反映", "投诉", "求助" (common titles) do not.

    Used to skip a complaint title as an issue's headline when it is one of the
    generic titles callers give, so the keyword label is shown instead.
    """
    return any(w not in _WEAK for w in content_words(text))


_CODE = re.compile(r"[A-Za-z]{0,2}\d+[A-Za-z]{0,2}|[A-Za-z]+")  # A2, k9 codes; latin words are URLs here


def _place_parts(place_names: set[str]) -> set[str]:
    """Every substring (2+ characters) of the place names: 丽发, 新城 of 丽发新城小区."""
    parts: set[str] = set()
    for p in place_names:
        for i in range(len(p)):
            for j in range(i + 2, min(len(p), i + 8) + 1):
                parts.add(p[i:j])
    return parts


def _keeper(place_parts: set[str]):
    """Which words may be part of a keyword: not weak, not (part of) a place name, not a code."""

    def keep(w: str) -> bool:
        return len(w) >= 2 and w not in _WEAK and w not in place_parts and not _CODE.fullmatch(w)

    return keep


def keeper_for(place_names) -> object:
    """``_keeper`` for an issue whose complaints name ``place_names``."""
    return _keeper(_place_parts(set(place_names)))


def ctfidf_keywords(
    docs_by_issue: dict[int, list[str]], top: int = 8, background: list[str] | None = None
) -> dict[int, list[dict]]:
    """Top ``top`` keyword phrases per issue: ``{issue: [{"word", "weight", "share", "role"}]}``
    (``phrases.shared_phrases``: phrases the issue's members share, weighed by
    c-TF-IDF, diversified by MMR).

    ``background`` (optional): texts outside any issue, counted as one more
    class so that words common to *all* complaints get a low IDF even when few
    issues exist.
    """
    classes = dict(docs_by_issue)
    if background:
        classes[-1] = background
    keep = {}
    for k, texts in classes.items():
        named: Counter = Counter()
        for t in texts:
            named.update({n for _, n in pl.extract_places(t)})
        # a place named once may be a mis-cut ("搅拌站丽发新城小区"): only repeated names hide words
        keep[k] = _keeper(_place_parts({n for n, c in named.items() if c >= 2 or len(texts) <= 2}))
    return shared_phrases(docs_by_issue, keep, top=top, background=background)


def label_for(keywords: list[dict], place_summary: dict, n_words: int = 3) -> str:
    """Short label: the shared place (if most complaints name it) + top keywords.

    >>> label_for([{"word": "搅拌站"}, {"word": "噪音"}], {"places": [{"kind": "compound", "name": "丽发新城小区"}]})
    '丽发新城小区：搅拌站、噪音'
    """
    words = "、".join(k["word"] for k in keywords[:n_words]) or "（无关键词）"
    places = [p for p in place_summary.get("places", []) if p["kind"] != "district"]
    return f"{places[0]['name']}：{words}" if places else words


def describe(
    docs_by_issue: dict[int, list[str]], background: list[str] | None = None, top: int = 8
) -> dict[int, dict]:
    """``{issue: {"keywords", "places", "groups", "label", "coherence"}}`` for
    each issue (``coherence``: how alike its documents are, ``topics.coherence``)."""
    kw = ctfidf_keywords(docs_by_issue, top=top, background=background)
    bg = background_df(background)
    out = {}
    for k, texts in docs_by_issue.items():
        summary = pl.summarise(texts)
        out[k] = {
            "keywords": [w["word"] for w in kw[k]],
            "places": summary["places"],
            "groups": summary["groups"],
            "label": label_for(kw[k], summary),
            "coherence": coherence(texts, bg),
            "keyword_share": max((w["share"] for w in kw[k][:3]), default=0.0),
        }
    return out
