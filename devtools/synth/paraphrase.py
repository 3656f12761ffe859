"""Word-level paraphrase, typing slips and sloppy punctuation applied to a finished text.

Why after composition: templates fix the wording of every fragment, so the same
function words and set phrases recur in the same shape across thousands of
texts. People say the same thing many ways (希望 / 盼望 / 恳请, 一直 / 始终 /
老是, 没人管 / 没人过问), and operators each have their own habits. A pass
over the finished text that swaps such words at random breaks the template
fingerprints without touching the facts (places, sums, category words).
"""

from __future__ import annotations

import random
import re

# (pattern, alternatives); the pattern itself stays one of the outcomes. Only
# function words and stance phrases: category vocabulary is left alone.
SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("希望", ("盼望", "期望", "恳请", "请求")),
    ("尽快", ("早日", "抓紧", "赶快", "尽早", "快点")),
    ("一直(?![是都])", ("始终", "总是", "老是", "一直都")),
    ("没人管", ("无人管理", "没人过问", "没人理", "没有人管")),
    ("特别", ("非常", "十分", "相当", "格外")),
    ("现在", ("目前", "眼下", "如今")),
    ("(?<!都)已经", ("已", "都已经", "早就")),
    ("家里", ("屋里", "家中", "家")),
    ("但是", ("可是", "不过", "但")),
    ("马上(?!就)", ("立刻", "立即", "马上就")),
    ("然后", ("之后", "接着", "后来")),
    ("(?<![很挺])严重", ("厉害", "很严重", "挺严重")),
    ("晚上", ("夜里", "晚间", "夜间")),
    ("孩子(?![们])", ("小孩", "孩子们", "娃")),
    ("老人(?!家)", ("老年人", "上了岁数的人", "老人家")),
    ("觉得", ("认为", "感觉", "感到")),
    ("怎么办", ("咋办", "如何是好", "怎么弄")),
    ("什么时候", ("啥时候", "何时", "几时")),
    ("好几次", ("多次", "好多次", "好几回", "三番五次")),
    ("好几天", ("多日", "好些天", "几天")),
    ("不给", ("不肯", "不予")),
    ("工作人员", ("办事人员", "工作的人", "窗口人员")),
    ("很多", ("好多", "许多", "不少")),
    ("处理", ("解决", "处置", "处理")),
    ("要求", ("请求", "要求")),
    ("没有", ("没", "没有")),
    ("知道", ("清楚", "晓得", "知道")),
    ("因为", ("由于", "因")),
    ("所以", ("因此", "所以说")),
    ("非常", ("特别", "很", "相当")),
    ("根本(?!就)", ("压根", "完全", "根本就")),
    ("居民(?!楼)", ("住户", "老百姓", "群众")),
    ("市民", ("群众", "市民")),
)
_PATTERNS = tuple((re.compile(p), alts) for p, alts in SYNONYMS)


def paraphrase(text: str, rng: random.Random, rate: float) -> str:
    """Swap each listed word for an alternative with probability ``rate``."""
    for pat, alts in _PATTERNS:
        if pat.search(text):
            text = pat.sub(lambda m, alts=alts: rng.choice(alts) if rng.random() < rate else m.group(0), text)
    return text


TYPOS = (
    ("物业", "物叶"),
    ("暖气不热", "暖气不惹"),
    ("暖气", "暖器"),
    ("(?<!都)已经", "以经"),
    ("反映", "反应"),
    ("部门", "部们"),
    ("投诉", "投述"),
    ("再次", "在次"),
    ("一直", "一只"),
    ("到现在", "道现在"),
    ("小区", "小去"),
    ("充电桩", "充电装"),
    ("发票", "发漂"),
    ("解决", "解绝"),
    ("没有", "没又"),
    ("希望", "系望"),
    ("的时候", "地时候"),
    ("经常", "经长"),
    ("停车", "停得车"),
    ("处理", "出理"),
    ("楼道", "楼到"),
    ("师傅", "师父"),
    ("账", "帐"),
    ("工资", "公资"),
    ("维修", "维休"),
    ("电梯", "电题"),
    ("供暖", "供缓"),
    ("退费", "退废"),
    ("孩子(?![们])", "孩仔"),
    ("现在", "限在"),
)


def add_typo(text: str, rng: random.Random) -> str:
    """One homophone slip, as pinyin input produces (物叶, 暖气不惹, 以经 ...)."""
    candidates = [(a, b) for a, b in TYPOS if a in text]
    if not candidates:
        return text
    a, b = rng.choice(candidates)
    return text.replace(a, b, 1)


def sloppy(text: str, rng: random.Random) -> str:
    """Mobile-typed messages: spaces or ASCII commas instead of Chinese punctuation."""
    sep = rng.choice((" ", ",", "  "))
    text = text.replace("，", sep).replace("。", sep).strip(" ,")
    return text + rng.choice(("", "!", "！！"))
