"""Complaints that genuinely sit between categories, and how they get a label.

Why: on a real 12345 line a good share of complaints fit two boxes. 楼下烧烤店
油烟 is 市容市貌 > 露天烧烤 to one operator and 环境保护 > 油烟污染 to another;
暖气不热 in a 小区 whose property company runs the heating is 供热 or 物业管理
depending on who answers the phone. A corpus where every text maps to exactly
one label teaches a tagger nothing about that, and makes its confidence
meaningless. A ``Bridge`` is a pool of such texts with the labels operators give
them and how often: the text is drawn without looking at the label, then the
label is drawn from the weights, so the confusion is irreducible, as it is in
real data. ``neighbours`` also feeds the operator label noise (``noise``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from devtools.synth.phrasing import FLAT, Group, Topic


@dataclass(frozen=True)
class Bridge:
    """Texts shared by several labels: ``labels`` is ((level1, level2, weight), ...)."""

    name: str
    count: int  # complaints per 7,000 background complaints
    labels: tuple[tuple[str, str, float], ...]
    titles: tuple[str, ...]
    cores: tuple[str, ...]
    details: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    season: tuple[float, ...] = FLAT
    intros: tuple[str, ...] = ()

    def source(self, level1: str) -> tuple[Group, Topic]:
        """A (group, topic) pair for the composer that carries only this bridge's fragments.

        The composer adds the group's fragments unless the topic is standalone; the
        bridge's group is a stand-in named after the label only for the record,
        so nothing in the text depends on which label was drawn.
        """
        topic = Topic(
            self.name, 0.0, self.titles, self.cores, self.details, self.demands, self.season, standalone=True
        )
        return Group(level1, 0.0, (topic,), intros=self.intros), topic


def B(
    name: str, count: int, labels: str, titles: str, cores, details=(), demands=(), season=FLAT, intros=()
) -> Bridge:
    """Compact constructor: ``labels`` is "一级>二级:weight;..." and ``titles`` one "|"-separated string."""
    parsed = []
    for item in labels.split(";"):
        path, w = item.split(":")
        l1, l2 = path.split(">")
        parsed.append((l1.strip(), l2.strip(), float(w)))
    return Bridge(
        name,
        count,
        tuple(parsed),
        tuple(titles.split("|")),
        tuple(cores),
        tuple(details),
        tuple(demands),
        season,
        tuple(intros),
    )


@lru_cache(maxsize=1)
def all_bridges() -> tuple[Bridge, ...]:
    from devtools.synth import bridges_home, bridges_public

    return bridges_home.BRIDGES + bridges_public.BRIDGES


@lru_cache(maxsize=1)
def neighbours() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Label pairs that share a bridge: the plausible 'other' label of each path (stable order)."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for b in all_bridges():
        paths = [(l1, l2) for l1, l2, _ in b.labels]
        for p in paths:
            for q in paths:
                if p != q and q not in out.setdefault(p, []):
                    out[p].append(q)
    return out
