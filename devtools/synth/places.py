"""Place, shop and people names for the synthetic corpus, and their slot fillers.

Districts and streets are public geography of 盘锦市 (used only as place names);
every 小区, shop, school, company and road name below is invented or generic, so
no real business is attached to a complaint. Each slot filler takes
``(rng, ctx)`` and returns text; ``ctx`` holds the complaint's district and date
and caches values so a 小区 named twice in one complaint is the same 小区.
"""

from __future__ import annotations

import random
from datetime import timedelta

DISTRICTS: dict[str, float] = {
    "兴隆台区": 0.37,
    "双台子区": 0.18,
    "大洼区": 0.19,
    "盘山县": 0.13,
    "辽滨沿海经济技术开发区": 0.07,
    "高新技术开发区": 0.06,
}

STREETS: dict[str, tuple[str, ...]] = {
    "兴隆台区": (
        "兴隆街道",
        "振兴街道",
        "渤海街道",
        "友谊街道",
        "曙光街道",
        "惠宾街道",
        "新工街道",
        "创新街道",
        "兴盛街道",
        "欢喜岭街道",
        "茨采街道",
        "新生街道",
    ),
    "双台子区": ("胜利街道", "建设街道", "红旗街道", "辽河街道", "双盛街道", "铁东街道", "陆家镇", "统一镇"),
    "大洼区": (
        "大洼街道",
        "二界沟街道",
        "于楼街道",
        "田家街道",
        "榆树街道",
        "荣兴街道",
        "清水镇",
        "东风镇",
        "新开镇",
        "西安镇",
        "唐家镇",
    ),
    "盘山县": (
        "东郭街道",
        "陈家镇",
        "太平镇",
        "得胜街道",
        "高升街道",
        "沙岭镇",
        "甜水镇",
        "胡家镇",
        "吴家镇",
        "坝墙子镇",
        "古城子镇",
    ),
    "辽滨沿海经济技术开发区": ("辽滨街道", "荣滨街道"),
    "高新技术开发区": ("高新园区", "石化产业园"),
}

_XQ_HEAD = (
    "锦绣",
    "金水",
    "荣盛",
    "泰和",
    "宏祥",
    "鑫源",
    "盛世",
    "香榭",
    "翡翠",
    "御景",
    "天润",
    "恒通",
    "福瑞",
    "瑞丰",
    "兴海",
    "海韵",
    "碧水",
    "康乐",
    "幸福",
    "阳光",
    "绿洲",
    "枫叶",
    "紫金",
    "新城",
    "滨河",
    "嘉禾",
    "丽景",
    "和平",
    "东方",
    "明珠",
    "怡园",
    "水岸",
    "湖滨",
    "鹤乡",
    "稻香",
    "苇海",
    "红海",
    "祥和",
    "春晖",
    "蓝湾",
    "观澜",
    "世纪",
    "府前",
    "中兴",
    "油城",
    "华府",
    "清华",
    "君悦",
    "泰郡",
    "书香",
)
_XQ_TAIL = (
    "小区",
    "花园",
    "家园",
    "佳苑",
    "名苑",
    "新城",
    "雅居",
    "华庭",
    "公寓",
    "嘉园",
    "一期",
    "二期",
    "小区三期",
    "府",
    "城",
    "里",
)
# Names the bulletins quote for the EV-charger issue are kept on purpose.
EXTRA_XQ = ("霞光府壹号院", "富田花园", "湖畔小区")


def _build_xq() -> dict[str, tuple[str, ...]]:
    rng = random.Random(20240718)  # fixed: the place list must not depend on the corpus seed
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < 190:
        name = rng.choice(_XQ_HEAD) + rng.choice(_XQ_TAIL)
        if name not in seen:
            seen.add(name)
            names.append(name)
    out: dict[str, list[str]] = {d: [] for d in DISTRICTS}
    order = list(DISTRICTS)
    weights = list(DISTRICTS.values())
    for name in names:
        out[rng.choices(order, weights)[0]].append(name)
    out["兴隆台区"].append("霞光府壹号院")
    out["大洼区"].append("富田花园")
    out["双台子区"].append("湖畔小区")
    return {d: tuple(v) for d, v in out.items()}


XQ = _build_xq()

