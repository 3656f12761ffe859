"""The id-hash sample: a fixed pseudo-random number per complaint id.

Why: every sample of the hotspot engine (the clustering sample, the tracker's
pool, each counted week's stored sample) takes the rows with the smallest
hashes, so it does not depend on how the input is partitioned or which
process reads a row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALL = np.iinfo(np.uint64).max  # a threshold that keeps every row


def priorities(keys) -> np.ndarray:
    """A fixed pseudo-random number per complaint id: the sample is the rows with
    the smallest, so it does not depend on how the input is partitioned."""
    return pd.util.hash_pandas_object(pd.Series(list(keys), dtype=object), index=False).to_numpy()


def threshold_for(prio: np.ndarray, m: int) -> int:
    """The largest hash of the ``m`` smallest in ``prio`` (``ALL`` when there are at most ``m``)."""
    return ALL if prio.size <= m else int(np.partition(prio, m - 1)[m - 1])
