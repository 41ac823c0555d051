"""Reporting periods (R-SCHED): half-years due 30 June and 15 December, and the annual summary.

Codes: ``2025-H1`` (spring semester, due 30 June), ``2025-H2`` (autumn semester, due
15 December) and ``2025`` (the whole year: the annual summary, due 15 December).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from common.errors import GuanaiError

_CODE = re.compile(r"^(?P<year>\d{4})(?:-H(?P<half>[12]))?$")


class PeriodError(GuanaiError):
    """A period code that is not YYYY-H1, YYYY-H2 or YYYY."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int | None  # 1, 2, or None for the annual summary

    @classmethod
    def parse(cls, code: str) -> Period:
        match = _CODE.match(code.strip())
        if not match or not 2000 <= int(match["year"]) <= 2999:
            raise PeriodError(
                f"period {code!r} is not one of YYYY-H1 (上半年), YYYY-H2 (下半年) or YYYY (年度)"
            )
        half = match["half"]
        return cls(int(match["year"]), int(half) if half else None)

    @property
    def code(self) -> str:
        return f"{self.year}-H{self.half}" if self.half else str(self.year)

    def __str__(self) -> str:
        return self.code

    @property
    def annual(self) -> bool:
        return self.half is None

    @property
    def start(self) -> date:
        return date(self.year, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def due(self) -> date:
        """The plan's deadline: before 30 June, or before 15 December."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 15)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label_zh(self) -> str:
        if self.half is None:
            return f"{self.year}年度"
        return f"{self.year}年{'上' if self.half == 1 else '下'}半年（{'春' if self.half == 1 else '秋'}季学期）"

    @property
    def label_en(self) -> str:
        if self.half is None:
            return f"year {self.year}"
        return f"{self.year} {'first' if self.half == 1 else 'second'} half ({'spring' if self.half == 1 else 'autumn'} semester)"

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month in the period."""
        return [(self.year, m) for m in range(self.start.month, self.end.month + 1)]

    @classmethod
    def of_year(cls, year: int) -> list[Period]:
        return [cls(year, 1), cls(year, 2), cls(year, None)]

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls(day.year, 1 if day.month <= 6 else 2)
