"""When the node acts on each reporting period (R-SCHED), as ``guanai node run`` follows it.

For a half-year the deadline is the parent's (it may set its own) or the plan's: 30 June and
15 December, 24:00 Beijing time. From ``warn_days`` before it the node checks every day that
the table would pass validation and fit the budget, and says so early if not; from
``window_days`` before it, it releases the table and submits it until it holds a receipt.
The annual summary is written by staff; from ``warn_days`` before its deadline the node
reminds them until one is filed, and sends what they file. Only periods due after the node
first ran its schedule are its business; earlier ones are left to staff.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from common.errors import GuanaiError
from protos.deadlines import Deadlines, default_deadlines, local_date
from protos.periods import Period


class ScheduleError(GuanaiError):
    """A schedule setting out of range."""


@dataclass(frozen=True)
class ScheduleSettings:
    check_every_minutes: float = 60.0  # how often the daemon wakes to look
    warn_days: int = 30  # checks begin this many days before the deadline
    window_days: int = 10  # release and submission begin this many days before it
    retry_seconds: float = 60.0  # first retry of a failed delivery (doubling, with jitter)
    max_retry_minutes: float = 60.0  # longest pause between retries
    refused_retry_hours: float = 24.0  # a refused submission is tried again after this
    timeout_seconds: float = 60.0  # deadline of each call to the parent

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ScheduleError(f"schedule.{f.name} must be a positive number")
        if self.window_days > self.warn_days:
            raise ScheduleError("schedule.window_days cannot exceed schedule.warn_days: the "
                                "checks must begin before the release window opens")

    @property
    def check_every(self) -> timedelta:
        return timedelta(minutes=self.check_every_minutes)

    @property
    def refused_retry(self) -> timedelta:
        return timedelta(hours=self.refused_retry_hours)


@dataclass(frozen=True)
class Window:
    """One period's dates at this node's parent."""

    period: Period
    limits: Deadlines
    checks_from: datetime
    opens: datetime

    @classmethod
    def of(cls, period: Period, settings: ScheduleSettings,
           limits: Deadlines | None = None) -> Window:
        limits = limits or default_deadlines(period)
        return cls(period, limits, limits.due - timedelta(days=settings.warn_days),
                   limits.due - timedelta(days=settings.window_days))


def periods_in_scope(now: datetime, since: datetime) -> list[Period]:
    """This year's and last year's periods, if due after ``since``."""
    year = local_date(now).year
    return [p for y in (year - 1, year) for p in Period.of_year(y)
            if default_deadlines(p).due >= since]
