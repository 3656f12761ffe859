"""The unit directory (权责清单): every unit, its jurisdiction and its function.

Why: dispatch is *jurisdiction x function*. 兴隆台区住建局 is (兴隆台区, 住建);
市热力公司 is (市直, 供热). Knowing that, the dispatcher can recommend a unit
training never saw (a new district office) when its district and its function
were both seen elsewhere. A city supplies its directory with ``train --units``
(columns 承办单位, 区县 or 市直, 类别/职能); without one it is inferred from the
unit names in the history, and the training report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hotline_nlp.corpus.gazetteer import short_forms

CITY = "市直"
STREET = "街道/镇"

# function -> words in a unit name that say it, most specific functions first
FUNCTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("公积金", ("公积金",)),
    ("不动产", ("不动产",)),
    ("房产", ("房屋交易", "房产", "房屋", "房管", "住房保障")),
    ("交警", ("交警", "交通警察")),
    ("公安", ("公安", "派出所")),
    ("医保", ("医疗保障", "医疗保险", "医保")),
    ("人社", ("人力资源", "社会保障", "社会保险", "劳动保障", "人社", "社保")),
    ("卫健", ("卫生健康", "卫健", "卫生和计划生育", "卫计")),
    ("教育", ("教育",)),
    ("市场监管", ("市场监督", "市场监管", "市监", "工商", "食药")),
    ("生态环境", ("生态环境", "环境保护", "环保")),
    ("城管执法", ("综合执法", "综合行政执法", "城市管理", "城管", "执法")),
    ("住建", ("建设和管理", "建设和交通", "建设管理", "建设交通")),  # 上海: 区建设和管理委员会
    ("交通运输", ("交通运输", "道路运输", "运管", "交通")),
    ("公交", ("公交", "客运")),
    ("自然资源", ("自然资源", "国土", "规划")),
    ("农业农村", ("农业", "农村", "水利", "林业")),
    ("住建", ("住房和城乡建设", "城乡建设", "住建", "建设局", "建委")),
    ("市政", ("市政",)),
    ("供水", ("水务", "供水", "自来水")),
    ("燃气", ("燃气",)),
    ("供电", ("供电", "电力")),
    ("供热", ("热力", "热电", "供暖", "供热")),
    ("通信", ("移动", "联通", "电信")),
    ("物业", ("物业",)),
    ("民政", ("民政",)),
    ("绿化市容", ("绿化和市容", "绿化市容", "市容", "绿化", "园林")),
    ("国资", ("国有资产",)),
    ("文旅", ("文化", "旅游", "文旅", "体育")),
    ("发改", ("发展和改革", "发改", "物价")),
    ("信访", ("信访",)),
    (STREET, ("街道", "镇政府", "乡政府", "镇人民政府", "镇", "乡", "社区")),
)
_STREET_TAIL = re.compile(r"(街道办事处|街道|镇人民政府|镇政府|乡人民政府|乡政府|镇|乡)$")
_DISTRICT_HEAD = re.compile(r"^([A-Za-z]\d{1,2}区|[\u4e00-\u9fa5]{2,12}?(?:新区|开发区|区|县))")


def function_of(rest: str) -> str:
    """The function a unit name (without its jurisdiction) says: 住房和城乡建设局 -> 住建."""
    for function, words in FUNCTIONS:
        if any(w in rest for w in words):
            return function
    return rest or "其他"


_CITY_HEAD = re.compile(r"^[\u4e00-\u9fa5]{2,3}市(?=[\u4e00-\u9fa5]{2,4}?(?:新区|区|县))")


def district_in_name(name: str) -> str | None:
    """A district at the head of a unit name (兴隆台区住建局 -> 兴隆台区, 上海市浦东新区教育局 ->
    浦东新区: the city in front is dropped), or None."""
    if name.startswith("市"):
        return None
    m = _DISTRICT_HEAD.match(_CITY_HEAD.sub("", name, count=1))
    return m.group(1) if m else None


def _district_forms(districts) -> list[tuple[str, str]]:
    """(form, district), full names first, then short forms (浦东新区 -> 浦东), longest first."""
    full = sorted(districts, key=len, reverse=True)
    short = [(f, d) for d in full for f in short_forms(d)[1:]]
    return [(d, d) for d in full] + sorted(short, key=lambda fd: -len(fd[0]))


def rest_of(name: str, jurisdiction: str) -> str:
    """What a unit name says after its jurisdiction: 上海市浦东新区教育局 -> 教育局."""
    if jurisdiction != CITY:
        for form in short_forms(jurisdiction):
            if form in name:
                return re.sub(r"^人民政府", "", name.split(form, 1)[1]) or name
        return name
    return re.sub(r"^[\u4e00-\u9fa5]{2,3}市(?!场|民|容|政)", "", name) if len(name) > 4 else name


def parse_unit(name: str, districts) -> tuple[str, str]:
    """``(jurisdiction, function)`` of a unit name; a unit naming no known district is 市直.

    A district is matched by its full name, else by its short form (上海黄浦第三房屋征收
    服务事务所 is 黄浦区's, 杨浦区医疗保障局 needs no 上海市 in front)."""
    for form, d in _district_forms(districts):
        if form in name:
            rest = rest_of(name, d)
            if _TOWN.match(rest):
                return d, STREET
            f = function_of(rest)
            if f == rest:  # 上海市公安局闵行分局: the rest (分局) says less than the whole name
                whole = name.replace(form, "")
                f = function_of(whole) if function_of(whole) != whole else rest
            return d, f
    return CITY, function_of(name[1:] if name.startswith("市") else name)


_TOWN = re.compile(r"^([\u4e00-\u9fa5]{1,8}?(?:街道|镇|乡))(?:人民政府|政府|办事处|办)?$")


def town_of(name: str, jurisdiction: str) -> str:
    """The town or street a street/town government governs: 上海市浦东新区三林镇人民政府 -> 三林镇."""
    if jurisdiction == CITY:
        return ""
    m = _TOWN.match(rest_of(name, jurisdiction))
    return m.group(1) if m else ""


@dataclass(frozen=True)
class Unit:
    name: str
    jurisdiction: str
    function: str
    source: str = "directory"  # "history": inferred from the training data; "pattern": see ``expand``
    town: str = ""  # the town/street a 街道/镇 government governs (三林镇), else ""

    @property
    def role(self) -> str:
        """What a text classifier can learn across districts: the office (教育局: every
        district has one), 街道/镇 for any town government, a city-wide unit itself."""
        if self.jurisdiction == CITY:
            return f"{CITY}|{self.name}"
        if self.function == STREET:
            return STREET
        return rest_of(self.name, self.jurisdiction)


def make_unit(name: str, districts, source: str = "history", function: str = "") -> Unit:
    d, f = parse_unit(name, districts)
    return Unit(name, d, function or f, source, town_of(name, d) if (function or f) == STREET else "")


class DirectoryError(ValueError):
    """A unit directory that cannot be used; the message names the file, row and fix."""


_COLS = {
    "unit": ("承办单位", "单位", "单位名称", "unit"),
    "district": ("区县", "所属区县", "辖区", "jurisdiction", "district"),
    "function": ("类别/职能", "职能", "类别", "function", "category"),
}


def _find(columns, canon: str) -> str | None:
    for alias in _COLS[canon]:
        for c in columns:
            if str(c).strip().lower() == alias.lower():
                return c
    return None


def read_directory(path: str | Path, districts) -> list[Unit]:
    """Read and check ``units.csv``; ``districts`` are those the training data knows.

    Empty files, missing columns, duplicate units and districts the history never
    mentions are errors (one line, naming the file and rows): a directory with
    them would make the dispatcher recommend units it cannot place.
    """
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise DirectoryError(f"{path}: the unit directory is empty") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise DirectoryError(f"{path}: cannot read the unit directory ({e})") from None
    cols = {k: _find(df.columns, k) for k in _COLS}
    missing = [f"{k} ({'/'.join(_COLS[k][:2])})" for k, c in cols.items() if c is None]
    if missing:
        raise DirectoryError(
            f"{path}: unit directory lacks column(s) {', '.join(missing)} (has: {', '.join(df.columns)})"
        )
    df = df[[cols["unit"], cols["district"], cols["function"]]].apply(lambda s: s.str.strip())
    df.columns = ["unit", "district", "function"]
    df = df[df["unit"] != ""]
    if df.empty:
        raise DirectoryError(f"{path}: the unit directory is empty (no row names a 承办单位)")
    dup = df[df["unit"].duplicated(keep=False)]
    if not dup.empty:
        first = dup["unit"].iloc[0]
        rows = [int(i) + 2 for i in dup.index[dup["unit"] == first]]
        raise DirectoryError(
            f"{path}: unit {first!r} is listed more than once (rows {rows}); list each unit once"
        )
    known = set(districts)
    bad = df[(df["district"] != CITY) & ~df["district"].isin(known)]
    if not bad.empty:
        raise DirectoryError(
            f"{path}: row {int(bad.index[0]) + 2}: unknown district {bad['district'].iloc[0]!r} for unit "
            f"{bad['unit'].iloc[0]!r}; use {CITY} for city-wide units or one of: {', '.join(sorted(known))}"
        )
    out = []
    for r in df.itertuples():
        function = function_of(r.function) if r.function else parse_unit(r.unit, known)[1]
        town = town_of(r.unit, r.district) if function == STREET else ""
        out.append(Unit(r.unit, r.district, function, "directory", town))
    return out


def infer_directory(units, districts) -> list[Unit]:
    """A directory from the unit names the history uses (no ``--units`` given)."""
    return [make_unit(u, districts) for u in sorted(set(units))]


def known_districts(district_column, units) -> list[str]:
    """Districts the training data knows: its district column when it has one (unit
    names then only map onto them: 国网盘山县供电公司 is 盘山县's, not a district
    "国网盘山县"), else the heads of unit names (A3区住建局 -> A3区)."""
    found = {d for d in district_column if d}
    if found:
        return sorted(found)
    return sorted({d for u in units if u and (d := district_in_name(u))})


def city_districts(district_column, units, divisions) -> list[str]:
    """The districts of an export whose city the division list knows (``divisions``):
    the list's districts in the spelling the export uses, plus those of its district
    column; else ``known_districts`` (unit-name heads: A3区住建局 -> A3区)."""
    given = sorted({d for d in district_column if d})
    if divisions is None:
        return known_districts(given, units)
    blob = "\n".join({u for u in units if u})
    out = set(given)
    for d in divisions.towns:
        core = short_forms(d)[-1]
        if any(short_forms(g)[-1] == core for g in given):
            continue
        # the spelling the units use: 崇明区, where a 2019 list still says 崇明县
        spellings = [d] + [core + s for s in ("区", "新区", "县", "市") if core != d]
        used = next((x for x in spellings if x in blob), d if core in blob else None)
        if used:
            out.add(used)
    return sorted(out)


def expand(directory: list[Unit], districts, divisions=None) -> list[Unit]:
    """Units the history implies but never used (``source="pattern"``): an office seen in
    two districts or more, in every other district (上海市闵行区住房保障和房屋管理局 from
    上海市嘉定区住房保障和房屋管理局); a town of the division list, named as the city names
    its town governments (上海市{区}{镇}人民政府, 上海市{区}人民政府{街道}办事处). A letter for
    a unit first seen next month can then still be routed right."""
    have = {u.name for u in directory}
    towns_have = {(u.jurisdiction, u.town) for u in directory if u.town}
    by_role: dict[str, dict[str, Unit]] = {}
    for u in directory:
        if u.jurisdiction != CITY and u.function != STREET:
            by_role.setdefault(u.role, {}).setdefault(u.jurisdiction, u)
    out = []
    for _, seen in sorted(by_role.items()):
        if len(seen) < 2:
            continue
        d0, u0 = sorted(seen.items())[0]
        if d0 not in u0.name:
            continue  # named by a short form only: no safe pattern
        for d in districts:
            name = u0.name.replace(d0, d, 1)
            if d not in seen and name not in have:
                have.add(name)
                out.append(Unit(name, d, u0.function, "pattern"))
    if divisions is None:
        return out
    templates: dict[str, dict[str, int]] = {}
    for u in directory:
        if u.town and u.jurisdiction in u.name and u.town in u.name:
            kind = "街道" if u.town.endswith("街道") else u.town[-1]
            t = u.name.replace(u.jurisdiction, "{d}", 1).replace(u.town, "{t}", 1)
            templates.setdefault(kind, {}).setdefault(t, 0)
            templates[kind][t] += 1
    for d, towns in sorted(divisions.towns.items()):
        if d not in districts:
            continue
        for town in towns:
            kind = "街道" if town.endswith("街道") else town[-1]
            if (d, town) in towns_have or kind not in templates:
                continue
            t = max(sorted(templates[kind]), key=templates[kind].get)
            name = t.replace("{d}", d).replace("{t}", town)
            if name not in have:
                have.add(name)
                out.append(Unit(name, d, STREET, "pattern", town))
    return out
