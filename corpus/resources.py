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


def data_path(name: str):
    """Path of a file shipped in ``corpus/data``."""
    return resources.files("hotline_nlp.corpus").joinpath("data", name)
