"""Example complaints for the hot categories: the most representative ones,
quoted in the bulletins' voice ("如：市民反映……（诉求编号：8213631）").

Representative, not random: within a sub-category, each complaint's TF-IDF
vector (over ``corpus.text.content_words``) is compared with all the others and
the mean cosine similarity says how well it stands for the group. Among the
more representative half, a complaint that can be quoted whole (its first
sentence fits) is preferred to one that must be cut, and the most
representative of those is taken. Complaints with long digit runs (phone or
ID numbers), licence plates or self-introductions (我叫…, 本人姓…) are passed
over (and masked if quoted anyway), so a bulletin never prints a citizen's
number, name or licence plate.

The quote keeps the citizen's words: a long body (a web message with a
preamble) is replaced by its title, which on message boards is the citizen's
own one-line summary; greetings and "我想反映" openers are dropped, first-person
pronouns become reported speech (我家 -> 其家), trailing pleas (希望…尽快处理)
are cut, and the text is trimmed at a clause boundary to about 60 characters.
Nothing is added.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hotline_nlp.corpus.text import clean, content_words, strip_openers
from sklearn.feature_extraction.text import TfidfVectorizer

MAX_CHARS = 60
MIN_CHARS = 8  # shorter texts are not worth quoting
MIN_KEEP = 4  # a trailing plea is cut once this much content is kept
LONG_BODY = 150  # above this, quote the title instead of the body
# phone / ID numbers and licence plates: never printed
_PRIVATE = re.compile(
    r"\d{7,}|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{4,6}"
)
_NAMED = re.compile(r"(?:我|本人|其)(?:叫|名叫|姓名|的名字)|本人姓|举报人[:：]|身份证")
# a quote that opens with who the caller is says little; such complaints are quoted last
_SELF_INTRO = re.compile(r"^(其|本人)(家)?(是|住在|住)")
_PRONOUNS = [
    ("我们小区", "其所在小区"),
    ("我小区", "其所在小区"),
    ("我所在", "其所在"),
    ("我们家", "其家"),
    ("我家住", "其住"),
    ("我家", "其家"),
    ("我的", "其"),
    ("本人", "其"),
    ("我市", "本市"),
    ("我省", "本省"),
]
_FIRST_PERSON = re.compile(r"(?<!自)我们?(?![国区县镇])")
_PLEA = re.compile(r"^(希望|请|恳请|麻烦|望|盼|谢谢|感谢|请求|要求相关部门|希望相关部门)")
_SENTENCE = re.compile(r"(?<=[。！？!?；;])")
_CLAUSE = re.compile(r"(?<=[，,、：:])")
_TRAILING = "，,、：:。！？!?；; "


def _reported(text: str) -> str:
    for a, b in _PRONOUNS:
        text = text.replace(a, b)
    return _FIRST_PERSON.sub("其", text)


def trim(text: str, limit: int = MAX_CHARS) -> str:
    """The leading clauses of ``text`` up to ``limit`` characters, cut at a clause
    boundary, without trailing pleas or punctuation. The first sentence is taken
    as far as it fits; the next one is read on only while the quote is still
    short (< 30 characters), since a bare address or shop name says nothing."""
    kept = ""
    for n, sentence in enumerate(s for s in _SENTENCE.split(text) if s.strip()):
        if n and len(kept) >= 30:
            break
        clauses = [c for c in _CLAUSE.split(sentence.strip()) if c.strip()]
        for j, c in enumerate(clauses):
            if _PLEA.match(c.strip()) and len(kept) >= MIN_KEEP:
                return kept.rstrip(_TRAILING)
            piece = c.rstrip("。！？!?；;")
            new_sentence = kept and n and j == 0  # sentences are joined with a comma
            joined = (kept.rstrip(_TRAILING) + "，" if new_sentence else kept) + piece
            if len(joined.rstrip(_TRAILING)) > limit:
                if not kept:  # one clause longer than the limit: cut it visibly
                    return piece[: limit - 1] + "…"
                return kept.rstrip(_TRAILING)
            kept = joined
    return kept.rstrip(_TRAILING)


def bulletin_quote(text: str, complaint_id: str) -> str:
    """'市民反映兴隆台区某小区物业不允许业主车辆进入，搬运重物不便（诉求编号：8213631）'."""
    body = _reported(strip_openers(clean(text), MIN_CHARS))
    body = _PRIVATE.sub("***", body)
    return f"市民反映{trim(body)}（诉求编号：{complaint_id}）"


def _quote_source(df: pd.DataFrame) -> pd.Series:
    """What to quote per complaint: the body; its title when the body is long and
    the title says something (>= MIN_CHARS); the joined text when there is no body."""
    text = df["text"].fillna("").astype(str)
    if "body" not in df:
        return text
    body = df["body"].fillna("").astype(str)
    src = body.where(body.str.strip() != "", text)
    if "title" in df:
        title = df["title"].fillna("").astype(str)
        use_title = (src.str.len() > LONG_BODY) & (title.str.len() >= MIN_CHARS)
        src = src.where(~use_title, title)
    return src


def _fits(src: str) -> bool:
    """True when the quote needs no cut inside its first sentence and does not
    open with a self-introduction (我是…的居民, 我住在…)."""
    body = _reported(strip_openers(clean(src), MIN_CHARS))
    first = _SENTENCE.split(body, maxsplit=1)[0].rstrip("。！？!?；; ")
    return len(first) <= MAX_CHARS and not _SELF_INTRO.match(body)


def representativeness(texts: list[str]) -> np.ndarray:
    """Mean cosine similarity of each text to the others (TF-IDF over content words)."""
    n = len(texts)
    if n <= 2:
        return np.ones(n)
    vec = TfidfVectorizer(tokenizer=content_words, token_pattern=None, lowercase=False, sublinear_tf=True)
    try:
        x = vec.fit_transform(texts)
    except ValueError:  # no content words at all
        return np.ones(n)
    total = np.asarray(x.sum(axis=0)).ravel()
    self_sim = np.asarray(x.multiply(x).sum(axis=1)).ravel()
    return (x @ total - self_sim) / (n - 1)


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _near_duplicate(a: str, others: list[str], threshold: float = 0.6) -> bool:
    """Two examples that say the same thing (a repeated complaint) waste the reader's time."""
    ga = _bigrams(a)
    for b in others:
        gb = _bigrams(b)
        if ga and gb and len(ga & gb) / len(ga | gb) >= threshold:
            return True
    return False


