"""A hash table from integer keys to integers, looked up a whole array at a time.

Tagging looks up millions of n-gram keys per batch (the segmenter's lattice,
the character n-gram features). ``np.searchsorted`` on a sorted key array does
that with a binary search per key, which wanders through memory; this table
finds most keys in one probe. Open addressing with linear probing, and for each
home slot the farthest any of its keys was placed: a key whose home holds none
is absent at once, and the others compare a window of slots per numpy step, so a
call takes one or two steps whatever the number of keys (a single complaint
needs a few hundred lookups, a batch millions).
"""

from __future__ import annotations

import numpy as np

_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the high bits of key * 2**64/phi


class KeyTable:
    """``uint64`` keys (the caller makes them unique) to ``int64`` values; ``get`` answers -1 for absent keys."""

    def __init__(self, keys, values):
        keys = np.asarray(keys, dtype=np.uint64)
        values = np.asarray(values, dtype=np.int64)
        if (keys == 0).any():  # 0 marks an empty slot
            raise ValueError("KeyTable keys must not be 0")
        bits = max(4, int(np.ceil(np.log2(2 * len(keys) + 1))))  # load factor <= 1/2
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.values = np.full(1 << bits, -1, dtype=np.int64)
        used = np.zeros(1 << bits, dtype=bool)
        pending = np.arange(len(keys))
        slot = self._slot(keys)
        while len(pending):
            s = slot[pending]
            free = ~used[s]
            # one winner per free slot this round; the others probe on
            _, first = np.unique(s[free], return_index=True)
            win = pending[free][first]
            used[slot[win]] = True
            self.keys[slot[win]] = keys[win]
            self.values[slot[win]] = values[win]
            placed = np.zeros(len(keys), dtype=bool)
            placed[win] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & self._mask
        home = self._slot(keys)
        self.reach = np.full(1 << bits, -1, dtype=np.int16)  # farthest slot (from home) of a home's keys
        np.maximum.at(self.reach, home, ((slot - home) & self._mask).astype(np.int16))

    @classmethod
    def from_arrays(cls, keys: np.ndarray, values: np.ndarray, reach: np.ndarray) -> KeyTable:
        """A table saved as its three arrays."""
        self = cls.__new__(cls)
        self.keys, self.values, self.reach = keys, values, reach
        bits = len(keys).bit_length() - 1
        self._shift, self._mask = np.uint64(64 - bits), (1 << bits) - 1
        return self

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _MULT) >> self._shift).astype(np.int64)

    def get(self, keys) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.uint64)
        out = np.full(len(keys), -1, dtype=np.int64)
        home = self._slot(keys)
        reach = self.reach[home]
        idx = np.flatnonzero(reach >= 0)
        at = home[idx]  # most keys sit in their home slot
        hit = self.keys[at] == keys[idx]
        out[idx[hit]] = self.values[at[hit]]
        idx = idx[~hit & (reach[idx] >= 1)]
        step = 1
        while len(idx):  # the rest: a window of slots per step, wide enough for most homes
            width = min(int(reach[idx].max()) + 1 - step, 16)
            win = (home[idx, None] + np.arange(step, step + width)) & self._mask
            # an empty slot holds key 0 and value -1, so matching it reads "absent"
            eq = self.keys[win] == keys[idx, None]
            hit = eq.any(axis=1)
            out[idx[hit]] = self.values[win[hit, eq[hit].argmax(axis=1)]]
            step += width
            idx = idx[~hit & (reach[idx] >= step)]
        return out
