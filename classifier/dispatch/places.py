"""Place evidence: which district and which town government a complaint's places point to.

Why: letters rarely name their town or district (under 10 % of Shanghai's town
letters do); they name a compound, a road, a school, a bus line or a village.
Three sources say where those are, each kept as plain counts (JSON):

* names: districts (浦东新区, 浦东), towns of the directory (三林镇, 三林) and of the
  division list, which point to their district and their town government;
* the division list's villages and residents' committees (黄家埭村 -> 新浜镇,
  香樟园 -> 三林镇; ``divisions``), split evenly where a name is in several towns;
* history: every place ``corpus.places`` finds in a training row counts for
  that row's district and, for a town government's row, for its town. A place
  votes by its likelihood ratio against the prior, smoothed, so a place seen in
  every district (a generic "解决小区" the extractor mistook for a compound) says
  nothing, and a place never seen says nothing: unknown places pull nowhere.

Optional columns feed the same evidence: an export's 所属区县 (given district)
and 所属街道 (given town) count like a name written in the text, its 地址 is
searched for places like the text.

``evidence`` returns two log-likelihood arrays, one over jurisdictions (index 0,
市直, never gets place evidence) and one over units (non-zero for town
governments only); the factored candidate adds them to its scores.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from hotline_nlp.classifier.dispatch.directory import CITY
from hotline_nlp.corpus.gazetteer import short_forms, trie_regex
from hotline_nlp.corpus.places import extract_places
from hotline_nlp.corpus.text import normalise

# kinds of place ``corpus.places`` finds that locate a complaint (a district is a name, handled apart)
LEARNED_KINDS = ("town", "compound", "road", "school", "bus", "facility")


def place_finder(words):
    """``text -> set of words found`` (leftmost-longest, not overlapping): an Aho-Corasick
    automaton (pyahocorasick, in C: ~20x the trie regex on 5,000 names), else the regex."""
    words = [w for w in words if w]
    try:
        import ahocorasick
    except ImportError:
        pattern = trie_regex(words)
        return (lambda s: set(pattern.findall(s))) if pattern is not None else (lambda s: set())
    if not words:
        return lambda s: set()
    automaton = ahocorasick.Automaton()
    for w in words:
        automaton.add_word(w, w)
    automaton.make_automaton()
    return lambda s: {w for _, w in automaton.iter_long(s)}


def town_cores(town: str) -> list[str]:
    """The ways a letter names a town: 江川路街道 -> [江川路街道, 江川路, 江川]; 三林镇 -> [三林镇, 三林]."""
    out = [town]
    core = re.sub(r"(?:街道|镇|乡)$", "", town)
    if len(core) >= 2 and core != town:
        out.append(core)
        if core.endswith("路") and len(core) >= 3:
            out.append(core[:-1])
    return out


class PlaceEvidence:
    """Names, division-list places and learned places -> evidence over districts and towns.

    Parameters
    ----------
    district_weight : log-odds an explicit district name (or a given 所属区县) adds.
    town_weight : log-odds a town name adds to its town government (and 2/3 of it to its district).
    division_weight : the same for a village/committee of the division list.
    learned_weight : scale of a learned place's log-likelihood ratio.
    alpha : pseudo-count pulling a rarely seen place towards the prior.
    """

    def __init__(
        self,
        district_weight: float = 3.0,
        town_weight: float = 3.0,
        division_weight: float = 2.0,
        learned_weight: float = 1.0,
        alpha: float = 2.0,
    ):
        self.district_weight = district_weight
        self.town_weight = town_weight
        self.division_weight = division_weight
        self.learned_weight = learned_weight
        self.alpha = alpha

    def fit(self, texts, unit_idx, units, jurisdictions, divisions=None, row_districts=None):
        """``units``: the directory (``Unit``, the index ``unit_idx`` points into);
        ``jurisdictions``: [市直, district ...] (the evidence's columns); ``divisions``:
        a ``CityDivisions`` or None; ``row_districts``: a district per row ("" unknown),
        which wins over the unit's own (a city unit's letter still happened somewhere)."""
        jx = {j: i for i, j in enumerate(jurisdictions)}
        self.jurisdictions_ = list(jurisdictions)
        self.units_ = [u.name for u in units]
        town_unit = {(u.jurisdiction, u.town): i for i, u in enumerate(units) if u.town}
        names: dict[str, list] = {}
        for d in jurisdictions[1:]:
            for form in short_forms(d):
                names.setdefault(form, []).append(["d", d])
        towns = set(town_unit)
        if divisions is not None:
            towns |= {(d, t) for d, ts in divisions.towns.items() if d in jx for t in ts}
        for d, t in sorted(towns):
            for form in town_cores(t):
                if form not in jx:
                    names.setdefault(form, []).append(["t", d, t])
        if divisions is not None:
            for place, where in divisions.places.items():
                kept = [["t", d, t] for d, t in where if d in jx]
                if kept and place not in names:
                    names[place] = [["v", d, t] for _, d, t in kept]
        self.names_ = names
        self.town_unit_ = {f"{d}|{t}": i for (d, t), i in town_unit.items()}

        by_district: dict[str, Counter] = defaultdict(Counter)
        by_town: dict[str, Counter] = defaultdict(Counter)
        for r, (text, k) in enumerate(zip(texts, unit_idx)):
            u = units[k]
            d = (row_districts[r] if row_districts is not None and row_districts[r] else "") or (
                u.jurisdiction if u.jurisdiction != CITY else ""
            )
            found = {name for kind, name in extract_places(text) if kind in LEARNED_KINDS}
            for place in found:
                if place in names:
                    continue  # a name already says where it is
                if d in jx:
                    by_district[place][d] += 1
                if u.town:
                    by_town[place][u.name] += 1
        self.districts_ = {p: dict(c) for p, c in by_district.items()}
        self.towns_ = {p: dict(c) for p, c in by_town.items()}
        d_total = Counter()
        for c in by_district.values():
            d_total.update(c)
        t_total = Counter()
        for c in by_town.values():
            t_total.update(c)
        self.district_prior_ = {d: d_total.get(d, 0) + 1.0 for d in jurisdictions[1:]}
        self.town_prior_ = dict(t_total)
        self._index()
        return self

    def _index(self) -> None:
        self._jx = {j: i for i, j in enumerate(self.jurisdictions_)}
        self._ux = {u: i for i, u in enumerate(self.units_)}
        self._find = place_finder(set(self.names_) | set(self.districts_) | set(self.towns_))
        p = np.array([self.district_prior_[d] for d in self.jurisdictions_[1:]])
        self._log_dprior = np.log(p / p.sum()) if len(p) else p
        total = sum(self.town_prior_.values())
        n_towns = max(1, len(self.town_unit_))
        self._tprior = {u: (c + 0.5) / (total + 0.5 * n_towns) for u, c in self.town_prior_.items()}
        self._tprior_default = 0.5 / (total + 0.5 * n_towns)

    def evidence(self, texts, districts=None, towns=None, addresses=None):
        """``(n, n_jurisdictions)`` and ``(n, n_units)`` log-likelihood ratios (0: no evidence)."""
        n_j, n_u = len(self.jurisdictions_), len(self.units_)
        ev_j = np.zeros((len(texts), n_j))
        ev_u = np.zeros((len(texts), n_u))
        a = self.alpha
        for r, text in enumerate(texts):
            s = normalise(text)
            if addresses is not None and addresses[r]:
                s = normalise(addresses[r]) + "。" + s
            found = self._find(s)
            if districts is not None and districts[r] in self._jx:
                ev_j[r, self._jx[districts[r]]] += self.district_weight
            if towns is not None and towns[r]:
                found |= {f for f in town_cores(towns[r]) if f in self.names_}
            for place in found:
                for entry in self.names_.get(place, ()):
                    self._name_vote(entry, len(self.names_[place]), ev_j[r], ev_u[r])
                c = self.districts_.get(place)
                if c:
                    n = sum(c.values())
                    counts = np.array([c.get(d, 0) for d in self.jurisdictions_[1:]], dtype=float)
                    prior = np.exp(self._log_dprior)
                    ev_j[r, 1:] += self.learned_weight * (
                        np.log((counts + a * prior) / (n + a)) - self._log_dprior
                    )
                t = self.towns_.get(place)
                if t:
                    n = sum(t.values())
                    for u, k in t.items():
                        j = self._ux.get(u)
                        if j is not None:
                            p = self._tprior.get(u, self._tprior_default)
                            ev_u[r, j] += self.learned_weight * np.log((k + a * p) / (n + a) / p)
        return ev_j, ev_u

    def _name_vote(self, entry, n_alternatives: int, ev_j, ev_u) -> None:
        kind, d = entry[0], entry[1]
        j = self._jx.get(d)
        if kind == "d":
            if j is not None:
                ev_j[j] += self.district_weight
            return
        weight = self.town_weight if kind == "t" else self.division_weight
        share = 1.0 / n_alternatives
        if j is not None:
            ev_j[j] += weight * (2 / 3) * share
        u = self.town_unit_.get(f"{d}|{entry[2]}")
        if u is not None:
            ev_u[u] += weight * share

    # -- plain data ------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "params": {
                "district_weight": self.district_weight,
                "town_weight": self.town_weight,
                "division_weight": self.division_weight,
                "learned_weight": self.learned_weight,
                "alpha": self.alpha,
            },
            "jurisdictions": self.jurisdictions_,
            "units": self.units_,
            "names": self.names_,
            "town_unit": self.town_unit_,
            "districts": self.districts_,
            "towns": self.towns_,
            "district_prior": self.district_prior_,
            "town_prior": self.town_prior_,
        }

    @classmethod
    def from_dict(cls, state: dict) -> PlaceEvidence:
        self = cls(**state["params"])
        self.jurisdictions_ = list(state["jurisdictions"])
        self.units_ = list(state["units"])
        self.names_ = state["names"]
        self.town_unit_ = state["town_unit"]
        self.districts_ = state["districts"]
        self.towns_ = state["towns"]
        self.district_prior_ = state["district_prior"]
        self.town_prior_ = state["town_prior"]
        if set(self.district_prior_) != set(self.jurisdictions_[1:]):
            raise ValueError("place evidence: district list and prior differ")
        self._index()
        return self