def pick(
    df: pd.DataFrame, n: int = 1, exclude: set[str] = frozenset(), avoid: list[str] = ()
) -> list[tuple[str, str]]:
    """The ``n`` most representative quotable complaints of ``df`` as (id, quote),
    skipping ids in ``exclude`` and near-duplicates of the quotes in ``avoid``."""
    df = df.loc[~df["id"].astype(str).isin(exclude)]
    if df.empty:
        return []
    src = _quote_source(df)
    scores = representativeness(df["text"].astype(str).tolist())
    quotable = (
        ~src.str.contains(_PRIVATE) & ~src.str.contains(_NAMED) & (src.str.len() >= MIN_CHARS)
    ).to_numpy()
    central = scores >= np.median(scores)
    fits = np.array([_fits(t) for t in src])
    # quotable first, then the central half, then whole-sentence quotes, then representativeness
    order = np.lexsort((df["id"].astype(str).to_numpy(), -scores, ~fits, ~central, ~quotable))
    out: list[tuple[str, str]] = []
    seen = [_strip_id(q) for q in avoid]
    for i in order:
        if len(out) >= n:
            break
        cid = str(df["id"].iloc[i])
        quote = bulletin_quote(src.iloc[i], cid)
        if _near_duplicate(_strip_id(quote), seen):
            continue
        out.append((cid, quote))
        seen.append(_strip_id(quote))
    return out


def quote_rows(df: pd.DataFrame, n: int, avoid: list[str] = ()) -> list[tuple[str, str]]:
    """Quote the rows of ``df`` in the order given (someone else ranked them),
    skipping unquotable ones and near-duplicates (of each other and of ``avoid``); at most ``n``."""
    if df.empty:
        return []
    src = _quote_source(df)
    out: list[tuple[str, str]] = []
    for i in range(len(df)):
        t = src.iloc[i]
        if _PRIVATE.search(t) or _NAMED.search(t) or len(t) < MIN_CHARS:
            continue
        cid = str(df["id"].iloc[i])
        quote = bulletin_quote(t, cid)
        if _near_duplicate(_strip_id(quote), [_strip_id(q) for q in avoid] + [_strip_id(q) for _, q in out]):
            continue
        out.append((cid, quote))
        if len(out) >= n:
            break
    return out


def _strip_id(quote: str) -> str:
    return quote.rsplit("（诉求编号", 1)[0]


def examples_for(cat: pd.DataFrame, subcats: list[str], n: int = 2) -> list[tuple[str, str]]:
    """One example from each of the first sub-categories named in the text, then the
    category's most representative others until ``n``."""
    chosen: list[tuple[str, str]] = []
    if "level2" in cat:
        for sc in subcats[:n]:
            chosen += pick(
                cat.loc[cat["level2"].fillna("").astype(str) == sc],
                1,
                {c[0] for c in chosen},
                [c[1] for c in chosen],
            )
    if len(chosen) < n:
        chosen += pick(cat, n - len(chosen), {c[0] for c in chosen}, [c[1] for c in chosen])
    return chosen[:n]
