"""Region codes (GB/T 2260, 6 digits) and school identification codes (学校标识码, 10 digits).

Only Shaanxi is named here (docs/context.md §4): the province, its ten prefectures and the districts
and counties of Xi'an. Any well-formed code of the province is accepted; names are for display.
"""

from __future__ import annotations

import re

from common.errors import GuanaiError

PROVINCE = "610000"
PROVINCE_NAME = "陕西省"

PREFECTURES = {
    "610100": "西安市", "610200": "铜川市", "610300": "宝鸡市", "610400": "咸阳市",
    "610500": "渭南市", "610600": "延安市", "610700": "汉中市", "610800": "榆林市",
    "610900": "安康市", "611000": "商洛市",
}

COUNTIES = {
    "610102": "新城区", "610103": "碑林区", "610104": "莲湖区", "610111": "灞桥区",
    "610112": "未央区", "610113": "雁塔区", "610114": "阎良区", "610115": "临潼区",
    "610116": "长安区", "610117": "高陵区", "610118": "鄠邑区", "610122": "蓝田县",
    "610124": "周至县", "610403": "杨陵区",
}

# 学校类别 codes (first two digits of the 学校标识码) and the catalogue stages they teach.
SCHOOL_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "11": ("幼儿园", ("preschool",)),
    "21": ("小学", ("primary",)),
    "31": ("普通初中", ("junior",)),
    "34": ("普通高中（含完全中学）", ("junior", "senior")),
    "36": ("中等职业学校", ("sec_vocational",)),
    "41": ("普通高等学校", ("higher_vocational", "undergraduate", "postgraduate")),
    "51": ("特殊教育学校", ("preschool", "primary", "junior", "senior")),
}

_REGION = re.compile(r"[0-9]{6}")  # ASCII digits only; matched with fullmatch
_SCHOOL = re.compile(r"(?P<type>[0-9]{2})(?P<province>[0-9]{2})(?P<seq>[0-9]{6})")


class CodeError(GuanaiError):
    """A region code or school identification code that is not well formed."""


def check_region(code: str) -> str:
    if not _REGION.fullmatch(code) or code[:2] == "00":
        raise CodeError(f"region code {code!r} is not a 6-digit GB/T 2260 code (例如 610102)")
    return code


LEVEL_NAMES = {"county": "县级", "city": "市级", "province": "省级"}  # 级别 a level in Chinese


def level(code: str) -> str:
    """province, city or county, read from the code's trailing zeros."""
    check_region(code)
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def parents(code: str) -> list[str]:
    """The codes above a region, nearest first (county → city → province)."""
    found = []
    if level(code) == "county":
        found.append(code[:4] + "00")
    if level(code) != "province":
        found.append(code[:2] + "0000")
    return found


def name(code: str) -> str:
    if code == PROVINCE:
        return PROVINCE_NAME
    return PREFECTURES.get(code) or COUNTIES.get(code) or code


def check_school(school_id: str) -> str:
    match = _SCHOOL.fullmatch(school_id)
    if not match or match["type"] not in SCHOOL_TYPES:
        known = ", ".join(f"{k} {v[0]}" for k, v in SCHOOL_TYPES.items())
        raise CodeError(
            f"school id {school_id!r} is not a 10-digit 学校标识码 "
            f"(2-digit 学校类别 [{known}] + 2-digit province + 6-digit sequence)"
        )
    return school_id


def school_stages(school_id: str) -> tuple[str, ...]:
    """The catalogue stages a school teaches, from its 学校类别 code."""
    return SCHOOL_TYPES[check_school(school_id)[:2]][1]