MALLS = (
    "锦华购物广场",
    "新天地购物中心",
    "辽河商厦",
    "鹤乡生活广场",
    "红海滩商业街",
    "兴隆百货",
    "金港购物中心",
    "湖滨商业广场",
    "中兴大卖场",
    "万家福超市",
    "油城步行街",
    "滨河美食街",
)
# shops by trade, so that a 洗车卡 is bought at a car wash and a 课时费 paid to a school
SHOPS = {
    "card": (
        "悦动健身",
        "美丽时光美容院",
        "心悦瑜伽馆",
        "蓝海游泳馆",
        "艾尚美发",
        "一品足疗",
        "雅致美甲",
        "乐享私教",
        "小胖家烤肉",
        "老地方火锅",
        "福满堂海鲜酒楼",
        "童乐汇儿童乐园",
        "鲜汤小笼包",
        "星光摄影",
    ),
    "beauty": ("美丽时光美容院", "艾尚美发", "雅致美甲", "颜如玉养生馆", "一品足疗"),
    "edu": (
        "金色童年早教中心",
        "优学堂培训学校",
        "小太阳托管班",
        "金牌教育",
        "启航驾校",
        "思维星辅导班",
        "小画家美术",
    ),
    "food": (
        "小胖家烤肉",
        "老地方火锅",
        "福满堂海鲜酒楼",
        "东北人家饺子馆",
        "蜀香麻辣烫",
        "鲜汤小笼包",
        "大碗面馆",
    ),
    "retail": ("佳佳母婴店", "好邻居便利店", "聚鲜农贸超市", "大润兴超市", "万家乐超市", "时尚女装店"),
    "appliance": ("鸿运家电城", "惠民家电", "百姓电器商城", "金太阳电器"),
    "liquor": ("诚信烟酒行", "名酒汇", "老刘烟酒超市", "福源烟酒"),
    "home": ("盛达装饰", "尚品家居", "美居门窗", "欧派橱柜专卖", "宜家好家具城"),
    "repair": ("快修手机维修", "诚信电脑维修", "极速数码维修", "小李手机快修"),
    "car": ("鑫鑫洗车行", "顺发汽修", "车之美汽车美容", "洁亮洗车"),
    "wed": ("喜临门婚庆", "百年好合婚庆", "金典婚礼策划"),
}
SHOP_NAMES = tuple(dict.fromkeys(n for names in SHOPS.values() for n in names))
SHOP_TYPES = (
    "健身房",
    "美容院",
    "理发店",
    "游泳馆",
    "培训机构",
    "洗车店",
    "饭店",
    "火锅店",
    "早教中心",
    "足疗店",
    "干洗店",
    "家具店",
    "驾校",
    "儿童乐园",
    "瑜伽馆",
)
GOODS = (
    "冰箱",
    "洗衣机",
    "空调",
    "热水器",
    "电动车",
    "手机",
    "燃气灶",
    "油烟机",
    "沙发",
    "床垫",
    "电视",
    "净水器",
    "笔记本电脑",
    "羽绒服",
    "门窗",
    "地板",
    "轮椅",
    "助听器",
)
APPLIANCES = ("冰箱", "洗衣机", "空调", "热水器", "燃气灶", "油烟机", "电视", "净水器", "扫地机器人")
FOODS = ("牛奶", "面包", "熟食", "月饼", "饮料", "冻肉", "蛋糕", "速冻饺子")
SCHOOLS = (
    "育才小学",
    "光明小学",
    "兴海小学",
    "实验二小",
    "曙光中学",
    "育英中学",
    "第四初级中学",
    "辽河路小学",
    "新城实验学校",
    "东湖小学",
    "明德中学",
    "第二高级中学",
    "滨海小学",
    "向阳小学",
)
KINDERGARTENS = ("小天使幼儿园", "阳光宝贝幼儿园", "七彩幼儿园", "金苹果幼儿园", "启明星幼儿园")
HOSPITALS = (
    "市中心医院",
    "市第二人民医院",
    "辽河医院",
    "市妇婴医院",
    "市中医医院",
    "区人民医院",
    "社区卫生服务中心",
    "市儿童医院",
    "仁和医院",
)
CLINICS = ("美佳口腔诊所", "康齿口腔", "丽颜医疗美容诊所", "同济诊所", "惠民门诊")
ROADS = (
    "石油大街",
    "泰山路",
    "惠宾大街",
    "市府大路",
    "兴隆大街",
    "双兴路",
    "渤海路",
    "鼎翔路",
    "中兴路",
    "辽河路",
    "胜利街",
    "光明街",
    "红旗大街",
    "新工街",
    "建设路",
    "华山路",
    "银河路",
    "水源路",
    "大堤路",
    "新生路",
    "平安路",
    "天山路",
    "振兴街",
    "学府路",
    "滨河路",
    "东湖路",
)
STATIONS = ("盘锦北站", "盘锦站", "客运站", "高铁站")
BUSES = tuple(
    f"{n}路" for n in (1, 2, 3, 5, 6, 8, 9, 11, 12, 15, 16, 18, 20, 22, 25, 28, 31, 35, 106, 201)
) + ("K3路", "K7路", "游2路")
VILLAGE_HEAD = (
    "王家",
    "李家",
    "胡家",
    "于家",
    "刘家",
    "高家",
    "新立",
    "前进",
    "红光",
    "三义",
    "东风",
    "双兴",
    "平安",
    "大荒",
    "腰岗子",
    "小亮沟",
    "三家子",
    "西沙",
    "北窑",
)
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "于",
    "董",
    "姜",
    "崔",
    "宋",
)
COMPANY_HEAD = (
    "鑫达",
    "宏业",
    "恒泰",
    "兴源",
    "利达",
    "聚丰",
    "天禹",
    "北方",
    "昌盛",
    "华滨",
    "瑞通",
    "金海",
    "辽东湾",
    "永发",
    "德润",
)
COMPANY_TAIL = (
    "建筑工程有限公司",
    "装饰工程公司",
    "物流公司",
    "食品厂",
    "石化设备公司",
    "保洁公司",
    "劳务公司",
    "汽车配件厂",
    "米业公司",
    "商贸公司",
    "钢结构厂",
    "保安服务公司",
)
PROPERTY_COS = (
    "鸿泰物业",
    "佳和物业",
    "盛世物业",
    "金管家物业",
    "安居物业",
    "华宇物业",
    "诚信物业",
    "万福物业",
    "天盛物业",
    "德馨物业",
)
EV_BRANDS = (
    "比亚迪",
    "特斯拉",
    "小鹏",
    "理想",
    "问界",
    "五菱",
    "蔚来",
    "埃安",
    "零跑",
    "极氪",
    "吉利",
    "长安深蓝",
    "小米SU7",
)
TEL_OPS = ("移动", "联通", "电信")
CITIES = ("沈阳", "大连", "北京", "天津", "锦州", "营口", "鞍山", "长春")
PROVINCES = ("吉林", "黑龙江", "内蒙古", "山东", "河北", "河南")
HEAT_COS = {
    "兴隆台区": ("广田热电", "润电热力", "暖居热力", "热力公司", "热力公司", "供暖公司"),
    "双台子区": ("润电热力", "暖居热力", "热力公司", "供暖公司"),
    "大洼区": ("清泉供暖", "广田热电", "供暖公司", "热力公司"),
    "盘山县": ("润电热力", "供热站", "热力公司"),
    "辽滨沿海经济技术开发区": ("汇海热力", "热力公司"),
    "高新技术开发区": ("广田热电", "热力公司"),
}
APPS = ("滴滴", "高德打车", "花小猪", "本地打车平台")
WATERS = ("辽河岸边", "绕阳河", "一统河", "螃蟹沟", "附近的排水渠", "小区后面的河沟")


