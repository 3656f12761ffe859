"""Put a benchmark's table between its markers in a results file (replacing the
earlier run's), or append it under a heading the first time."""

from __future__ import annotations

from pathlib import Path


def put_block(path: Path, marks: tuple[str, str], text: str, heading: str) -> None:
    start, end = marks
    body = path.read_text("utf-8")
    block = f"{start}\n{text}\n{end}"
    if start in body and end in body:
        body = body.split(start)[0] + block + body.split(end, 1)[1]
    else:
        body = body.rstrip() + f"\n\n### {heading}\n\n" + block + "\n"
    path.write_text(body, "utf-8")
