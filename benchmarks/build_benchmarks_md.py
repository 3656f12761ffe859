"""Assemble BENCHMARKS.md from the summary below and each benchmark's own results file.

    .venv/bin/python benchmarks/build_benchmarks_md.py

Each ``benchmarks/bench_*.py`` writes its full table to ``benchmarks/results/<name>.md``
(with its command, machine and date); this script only concatenates them under the
summary, so the figures in BENCHMARKS.md are exactly what the scripts printed.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    ("classifier_split", "Auto-tagging on a test part nothing was chosen on (issue 12)"),
    (
        "classifier",
        "Auto-tagging on real messages, 5-fold CV (issue 2): the table the old defaults were tuned on",
    ),
    ("embedders", "Chinese sentence embedders (issue 3)"),
    ("hotspots", "Hotspots and emerging issues (issue 4)"),
    ("labels", "Label quality of hotspot issues (issue 31)"),
    ("callers", "Counting callers, not texts; coverage (issue 31, item 6)"),
    ("service", "HTTP service (issue 6)"),
    ("dispatch", "Dispatch, 智能派单 (issues 13, 27)"),
    ("dask", "Dask: partitioned inputs, tagging on 1 and 2 workers (issue 14)"),
    ("console", "Analyst console (issue 15)"),
]


def main() -> None:
    parts = [(ROOT / "benchmarks" / "SUMMARY.md").read_text(encoding="utf-8").rstrip() + "\n"]
    for name, title in SECTIONS:
        body = (ROOT / "benchmarks" / "results" / f"{name}.md").read_text(encoding="utf-8").strip()
        lines = body.splitlines()
        if lines and lines[0].startswith("# "):  # the file's own title is replaced by ours
            lines = lines[1:]
        parts.append(
            f"\n## {title}\n\nSource: `benchmarks/results/{name}.md`.\n\n" + "\n".join(lines).strip() + "\n"
        )
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
