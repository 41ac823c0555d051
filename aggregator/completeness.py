"""Completeness (一个都不少, not one left out): who has submitted for a period, and who is missing.

Each enrolled member either has a submission for the period (its latest revision counts) or
is missing. A member that is itself an aggregator reports in its rollup how many members it
included and which of its own are missing, so the province sees the schools a county lacks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from aggregator.store import Member, Store, Submission
from privacy.envelope import parse_signed
from protos.periods import Period
from protos.regions import name


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    submission: Submission | None
    included: int = 0  # rollups: members it sums
    missing_below: tuple[str, ...] = ()  # rollups: its own members that are missing

    @property
    def submitted(self) -> bool:
        return self.submission is not None


@dataclass(frozen=True)
class RegionSummary:
    region: str
    enrolled: int
    submitted: int
    missing: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{name(self.region)} {self.region}"


def member_status(store: Store, period: Period) -> list[MemberStatus]:
    held = {s.sender_id: s for s in store.latest_submissions(period.code)}
    statuses = []
    for member in store.members():
        submission = held.get(member.member_id)
        if submission is not None and submission.kind == "rollup":
            report = parse_signed(submission.signed)[1]
            statuses.append(MemberStatus(member, submission, len(report.members),
                                         tuple(report.missing)))
        else:
            statuses.append(MemberStatus(member, submission))
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
        for s in members:
            if s.submission is not None and s.submission.kind == "rollup":
                enrolled += s.included + len(s.missing_below)
                submitted += s.included
                missing.extend(s.missing_below)
            else:
                enrolled += 1
                submitted += s.submitted
                missing.extend(() if s.submitted else (s.member.member_id,))
        summaries.append(RegionSummary(region, enrolled, submitted, tuple(missing)))
    return summaries
