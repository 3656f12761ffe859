"""What a run may draw on: how much of the machine (one answer for every part
that threads) and the data files the package ships (``corpus/data``)."""

from __future__ import annotations

import os
from importlib import resources


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask, which containers and ``taskset`` set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def task_threads() -> int:
    """Threads one piece of work may use here: a Dask worker's own thread count
    when this runs inside one (a cluster gives each worker its share of the
    cores: a worker that used more would take its neighbours'), else the cores
    this process may use. ``distributed`` not imported means not a worker, at
    no import cost."""
    import sys

    dist = sys.modules.get("distributed")
    if dist is not None:
        try:
            return max(1, int(dist.get_worker().state.nthreads))
        except (ValueError, AttributeError):  # not in a worker
            pass
    return available_cores()


def data_path(name: str):
    """Path of a file shipped in ``corpus/data``."""
    return resources.files("hotline_nlp.corpus").joinpath("data", name)
