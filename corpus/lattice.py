"""The segmenter's Viterbi search in numpy, for all texts of a batch at once.

Segmentation was most of tagging time: ``tokenizers``' Unigram model walks a
byte trie (a hash lookup per byte) for every character, about 0.7 ms for a
400-character complaint. This module runs the *same* search over the same
pieces and scores, vectorised: every text is cut into phrases at characters
that no piece contains (punctuation, spaces: the search is forced through them
anyway), all n-grams of all phrases are looked up in one hash table per length
(``corpus.keytable``), and the lattice is relaxed one phrase position at a time
for every phrase together. The rules are tokenizers' own
(``Unigram::encode_optimized``): a candidate replaces the best path to a node
only when strictly better (so the earliest start wins a tie), a character
without a one-character piece is an unknown node scored ``min score - 10``,
and adjacent unknown nodes fuse into one token. Then ``corpus.text``'s word
rule: punctuation tokens are dropped and adjacent latin/digit tokens joined.

The one difference: each phrase's path scores are summed from zero, where
tokenizers carries the text's running total, so two paths whose scores tie
to the last bit could be ordered differently. ``tests/test_segmenter_lattice.py``
checks equality with the tokenizer on the demo corpus and tricky strings.
"""

from __future__ import annotations

import json
import re

import numpy as np
from hotline_nlp.corpus.keytable import KeyTable

BITS = 21  # code points + 1 fit in 21 bits: three of them in one exact 63-bit key
UNK_PENALTY = 10.0  # tokenizers: an unknown character scores the lowest piece score - 10
_P = np.uint64(0x100000001B3)  # n-grams longer than 3: a rolling hash, hits checked exactly
_N_CODES = 0x110001
FORMAT = "lattice-1"  # bump when the saved arrays change
CHUNK_CHARS = 1 << 19  # characters searched in one numpy pass (~50 MB of arrays)


def text_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points + 1 of all texts, concatenated (uint64), and each text's start offset."""
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=starts[1:])
    return cps, starts


def char_chunks(texts: list[str]) -> list[tuple[int, int]]:
    """Index ranges of ``texts`` holding at most ``CHUNK_CHARS`` characters (at
    least one text each): the search's arrays take ~100 bytes per character, so a
    batch of long texts is searched a chunk at a time."""
    sizes = np.cumsum([len(t) for t in texts])
    out, start = [], 0
    while start < len(texts):
        before = int(sizes[start - 1]) if start else 0
        end = max(int(np.searchsorted(sizes, before + CHUNK_CHARS, side="right")), start + 1)
        out.append((start, end))
        start = end
    return out or [(0, 0)]


def _after(x: np.ndarray, fill, keep: bool = False) -> np.ndarray:
    """``x`` shifted one place right, ``fill`` first (``keep``: one longer, nothing dropped)."""
    out = np.empty(len(x) + 1 if keep else len(x), dtype=np.result_type(x, np.min_scalar_type(fill)))
    if len(out):
        out[0] = fill
        out[1:] = x if keep else x[:-1]
    return out


def _before(x: np.ndarray, fill) -> np.ndarray:
    """``x`` shifted one place left, ``fill`` last."""
    out = np.empty(len(x), dtype=np.result_type(x, np.min_scalar_type(fill)))
    if len(out):
        out[:-1] = x[1:]
        out[-1] = fill
    return out


def _extend(keys: np.ndarray, nxt: np.ndarray, n: int) -> np.ndarray:
    """Key of an n-gram from its (n-1)-gram's key and its last code point."""
    if n <= 3:
        return (keys << np.uint64(BITS)) | nxt
    return keys * _P + nxt


class Words:
    """Segmented words of a batch: ``doc`` (text index) and ``piece`` (piece id)
    per word in text order; a word that is not one piece (joined latin/digit
    runs, unknown symbols) has piece -1 and its string in ``special``."""

    def __init__(self, n_texts: int, doc: np.ndarray, piece: np.ndarray, special: dict[int, str]):
        self.n_texts, self.doc, self.piece, self.special = n_texts, doc, piece, special

    def with_lists(self, lists: dict[int, list[str]]) -> Words:
        """These words plus, for texts ``lists`` names (segmented another way), those lists."""
        if not lists:
            return self
        docs = [d for d, ws in lists.items() for _ in ws]
        doc = np.concatenate([self.doc, np.array(docs, dtype=np.int64)])
        strings = [s for ws in lists.values() for s in ws]
        order = np.argsort(doc, kind="stable")
        new_index = np.empty(len(order), dtype=np.int64)
        new_index[order] = np.arange(len(order))
        special = {int(new_index[i]): s for i, s in self.special.items()}
        base = len(self.doc)
        special.update({int(new_index[base + k]): s for k, s in enumerate(strings)})
        piece = np.concatenate([self.piece, np.full(len(strings), -1, dtype=np.int64)])
        return Words(self.n_texts, doc[order], piece[order], special)


