"""Deadlines and locks at one aggregator: on time, late, locked out; returns that reopen.

Each period has a deadline and a lock date here, set with ``guanai aggregator deadline`` or
by default the plan's due day and 15 days later (protos/deadlines.py). A submission up to the
deadline is on time; after it, late but accepted and marked so; after the lock, refused unless
the member holds an exception for the period (``guanai aggregator unlock``) or its latest
submission was returned for correction, which invites the next revision. A member's
timeliness for a period is that of the first revision it sent.

A returned submission is not counted (rollups and completeness skip it) until a later
revision arrives; the returned one stays in the log.
"""

from __future__ import annotations

from datetime import datetime

from aggregator.store.sqlite import Return, Store, Submission
from protos.deadlines import Deadlines, default_deadlines, local_text
from protos.periods import Period
from protos.refusals import Kind, Refused


def deadlines(store: Store, period: Period) -> Deadlines:
    held = store.deadlines(period.code)
    if held is None:
        return default_deadlines(period)
    return Deadlines(datetime.fromisoformat(held[0]), datetime.fromisoformat(held[1]))


def open_return(store: Store, member_id: str, period: str) -> Return | None:
    """The member's latest submission for the period, if it was returned and not yet revised."""
    revisions = store.revisions(member_id, period)
    if not revisions:
        return None
    latest = revisions[-1].revision
    return next((r for r in store.returns(period, member_id) if r.revision == latest), None)


def exception_until(store: Store, member_id: str, period: str) -> datetime | None:
    """When the exception granted to the member for the period (``unlock``) ends (UTC, aware),
    or None if none was granted."""
    held = store.exception(member_id, period)
    return datetime.fromisoformat(held[0]) if held else None


def in_force(until: datetime, now: datetime) -> bool:
    """Whether an exception ending at ``until`` still admits a submission at ``now`` (its end
    included): what ``admit`` applies, and what the pages show as in force or 已过期."""
    return now <= until


def admit(store: Store, member_id: str, period: str, now: datetime) -> tuple[str, int | None]:
    """The timeliness of a new submission and the exception it uses; Refused if locked out."""
    limits = deadlines(store, Period.parse(period))
    if not limits.locked(now):
        return limits.timeliness(now), None
    if open_return(store, member_id, period) is not None:
        return limits.timeliness(now), None
    held = store.exception(member_id, period)
    if held is not None and in_force(datetime.fromisoformat(held[0]), now):
        return limits.timeliness(now), held[1]
    raise Refused(
        Kind.NOT_NOW,
        f"已锁定 period {period} locked at {local_text(limits.lock)} (Beijing time) at this "
        f"aggregator; {member_id} may submit only with an exception: ask its staff to run "
        f"`guanai aggregator unlock --member {member_id} --period {period}`",
    )


def counted_submissions(store: Store, period: str) -> list[Submission]:
    """Each member's latest submission for the period, except those returned for correction."""
    returned = {(r.member_id, r.revision) for r in store.returns(period)}
    return [s for s in store.latest_submissions(period)
            if (s.sender_id, s.revision) not in returned]


def member_timeliness(store: Store, member_id: str, period: str) -> str | None:
    """on_time or late, by the first revision the member sent; None if it sent nothing."""
    revisions = store.revisions(member_id, period)
    if not revisions:
        return None
    mark = store.mark(revisions[0].log_index)
    return mark[0] if mark else None
