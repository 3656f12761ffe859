"""Which district a complaint is in, from the places it names.

Why: a complaint is handled by the office of the district it happens in, but
most complaints name a compound, a street or a village, not the district
("春晖花园暖气不热"). The export already knows where past complaints were:
rows whose district column (or whose handling unit, "兴隆台区住建局") names the
district. Counting which places those rows mention gives a gazetteer learned
from the city's own history: 春晖花园 -> 兴隆台区 (41 of 43 rows).

Evidence is combined naively (each place votes with its smoothed district
distribution, an explicit district name votes much harder), which is what a
few place names per complaint can support. The state is two plain dicts, so a
saved gazetteer is JSON.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from hotline_nlp.corpus.places import extract_places
from hotline_nlp.corpus.text import normalise

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


def local_places(text: str) -> list[str]:
    """Names of the places in ``text`` that lie in one district."""
    return [name for kind, name in extract_places(text) if kind in LOCAL_KINDS]


class Gazetteer:
    """Place -> district counts learned from labelled rows, plus district names.

    Parameters
    ----------
    alpha : pseudo-count pulling a rarely seen place towards the district prior.
    explicit_weight : how many place votes an explicit district name is worth.
    """

    def __init__(self, alpha: float = 1.0, explicit_weight: float = 8.0):
        self.alpha = alpha
        self.explicit_weight = explicit_weight

    def fit(self, texts, districts, known=()) -> Gazetteer:
        """Learn from ``texts`` and each row's district ("" = unknown, not learned)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        names = set(known)
        for text, d in zip(texts, districts):
            if not d:
                continue
            names.add(d)
            for place in set(local_places(text)):
                counts[place][d] += 1
        self.districts_ = sorted(names)
        index = {d: i for i, d in enumerate(self.districts_)}
        totals = Counter()
        for c in counts.values():
            totals.update(c)
        prior = np.array([totals.get(d, 0) + 1.0 for d in self.districts_])
        self.prior_ = (prior / prior.sum()).tolist()
        self.places_ = {p: {d: int(n) for d, n in c.items() if d in index} for p, c in counts.items()}
        self._index()
        return self

    def _index(self) -> None:
        alias = {}
        for d in self.districts_:
            for form in short_forms(d):
                alias.setdefault(form, d)
        self.aliases_ = alias
        self._alias_re = trie_regex(alias)
        # known places are found by one scan (the places extractor is only needed to learn them)
        self._place_re = trie_regex(self.places_)

    def explicit(self, text: str, normalised: bool = False) -> list[str]:
        """District names written in the text, in order, each once."""
        if self._alias_re is None:
            return []
        out: list[str] = []
        for m in self._alias_re.finditer(text if normalised else normalise(text)):
            d = self.aliases_[m.group(0)]
            if d not in out:
                out.append(d)
        return out

    def log_proba(self, texts, given=None) -> np.ndarray:
        """``(n, n_districts)`` log-probabilities of each complaint's district.

        ``given``: an optional district per row (an export's 所属区县); a known one
        counts like an explicit name.
        """
        n_d = len(self.districts_)
        index = {d: i for i, d in enumerate(self.districts_)}
        log_prior = np.log(np.asarray(self.prior_))
        out = np.tile(log_prior, (len(texts), 1))
        for r, text in enumerate(texts):
            text = normalise(text)  # once per text: it is a large share of the gazetteer's time
            for d in self.explicit(text, True) + (
                [given[r]] if given is not None and given[r] in index else []
            ):
                vote = np.full(n_d, 1.0)
                vote[index[d]] += self.explicit_weight
                out[r] += np.log(vote / vote.sum())
            found = set(self._place_re.findall(text)) if self._place_re is not None else ()
            for place in found:
                c = self.places_.get(place)
                if not c:
                    continue
                n = sum(c.values())
                vote = self.alpha * np.asarray(self.prior_)
                for d, k in c.items():
                    vote[index[d]] += k
                out[r] += np.log(vote / (n + self.alpha))
        out -= out.max(axis=1, keepdims=True)
        return out - np.log(np.exp(out).sum(axis=1, keepdims=True))

    def predict(self, texts) -> list[str]:
        return [self.districts_[i] for i in self.log_proba(texts).argmax(1)]

    # -- plain data ------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "params": {"alpha": self.alpha, "explicit_weight": self.explicit_weight},
            "districts": self.districts_,
            "prior": self.prior_,
            "places": self.places_,
        }

    @classmethod
    def from_dict(cls, state: dict) -> Gazetteer:
        self = cls(**state["params"])
        self.districts_ = list(state["districts"])
        self.prior_ = list(state["prior"])
        self.places_ = {p: dict(c) for p, c in state["places"].items()}
        if len(self.prior_) != len(self.districts_):
            raise ValueError("gazetteer: district list and prior differ in length")
        self._index()
        return self
