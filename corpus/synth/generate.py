"""Write the bundled synthetic demo corpus (and its planted-issue answer key).

    python -m hotline_nlp.corpus.synth.generate --out corpus/data/demo_complaints.csv

The output is a pure function of ``--seed`` and ``--n``: only ``random.Random``
is used (its streams are stable across Python versions), nothing iterates over
a set, and the CSV is written with fixed line endings, so the committed file
can be reproduced byte for byte and checked in the tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from hotline_nlp.corpus.synth import planted, topics_city, topics_home, topics_public, topics_utilities
from hotline_nlp.corpus.synth.phrasing import Group, Topic, compose, expand, usable
from hotline_nlp.corpus.synth.places import DISTRICTS
from hotline_nlp.corpus.synth.units import outcome, route

_ALL = {g.level1: g for m in (topics_home, topics_utilities, topics_city, topics_public) for g in m.GROUPS}
_ORDER = ("物业管理", "供热", "消费维权", "市容市貌", "出租车（网约车）", "供水", "燃气", "供电", "公交", "交通管理",
          "城市管理", "环境保护", "住房建设", "新能源汽车充电设施", "劳动权益", "社保医保", "教育", "医疗卫生",
          "户籍证件", "网络通信", "政策咨询", "农业农村")
GROUPS: tuple[Group, ...] = tuple(_ALL[name] for name in _ORDER)
assert len(GROUPS) == len(_ALL), "every topic group must appear in _ORDER"
COLUMNS = ("诉求编号", "受理时间", "诉求标题", "诉求内容", "一级分类", "二级分类", "所属区县", "办理方式", "承办单位",
           "单位类型", "基层承办单位", "来电号码", "是否办结", "满意度评价", "是否按时反馈", "是否有效回访", "评星")
START, END = date(2023, 1, 1), date(2024, 12, 31)
END_TIME = datetime(2024, 12, 31, 23, 59, 59)
DEFAULT_SEED = 12345
DEFAULT_N = 7000
HANDOVER_SCALE = 0.76  # group rates are relative; this brings 转办 to about a quarter overall
HOUR_W = (0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 4, 6, 6, 5, 3.5, 4.5, 5, 5, 4.5, 3.5, 2.5, 2.5, 2.2, 1.8, 1.2, 0.6)
WEEKDAY_W = (1.15, 1.08, 1.05, 1.0, 0.98, 0.85, 0.8)
HOLIDAYS = ((date(2023, 1, 21), date(2023, 1, 27)), (date(2023, 9, 29), date(2023, 10, 6)),
            (date(2024, 2, 10), date(2024, 2, 17)), (date(2024, 10, 1), date(2024, 10, 7)))
# phone records are summaries; web messages run longer
SIZES = {"phone": (("tiny", 0.1), ("short", 0.28), ("medium", 0.42), ("long", 0.18), ("xl", 0.02)),
         "web": (("tiny", 0.04), ("short", 0.14), ("medium", 0.4), ("long", 0.32), ("xl", 0.1))}
PHONE_PREFIX = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                "157", "158", "159", "176", "177", "180", "181", "183", "185", "186", "187", "188", "189", "199")
BULLETIN_XQ = (("霞光府壹号院", "兴隆台区"), ("富田花园", "大洼区"), ("湖畔小区", "双台子区"))


@dataclass
class Row:
    created: datetime
    group: Group
    topic: Topic
    ctx: dict
    style: str
    size: str
    caller: str
    title: str = ""
    body: str = ""
    core_index: int | None = None
    handling: dict = field(default_factory=dict)


def taxonomy_rows() -> list[tuple[str, str]]:
    return [(g.level1, t.level2) for g in GROUPS for t in g.topics]


def _days() -> list[date]:
    return [START + timedelta(days=i) for i in range((END - START).days + 1)]


def _day_weight(d: date) -> float:
    w = WEEKDAY_W[d.weekday()] * (1 + 0.12 * (d - START).days / (END - START).days)
    return w * (0.6 if any(a <= d <= b for a, b in HOLIDAYS) else 1.0)


def allocate(n: int) -> list[tuple[Group, Topic, int]]:
    """Complaints per topic: group share x topic share, at least a floor per topic."""
    floor = 12 if n >= 2000 else 2
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


def _new_row(rng: random.Random, g: Group, t: Topic, created: datetime, frequent: list[str]) -> Row:
    ctx = {"district": _district(rng, g), "date": created.date()}
    if t is planted.TOPIC and rng.random() < 0.15:
        ctx["xq"], ctx["district"] = rng.choice(BULLETIN_XQ)
    style = "phone" if rng.random() < 0.5 else "web"
    sizes = SIZES[style] if t is not planted.TOPIC else (("short", 0.25), ("medium", 0.45), ("long", 0.25), ("xl", 0.05))
    size = rng.choices([s for s, _ in sizes], [w for _, w in sizes])[0]
    caller = rng.choice(frequent) if rng.random() < 0.015 else _phone(rng)
    return Row(created, g, t, ctx, style, size, caller)


def _multi_issue(rng: random.Random, row: Row) -> str:
    """A second issue from a related category (~6 %): real callers bundle problems."""
    if not row.group.related or rng.random() >= 0.06:
        return ""
    other = _ALL[rng.choice(row.group.related)]
    month = row.ctx["date"].month
    topics = [t for t in other.topics if t.share > 0 and t.season[month - 1] >= 0.3]  # no 暖气不热 in July
    if not topics:
        return ""
    topic = rng.choice(topics)
    core = rng.choice(usable(topic.cores, row.ctx))
    return rng.choice(("另外，", "还有就是", "顺便反映一下，", "再一个，")) + expand(core, rng, row.ctx)


def _write_text(rng: random.Random, row: Row, seen: set[str], prefix: str = "") -> None:
    """Compose the text; draw again on the rare exact collision (duplicates must be deliberate)."""
    for _ in range(50):
        draft = compose(row.group, row.topic, rng, row.ctx, style=row.style, size=row.size,
                        extra=_multi_issue(rng, row), prefix=prefix, core_index=row.core_index)
        if draft.body not in seen:
            break
        row.size = "medium" if row.size in ("tiny", "short") else row.size
    seen.add(draft.body)
    row.body, row.core_index = draft.body, draft.core_index
    row.title = "" if row.style == "phone" and rng.random() < 0.4 else draft.title


def _repeat(rng: random.Random, orig: Row, seen: set[str]) -> Row | None:
    """A repeat caller: the same problem again a few days later, reworded or re-sent."""
    created = orig.created + timedelta(days=rng.randint(1, 5), minutes=rng.randint(-600, 600))
    if created > END_TIME:
        return None
    ctx = dict(orig.ctx, date=created.date())
    row = Row(created, orig.group, orig.topic, ctx, orig.style, orig.size, orig.caller, core_index=orig.core_index)
    if rng.random() < 0.4:
        row.body = rng.choice(("再次反映：", "第二次来电，", "此前已反映过，", "重复来电：")) + orig.body
        seen.add(row.body)
        row.title = orig.title
    else:
        prefix = (rng.choice(("再次来电反映：", "来电人再次来电：", "重复来电，来电人称：")) if row.style == "phone"
                  else rng.choice(("之前反映过一次，还是没人管。", "上周已经反映过了，到现在还没解决。", "再次反映！")))
        _write_text(rng, row, seen, prefix=prefix)
        row.title = orig.title if rng.random() < 0.5 else row.title
    row.handling = dict(orig.handling)
    return row


def _handle(rng: random.Random, row: Row) -> None:
    g, t = row.group, row.topic
    rate = (0.4 if t is planted.TOPIC else g.handover) * HANDOVER_SCALE
    if row.handling:  # a repeat goes where the first one went
        unit, kind, base = row.handling["承办单位"], row.handling["单位类型"], row.handling["基层承办单位"]
    elif rng.random() < rate:
        unit, kind, base = route(g.level1, t.level2, row.ctx["district"], row.ctx, rng)
    else:
        unit = kind = base = ""
    row.handling = {"办理方式": "转办" if unit else "直接答复", "承办单位": unit, "单位类型": kind, "基层承办单位": base}
    row.handling.update(outcome(base, g.level1, row.created, END_TIME, rng))


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[Row]:
    rng = random.Random(seed)
    days = _days()
    base_w = [_day_weight(d) for d in days]
    frequent = [_phone(rng) for _ in range(12)]
    rows: list[Row] = []
    for g, t, count in allocate(n):
        weights = [w * t.season[d.month - 1] for w, d in zip(base_w, days)]
        for d in rng.choices(days, weights, k=count):
            rows.append(_new_row(rng, g, t, _at(rng, d), frequent))
    ev = next(g for g in GROUPS if g.level1 == planted.LEVEL1)
    for created in planted.background_times(rng) + planted.rise_times(rng):
        rows.append(_new_row(rng, ev, planted.TOPIC, created, frequent))
    rows.sort(key=lambda r: (r.created, r.group.level1, r.topic.level2))
    seen: set[str] = set()  # membership only: never iterated, so hash order cannot leak into the output
    for row in rows:
        _write_text(rng, row, seen)
        _handle(rng, row)
    picks = sorted(rng.sample(range(len(rows)), len(rows) // 50))
    repeats = [r for r in (_repeat(rng, rows[i], seen) for i in picks) if r]
    for row in repeats:
        _handle(rng, row)
    rows = sorted(rows + repeats, key=lambda r: r.created)
    return rows


def to_records(rows: list[Row], seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed + 1)
    out, last = [], 0
    for row in rows:
        elapsed = (row.created - datetime(2023, 1, 1)).total_seconds() / 86400
        rid = max(last + 1, 7600000 + int(elapsed * 950) + rng.randint(0, 40))
        last = rid
        rec = {"诉求编号": str(rid), "受理时间": row.created.strftime("%Y-%m-%d %H:%M:%S"), "诉求标题": row.title,
               "诉求内容": row.body, "一级分类": row.group.level1, "二级分类": row.topic.level2,
               "所属区县": row.ctx["district"], "来电号码": row.caller}
        rec.update(row.handling)
        out.append({c: rec[c] for c in COLUMNS})
    return out


def planted_key(records: list[dict[str, str]], seed: int) -> dict:
    rise_start = planted.RISE_START.isoformat()
    mine = [r for r in records if (r["一级分类"], r["二级分类"]) == (planted.LEVEL1, planted.LEVEL2)]
    rise = [r for r in mine if r["受理时间"] >= rise_start]
    weekly: dict[str, int] = {}
    for r in rise:
        y, w, _ = datetime.strptime(r["受理时间"], "%Y-%m-%d %H:%M:%S").isocalendar()
        key = f"{y}-W{w:02d}"
        weekly[key] = weekly.get(key, 0) + 1
    return {
        "issue": planted.ISSUE,
        "category": f"{planted.LEVEL1} > {planted.LEVEL2}",
        "ids": [r["诉求编号"] for r in rise],
        "background_ids": [r["诉求编号"] for r in mine if r["受理时间"] < rise_start],
        "weekly_counts": weekly,
        "first_rise_week": "2024-W27",
        "note": "2025-W01 holds only 2024-12-30 and 2024-12-31, the last two days of the corpus.",
        "generator": "python -m hotline_nlp.corpus.synth.generate",
        "seed": seed,
    }


def write(out: Path, planted_out: Path | None, n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    records = to_records(generate(n, seed), seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    if planted_out is not None:
        planted_out.write_text(json.dumps(planted_key(records, seed), ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
    return records


def write_taxonomy(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("一级分类", "二级分类"))
        w.writerows(taxonomy_rows())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m hotline_nlp.corpus.synth.generate",
        description="Write the synthetic 12345 demo corpus. Example: "
                    "python -m hotline_nlp.corpus.synth.generate --out corpus/data/demo_complaints.csv")
    p.add_argument("--out", type=Path, required=True, help="CSV to write (UTF-8, no BOM)")
    p.add_argument("--planted-out", type=Path, default=None,
                   help="answer key of the planted issue (default: demo_planted.json next to --out)")
    p.add_argument("--n", type=int, default=DEFAULT_N, help=f"background complaints before repeats (default {DEFAULT_N})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--taxonomy-out", type=Path, default=None, help="also write the taxonomy CSV the topics define")
    a = p.parse_args(argv)
    planted_out = a.planted_out or a.out.with_name("demo_planted.json")
    records = write(a.out, planted_out, a.n, a.seed)
    if a.taxonomy_out:
        write_taxonomy(a.taxonomy_out)
    print(f"wrote {len(records)} complaints to {a.out} and the planted-issue key to {planted_out}")


if __name__ == "__main__":
    main()
