"""Build the corpus rows: how many of each kind, when, in which voice, with which text and label.

A row's *label* (``group``, ``topic``) and the *source* of its text (``src_group``,
``src_topic``) are kept apart on purpose. For most rows they agree; a bridge row
draws its text from a pool several labels share (``bridges``), a vague row from
a thin one-line record (``vague``), and operator noise (``noise``) changes the
label after the text is written. Everything is drawn from one ``random.Random``
in a fixed order, so the output is a pure function of ``n`` and ``seed``.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from devtools.synth import noise, planted, vague
from devtools.synth.bridges import all_bridges
from devtools.synth.catalog import BY_NAME, GROUPS, lookup
from devtools.synth.phrasing import Group, Topic, compose, expand, usable
from devtools.synth.places import DISTRICTS
from devtools.synth.units import outcome, route

START, END = date(2023, 1, 1), date(2024, 12, 31)
END_TIME = datetime(2024, 12, 31, 23, 59, 59)
HANDOVER_SCALE = 0.76  # group rates are relative; this brings 转办 to about a quarter overall
HOUR_W = (
    0.3,
    0.2,
    0.1,
    0.1,
    0.1,
    0.3,
    0.8,
    2,
    4,
    6,
    6,
    5,
    3.5,
    4.5,
    5,
    5,
    4.5,
    3.5,
    2.5,
    2.5,
    2.2,
    1.8,
    1.2,
    0.6,
)
WEEKDAY_W = (1.15, 1.08, 1.05, 1.0, 0.98, 0.85, 0.8)
HOLIDAYS = (
    (date(2023, 1, 21), date(2023, 1, 27)),
    (date(2023, 9, 29), date(2023, 10, 6)),
    (date(2024, 2, 10), date(2024, 2, 17)),
    (date(2024, 10, 1), date(2024, 10, 7)),
)
# phone records are summaries; web messages run longer, a few of them much longer
SIZES = {
    "phone": (("tiny", 0.1), ("short", 0.28), ("medium", 0.42), ("long", 0.18), ("xl", 0.02)),
    "web": (("tiny", 0.04), ("short", 0.12), ("medium", 0.32), ("long", 0.3), ("xl", 0.12), ("xxl", 0.1)),
}
PLANTED_SIZES = (("short", 0.25), ("medium", 0.45), ("long", 0.25), ("xl", 0.05))
THIN_SIZES = (("tiny", 0.6), ("short", 0.4))
PHONE_PREFIX = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "180",
    "181",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
BULLETIN_XQ = (("霞光府壹号院", "兴隆台区"), ("富田花园", "大洼区"), ("湖畔小区", "双台子区"))
MULTI_ISSUE = 0.08
BRIDGE_SCALE = 0.7  # bridge counts are written per 7,000 complaints; this tunes them all at once  # share of ordinary complaints that add a second issue from a related category


@dataclass
class Row:
    created: datetime
    group: Group  # the label
    topic: Topic
    src_group: Group  # where the text comes from
    src_topic: Topic
    kind: str  # topic / bridge / vague / empty / planted
    ctx: dict
    style: str
    size: str
    caller: str
    title: str = ""
    body: str = ""
    core_index: int | None = None
    handling: dict = field(default_factory=dict)
    orig: Row | None = None  # the first call of a repeat caller
    noisy_from: tuple[str, str] | None = None  # the generator's label, when an operator filed it elsewhere


def _days() -> list[date]:
    return [START + timedelta(days=i) for i in range((END - START).days + 1)]


def _day_weight(d: date) -> float:
    w = WEEKDAY_W[d.weekday()] * (1 + 0.12 * (d - START).days / (END - START).days)
    return w * (0.6 if any(a <= d <= b for a, b in HOLIDAYS) else 1.0)


def allocate(n: int) -> list[tuple[Group, Topic, int]]:
    """Complaints per topic: group share x topic share, at least a floor per topic."""
    floor = 10 if n >= 2000 else 2
    total = sum(g.share for g in GROUPS)
    out = []
    for g in GROUPS:
        tsum = sum(t.share for t in g.topics)
        for t in g.topics:
            if t.share > 0:
                out.append((g, t, max(floor, round(n * g.share / total * t.share / tsum))))
    return out


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIX) + "****" + f"{rng.randint(0, 9999):04d}"


def _at(rng: random.Random, d: date) -> datetime:
    h = rng.choices(range(24), HOUR_W)[0]
    return datetime(d.year, d.month, d.day, h, rng.randint(0, 59), rng.randint(0, 59))


def _district(rng: random.Random, g: Group) -> str:
    mix = g.districts or tuple(DISTRICTS.items())
    return rng.choices([d for d, _ in mix], [w for _, w in mix])[0]


def _new_row(
    rng,
    label: tuple[Group, Topic],
    src: tuple[Group, Topic],
    kind: str,
    created: datetime,
    frequent: list[str],
) -> Row:
    ctx = {"district": _district(rng, label[0]), "date": created.date()}
    if kind == "planted" and rng.random() < 0.15:
        ctx["xq"], ctx["district"] = rng.choice(BULLETIN_XQ)
    style = "phone" if rng.random() < (0.75 if kind in ("vague", "empty") else 0.5) else "web"
    sizes = {"planted": PLANTED_SIZES, "vague": THIN_SIZES, "empty": THIN_SIZES}.get(kind, SIZES[style])
    size = rng.choices([s for s, _ in sizes], [w for _, w in sizes])[0]
    caller = rng.choice(frequent) if rng.random() < 0.015 else _phone(rng)
    return Row(created, label[0], label[1], src[0], src[1], kind, ctx, style, size, caller)


def _siblings(row: Row) -> list[str]:
    """Cores of the other sub-categories of the parent that fit the month: told as side grievances."""
    if row.kind != "topic" or row.src_topic.standalone:
        return []
    month = row.ctx["date"].month
    return [
        c
        for t in row.src_group.topics
        if t is not row.src_topic
        and t is not planted.TOPIC
        and not t.standalone
        and t.share > 0
        and t.season[month - 1] >= 0.3
        for c in t.cores
    ]


def _multi_issue(rng: random.Random, row: Row) -> str:
    """A second issue from a related category: real callers bundle problems."""
    if row.kind != "topic" or not row.src_group.related or rng.random() >= MULTI_ISSUE:
        return ""
    other = BY_NAME[rng.choice(row.src_group.related)]
    month = row.ctx["date"].month
    topics = [t for t in other.topics if t.share > 0 and t.season[month - 1] >= 0.3]  # no 暖气不热 in July
    if not topics:
        return ""
    core = rng.choice(usable(rng.choice(topics).cores, row.ctx))
    return rng.choice(("另外，", "还有就是", "顺便反映一下，", "再一个，", "另外还有个事，")) + expand(
        core, rng, row.ctx
    )


def _write_text(rng: random.Random, row: Row, seen: set[str], prefix: str = "") -> None:
    """Compose the text; draw again on the rare exact collision (duplicates must be deliberate)."""
    for _ in range(50):
        draft = compose(
            row.src_group,
            row.src_topic,
            rng,
            row.ctx,
            style=row.style,
            size=row.size,
            extra=_multi_issue(rng, row),
            prefix=prefix,
            core_index=row.core_index,
            siblings=_siblings(row),
        )
        if draft.body not in seen:
            break
        row.size = (
            "medium" if row.size in ("tiny", "short") and row.kind not in ("vague", "empty") else row.size
        )
    seen.add(draft.body)
    row.body, row.core_index = draft.body, draft.core_index
    row.title = "" if row.style == "phone" and rng.random() < 0.4 else draft.title
    if row.kind in ("vague", "empty") and row.title:  # a thin record gets a thin subject, never a wrapped one
        row.title = expand(rng.choice(vague.TITLES), rng, row.ctx)


def _repeat(rng: random.Random, orig: Row, seen: set[str]) -> Row | None:
    """A repeat caller: the same problem again a few days later, reworded or re-sent."""
    created = orig.created + timedelta(days=rng.randint(1, 5), minutes=rng.randint(-600, 600))
    if created > END_TIME:
        return None
    ctx = dict(orig.ctx, date=created.date())
    row = Row(
        created,
        orig.group,
        orig.topic,
        orig.src_group,
        orig.src_topic,
        orig.kind,
        ctx,
        orig.style,
        orig.size,
        orig.caller,
        core_index=orig.core_index,
        orig=orig,
    )
    if rng.random() < 0.4:
        row.body = (
            rng.choice(("再次反映：", "第二次来电，", "此前已反映过，", "重复来电：", "又来反映："))
            + orig.body
        )
        seen.add(row.body)
        row.title = orig.title
    else:
        prefix = (
            rng.choice(
                ("再次来电反映：", "来电人再次来电：", "重复来电，来电人称：", "来电人称此前反映未果，")
            )
            if row.style == "phone"
            else rng.choice(
                (
                    "之前反映过一次，还是没人管。",
                    "上周已经反映过了，到现在还没解决。",
                    "再次反映！",
                    "第二次留言了。",
                )
            )
        )
        _write_text(rng, row, seen, prefix=prefix)
        row.title = orig.title if rng.random() < 0.5 else row.title
    return row


def _handle(rng: random.Random, row: Row) -> None:
    g, t = row.group, row.topic
    rate = (0.4 if t is planted.TOPIC else g.handover) * HANDOVER_SCALE
    first = row.orig
    if first is not None and first.group is g and first.topic is t:  # a repeat goes where the first one went
        row.handling = {k: first.handling[k] for k in ("承办单位", "单位类型", "基层承办单位")}
        unit, kind, base = row.handling["承办单位"], row.handling["单位类型"], row.handling["基层承办单位"]
    elif rng.random() < rate:
        unit, kind, base = route(g.level1, t.level2, row.ctx["district"], row.ctx, rng)
    else:
        unit = kind = base = ""
    row.handling = {
        "办理方式": "转办" if unit else "直接答复",
        "承办单位": unit,
        "单位类型": kind,
        "基层承办单位": base,
    }
    row.handling.update(outcome(base, g.level1, row.created, END_TIME, rng))


def _plan(rng: random.Random, n: int) -> list[tuple[tuple, tuple, str, tuple]]:
    """(label, source, kind, season) for every background row, bridges and thin records included."""
    plan = []
    for b in all_bridges():
        weights = [w for _, _, w in b.labels]
        for _ in range(round(b.count * BRIDGE_SCALE * n / 7000)):
            l1, l2, _ = rng.choices(b.labels, weights)[0]
            plan.append((lookup(l1, l2), b.source(l1), "bridge", b.season))
    n_empty = round(n * vague.EMPTY_RATE)
    allocated = allocate(n - len(plan) - n_empty)
    for g, t, count in allocated:
        n_vague = round(count * vague.VAGUE_RATE)
        plan += [((g, t), (g, t), "topic", t.season)] * (count - n_vague)
        plan += [((g, t), vague.source(g.level1, t.level2, False), "vague", t.season)] * n_vague
    for _ in range(n_empty):
        g, t, _ = rng.choices(allocated, [c for _, _, c in allocated])[0]
        plan.append(((g, t), vague.source(g.level1, t.level2, True), "empty", t.season))
    return plan


def generate(n: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    days = _days()
    base_w = [_day_weight(d) for d in days]
    frequent = [_phone(rng) for _ in range(12)]
    weights: dict[tuple, list[float]] = {}  # per season: looked up, never iterated
    rows: list[Row] = []
    for label, src, kind, season in _plan(rng, n):
        if season not in weights:
            weights[season] = list(
                itertools.accumulate(w * season[d.month - 1] for w, d in zip(base_w, days))
            )
        d = rng.choices(days, cum_weights=weights[season])[0]
        rows.append(_new_row(rng, label, src, kind, _at(rng, d), frequent))
    ev = (BY_NAME[planted.LEVEL1], planted.TOPIC)
    for created in planted.background_times(rng) + planted.rise_times(rng):
        rows.append(_new_row(rng, ev, ev, "planted", created, frequent))
    rows.sort(key=lambda r: (r.created, r.group.level1, r.topic.level2, r.kind, r.src_topic.level2))
    seen: set[str] = set()  # membership only: never iterated, so hash order cannot leak into the output
    for row in rows:
        _write_text(rng, row, seen)
    picks = sorted(rng.sample(range(len(rows)), len(rows) // 50))
    repeats = [r for r in (_repeat(rng, rows[i], seen) for i in picks) if r]
    rows = sorted(rows + repeats, key=lambda r: r.created)
    noise.relabel(rows, rng)
    for row in rows:
        _handle(rng, row)
    return rows
