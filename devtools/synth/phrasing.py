"""The fragment grammar and the composer that turns fragments into one complaint.

Why a grammar and not whole sentences: a few hundred hand-written fragments,
each with ``[a|b|c]`` choices and ``{slot}`` fillers, multiply into far more
distinct texts than could be written by hand, while every clause still reads
like something a caller or an operator would say. A complaint is assembled as
opening + (backstory) + core situation + details + (a sibling grievance) +
(history, consequence, colloquial aside) + demand + closing, in phone-record or
web-message voice, then paraphrased word by word (``paraphrase``).

Sibling grievances matter for realism: a resident who calls about a leaking roof
also says the lift is broken and the fees went up, so sub-categories of one
parent share most of their vocabulary and the label goes to the main point.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from devtools.synth import stock
from devtools.synth.paraphrase import add_typo, paraphrase, sloppy
from devtools.synth.places import fill_slot
from devtools.synth.titles import make_title

# month weights (Jan..Dec) for seasonal topics
FLAT = (1.0,) * 12
HEAT = (1.7, 1.2, 0.8, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 2.0, 1.9)  # season: 11-01 .. 03-31
HEAT_REFUND = (1.6, 1.2, 1.2, 0.7, 0.15, 0.05, 0.05, 0.05, 0.1, 0.2, 1.0, 1.6)
HEAT_FEE = (0.6, 0.3, 0.3, 0.2, 0.2, 0.3, 0.5, 1.2, 2.0, 2.2, 1.6, 0.8)
HEAT_STOP = (0.6, 0.7, 1.8, 0.8, 0.1, 0.05, 0.05, 0.05, 0.2, 1.0, 2.0, 1.0)
SUMMER = (0.1, 0.1, 0.3, 0.8, 1.5, 2.2, 2.6, 2.4, 1.4, 0.5, 0.1, 0.1)
BBQ = (0.0, 0.0, 0.15, 0.8, 1.6, 2.4, 2.8, 2.6, 1.4, 0.4, 0.05, 0.0)  # nobody grills outdoors at -15 °C
WARM = (0.35, 0.4, 0.7, 1.1, 1.4, 1.5, 1.5, 1.5, 1.4, 1.1, 0.6, 0.4)
RAIN = (0.1, 0.1, 0.2, 0.4, 0.6, 1.3, 3.2, 3.0, 1.0, 0.3, 0.1, 0.1)
WINTER = (1.8, 1.5, 1.0, 0.6, 0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 1.3, 1.8)
SCHOOL = (0.4, 0.6, 0.8, 0.8, 0.9, 1.6, 2.2, 2.4, 2.0, 0.7, 0.5, 0.4)
YEAR_END = (2.0, 1.6, 0.9, 0.7, 0.6, 0.7, 0.7, 0.7, 0.8, 0.9, 1.3, 2.1)
BURN = (0.3, 0.3, 1.4, 2.2, 0.8, 0.3, 0.2, 0.3, 0.8, 2.4, 2.2, 0.5)
SPRING = (0.4, 0.5, 1.0, 1.6, 1.8, 1.6, 1.3, 1.1, 1.0, 0.8, 0.5, 0.4)


@dataclass(frozen=True)
class Topic:
    """One second-level category and the fragments that only it uses."""

    level2: str
    share: float
    titles: tuple[str, ...]
    cores: tuple[str, ...]
    details: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    season: tuple[float, ...] = FLAT
    standalone: bool = False  # True: the group's shared fragments do not fit this topic


@dataclass(frozen=True)
class Group:
    """One first-level category: its topics plus fragments shared by them."""

    level1: str
    share: float
    topics: tuple[Topic, ...]
    details: tuple[str, ...] = ()
    consequences: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    handover: float = 0.25  # share of complaints passed on (转办) rather than answered directly
    districts: tuple[tuple[str, float], ...] = ()  # override of the city-wide district mix
    related: tuple[str, ...] = ()  # first-level categories that a multi-issue complaint may add
    intros: tuple[str, ...] = ()  # who/where the caller is, said before the problem
    generic_demands: bool = True  # False where "请尽快解决" would be odd (questions, not complaints)


def T(
    level2: str,
    share: float,
    titles: str,
    cores,
    details=(),
    demands=(),
    season=FLAT,
    standalone: bool = False,
) -> Topic:
    """Compact constructor: ``titles`` is one ``|``-separated string."""
    return Topic(
        level2,
        share,
        tuple(titles.split("|")),
        tuple(cores),
        tuple(details),
        tuple(demands),
        season,
        standalone,
    )


_GUARD = re.compile(r"^@(winter|summer|\d{4}-\d{2}):")
_MONTHS = {"winter": (11, 12, 1, 2, 3), "summer": (5, 6, 7, 8, 9)}


def fits(fragment: str, ctx: dict) -> bool:
    """Whether a fragment suits the complaint's date: ``@winter:`` (Nov-Mar), ``@summer:`` or ``@2024-05:`` (from then on)."""
    m = _GUARD.match(fragment)
    if not m:
        return True
    when, d = m.group(1), ctx["date"]
    return d.month in _MONTHS[when] if when in _MONTHS else f"{d.year}-{d.month:02d}" >= when


