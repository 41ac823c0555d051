"""Days inside a reporting period and its semester."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from protos.periods import Period


def semester_start(period: Period) -> date:
    """Spring semesters start in mid-February, autumn ones on 1 September."""
    return date(period.year, 2, 17) if period.half == 1 else date(period.year, 9, 1)


def day_between(rng: Random, first: date, last: date) -> date:
    """A day from ``first`` to ``last`` inclusive (``first`` if the span is empty)."""
    return first + timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


def month_days(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return first, last


def later(day: date, rng: Random, low: int, high: int) -> date:
    """A day ``low`` to ``high`` days after ``day``."""
    return day + timedelta(days=rng.randint(low, high))


def distinct_days(rng: Random, first: date, last: date, count: int) -> list[date]:
    """Up to ``count`` different days from ``first`` to ``last``, in order.

    The node keeps one record per student, kind, day and note, so repeated activities of a
    kind fall on different days.
    """
    span = (last - first).days + 1
    return [first + timedelta(days=d) for d in sorted(rng.sample(range(span), min(count, span)))]
