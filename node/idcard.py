"""身份证号 (GB 11643-1999): 17 digits, the first six the region, 7–14 the birth date, and a
check character computed by ISO 7064 MOD 11-2.

Also what Excel does to one: a number cell keeps 15 significant digits, so an 18-digit ID
typed into it becomes ``…000`` or ``6.10102E+17``; about one such number in eleven still passes
the check, so the shape of the damage is refused whether or not it does."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+]?\d+")
# First two digits of a GB/T 2260 province-level division (台湾 71, 香港 81, 澳门 82).
PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 "
                      "52 53 54 61 62 63 64 65 71 81 82".split())
TEMPORARY_PREFIX = "999"


def excel_damaged(raw: object) -> bool:
    """Whether a cell meant to hold an ID-card number shows Excel's damage: a number cell
    (int or float: Excel keeps 15 significant digits), text in scientific form (6.10102E+17),
    or 18 digits whose last three are 000 (15 significant digits followed by zeros)."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, (int, float)):
        return True
    if not isinstance(raw, str):
        return False
    text = "".join(raw.split())
    return bool(_SCIENTIFIC.fullmatch(text)) or (
        len(text) == 18 and text.isascii() and text.isdigit() and text.endswith("000"))


def near_numbers(number: str, known: Iterable[str]) -> list[tuple[str, str, str]]:
    """The known numbers (ID-card or student numbers) that are probably ``number`` mistyped or
    damaged, each as (known number, Chinese reason, English reason): the same first 15 digits
    where one of them ends in 000 (Excel rounded an ID), one character different, or two
    neighbours swapped."""
    found = []
    for other in known:
        if other == number or len(other) != len(number):
            continue
        if len(number) == 18 and other[:15] == number[:15] and "000" in (other[15:], number[15:]):
            found.append((other, "前15位相同、后三位为000：疑为 Excel 四舍五入损坏",
                          "the same first 15 digits, one ending in 000: probably rounded by Excel"))
            continue
        diff = [i for i, (a, b) in enumerate(zip(number, other, strict=True)) if a != b]
        if len(diff) == 1:
            found.append((other, f"仅第{diff[0] + 1}位不同", f"only character {diff[0] + 1} differs"))
        elif len(diff) == 2 and diff[1] == diff[0] + 1 and number[diff[0]] == other[diff[1]] \
                and number[diff[1]] == other[diff[0]]:
            found.append((other, f"第{diff[0] + 1}、{diff[1] + 1}位顺序颠倒",
                          f"characters {diff[0] + 1} and {diff[1] + 1} are swapped"))
    return found


def check_character(first17: str) -> str:
    """The 18th character that GB 11643 expects after these 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_card_problem(number: str) -> tuple[str, str] | None:
    """What is wrong with an ID-card number, as (Chinese, English), or None if it is valid.

    The number itself is never quoted back: messages may reach a screen or a file.
    """
    if number.startswith(TEMPORARY_PREFIX):
        return ("以999开头，是学籍或资助系统的临时编号，不是身份证号：没有身份证号的学生此栏留空",
                "starts with 999: it is a temporary number from the student-record or aid system, "
                "not an ID-card number; leave the column empty for a student without one")
    if len(number) != 18:
        return "应为18位", f"must have 18 characters, not {len(number)}"
    if not _SHAPE.fullmatch(number):
        return "前17位应为数字，末位为数字或X", "must be 17 digits followed by a digit or X"
    if number[:2] not in PROVINCES:
        return ("前两位不是省级行政区划代码（可能是其他系统的临时编号）",
                "the first two digits are no province code (perhaps another system's temporary "
                "number)")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "第7–14位不是有效的出生日期", "digits 7–14 are not a real birth date"
    if check_character(number[:17]) != number[17]:
        return (
            "校验码不符（可能有数字录入错误）",
            "check digit does not match (a digit may be mistyped)",
        )
    return None