def usable(fragments, ctx: dict) -> list[str]:
    """Fragments that fit the date, guards stripped (all of them if none fits)."""
    ok = [f for f in fragments if fits(f, ctx)] or list(fragments)
    return [_GUARD.sub("", f) for f in ok]


_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")


def expand(template: str, rng: random.Random, ctx: dict) -> str:
    """Resolve ``[a|b]`` choices (innermost first) then ``{slot}`` fillers."""
    text = template
    while True:
        m = _CHOICE.search(text)
        if not m:
            break
        text = text[: m.start()] + rng.choice(m.group(1).split("|")) + text[m.end() :]
    return _SLOT.sub(lambda m: fill_slot(m.group(1), rng, ctx), text)


_END = "。！？!?…"


def _join(parts: list[str], rng: random.Random) -> str:
    out = ""
    for i, part in enumerate(parts):
        part = part.strip()
        if not part or part.rstrip(_END) in out:  # a core and a detail may say the same thing
            continue
        if out and out[-1] not in _END + "，：,":
            out += "，" if rng.random() < (0.5 if i <= 2 else 0.3) else "。"
        out += part
    if out and out[-1] not in _END:
        out += "。"
    return out


def third_person(text: str) -> str:
    """Operator summaries speak of the caller as 其 / 来电人, not 我."""
    for a, b in (
        ("我们小区", "其所在小区"),
        ("我们老百姓", "老百姓"),
        ("我们", "他们"),
        ("我家", "其家"),
        ("本人", "其"),
        ("我", "其"),
    ):
        text = text.replace(a, b)
    return text


@dataclass
class Draft:
    title: str
    body: str
    core_index: int


def _pick_details(pool: list[str], n: int, rng: random.Random, ctx: dict) -> list[str]:
    out: list[str] = []
    while len(out) < n and pool:
        frag = rng.choice(pool)
        pool = [d for d in pool if d != frag]
        if frag.startswith("?"):  # "?车牌号{plate}": only worth saying if the core did not say it
            if any(name in ctx for name in _SLOT.findall(frag)):
                continue
            frag = frag[1:]
        out.append(expand(frag, rng, ctx))
    return out


N_DETAILS = {
    "tiny": (0,),
    "short": (0, 1, 1),
    "medium": (1, 2, 2, 3),
    "long": (3, 4, 5),
    "xl": (5, 6, 7),
    "xxl": (8, 9, 10),
}
P_SIBLING = {"tiny": 0.0, "short": 0.1, "medium": 0.25, "long": 0.45, "xl": 0.7, "xxl": 0.85}
_AND = (
    "而且",
    "还有，",
    "更气人的是，",
    "另外",
    "再一个，",
    "除此之外，",
    "再就是",
    "同时",
    "还有就是",
    "顺便说一下，",
)


