"""Reporting periods (R-SCHED): half-years due 30 June and 15 December, and the annual summary.

Codes: ``2025-H1`` (spring semester, due 30 June), ``2025-H2`` (autumn semester, due
15 December) and ``2025`` (the whole year: the annual summary, due 15 December).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from common.errors import GuanaiError

_CODE = re.compile(r"(?P<year>[0-9]{4})(?:-H(?P<half>[12]))?")  # ASCII digits, fullmatch
# As people write a period: 2026上半年, 2026年上半年, 2026年春季学期, 2026秋季, 2026年度, 2026h1 …
_HUMAN = re.compile(r"^(?P<year>\d{4})年?(?:-?H(?P<half>[12])|(?P<word>上半年|下半年|春季学期|秋季学期"
                    r"|春季|秋季|春|秋|度|全年)?)$")
_HALF_WORDS = {"上半年": 1, "春季学期": 1, "春季": 1, "春": 1,
               "下半年": 2, "秋季学期": 2, "秋季": 2, "秋": 2}


class PeriodError(GuanaiError):
    """A period code that is not YYYY-H1, YYYY-H2 or YYYY."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int | None  # 1, 2, or None for the annual summary

    @classmethod
    def parse(cls, code: str) -> Period:
        match = _CODE.fullmatch(code.strip())
        if not match or not 2000 <= int(match["year"]) <= 2999:
            raise PeriodError(
                f"period {code!r} is not one of YYYY-H1 (上半年), YYYY-H2 (下半年) or YYYY (年度)"
            )
        half = match["half"]
        return cls(int(match["year"]), int(half) if half else None)

    @classmethod
    def from_human(cls, text: str) -> Period:
        """The period as a person types it at a command line or in a form: the codes
        ``2026-H1``/``2026-H2``/``2026``, or ``2026上半年``, ``2026年上半年``, ``2026年春季学期``,
        ``2026下半年``, ``2026年秋季学期``, ``2026年度`` (full-width digits and spaces allowed).

        Only for human input: what travels on the wire is the canonical code, read by ``parse``.
        Raises ``PeriodError`` with the forms accepted.
        """
        plain = unicodedata.normalize("NFKC", text).replace(" ", "").upper()
        match = _HUMAN.match(plain)
        if not match or not 2000 <= int(match["year"]) <= 2999:
            raise PeriodError(
                f"报送期不明 period {text!r}: write 2026上半年 (or 2026年春季学期, 2026-H1), "
                "2026下半年 (2026年秋季学期, 2026-H2) or 2026年度 (2026)")
        half = match["half"] or _HALF_WORDS.get(match["word"] or "")
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
