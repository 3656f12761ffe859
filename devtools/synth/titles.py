"""Subject lines: how citizens and operators title a complaint.

A title is a strong hint for a classifier, so its mix matters: most name the
problem in the topic's own words (often with the place in front), a fifth of the
web ones are just the first words of the body, and some say nothing at all
(求助, 投诉, 反映问题) or name only the place, as real ones do.
"""

from __future__ import annotations

import random
import re

_SLOT = re.compile(r"\{([a-z_0-9]+)\}")
VAGUE_TITLES = (
    "求助",
    "反映问题",
    "投诉",
    "咨询",
    "请领导看看",
    "急！！！",
    "问题反映",
    "民生诉求",
    "求助！",
    "反映情况",
    "投诉建议",
    "关于一个问题",
    "老百姓的心声",
    "请求帮助",
    "咨询一下",
    "建议",
    "诉求",
    "急事",
    "盼解决",
    "反映一件事",
    "请政府帮忙",
    "希望重视",
)
_WHERE = ("xq", "road", "village", "mall", "school", "hospital")


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _closest_title(titles, rng: random.Random, ctx: dict, core: str, expand) -> tuple[str, str]:
    """The title that shares most wording with the core, so subject and body agree.

    Titles naming a slot the body never filled (a road when the body speaks of a
    village) are skipped rather than invented.
    """
    core_bi = _bigrams(core)
    scored = []
    for raw in titles:
        if any(name not in ctx for name in _SLOT.findall(raw)):
            continue
        text = expand(raw, rng, ctx)
        own = _bigrams(_SLOT.sub("，", raw))  # score the title's own words, not the place it names
        shared = len(own & core_bi)
        scored.append((shared - 0.35 * (len(own) - shared), raw, text))  # words the body never says cost
    if not scored:
        return "", ""
    best = max(score for score, _, _ in scored)
    return rng.choice([(raw, text) for score, raw, text in scored if score >= best - 0.8])


def make_title(titles, rng: random.Random, ctx: dict, core: str, style: str, expand) -> str:
    """A subject line: the topic's short title, often with the place in front, as users write them."""
    r = rng.random()
    where = next((ctx[k] for k in _WHERE if k in ctx), "")
    if r < (0.08 if style == "web" else 0.03):
        return rng.choice(VAGUE_TITLES)  # says nothing about the category: hard to classify on purpose
    if r < (0.12 if style == "web" else 0.05) and where:
        return (
            rng.choice(("", ctx["district"])) + where + rng.choice(("的问题", "问题", "", "求助", "的情况"))
        )
    if (style == "web" and r < 0.32) or r < 0.12:  # users often retype their first words as the subject
        first = re.split(r"[，。！？,!? ：]", core)[0]
        if 8 <= len(first) <= 25:
            return first
    raw, title = _closest_title(titles, rng, ctx, core, expand)
    if not title:
        return rng.choice(VAGUE_TITLES)
    wrap = rng.random() < 0.22
    if "{" not in raw and (rng.random() < 0.7 or len(title) < 7):  # "暖气不热" alone is too bare
        if where:
            sep = "" if wrap else rng.choice(("", "", "：", "，"))
            title = (ctx["district"] if rng.random() < 0.35 else "") + where + sep + title
        elif rng.random() < 0.5:
            title = ctx["district"] + title
    if wrap:
        tail = ("", "的情况") if title.endswith("问题") else ("的问题", "问题", "的情况")
        return rng.choice(("关于", "反映", "投诉")) + title + rng.choice(tail)
    if rng.random() < 0.15:
        title += rng.choice(("，请求处理", "，望解决", "，求助", "！", "，希望尽快解决", "，盼回复", "？"))
    return title
