"""The range report's issues named by the tracker's timeline (``topics.identity``).

The range report clusters its range afresh (``engine.range``); its clusters are
then matched to the issues of the tracker a weekly run would hold at the range's
end, replayed from the anchor week (``identity.anchor_week``) through the
range's weeks, as the weekly alerts and the bulletin's 难点问题 replay it:

1. client  an ``alert.AlertRun`` stepped from the anchor to the range's last week;
2. map     ``tracker_block`` over its blocks of the range's weeks: each complaint's
           tracker issue (placements and merges followed), ``-1`` none;
3. map     ``range_block`` over the range's kept blocks: each complaint's cluster;
4. client  ``identity.overlap_ids``: each cluster's id; clusters given one id are
           folded (``RangeRun.fold``) before the heat index ranks them.

Only (complaint key, issue) pairs of assigned complaints reach the client.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hotline_nlp.corpus.executor import LocalExecutor
from hotline_nlp.topics.engine.alert import AlertRun
from hotline_nlp.topics.engine.alert_records import placements
from hotline_nlp.topics.engine.blocks import Block
from hotline_nlp.topics.engine.run import ordered, timed
from hotline_nlp.topics.engine.week import relabel
from hotline_nlp.topics.identity import anchor_week, overlap_ids
from hotline_nlp.topics.periods import Period, parse_period, weeks_between


@dataclass
class RangeIdentity:
    """Range cluster id -> the id every view gives it, and the timeline's first complaint."""

    ids: dict  # range cluster id -> issue id (a tracker id, or a fresh one after the tracker's last)
    first_seen: dict  # issue id (tracker ids only) -> first complaint (Timestamp) on the timeline
    anchor: str  # the week the timeline starts from


def tracker_block(block: Block, surviving, placed) -> pd.DataFrame:
    """A finished block's assigned complaints: ``key`` -> tracker ``issue`` (surviving)."""
    lab = relabel(block.rows, block.labels, placed, surviving)
    m = lab >= 0
    return pd.DataFrame({"key": block.rows["key"].to_numpy()[m], "issue": lab[m]})


def range_block(block: Block) -> pd.DataFrame:
    """A range block's clustered complaints: ``key`` -> range ``cluster``."""
    lab = np.asarray(block.labels, np.int64)
    m = lab >= 0
    return pd.DataFrame({"key": block.rows["key"].to_numpy()[m], "cluster": lab[m]})


def timeline(ex, sources, period: Period, cfg, embedder, options) -> AlertRun:
    """An open ``AlertRun`` stepped from the anchor of ``period``'s first week through
    its last week, its blocks of ``period``'s weeks kept (the caller closes it)."""
    weeks = weeks_between(period.start, period.end)
    hist = weeks[0].start - pd.Timedelta(weeks=cfg.history_weeks)
    first = parse_period(anchor_week(weeks[0].label, cfg.anchor))
    run = AlertRun(ex, sources, weeks[0], hist, cfg, embedder, None, options, until=weeks[-1], first=first)
    try:
        run.open(require_week=False)
        run.advance_to(run.first.label)  # as every replay of these weeks steps it
        run.advance_to(weeks[-1].label)
    except BaseException:
        run.close()
        raise
    return run


def range_identity(ex, sources, period: Period, cfg, embedder, options, range_blocks: list) -> RangeIdentity:
    """The ids of the range's clusters (``range_blocks``: the kept match blocks of
    ``engine.range``) on the tracker's timeline (module doc)."""
    ex = ex or LocalExecutor()
    with timed("range: the tracker's timeline"):
        run = timeline(ex, sources, period, cfg, embedder, options)
    try:
        tr = run.tracker
        weeks = [w.label for w in weeks_between(period.start, period.end)]
        blocks = [b for w in weeks for b in run.finished.get(w, [])]
        got = ordered(
            ex, tracker_block, blocks, "identity-tracker", surviving=run.surviving(),
            placed=placements(run, weeks),
        )  # fmt: skip
        seen = run.seen()
        next_id = tr.next_id_
    finally:
        run.close()
    theirs = pd.concat(got or [pd.DataFrame({"key": [], "issue": []})], ignore_index=True)
    tracker_of = pd.Series(theirs["issue"].to_numpy(np.int64), index=theirs["key"].astype(str).to_numpy())
    tracker_of = tracker_of[~tracker_of.index.duplicated()]
    ours = pd.concat(
        ordered(ex, range_block, range_blocks, "identity-range")
        or [pd.DataFrame({"key": [], "cluster": []})],
        ignore_index=True,
    )
    ids = overlap_ids(
        ours["key"].astype(str).to_numpy(), ours["cluster"].to_numpy(np.int64), tracker_of, cfg.identity_overlap,
        next_id,
    )  # fmt: skip
    first = {int(k): seen.loc[k, "first"] for k in set(ids.values()) if k in seen.index}
    return RangeIdentity(ids=ids, first_seen=first, anchor=run.first.label)
