"""An issue's name as an analyst writes it: 地点 + 对象 + 问题.

The six teams of the real 2019 export wrote their 问题描述 that way
("A市A2区丽发新城建搅拌站噪音扰民"): where, the thing, what is wrong. The name is
made from what the issue's members share:

* 地点: the place most of its complaints name (``places.summarise``), with its
  district in front when one district holds most of them; none when the
  complaints spread over several districts (an issue spanning three districts
  is not named after one estate) or when fewer than ``place_share`` of them
  name it;
* 对象 + 问题: the first object phrase and the first problem phrase of its
  keywords (``phrases``: shared by its members, c-TF-IDF, MMR), so name and
  keywords agree;
* an issue of ``small`` complaints or fewer is named from what those
  complaints say, their titles (the most central informative one, openers
  stripped), and its keywords are the phrases of those titles: statistics over
  one to three documents pick whichever rare word one caller used (煤球, 陈家).
"""

from __future__ import annotations

import re

from hotline_nlp.corpus.text import content_words, strip_openers
from hotline_nlp.topics.phrases import candidates, is_lexicon_problem, phrase_role

SMALL = 3  # an issue of this many complaints or fewer is named from its titles
PLACE_SHARE = 0.4  # share of the complaints that must name a place for it to head the name
NAME_CHARS = 30


def shared_place(place_summary: dict, n: int, share: float = PLACE_SHARE) -> str:
    """地点 of the name: district + the most named place (see the module doc), or ""."""
    places = place_summary.get("places", [])
    need = max(1.0, share * n)
    districts = [p for p in places if p["kind"] == "district"]  # each named by 20 % of them or more
    if len(districts) > 1:
        return ""  # spread over districts: no one estate names it
    rest = [p for p in places if p["kind"] not in ("district", "bus")]
    head = next((p["name"] for p in rest if p["count"] >= need), "")
    district = districts[0]["name"] if districts and districts[0]["count"] >= need else ""
    if head and district and district not in head:
        return district + head
    return head or district


def _title(titles: list[str], keep) -> str:
    """The first title (most central first) that names something besides a place."""
    for t in titles:
        t = strip_openers(str(t or "")).strip("。！？!?；; ")
        if t and candidates(t, keep):
            return t[:NAME_CHARS]
    return ""


def what_they_say(titles: list[str], texts: list[str], keep) -> list[str]:
    """What a small issue's complaints say: their titles, or, where no title
    names a thing ("关于一个问题", "问题反映"), the clauses of their texts,
    openers stripped, so the clause that does ("富田花园物业服务一塌糊涂") can
    name the issue instead of "（未命名问题）"."""
    if any(candidates(strip_openers(str(t or "")), keep) for t in titles):
        return titles
    clauses = (
        strip_openers(c.strip(), 4) for t in texts for c in re.split(r"[。！？!?；;，,：:]", strip_openers(t))
    )
    said = [c for c in clauses if len(c) >= 4]
    # the clause that names most first: "他们家在大洼区住了7年" names a place, "富田花园物业服务一塌糊涂" three things
    said.sort(key=lambda c: -len(candidates(c, keep)))
    return said or titles


def issue_name(keywords: list[str], place_summary: dict, titles: list[str], n: int, keep) -> str:
    """The name of an issue of ``n`` complaints from its ``keywords`` (best
    first), its place summary and its central ``titles`` (most central first);
    ``keep``: which words may be keywords (``keywords._keeper``)."""
    if n <= SMALL:
        t = _title(titles, keep)
        if t:
            return t
    place = shared_place(place_summary, n)
    obj = next((k for k in keywords[:5] if phrase_role(k) == "object"), "")
    problems = [k for k in keywords[:6] if phrase_role(k) == "problem" and k not in obj and obj not in k]
    # a problem of the lexicon (噪音, 拖欠, 捆绑销售) first; a bare verb (取消, 移交) says less
    prob = next((k for k in problems if is_lexicon_problem(k)), problems[0] if problems else "")
    if not obj and not prob:
        return place or _title(titles, keep) or "（未命名问题）"
    thing = obj + prob if obj and prob else obj or prob
    if place and thing.startswith(place):
        return thing
    return place + thing


def title_keywords(titles: list[str], keywords: list[str], keep, top: int = 8) -> list[str]:
    """Keywords of a small issue: the words of its titles, those its
    statistics also ranked first, then the titles' own words in the order the
    titles use them (single words: a pair of words of one title is as likely
    a slip of the segmenter as a phrase)."""
    seen: list[str] = []
    words: set[str] = set()
    for t in titles:
        words |= {w for w in content_words(str(t or "")) if keep(w)}
    for k in keywords:
        if k in words and not any(k in s or s in k for s in seen):
            seen.append(k)
    for t in titles:
        for w in [w for w in content_words(str(t or "")) if keep(w) and w in words]:
            if len(seen) >= top:
                return seen
            if not any(w in s or s in w for s in seen):
                seen.append(w)
    return seen[:top]
