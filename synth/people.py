"""Plausible names, phone numbers and addresses (all invented, none looked up)."""

from __future__ import annotations

import itertools
from random import Random

# Common surnames, most frequent first; a name's surname is drawn with weight 1 / (rank + 4).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶闫余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙"
    "万段雷钱汤尹黎易常武乔贺赖龚文党惠雒强"
)
_SURNAME_WEIGHTS = tuple(itertools.accumulate(1 / (rank + 4) for rank in range(len(SURNAMES))))
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳博文轩然睿哲豪航铭晨泽瑞翔峰锐"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲英红燕萍雪琳婷慧颖佳欣悦怡涵萱琪梦雨晴诗妍瑶彤可馨蕊倩璐露"
GIVEN_EITHER = "子思嘉一安乐心宇晨梓雅若欣逸亦"

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "199",
)
STREETS = (
    "解放路", "建设路", "东大街", "西大街", "南大街", "北大街", "长乐路", "文化路", "朝阳路",
    "和平路", "幸福路", "友谊路", "太白路", "含光路", "长安路", "金花路", "咸宁路", "丰庆路",
    "劳动路", "人民路", "新华路", "育才路", "西关正街", "东关大街",
)
ESTATES = ("小区", "家属院", "花园", "新村", "公寓")
TOWNS = (
    "城关", "东关", "西关", "南寨", "北塬", "新街", "白杨", "柳林", "杨庄", "店子", "河口",
    "石门", "高桥", "双庙", "马坊", "三合", "永乐", "太平", "兴隆", "龙泉", "新集", "红岩",
)
VILLAGE_ENDINGS = ("家庄", "家沟", "家寨", "家堡", "家湾", "家坡", "家河", "家塬")


def surname(rng: Random) -> str:
    return rng.choices(SURNAMES, cum_weights=_SURNAME_WEIGHTS)[0]


def person_name(rng: Random, male: bool) -> str:
    """A surname and one or two given characters, e.g. 王梓涵, 李浩."""
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = rng.choice(pool) if rng.random() < 0.2 else (
        rng.choice(GIVEN_EITHER if rng.random() < 0.3 else pool) + rng.choice(pool)
    )
    return surname(rng) + given


def phone(rng: Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"


def address(rng: Random, prefecture: str, county: str, rural: bool) -> str:
    """A home address: a road and number in town, a village group in the countryside."""
    if rural:
        village = surname(rng) + rng.choice(VILLAGE_ENDINGS)
        return f"陕西省{prefecture}{county}{rng.choice(TOWNS)}镇{village}村{rng.randint(1, 12)}组"
    return (
        f"陕西省{prefecture}{county}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        f"{rng.choice(ESTATES)}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元"
        f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
    )
