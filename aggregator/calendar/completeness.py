"""Completeness (一个都不少, not one left out): who has submitted for a period, and who is missing.

Each enrolled member either has a submission for the period (its latest revision counts), was
returned for correction and has not yet sent a new revision, or is missing; a submission is on
time or late by the first revision the member sent (aggregator/calendar/timeliness.py). A member that is
itself an aggregator reports in its rollup how many members it included, which were late and
which of its own are missing, so the province sees the schools a county lacks. For the annual
period the same holds of the work summaries: who filed one, on time or late.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from aggregator.calendar.timeliness import counted_submissions, member_timeliness, open_return
from aggregator.figures.holdings import region_prefix
from aggregator.store.sqlite import Member, Return, Store, Submission
from privacy.envelope import parse_signed
from protos.deadlines import LATE
from protos.periods import Period
from protos.regions import name
from protos.report_pb2 import Report


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    submission: Submission | None
    included: int = 0  # rollups: members it sums
    missing_below: tuple[str, ...] = ()  # rollups: its own members that are missing
    timeliness: str | None = None  # on_time | late, by its first revision
    returned: Return | None = None  # returned for correction, no new revision yet
    late_below: tuple[str, ...] = ()  # rollups: its own members that were late
    report: Report | None = None  # rollups: the signed rollup, parsed once

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
                late_below=tuple(m.sender_id for m in report.members if m.timeliness == LATE),
                report=report))
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


# --- completeness school by school, for drilling down (the bureaus' pages) ---------------

ON_TIME, RETURNED, MISSING = "on_time", "returned", "missing"
STATES = {  # state: (Chinese, English)
    ON_TIME: ("按时", "On time"), LATE: ("逾期", "Late"), RETURNED: ("退回", "Returned"),
    MISSING: ("未报", "Missing"),
}


@dataclass(frozen=True)
class UnitStatus:
    """One school's state for a period as this aggregator knows it (a whole member aggregator
    when nothing below it is known: ``unit`` is then its region code)."""

    unit: str  # 学校标识码, or a region code
    region: str  # a school's county; an aggregator's own region
    state: str  # on_time | late | returned | missing
    via: str | None = None  # the member aggregator whose rollup says so; None: enrolled here


def unit_statuses(store: Store, period: Period) -> list[UnitStatus]:
    """Every school enrolled here or below, with its state for ``period``.

    Direct members come from ``member_status`` (the same as ``guanai aggregator status``); a
    member aggregator's schools from its signed rollup (its members with their timeliness,
    its missing members, the revisions it returned) and, level by level, from the rollups
    forwarded with it. A member aggregator that sent nothing contributes the schools its
    last rollup enrolled (``enrolled_below``), all missing, or itself when none is known.
    """
    found: list[UnitStatus] = []
    below: list | None = None  # read only if a member aggregator sent nothing: 15,000 rows
    for status in member_status(store, period):
        member = status.member
        if member.kind != "aggregator":
            state = (RETURNED if status.returned is not None else MISSING
                     if status.submission is None else status.timeliness or ON_TIME)
            found.append(UnitStatus(member.member_id, member.region, state))
        elif status.report is not None:
            # the rollups below it come forwarded with it (a city's counties); a county's
            # members are all schools, and nothing more is read
            nested = {f.report_sha256: parse_signed(f.signed)[1]
                      for f in store.forwarded_rollups(status.submission.log_index)} \
                if any(len(m.sender_id) == 6 for m in status.report.members) else {}
            found.extend(_rollup_units(status.report, nested, member.member_id))
        else:
            below = store.enrolled_below_all() if below is None else below
            found.extend(_unreported(member.member_id, member.region, below))
    return found


def _rollup_units(report, nested: dict, via: str) -> list[UnitStatus]:  # noqa: ANN001
    regions = {e.member_id: e.region for e in report.enrolled}
    returned = {e.member_id for e in report.enrolled if e.returned_revision}
    found = []
    for m in report.members:
        if len(m.sender_id) == 6 and m.report_sha256 in nested:
            found.extend(_rollup_units(nested[m.report_sha256], nested, m.sender_id))
        else:
            found.append(UnitStatus(m.sender_id, regions.get(m.sender_id, report.region_code),
                                    m.timeliness or ON_TIME, via))
    for missing in report.missing:
        state = RETURNED if missing in returned else MISSING
        found.append(UnitStatus(missing, regions.get(missing, missing), state, via))
    return found


def _unreported(member_id: str, region: str, below: list) -> list[UnitStatus]:  # noqa: ANN001
    schools = [b for b in below if b.region.startswith(region_prefix(region))
               and len(b.member_id) == 10]
    if not schools:
        return [UnitStatus(member_id, region, MISSING, member_id)]
    return [UnitStatus(b.member_id, b.region, MISSING, member_id) for b in schools]


@dataclass(frozen=True)
class Tally:
    """Counts of one region (or school) for the drill-down, with DHIS2's rates: reporting
    rate = reports received / reports expected; on-time rate = reports on time / expected."""

    unit: str
    expected: int
    on_time: int
    late: int
    returned: int
    missing: int

    @property
    def received(self) -> int:
        return self.on_time + self.late

    @property
    def reporting_rate(self) -> float | None:
        return self.received / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


def child_of(region: str, unit: str, unit_region: str) -> str | None:
    """The part of ``region`` a unit counts under: a province's city, a city's county, a
    county's school; None when the unit is not within ``region``."""
    if not unit_region.startswith(region_prefix(region)):
        return None
    if region.endswith("0000") and unit_region != region:
        return unit_region[:4] + "00"
    if region.endswith("00") and unit_region != region and not region.endswith("0000"):
        return unit_region
    return unit


def tallies(units: list[UnitStatus], region: str) -> tuple[Tally, list[Tally]]:
    """The region's own tally and one per part of it (see ``child_of``), parts in code order."""
    parts: dict[str, list[UnitStatus]] = defaultdict(list)
    for u in units:
        part = child_of(region, u.unit, u.region)
        if part is not None:
            parts[part].append(u)

    def tally(unit: str, members: list[UnitStatus]) -> Tally:
        count = Counter(m.state for m in members)
        return Tally(unit, len(members), count[ON_TIME], count[LATE], count[RETURNED],
                     count[MISSING])

    whole = tally(region, [u for members in parts.values() for u in members])
    return whole, [tally(k, v) for k, v in sorted(parts.items())]
