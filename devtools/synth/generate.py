"""Write the bundled synthetic demo corpus, its planted-issue answer key and its label-noise record.

    python -m devtools.synth.generate --out corpus/data/demo_complaints.csv

The label-noise record (``demo_label_noise.json``) lives beside the CSV rather
than in a column: a real export has no "this label is wrong" column, and the
corpus must look like one; tests and benchmarks that want the generator's own
labels read them from the record.

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
from datetime import datetime
from pathlib import Path

from devtools.synth import noise, planted, vague
from devtools.synth import rows as rowbuilder
from devtools.synth.catalog import GROUPS, taxonomy_rows  # noqa: F401  (public names)
from devtools.synth.rows import Row

COLUMNS = (
    "诉求编号",
    "受理时间",
    "诉求标题",
    "诉求内容",
    "一级分类",
    "二级分类",
    "所属区县",
    "办理方式",
    "承办单位",
    "单位类型",
    "基层承办单位",
    "来电号码",
    "是否办结",
    "满意度评价",
    "是否按时反馈",
    "是否有效回访",
    "评星",
)
DEFAULT_SEED = 12345
DEFAULT_N = 7000


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[Row]:
    return rowbuilder.generate(n, seed)


def to_records(rows: list[Row], seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed + 1)
    out, last = [], 0
    for row in rows:
        elapsed = (row.created - datetime(2023, 1, 1)).total_seconds() / 86400
        rid = max(last + 1, 7600000 + int(elapsed * 950) + rng.randint(0, 40))
        last = rid
        rec = {
            "诉求编号": str(rid),
            "受理时间": row.created.strftime("%Y-%m-%d %H:%M:%S"),
            "诉求标题": row.title,
            "诉求内容": row.body,
            "一级分类": row.group.level1,
            "二级分类": row.topic.level2,
            "所属区县": row.ctx["district"],
            "来电号码": row.caller,
        }
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
        "generator": "python -m devtools.synth.generate",
        "seed": seed,
    }


def _path(level1: str, level2: str) -> str:
    return f"{level1} > {level2}"


def noise_key(rows: list[Row], records: list[dict[str, str]], seed: int) -> dict:
    """Which rows carry an operator's wrong label, and which texts are ambiguous or thin by design."""
    noisy = [
        {
            "id": rec["诉求编号"],
            "label": _path(rec["一级分类"], rec["二级分类"]),
            "generator_label": _path(*row.noisy_from),
        }
        for row, rec in zip(rows, records)
        if row.noisy_from
    ]
    bridge = [rec["诉求编号"] for row, rec in zip(rows, records) if row.kind == "bridge"]
    thin = [rec["诉求编号"] for row, rec in zip(rows, records) if row.kind in ("vague", "empty")]
    empty = [rec["诉求编号"] for row, rec in zip(rows, records) if row.kind == "empty"]
    across = sum(1 for r in noisy if r["label"].split(" > ")[0] != r["generator_label"].split(" > ")[0])
    return {
        "what": "Operator label noise in demo_complaints.csv: rows whose 一级分类/二级分类 is a plausible "
        "neighbouring category, not the one the generator wrote the text for. Also the ids of texts "
        "that are ambiguous between categories (bridge) or too thin to classify (vague, empty) by design.",
        "noise_rate": noise.NOISE_RATE,
        "n_rows": len(records),
        "n_noisy": len(noisy),
        "n_noisy_other_level1": across,
        "noisy": noisy,
        "bridge_ids": bridge,
        "vague_ids": thin,
        "empty_ids": empty,
        "vague_rate": vague.VAGUE_RATE,
        "empty_rate": vague.EMPTY_RATE,
        "generator": "python -m devtools.synth.generate",
        "seed": seed,
    }


def _dump(obj: dict, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write(
    out: Path,
    planted_out: Path | None,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    noise_out: Path | None = None,
) -> list[dict[str, str]]:
    rows = generate(n, seed)
    records = to_records(rows, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    if planted_out is not None:
        _dump(planted_key(records, seed), planted_out)
    if noise_out is not None:
        _dump(noise_key(rows, records, seed), noise_out)
    return records


def write_taxonomy(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("一级分类", "二级分类"))
        w.writerows(taxonomy_rows())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m devtools.synth.generate",
        description="Write the synthetic 12345 demo corpus. Example: "
        "python -m devtools.synth.generate --out corpus/data/demo_complaints.csv",
    )
    p.add_argument("--out", type=Path, required=True, help="CSV to write (UTF-8, no BOM)")
    p.add_argument(
        "--planted-out",
        type=Path,
        default=None,
        help="answer key of the planted issue (default: demo_planted.json next to --out)",
    )
    p.add_argument(
        "--noise-out",
        type=Path,
        default=None,
        help="record of the operator label noise (default: demo_label_noise.json next to --out)",
    )
    p.add_argument(
        "--n", type=int, default=DEFAULT_N, help=f"background complaints before repeats (default {DEFAULT_N})"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument(
        "--taxonomy-out", type=Path, default=None, help="also write the taxonomy CSV the topics define"
    )
    a = p.parse_args(argv)
    planted_out = a.planted_out or a.out.with_name("demo_planted.json")
    noise_out = a.noise_out or a.out.with_name("demo_label_noise.json")
    records = write(a.out, planted_out, a.n, a.seed, noise_out)
    if a.taxonomy_out:
        write_taxonomy(a.taxonomy_out)
    print(
        f"wrote {len(records)} complaints to {a.out}, the planted-issue key to {planted_out} "
        f"and the label-noise record to {noise_out}"
    )


if __name__ == "__main__":
    main()
