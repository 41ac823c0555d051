"""身份证号 (GB 11643-1999): 17 digits, the first six the region, 7–14 the birth date, and a
check character computed by ISO 7064 MOD 11-2."""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)


def check_character(first17: str) -> str:
    """The 18th character that GB 11643 expects after these 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_card_problem(number: str) -> tuple[str, str] | None:
    """What is wrong with an ID-card number, as (Chinese, English), or None if it is valid.

    The number itself is never quoted back: messages may reach a screen or a file.
    """
    if len(number) != 18:
        return "应为18位", f"must have 18 characters, not {len(number)}"
    if not _SHAPE.fullmatch(number):
        return "前17位应为数字，末位为数字或X", "must be 17 digits followed by a digit or X"
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
