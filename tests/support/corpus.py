"""A small synthetic labelled corpus and a real model trained on it with
``hotline-nlp train`` (the service tests' session model)."""

from __future__ import annotations

import random
from pathlib import Path

_TOPICS = {
    ("物业管理", "物业服务"): [
        "小区物业不作为，楼道垃圾多日无人清理",
        "物业公司乱收费，停车费上涨没有公示",
        "小区电梯经常故障，物业维修不及时",
        "物业保安不在岗，小区门禁形同虚设",
    ],
    ("新能源汽车充电设施", "物业阻挠安装充电桩"): [
        "物业拒绝业主安装新能源汽车充电桩",
        "申请在自家车位安装充电桩被物业阻挠",
        "物业以安全为由不让安装电动汽车充电桩",
        "供电公司已同意报装，物业不开具充电桩安装证明",
    ],
    ("环境保护", "噪音污染"): [
        "夜间工地施工噪音扰民，影响休息",
        "楼下烧烤店深夜噪音很大",
        "广场舞音响声音过大扰民",
        "附近工厂机器轰鸣噪音严重",
    ],
    ("交通运输", "公交服务"): [
        "公交车班次太少，等车时间过长",
        "公交司机不按站点停车",
        "希望增开通往开发区的公交线路",
        "公交车到站时间与站牌不符",
    ],
    ("城乡建设", "道路维修"): [
        "小区门前道路坑洼不平，雨天积水",
        "路面塌陷存在安全隐患，请尽快维修",
        "人行道地砖破损无人修复",
        "道路井盖缺失，夜间行人容易跌倒",
    ],
    ("劳动保障", "拖欠工资"): [
        "公司拖欠工资三个月不发",
        "工地包工头拖欠农民工工资",
        "离职后单位不结清工资",
        "饭店老板拖欠员工两个月工资",
    ],
}
_DISTRICTS = ["兴隆台区", "双台子区", "大洼区", "盘山县"]
_TAILS = ["，请有关部门尽快处理。", "，希望尽快解决。", "，多次反映未果。", "，请给予答复。", "。"]

HEADERS = ["诉求编号", "受理时间", "诉求标题", "诉求内容", "一级分类", "二级分类", "所属区县", "来电号码"]


def synthetic_rows(n: int, seed: int = 0, start: str = "2024-01-01", days: int = 180) -> list[dict]:
    """``n`` labelled complaints (canonical names) spread over ``days`` days."""
    import pandas as pd

    rng = random.Random(seed)
    keys = list(_TOPICS)
    t0 = pd.Timestamp(start)
    rows = []
    for i in range(n):
        l1, l2 = keys[i % len(keys)]
        phrase = rng.choice(_TOPICS[(l1, l2)])
        district = rng.choice(_DISTRICTS)
        when = t0 + pd.Timedelta(minutes=rng.randrange(days * 24 * 60))
        rows.append(
            {
                "id": f"S{seed}-{i:06d}",
                "created_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
                "title": phrase[:8],
                "body": f"{district}{phrase}{rng.choice(_TAILS)}",
                "level1": l1,
                "level2": l2,
                "district": district,
                "caller": f"1{rng.randrange(10**9, 10**10)}",
            }
        )
    return rows


def write_corpus_csv(path: Path, n: int = 240, seed: int = 0) -> Path:
    """The synthetic corpus as a CSV with the hotline platform's Chinese headers."""
    import pandas as pd

    rows = synthetic_rows(n, seed)
    frame = pd.DataFrame(
        [
            [
                r["id"],
                r["created_at"],
                r["title"],
                r["body"],
                r["level1"],
                r["level2"],
                r["district"],
                r["caller"],
            ]
            for r in rows
        ],
        columns=HEADERS,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def ensure_model(models_dir: Path, name: str = "demo", n: int = 240, seed: int = 0) -> Path:
    """Train a small real model once per ``models_dir`` with ``hotline-nlp train`` on
    the synthetic corpus (the tests' session model); returns ``models_dir``."""
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    models_dir = Path(models_dir)
    done = models_dir / f".{name}-trained"
    if done.exists():
        return models_dir
    csv = write_corpus_csv(models_dir.parent / f"{name}-train.csv", n=n, seed=seed)
    res = CliRunner().invoke(
        app, ["train", "--data", str(csv), "--name", name, "--models-dir", str(models_dir), "--fast"]
    )
    if res.exit_code != 0:
        raise RuntimeError(f"hotline-nlp train failed ({res.exit_code}): {res.output[-2000:]}")
    done.write_text("ok")
    return models_dir
