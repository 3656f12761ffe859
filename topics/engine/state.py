"""What ``--state-dir`` keeps between weekly alerts, so that next week's run
reads only the new week's partitions.

Stored (JSON, ``.npz``/``.npy`` and Parquet; no pickle):

* ``tracker.json``, ``centroids.npz``, ``pool.npz``, ``assignments/<week>.json``:
  the issue tracker (``tracker.IssueTracker``): issues, lineage, the pool of
  recent unassigned complaints, and, per week it stepped, the complaints the
  tracker placed itself (pool births, absorptions, late joins); a complaint
  matched to an issue by the centroid rule is counted, not listed (the match
  runs on the workers and stays there);
* ``representation/``: the vectoriser's IDF and semantic centre, learned by the
  cold run and frozen afterwards (new weeks' vectors stay comparable);
* ``counts.parquet``: per counted week and issue: originals, members (with
  repeats), first and last complaint time (``weekly_counts``); ``weeks.parquet``:
  rows per counted week;
* ``partitions.json``: each input file read (path, size, mtime) and the ISO weeks
  it holds, so a warm run skips files that hold no week it needs;
* ``samples/<week>.parquet``: a fixed id-hash sample of each counted week (text,
  time, original flag, best cosine then; ``week_samples``), at most 2,048 rows.

What a warm run recomputes: the weeks not stored yet (usually the new week; the
two look-back weeks of its repeat check are read but not recounted), the
tracker's step through them, and the report. It does not re-read, re-vectorise
or re-match the stored weeks: they keep the counts of their time (complaints
matched to the issues as they were then). What differs from a cold run:

* the IDF and the first issues are those of the cold run that made the state;
* an issue born in a warm run gets counts in the stored weeks as a re-match
  would give them: in the pool's weeks, exactly (the complaints that waited in
  the pool and joined it, and those still in the pool that are nearer to it
  than to any older issue); in older weeks, estimated from each week's stored
  sample (``week_samples``: the sampled complaints now nearer to it than to what
  they matched then, times the sample's scale) and spread evenly over those
  weeks (the total is what a 1/16 sample estimates well). Sampling noise
  remains, and a complaint it moves to the new issue is not taken off its old
  issue's count;
* a state written before samples were kept (or weeks without one) falls back
  to scoring such an issue from its first pool week on;
* issue ids follow the tracker's history (as before issue 14).

Delete ``counts.parquet`` and ``weeks.parquet`` (keep the rest) to recount the
window against today's issues (reads every partition of the window).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from hotline_nlp.corpus.atomic import atomic_dir
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.count_table import COLUMNS, empty_table, with_chorus
from hotline_nlp.topics.tracker import IssueTracker
from hotline_nlp.topics.tracker_store import load_tracker, save_tracker

COUNTS, WEEKS, PARTS, SAMPLES = "counts.parquet", "weeks.parquet", "partitions.json", "samples"


def file_identity(path) -> str:
    """``path|size|mtime_ns``: a file changed since it was read is read again."""
    p = Path(path)
    st = p.stat()
    return f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"


class AlertState:
    """The stored state of a directory (empty when there is none yet)."""

    def __init__(self, directory: str | Path | None):
        self.directory = Path(directory) if directory else None
        self.tracker: IssueTracker | None = None
        self.rep = None
        self.table = empty_table()
        self.totals: dict[str, int] = {}
        self.partitions: dict[str, list[str]] = {}
        self.sample_weeks: set[str] = set()  # weeks with a stored sample (read on demand)

    @property
    def warm(self) -> bool:
        return self.tracker is not None

    def load(self, embedder, n_jobs, clusterer) -> AlertState:
        d = self.directory
        if d is None or not (d / "tracker.json").is_file():
            return self
        self.rep = Representation.load(d / "representation", embedder=embedder)
        self.tracker = load_tracker(d, n_jobs=n_jobs, clusterer=clusterer)
        if (d / COUNTS).is_file() and (d / WEEKS).is_file():
            self.table = with_chorus(pd.read_parquet(d / COUNTS))[COLUMNS]
            w = pd.read_parquet(d / WEEKS)
            self.totals = {str(k): int(v) for k, v in zip(w["week"], w["rows"])}
        if (d / PARTS).is_file():
            self.partitions = json.loads((d / PARTS).read_text("utf-8"))
        if (d / SAMPLES).is_dir():
            self.sample_weeks = {f.stem for f in (d / SAMPLES).glob("*.parquet")}
        return self

    def sample(self, week: str) -> pd.DataFrame | None:
        """The stored sample of ``week`` (None when there is none)."""
        if week not in self.sample_weeks:
            return None
        path = self.directory / SAMPLES / f"{week}.parquet"
        try:
            return pd.read_parquet(path)
        except Exception as e:  # a truncated or foreign file: name it, say what to do
            raise ValueError(
                f"{path} cannot be read ({type(e).__name__}: {e}); delete it and the week's new issues "
                "are scored from the weeks after it"
            ) from None

    def skippable(self, identity: str, needed: set[str]) -> bool:
        """A file read before, unchanged, holding none of the ``needed`` weeks."""
        weeks = self.partitions.get(identity)
        return weeks is not None and not (set(weeks) & needed)

    def save(
        self, tracker, rep, table: pd.DataFrame, totals: dict[str, int], partitions: dict, samples: dict
    ) -> None:
        """Write the whole state atomically (a failed run leaves the old one).
        ``samples``: week -> sample counted now; the stored samples of the other
        weeks in ``totals`` are kept (hard links, not copies, where the disk allows)."""
        if self.directory is None:
            return
        with atomic_dir(self.directory, prefix=".hotspot-state-") as tmp:
            (tmp / SAMPLES).mkdir()
            for w, sample in samples.items():
                if w in totals and sample is not None:
                    sample.to_parquet(tmp / SAMPLES / f"{w}.parquet", index=False)
            for w in self.sample_weeks:
                if w in totals and w not in samples:
                    _link_or_copy(self.directory / SAMPLES / f"{w}.parquet", tmp / SAMPLES / f"{w}.parquet")
            save_tracker(tracker, tmp)
            rep.save(tmp / "representation")
            table[COLUMNS].reset_index(drop=True).to_parquet(tmp / COUNTS, index=False)
            pd.DataFrame({"week": list(totals), "rows": list(totals.values())}).to_parquet(
                tmp / WEEKS, index=False
            )
            (tmp / PARTS).write_text(json.dumps(partitions, ensure_ascii=False, indent=0), "utf-8")


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        import shutil

        shutil.copy2(src, dst)
