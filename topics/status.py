"""The one rule that words an issue's weekly movement, for every view.

Why one module: the alert's table, the console's badges and the bulletin's
难点问题 each used to word a status their own way, and they contradicted the
numbers beside them: a 新发 badge next to 首次出现 2019-07-03, "上升" for one
complaint against none, 显著上升 for 6 complaints against 6. Every view now
asks ``issue_status`` for the code and ``STATUS_ZH`` for its words.

The rules (``issue_status``):

* ``new`` (新出现): the issue's first complaint falls inside the window. An
  issue born this week out of complaints that waited in the pool for months
  is not new, whatever its birth week says.
* ``growing`` (显著上升): the emergence test flagged it (``emergence.score_week``)
  and this week's count is above last week's.
* ``elevated`` (持续偏多): flagged, but this week is not above last week (the
  trend test fires on several weeks above the baseline: "6 against 6" is not
  a rise, it is a level that stays high).
* ``more`` (有所增多): not flagged, at least ``min_step`` complaints more than
  last week: an increase the test did not find significant, worded as such.
* ``weak`` (零星): not flagged and up by less than ``min_step`` (1 against 0):
  a weak signal shown apart, never called rising.
* ``falling`` (下降): at least ``min_step`` fewer than last week.
* ``steady`` (持平): everything else.
"""

from __future__ import annotations

STATUS_ZH = {
    "new": "新出现",
    "growing": "显著上升",
    "elevated": "持续偏多",
    "more": "有所增多",
    "weak": "零星",
    "falling": "下降",
    "steady": "持平",
}
# Statuses that back a "this needs attention" claim (the alert's 预警 list, the console's badge).
ALERTING = frozenset({"new", "growing", "elevated"})
MIN_STEP = 2  # a movement of fewer complaints than this is noise, not a rise or a fall


def first_seen_in(first_seen: str | None, window_start: str) -> bool:
    """Is the first complaint (ISO date) inside a window starting ``window_start``?
    Unknown first complaints count as inside (nothing older is known)."""
    return first_seen is None or str(first_seen)[:10] >= str(window_start)[:10]


def is_new(origin: str, born: str, period, first_seen: str | None) -> bool:
    """新出现: born from the unmatched pool in ``period`` AND no complaint of it is
    older than the period. An issue born now out of complaints that waited in the
    pool for weeks (first_seen 49 weeks back) is not new, whatever its birth."""
    if origin != "new" or born != period.label:
        return False
    return first_seen_in(first_seen, period.start.date().isoformat())


def issue_status(*, new: bool, emerging: bool, now: int, prev: int, min_step: int = MIN_STEP) -> str:
    """The status code of one issue in one week (module doc): ``new`` from
    ``is_new``, ``emerging`` from the emergence test, ``now``/``prev`` the
    week's and the previous week's counts."""
    if new:
        return "new"
    if emerging:
        return "growing" if now > prev else "elevated"
    if now - prev >= min_step:
        return "more"
    if now > prev:
        return "weak"
    if prev - now >= min_step:
        return "falling"
    return "steady"


def status_words(status: str | None) -> str:
    """The Chinese words of a status code (the code itself when unknown)."""
    return STATUS_ZH.get(status or "", status or "")


def flagged_words(origin: str | None, first_seen: str | None, flagged_week_start: str) -> str:
    """How the bulletin words an issue the weekly test flagged from a week on:
    新出现 only for an issue born from the pool (``origin`` "new", not one the
    history already held) none of whose complaints is older than that week;
    else 显著增多."""
    new = origin == "new" and first_seen_in(first_seen, flagged_week_start)
    return "新出现" if new else "显著增多"
