"""Deadlines in clock time: a period is due by the end of its due day in China Standard Time.

The plan asks for tables before 30 June and 15 December and for the annual summary before
15 December (protos/periods.py); a submission is on time up to 24:00 Beijing time (UTC+8, no
daylight saving) of the due day. Each aggregator may set its own deadline and lock date per
period (docs/calendar.md); these are the defaults: the plan's due day, and a lock 15 days
later, after which only a member granted an exception may still submit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from protos.periods import Period

CHINA = timezone(timedelta(hours=8), "UTC+8")
DEFAULT_LOCK_DAYS = 15

ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
TIMELINESS_LABELS = {ON_TIME: "按时 on time", LATE: "逾期 late", MISSING: "未报 missing"}


def end_of_day(day: date) -> datetime:
    """24:00 Beijing time at the end of ``day``, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA).astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The day in Beijing at ``moment``."""
    return moment.astimezone(CHINA).date()


def local_text(moment: datetime) -> str:
    """``moment`` as people in Shaanxi read it: ``2025-06-30 24:00`` style, Beijing time."""
    local = moment.astimezone(CHINA)
    if local.time() == time():
        return f"{local.date() - timedelta(days=1)} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def from_ms(unix_ms: int) -> datetime:
    return datetime.fromtimestamp(unix_ms / 1000, UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Deadlines:
    """When a period is due at one aggregator, and when it locks (both aware datetimes)."""

    due: datetime
    lock: datetime

    def timeliness(self, at: datetime) -> str:
        return ON_TIME if at <= self.due else LATE

    def locked(self, at: datetime) -> bool:
        return at > self.lock


def default_deadlines(period: Period, lock_days: int = DEFAULT_LOCK_DAYS) -> Deadlines:
    due = end_of_day(period.due)
    return Deadlines(due, due + timedelta(days=lock_days))