class LatticeSegmenter:
    """Segment like a ``tokenizers`` Unigram model (pieces + scores, no pre-tokenizer,
    fused unknowns), then keep words as ``corpus.text._words`` does."""

    def __init__(self, pieces: list[str], scores, unk_id: int, drop: re.Pattern):
        self.pieces = np.array(pieces, dtype=object)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.unk_score = float(self.scores.min()) - UNK_PENALTY
        self.drop = drop
        self.unk_token, self.unk_id = pieces[unk_id], unk_id
        self.lowercase = True
        usable = [i for i, p in enumerate(pieces) if p and i != unk_id]
        lens = np.array([len(pieces[i]) for i in usable], dtype=np.int64)
        ids = np.array(usable, dtype=np.int64)
        cps, starts = text_codes([pieces[i] for i in usable])
        self.max_len = int(lens.max())
        self.single = np.full(_N_CODES, -1, dtype=np.int32)
        self.single[cps[starts[:-1][lens == 1]]] = ids[lens == 1]
        self.in_piece = np.zeros(_N_CODES, dtype=bool)
        self.in_piece[cps] = True
        self.starts_longer = np.zeros(_N_CODES, dtype=bool)
        self.starts_longer[cps[starts[:-1][lens > 1]]] = True
        # code points of pieces longer than 3, to check hash hits exactly
        self.long_row = np.full(len(pieces), -1, dtype=np.int64)
        long = np.flatnonzero(lens > 3)
        self.long_row[ids[long]] = np.arange(len(long))
        self.long_cps = np.zeros((len(long), self.max_len), dtype=np.uint64)
        for j in range(self.max_len):
            has = lens[long] > j
            self.long_cps[np.flatnonzero(has), j] = cps[starts[:-1][long[has]] + j]
        # one table per length n >= 2: every n-character prefix of a piece ->
        # (piece id + 1) * 2 + (1 if a longer piece starts with it)
        self.tables: dict[int, KeyTable] = {}
        sel = np.flatnonzero(lens > 1)
        keys = cps[starts[:-1][sel]]
        for n in range(2, self.max_len + 1):
            keys = _extend(keys, cps[starts[:-1][sel] + n - 1], n)
            uniq, inv = np.unique(keys, return_inverse=True)
            exact = lens[sel] == n
            if np.bincount(inv[exact], minlength=len(uniq)).max(initial=0) > 1:
                raise ValueError(f"two pieces of length {n} share a hash key")
            pid = np.full(len(uniq), -1, dtype=np.int64)
            pid[inv[exact]] = ids[sel[exact]]
            longer = np.bincount(inv[~exact], minlength=len(uniq)) > 0
            self.tables[n] = KeyTable(uniq, (pid + 1) * 2 + longer)
            keep = lens[sel] > n
            sel, keys = sel[keep], keys[keep]
        self.piece_drop = np.array([bool(drop.match(p)) or p == self.unk_token for p in pieces])
        self.piece_ascii = np.array([p.isascii() for p in pieces])
        self._char_kept = np.full(_N_CODES, -1, dtype=np.int8)  # char not punctuation: 1, unknown yet: -1

    _ARRAYS = (
        "scores",
        "single",
        "in_piece",
        "starts_longer",
        "long_row",
        "long_cps",
        "piece_drop",
        "piece_ascii",
    )

    def save(self, path) -> None:
        """Arrays to an ``.npz`` (loading them is ~20x faster than building)."""
        arrays = {k: getattr(self, k) for k in self._ARRAYS}
        for n, t in self.tables.items():
            arrays.update({f"t{n}_keys": t.keys, f"t{n}_values": t.values, f"t{n}_reach": t.reach})
        text = "\n".join([self.unk_token, *self.pieces.tolist()])
        arrays["pieces"] = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        meta = [self.unk_score, self.max_len, float(self.lowercase), self.unk_id]
        arrays["meta"] = np.array(meta, dtype=np.float64)
        np.savez(path, **arrays, allow_pickle=False)

    @classmethod
    def load(cls, path, drop: re.Pattern) -> LatticeSegmenter:
        self = cls.__new__(cls)
        with np.load(path, allow_pickle=False) as z:
            for k in cls._ARRAYS:
                setattr(self, k, z[k])
            self.unk_score, max_len, lowercase, unk_id = z["meta"].tolist()
            self.max_len, self.lowercase, self.unk_id = int(max_len), bool(lowercase), int(unk_id)
            self.tables = {}
            for n in range(2, self.max_len + 1):
                self.tables[n] = KeyTable.from_arrays(z[f"t{n}_keys"], z[f"t{n}_values"], z[f"t{n}_reach"])
            unk_token, *pieces = z["pieces"].tobytes().decode("utf-32-le").split("\n")
        self.pieces = np.array(pieces, dtype=object)
        if len(self.pieces) != len(self.scores):
            raise ValueError(f"{path}: pieces and scores differ in number")
        self.drop, self.unk_token = drop, unk_token
        self._char_kept = np.full(_N_CODES, -1, dtype=np.int8)
        return self

    @classmethod
    def cached(cls, tok, key: str, drop: re.Pattern) -> LatticeSegmenter | None:
        """For tokenizer ``tok``, loaded from the cache directory when built before
        (``key`` names the tokenizer's content), else built and saved there; None
        when this search cannot reproduce ``tok``. ``tok`` may be a callable
        returning the tokenizer, called only when a build is needed."""
        from hotline_nlp.corpus.atomic import atomic_path
        from hotline_nlp.paths import cache_dir

        path = cache_dir() / f"{FORMAT}-{key}.npz"
        if path.is_file():
            try:
                return cls.load(path, drop)
            except Exception:  # a truncated or older cache file: rebuild it
                path.unlink(missing_ok=True)
        try:
            built = cls.from_tokenizer(tok() if callable(tok) else tok, drop)
        except ValueError:
            return None
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                built.save(f)
        except OSError:
            pass  # a read-only cache only costs the build next time
        return built

    def piece_ids(self) -> dict[str, int]:
        """Piece string -> id (built on first use)."""
        ids = getattr(self, "_piece_ids", None)
        if ids is None:
            ids = self._piece_ids = {p: i for i, p in enumerate(self.pieces.tolist())}
        return ids

    @classmethod
    def from_tokenizer(cls, tok, drop: re.Pattern) -> LatticeSegmenter:
        """From a ``tokenizers.Tokenizer`` with a Unigram model, no pre-tokenizer and
        at most a ``Lowercase`` normaliser (anything else: ``ValueError``)."""
        spec = json.loads(tok.to_str())
        model = spec["model"]
        norm = spec.get("normalizer")
        if model.get("type") != "Unigram" or model.get("byte_fallback") or spec.get("pre_tokenizer"):
            raise ValueError("not a plain Unigram tokenizer")
        if norm is not None and norm.get("type") != "Lowercase":
            raise ValueError(f"normaliser {norm.get('type')} is not reproduced")
        if model.get("unk_id") is None:
            raise ValueError("Unigram model without an unknown piece")
        pieces = [p for p, _ in model["vocab"]]
        if any("\n" in p for p in pieces):
            raise ValueError("a piece holds a line break")
        out = cls(pieces, [s for _, s in model["vocab"]], model["unk_id"], drop)
        out.lowercase = norm is not None
        return out

    # ---------------------------------------------------------------- search
    def prepare(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """The texts as the tokenizer's normaliser sees them, and the indices of
        texts this search does not reproduce (the caller segments those itself):
        a literal unknown-piece name, or lower-casing that changes the length."""
        if not getattr(self, "lowercase", True):
            return list(texts), [i for i, t in enumerate(texts) if self.unk_token in t]
        out, other = [], []
        for i, t in enumerate(texts):
            low = (t.replace("Σ", "σ") if "Σ" in t else t).lower()  # per character, as Rust's
            if len(low) != len(t) or self.unk_token in low:
                other.append(i)
                low = ""
            out.append(low)
        return out, other

    def words(self, texts: list[str]) -> Words:
        """Words of already-prepared texts (see ``prepare``)."""
        parts = char_chunks(texts)
        if len(parts) == 1:
            return self._words(texts)
        docs, pieces, special, n_words = [], [], {}, 0
        for a, b in parts:
            w = self._words(texts[a:b])
            docs.append(w.doc + a)
            pieces.append(w.piece)
            special.update({i + n_words: s for i, s in w.special.items()})
            n_words += len(w.doc)
        return Words(len(texts), np.concatenate(docs), np.concatenate(pieces), special)

    def _words(self, texts: list[str]) -> Words:
        cps, doc, piece_at, len_at = self._tokens(texts)
        if len(cps) == 0:
            e = np.zeros(0, dtype=np.int64)
            return Words(len(texts), e, e, {})
        return self._keep_words(texts, cps, doc, piece_at, len_at)

    def token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The tokenizer's ids of already-prepared texts, all texts' concatenated,
        and each text's number of tokens (what ``Tokenizer.encode_batch`` gives)."""
        parts = [self._token_ids(texts[a:b]) for a, b in char_chunks(texts)]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        cps, doc, piece_at, len_at = self._tokens(texts)
        start = np.flatnonzero(piece_at > -2)
        piece, tdoc = piece_at[start], doc[start]
        unk = piece < 0
        fused = unk & _after(unk, False) & (_after(tdoc, -1) == tdoc)
        ids = np.where(unk, self.unk_id, piece)[~fused]
        return ids, np.bincount(tdoc[~fused], minlength=len(texts))

    def _tokens(self, texts: list[str]):
        """Code points, text of each, and the best path's tokens by first character."""
        cps, starts = text_codes(texts)
        n = len(cps)
        doc = np.repeat(np.arange(len(texts)), np.diff(starts))
        if n == 0:
            return cps, doc, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pos, length, piece, src_rel, phrase, pstart, pend = self._matches(cps, doc)
        # the token starting at each character: its piece (-1 unknown, -2 none) and length
        piece_at = np.full(n, -2, dtype=np.int64)
        len_at = np.ones(n, dtype=np.int64)
        piece_at[~self.in_piece[cps]] = -1  # characters between phrases: unknown nodes
        if len(pstart):
            self._best_paths(pos, length, piece, src_rel, phrase, pstart, pend, piece_at, len_at)
        return cps, doc, piece_at, len_at

    def _matches(self, cps, doc):
        """Every piece (and unknown node) that fits inside a phrase, by start position."""
        n = len(cps)
        inside = self.in_piece[cps]
        new_doc = np.ones(n, dtype=bool)
        new_doc[1:] = doc[1:] != doc[:-1]
        first = inside & (new_doc | ~_after(inside, False))
        last = inside & (_before(new_doc, True) | ~_before(inside, False))
        pstart, pend = np.flatnonzero(first), np.flatnonzero(last) + 1
        at = np.flatnonzero(inside)
        phrase = np.full(n, -1, dtype=np.int64)
        phrase[at] = np.cumsum(first)[at] - 1
        end_of = pend[phrase[at]]
        c = cps[at]
        single = self.single[c].astype(np.int64)
        out_pos, out_len, out_piece = [at], [np.ones(len(at), dtype=np.int64)], [single]
        grow = self.starts_longer[c] & (at + 1 < end_of)
        alive, keys, end_of = at[grow], c[grow], end_of[grow]
        k = 2
        while len(alive) and k <= self.max_len:
            keys = _extend(keys, cps[alive + k - 1], k)
            v = self.tables[k].get(keys)
            pid = (v >> 1) - 1
            hit = pid >= 0
            if k > 3 and hit.any():  # a hash key: compare the characters
                rows = self.long_row[pid[hit]]
                span = cps[alive[hit][:, None] + np.arange(k)]
                ok = (self.long_cps[rows, :k] == span).all(axis=1)
                hit[np.flatnonzero(hit)[~ok]] = False
            out_pos.append(alive[hit])
            out_len.append(np.full(int(hit.sum()), k, dtype=np.int64))
            out_piece.append(pid[hit])
            grow = (v >= 0) & (v & 1 == 1) & (alive + k < end_of)
            alive, keys, end_of = alive[grow], keys[grow], end_of[grow]
            k += 1
        pos = np.concatenate(out_pos)
        return (
            pos,
            np.concatenate(out_len),
            np.concatenate(out_piece),
            pos - pstart[phrase[pos]],
            phrase,
            pstart,
            pend,
        )

    def _best_paths(self, pos, length, piece, src_rel, phrase, pstart, pend, piece_at, len_at):
        """Viterbi over every phrase at once; writes the best paths' tokens into
        ``piece_at`` / ``len_at`` (indexed by the token's first character)."""
        plen = pend - pstart
        n_phrases, longest = len(plen), int(plen.max())
        # Node (phrase j, position r) is ``offset[r] + rank[j]``, phrases ranked longest
        # first: the nodes at one position form one block, so each step of the search
        # below reads and writes a few compact blocks instead of the whole lattice.
        rank = np.empty(n_phrases, dtype=np.int64)
        rank[np.argsort(-plen, kind="stable")] = np.arange(n_phrases)
        shorter = _after(np.cumsum(np.bincount(plen, minlength=longest + 1)), 0)
        offset = _after(np.cumsum(n_phrases - shorter), 0, keep=True)
        key = src_rel.astype(np.uint16) if longest < 1 << 16 else src_rel
        order = np.argsort(key, kind="stable")  # a radix sort for 16-bit keys
        src_rel, length, piece = src_rel[order], length[order], piece[order]
        r = rank[phrase[pos[order]]]
        src, dst = offset[src_rel] + r, offset[src_rel + length] + r
        score = np.where(piece >= 0, self.scores[np.maximum(piece, 0)], self.unk_score)
        best = np.full(int(offset[-1]), -np.inf)
        best[:n_phrases] = 0.0
        arg = np.full(int(offset[-1]), -1, dtype=np.int64)
        bounds = np.searchsorted(src_rel, np.arange(longest + 1))
        index = np.arange(len(src))
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            d = dst[a:b]
            cand = best[src[a:b]] + score[a:b]
            better = cand > best[d]  # strictly: the earliest start keeps a tie
            best[d[better]] = cand[better]
            arg[d[better]] = index[a:b][better]
        j = np.arange(n_phrases)
        cur = offset[plen] + rank
        while len(cur):
            m = arg[cur]
            at = pstart[j] + src_rel[m]
            piece_at[at], len_at[at] = piece[m], length[m]
            more = src[m] >= n_phrases  # not yet back at the phrase's first node
            cur, j = src[m][more], j[more]

    def _keep_words(self, texts, cps, doc, piece_at, len_at) -> Words:
        """Tokens in text order; fuse adjacent unknowns, drop punctuation, join
        latin/digit runs (``corpus.text._words``)."""
        start = np.flatnonzero(piece_at > -2)
        end, piece = start + len_at[start], piece_at[start]
        tdoc = doc[start]
        unk = piece < 0
        same_doc = _after(tdoc, -1) == tdoc
        new = ~(unk & _after(unk, False) & same_doc)
        head = np.flatnonzero(new)
        start, end, piece, tdoc = start[head], _before(end[head - 1], end[-1]), piece[head], tdoc[head]
        unk = piece < 0
        # per-character flags, for unknown tokens: not punctuation / not ASCII
        kept_char = self._char_kept[cps]
        if (kept_char < 0).any():
            for c in np.unique(cps[kept_char < 0]):
                self._char_kept[c] = 0 if self.drop.match(chr(int(c) - 1)) else 1
            kept_char = self._char_kept[cps]
        n_kept = _after(np.cumsum(kept_char, dtype=np.int64), 0, keep=True)
        n_wide = _after(np.cumsum(cps > 128, dtype=np.int64), 0, keep=True)
        safe = np.where(unk, 0, piece)
        drop = np.where(unk, n_kept[end] - n_kept[start] == 0, self.piece_drop[safe])
        ascii_ = np.where(unk, n_wide[end] - n_wide[start] == 0, self.piece_ascii[safe])
        same_doc = _after(tdoc, -1) == tdoc
        joins = ~drop & ascii_ & _after(~drop & ascii_, False) & same_doc
        keep = np.flatnonzero(~drop)
        first = keep[~joins[keep]]  # each word's first token
        last = _before(first, len(drop))
        # last kept token of each word: the tokens joined after ``first`` are consecutive
        cum = np.cumsum(joins)
        n_join = cum[last - 1] - cum[first]
        wend = end[first + n_join]
        wpiece = np.where(unk[first] | (n_join > 0), -1, piece[first])
        wdoc = tdoc[first]
        base = _after(np.cumsum([len(t) for t in texts]), 0, keep=True)
        special = {}
        for i in np.flatnonzero(wpiece < 0).tolist():
            d = int(wdoc[i])
            special[i] = texts[d][start[first[i]] - base[d] : wend[i] - base[d]]
        return Words(len(texts), wdoc, wpiece, special)

    # ------------------------------------------------------------- results
    def word_lists(self, words: Words) -> list[list[str]]:
        strings = self.pieces[np.maximum(words.piece, 0)]
        for i, s in words.special.items():
            strings[i] = s
        bounds = np.searchsorted(words.doc, np.arange(words.n_texts + 1))
        flat = strings.tolist()
        return [flat[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
