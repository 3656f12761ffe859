"""Place-name helpers: the short forms of a district's name, and one regex for many words.

Why here: both the dispatcher's place evidence (``classifier.dispatch.places``) and
anything else that looks names up in text need them; the learning itself lives in
the dispatcher, which knows units and towns.
"""

from __future__ import annotations

import re

# place kinds that locate a complaint inside one district (a bus line does not)
LOCAL_KINDS = ("town", "compound", "road", "school", "facility")
_SUFFIXES = ("新区", "开发区", "区", "县", "市")


def short_forms(district: str) -> list[str]:
    """The names a text may use for a district: 兴隆台区 -> [兴隆台区, 兴隆台].

    The short form is kept only when it is at least two Chinese characters, so
    "A3区" is never shortened to "A3" and 大洼区 becomes 大洼.
    """
    out = [district]
    for suf in _SUFFIXES:
        if district.endswith(suf):
            core = district[: -len(suf)]
            if len(core) >= 2 and re.fullmatch(r"[\u4e00-\u9fa5]+", core):
                out.append(core)
            break
    return out


def trie_regex(words) -> re.Pattern | None:
    """One regex matching any of ``words``, longest first, built as a trie so the
    match runs in C at about one step per character, however many words."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie)) if trie else None