def _date_before(rng: random.Random, ctx: dict, lo: int, hi: int) -> str:
    d = ctx["date"] - timedelta(days=rng.randint(lo, hi))
    return f"{d.month}月{d.day}日"


def _when(rng: random.Random, ctx: dict) -> str:
    return rng.choice(
        (
            "昨天",
            "前天",
            "上周",
            "今天早上",
            "昨天晚上",
            "前几天",
            _date_before(rng, ctx, 1, 12),
            _date_before(rng, ctx, 1, 20),
        )
    )


def _hh(rng: random.Random, ctx: dict) -> str:
    h = rng.choice((6, 7, 11, 15, 16, 17, 18, 19))
    ctx["hh2"] = str(h + rng.choice((1, 2, 3)))
    return str(h)


def _fee1(rng: random.Random, ctx: dict) -> str:
    a = rng.choice((0.45, 0.5, 0.6, 0.68, 0.75, 0.8, 0.9, 1.0, 1.1))
    ctx["fee2"] = f"{a + rng.choice((0.2, 0.25, 0.3, 0.4, 0.5)):.2f}".rstrip("0").rstrip(".")
    return f"{a:.2f}".rstrip("0").rstrip(".")


def _price(rng: random.Random, ctx: dict) -> str:
    p = rng.choice((8, 10, 12, 13, 15, 18, 20, 25, 30))
    ctx["price2"] = str(p + rng.choice((5, 8, 10, 12, 15, 20, 30)))
    return str(p)


def _place(rng: random.Random, ctx: dict) -> str:
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(MALLS)
    if kind < 0.5:
        return rng.choice(STATIONS)
    if kind < 0.65:
        return rng.choice(HOSPITALS)
    if kind < 0.8:
        return fill_slot("road", rng, ctx) + rng.choice(("", "路口", "附近"))
    return rng.choice(XQ[ctx["district"]])


def _village(rng: random.Random, ctx: dict) -> str:
    town = rng.choice(STREETS[ctx["district"]][-3:])
    ctx.setdefault("street", town)  # an intro naming the street then names the village's town
    return town + rng.choice(VILLAGE_HEAD) + "村"


def _plate(rng: random.Random, ctx: dict) -> str:
    chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    tail = "".join(rng.choice(chars) for _ in range(5))
    return "辽L" + (tail if rng.random() < 0.6 else tail[:2] + "***")


