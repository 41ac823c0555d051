"""Completeness (一个都不少, not one left out): who has submitted for a period, and who is missing.

Each enrolled member either has a submission for the period (its latest revision counts), was
returned for correction and has not yet sent a new revision, or is missing; a submission is on
time or late by the first revision the member sent (aggregator/calendar/timeliness.py). A member that is
itself an aggregator reports in its rollup how many members it included, which were late and
which of its own are missing, so the province sees the schools a county lacks. For the annual
period the same holds of the work summaries: who filed one, on time or late.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from aggregator.calendar.timeliness import counted_submissions, member_timeliness, open_return
from aggregator.store.sqlite import Member, Return, Store, Submission
from privacy.envelope import parse_signed
from protos.deadlines import LATE
from protos.periods import Period
from protos.regions import name


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    submission: Submission | None
    included: int = 0  # rollups: members it sums
    missing_below: tuple[str, ...] = ()  # rollups: its own members that are missing
    timeliness: str | None = None  # on_time | late, by its first revision
    returned: Return | None = None  # returned for correction, no new revision yet
    late_below: tuple[str, ...] = ()  # rollups: its own members that were late

    @property
    def submitted(self) -> bool:
        return self.submission is not None


@dataclass(frozen=True)
class RegionSummary:
    region: str
    enrolled: int
    submitted: int
    missing: tuple[str, ...]
    late: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{name(self.region)} {self.region}"


def member_status(store: Store, period: Period) -> list[MemberStatus]:
    held = {s.sender_id: s for s in counted_submissions(store, period.code)}
    statuses = []
    for member in store.members():
        submission = held.get(member.member_id)
        timeliness = member_timeliness(store, member.member_id, period.code)
        if submission is None:
            statuses.append(MemberStatus(member, None, timeliness=timeliness,
                                         returned=open_return(store, member.member_id,
                                                              period.code)))
        elif member.kind == "aggregator":
            report = parse_signed(submission.signed)[1]
            statuses.append(MemberStatus(
                member, submission, len(report.members), tuple(report.missing), timeliness,
                late_below=tuple(m.sender_id for m in report.members if m.timeliness == LATE)))
        else:
            statuses.append(MemberStatus(member, submission, timeliness=timeliness))
    return statuses


def by_region(statuses: list[MemberStatus]) -> list[RegionSummary]:
    """Members by region; a rollup counts as the schools it sums and those it lacks."""
    grouped: dict[str, list[MemberStatus]] = defaultdict(list)
    for status in statuses:
        grouped[status.member.region].append(status)
    summaries = []
    for region, members in sorted(grouped.items()):
        enrolled = submitted = 0
        missing: list[str] = []
        late: list[str] = []
        returned: list[str] = []
        for s in members:
            if s.submission is not None and s.member.kind == "aggregator":
                enrolled += s.included + len(s.missing_below)
                submitted += s.included
                missing.extend(s.missing_below)
                late.extend(s.late_below)
                continue
            enrolled += 1
            submitted += s.submitted
            if s.returned is not None:
                returned.append(s.member.member_id)
            elif not s.submitted:
                missing.append(s.member.member_id)
            elif s.timeliness == LATE:
                late.append(s.member.member_id)
        summaries.append(RegionSummary(region, enrolled, submitted, tuple(missing), tuple(late),
                                       tuple(returned)))
    return summaries