def compose(
    group: Group,
    topic: Topic,
    rng: random.Random,
    ctx: dict,
    *,
    style: str,
    size: str,
    extra: str = "",
    prefix: str = "",
    core_index: int | None = None,
    siblings=(),
) -> Draft:
    """Assemble one complaint. ``style`` is "phone" or "web"; ``size`` tiny/short/medium/long/xl/xxl.

    ``core_index`` pins the core situation (a repeat caller tells the same story);
    ``prefix`` replaces the opening ("再次来电反映，"); ``siblings`` are core
    templates of the other sub-categories of the parent, told as a side grievance.
    """
    if core_index is None:
        fitting = [i for i, c in enumerate(topic.cores) if fits(c, ctx)] or list(range(len(topic.cores)))
        core_index = rng.choice(fitting)
    core = expand(_GUARD.sub("", topic.cores[core_index]), rng, ctx)
    shared = not topic.standalone
    details = usable(list(topic.details) + list(group.details if shared else ()), ctx)
    demands = (
        list(topic.demands)
        + list(group.demands if shared else ())
        + list(stock.GENERIC_DEMANDS if group.generic_demands else ())
    )
    consequences = usable(group.consequences, ctx) if shared and group.consequences else ()
    big = size in ("long", "xl", "xxl")
    parts: list[str] = [core]
    if size != "tiny" and size != "short" and rng.random() < 0.5:
        parts.insert(0, expand(rng.choice(group.intros or stock.GENERIC_INTROS), rng, ctx))
    if size == "xxl" or (size == "xl" and rng.random() < 0.5):
        parts[:0] = [
            expand(f, rng, ctx)
            for f in rng.sample(stock.BACKSTORY, rng.choice((2, 3)) if size == "xxl" else 1)
        ]
    picked = _pick_details(details, rng.choice(N_DETAILS[size]), rng, ctx)
    parts += picked
    sides = [c for c in usable(siblings, ctx)] if siblings else []
    n_side = (2 if size == "xxl" and rng.random() < 0.4 else 1) if rng.random() < P_SIBLING[size] else 0
    for frag in rng.sample(sides, min(n_side, len(sides))):
        parts.insert(rng.randint(min(2, len(parts)), len(parts)), rng.choice(_AND) + expand(frag, rng, ctx))
    others = usable([c for i, c in enumerate(topic.cores) if i != core_index and fits(c, ctx)], ctx)
    if others and big and rng.random() < {"long": 0.25, "xl": 0.5, "xxl": 0.6}[size]:
        second = expand(rng.choice(others), rng, ctx)  # the same trouble has more than one face
        parts.insert(len(parts) - len(picked) // 2, rng.choice(_AND) + second)
    n_generic = {"xl": 2, "xxl": rng.choice((3, 4))}.get(
        size,
        1 if (size == "long" and rng.random() < 0.6) or (size == "medium" and rng.random() < 0.15) else 0,
    )
    parts += [expand(f, rng, ctx) for f in rng.sample(stock.GENERIC_DETAILS, n_generic)]
    if size in ("xl", "xxl") or (size == "long" and rng.random() < 0.55):
        parts += [
            expand(f, rng, ctx) for f in rng.sample(stock.HISTORY, rng.choice((2, 3)) if size == "xxl" else 1)
        ]
    if size == "xxl" or (size == "xl" and rng.random() < 0.3):
        for frag in rng.sample(stock.DIGRESSIONS, rng.choice((1, 2, 2)) if size == "xxl" else 1):
            parts.insert(rng.randint(min(3, len(parts)), len(parts)), expand(frag, rng, ctx))
    if consequences and (big or (size == "medium" and rng.random() < 0.35)):
        parts.append(expand(rng.choice(consequences), rng, ctx))
    if extra:
        parts.append(extra)
    if size not in ("tiny", "short") and rng.random() < 0.2:
        parts.append(rng.choice(stock.COLLOQ) + rng.choice(("", "！", "。")))
    if demands and (size != "tiny" or rng.random() < 0.4):
        parts.append(expand(rng.choice(demands), rng, ctx))
    if size == "xxl" and rng.random() < 0.6:
        parts.append(expand(rng.choice(stock.GENERIC_DEMANDS), rng, ctx))
    third = style == "phone" and rng.random() < 0.55
    if style == "phone":
        opening = expand(rng.choice(stock.OPEN_PHONE_3RD if third else stock.OPEN_PHONE_1ST), rng, ctx)
        if size != "tiny" and rng.random() < 0.3:
            parts.append(expand(rng.choice(stock.CLOSE_PHONE), rng, ctx))
    else:
        opening = expand(rng.choice(stock.OPEN_WEB), rng, ctx)
        if size != "tiny" and rng.random() < 0.3:
            parts.append(rng.choice(stock.CLOSE_WEB))
    body = _join(parts, rng)
    if third:
        body = third_person(body)
    body = paraphrase((prefix or opening) + body, rng, rng.choice((0.0, 0.2, 0.35, 0.5)))
    if len(body) < 10:
        body = body.rstrip("。") + "，" + expand(rng.choice(stock.GENERIC_DEMANDS), rng, ctx) + "。"
    if rng.random() < 0.08:
        body = add_typo(body, rng)
    if style == "web" and rng.random() < 0.05:
        body = sloppy(body, rng)
    title = make_title(topic.titles, rng, ctx, core, style, expand)
    return Draft(title=title, body=body, core_index=core_index)