def _xq(rng: random.Random, ctx: dict) -> str:
    pool = XQ[ctx["district"]]
    taken = {ctx.get("xq"), ctx.get("xq2")}
    while True:
        name = rng.choice(pool)
        if name not in taken:
            return name


SLOTS = {
    "district": lambda r, c: c["district"],
    "street": lambda r, c: r.choice(STREETS[c["district"]]),
    "xq": _xq,
    "xq2": _xq,
    "bld": lambda r, c: str(r.randint(1, 28)),
    "bld2": lambda r, c: str(r.randint(1, 28)),
    "unit": lambda r, c: str(r.randint(1, 6)),
    "floor": lambda r, c: str(r.randint(1, 18)),
    "wy": lambda r, c: r.choice(PROPERTY_COS),
    "mall": lambda r, c: r.choice(MALLS),
    "shop": lambda r, c: "“" + r.choice(SHOP_NAMES) + "”",
    **{f"shop_{k}": (lambda names: lambda r, c: "“" + r.choice(names) + "”")(v) for k, v in SHOPS.items()},
    "mfloor": lambda r, c: str(r.randint(1, 5)),
    "shoptype": lambda r, c: r.choice(SHOP_TYPES),
    "goods": lambda r, c: r.choice(GOODS),
    "appliance": lambda r, c: r.choice(APPLIANCES),
    "food": lambda r, c: r.choice(FOODS),
    "school": lambda r, c: r.choice(SCHOOLS),
    "kg": lambda r, c: r.choice(KINDERGARTENS),
    "hospital": lambda r, c: r.choice(HOSPITALS),
    "clinic": lambda r, c: r.choice(CLINICS),
    "road": lambda r, c: r.choice(ROADS),
    "road2": lambda r, c: r.choice(ROADS),
    "bus": lambda r, c: r.choice(BUSES),
    "village": _village,
    "place1": _place,
    "place2": _place,
    "plate": _plate,
    "carbrand": lambda r, c: r.choice(EV_BRANDS),
    "tel_op": lambda r, c: r.choice(TEL_OPS),
    "app": lambda r, c: r.choice(APPS),
    "city": lambda r, c: r.choice(CITIES),
    "province": lambda r, c: r.choice(PROVINCES),
    "water": lambda r, c: r.choice(WATERS),
    "hw": lambda r, c: r.choice(HEAT_COS[c["district"]]),
    "surname": lambda r, c: r.choice(SURNAMES),
    "company": lambda r, c: r.choice(COMPANY_HEAD) + r.choice(COMPANY_TAIL),
    "color": lambda r, c: r.choice(("绿", "蓝", "白", "黄")),
    "n": lambda r, c: str(r.randint(2, 5)),
    "n2": lambda r, c: str(r.randint(3, 12)),
    "big_n": lambda r, c: r.choice(("十", "二十", "三十", "四十")),
    "days": lambda r, c: str(r.randint(3, 20)),
    "hours": lambda r, c: str(r.randint(3, 14)),
    "months": lambda r, c: str(r.randint(2, 9)),
    "years": lambda r, c: str(r.randint(2, 9)),
    "year": lambda r, c: str(c["date"].year - r.randint(1, 3)),
    "temp": lambda r, c: str(r.choice((12, 13, 14, 14, 15, 15, 15, 16, 16, 16, 17, 17))),
    "pct": lambda r, c: str(r.choice((20, 30, 30, 40, 50))),
    "money_s": lambda r, c: str(r.choice((30, 50, 60, 80, 100, 120, 150, 200, 260, 300, 380, 480))),
    "money_m": lambda r, c: str(
        r.choice((500, 600, 800, 980, 1200, 1500, 1980, 2000, 2600, 3000, 3800, 4500, 5000))
    ),
    "money_l": lambda r, c: str(r.choice((6000, 8000, 12000, 15000, 23000, 30000, 46000, 58000, 80000))),
    "hh": _hh,
    "fee1": _fee1,
    "price": _price,
    "when": _when,
    "time": lambda r, c: r.choice(
        ("早上七点多", "晚上十点以后", "凌晨两点", "中午十二点左右", "下午四点多", "晚上八九点", "半夜")
    ),
}


# slots that are set as a side effect of their partner (so the pair stays coherent)
_PARTNER = {"hh2": "hh", "fee2": "fee1", "price2": "price"}


def fill_slot(name: str, rng: random.Random, ctx: dict) -> str:
    """Value of ``{name}`` for this complaint (cached in ``ctx``)."""
    if name in _PARTNER and name not in ctx:
        fill_slot(_PARTNER[name], rng, ctx)
    if name not in ctx:
        if name not in SLOTS:
            raise KeyError(f"unknown template slot {{{name}}}")
        ctx[name] = SLOTS[name](rng, ctx)
    return ctx[name]
