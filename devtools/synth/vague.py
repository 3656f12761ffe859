"""Vague complaints: records that say little more than the area of the problem, or nothing.

Why: a real hotline log has many thin records: the caller hung up, asked to be
called back, or the operator typed a one-line note (来电人反映小区物业问题，要求
回电。). The label was set from the call, not from the text, so the text names
at most the first-level area. ``HINTS`` name the area; ``EMPTY`` texts name
nothing. Both are labelled with the sub-category they were allocated to.
"""

from __future__ import annotations

from devtools.synth.phrasing import Group, Topic

_CALL = "[，要求回电|，要求工作人员回电|，具体情况要求回电详谈|，请联系来电人|，来电人要求回复|]"
HINTS: dict[str, tuple[str, ...]] = {
    "物业管理": (
        "反映{xq}物业[相关|方面的]问题" + _CALL,
        "{xq}物业的事[一直没解决|没人管]" + _CALL,
        "投诉{xq}物业",
        "{xq}业主，反映物业[问题|的事情]",
        "咨询[物业方面的问题|物业的事该找谁]",
    ),
    "供热": (
        "反映[供暖|暖气]问题" + _CALL,
        "{xq}[暖气|供暖]的事" + _CALL,
        "咨询供暖[相关问题|的事]",
        "反映{hw}[的问题|供暖的事]",
    ),
    "消费维权": (
        "反映[消费|购物]纠纷" + _CALL,
        "在{mall}消费[遇到问题|有纠纷]" + _CALL,
        "投诉[一家商户|商家]",
        "咨询消费者[权益|维权]的事",
    ),
    "市容市貌": (
        "反映{road}[市容|环境][问题|脏乱]" + _CALL,
        "{xq}[附近|门口][乱得很|脏乱差]，没人管",
        "咨询[城管|市容]方面的事",
    ),
    "出租车（网约车）": ("投诉[一辆出租车|出租车司机]" + _CALL, "反映[打车|坐出租车]遇到的问题" + _CALL),
    "供水": ("反映[用水|自来水]问题" + _CALL, "{xq}[水的问题|用水的事]" + _CALL),
    "燃气": ("反映燃气[问题|的事]" + _CALL, "咨询燃气[相关业务|的事]"),
    "供电": ("反映[用电|电的]问题" + _CALL, "{xq}用电的事" + _CALL),
    "公交": ("反映公交[问题|的事]" + _CALL, "投诉{bus}公交车" + _CALL),
    "交通管理": ("反映{road}交通问题" + _CALL, "[交通|车辆]方面的事" + _CALL),
    "城市管理": ("反映{road}[道路|市政设施]问题" + _CALL, "{road}[有安全隐患|有个情况]" + _CALL),
    "环境保护": ("反映[环境|污染]问题" + _CALL, "[附近|家周围]环境[太差了|有污染]" + _CALL),
    "住房建设": ("反映[房子|住房]的问题" + _CALL, "{xq}[房子的事|开发商的事]" + _CALL),
    "新能源汽车充电设施": ("反映[充电|充电桩]的问题" + _CALL, "咨询新能源车充电[的事|相关问题]"),
    "劳动权益": (
        "反映[工作|单位]上的事" + _CALL,
        "[找工作|上班]遇到点问题" + _CALL,
        "咨询[劳动|用工]方面的问题",
    ),
    "社保医保": ("咨询[社保|医保][的事|相关问题]" + _CALL, "[社保|医保]的事没办明白" + _CALL),
    "教育": ("反映孩子[学校|上学]的事" + _CALL, "{school}的事" + _CALL),
    "医疗卫生": ("反映[看病|医院]的事" + _CALL, "{hospital}的事" + _CALL),
    "户籍证件": ("咨询[办证|户口]的事" + _CALL, "[办证件|户口]的事没办成" + _CALL),
    "网络通信": ("反映{tel_op}的问题" + _CALL, "[手机|网络|宽带]的事" + _CALL),
    "政策咨询": ("咨询[政策|补贴][相关问题|的事]" + _CALL, "想了解一下[政策|办事]方面的事" + _CALL),
    "农业农村": ("{village}的事" + _CALL, "反映村里的[问题|事情]" + _CALL),
}
EMPTY = (
    "反映[问题|情况]" + _CALL,
    "要求回电",
    "求助" + _CALL,
    "咨询相关事宜，已告知",
    "[有事|有个问题]想咨询" + _CALL,
    "情绪激动，[未说明具体情况|没说清楚具体事项]" + _CALL,
    "反映[家里的事|身边的事]，[未留详细地址|地址不详]",
    "反映[一件事|个情况]" + _CALL,
    "[请领导重视|希望重视]",
    "[诉求不清|表述不清]" + _CALL,
    "[通话中断|电话断了]，[未说明|没说]具体诉求",
)
TITLES = (
    "求助",
    "咨询",
    "反映问题",
    "投诉",
    "来电",
    "诉求",
    "急",
    "请回电",
    "求助！",
    "问题反映",
    "{district}求助",
)
VAGUE_RATE = 0.035  # share of each sub-category's complaints that are thin records naming only the area
EMPTY_RATE = 0.008  # share of all complaints whose record names nothing at all


def source(level1: str, level2: str, empty: bool) -> tuple[Group, Topic]:
    """(group, topic) stand-ins for the composer: standalone, so no category fragments slip in."""
    cores = EMPTY if empty else HINTS[level1]
    topic = Topic(level2, 0.0, TITLES, cores, (), (), standalone=True)
    return Group(level1, 0.0, (topic,), generic_demands=not empty), topic
