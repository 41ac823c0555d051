"""What an aggregator holds for one period, and the figures of any region or school below it.

An aggregator holds its members' latest reports and, for members that are rollups, the
signed reports of every member below them, forwarded with the rollup. So a province can give
the figures of itself (the sum of its members), of any county or city (that aggregator's
rollup, or the sum of the rollups within a city that has no aggregator of its own) and of any
school (its own report). A county's figures are its rollup: the schools its bureau is
responsible for; schools that report straight to the province are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Member, Store
from aggregator.warnings.rules import Figures
from common.errors import GuanaiError
from privacy.envelope import parse_signed
from protos.catalogue import Catalogue, load
from protos.periods import Period
from protos.regions import level
from protos.report_pb2 import Report
from protos.rollup_sums import sum_reports

RANKS = {"province": 0, "city": 1, "county": 2, "school": 3}
PREFIX = {"province": 2, "city": 4, "county": 6}


class HoldingsError(GuanaiError):
    """Reports that cannot be read together (e.g. of different catalogue versions)."""


def is_school(unit: str) -> bool:
    return len(unit) == 10


def level_of(unit: str) -> str:
    """school for a 学校标识码, else the level of the region code."""
    return "school" if is_school(unit) else level(unit)


def region_within(code: str, scope: str) -> bool:
    """Whether region ``code`` is ``scope`` or lies below it (region codes only)."""
    if code == scope:
        return True
    if RANKS[level(code)] <= RANKS[level(scope)]:
        return False
    n = PREFIX[level(scope)]
    return code[:n] == scope[:n]


def region_of(store: Store, unit: str) -> str | None:
    """A school's county, from its enrolment or a report of it held here; a region's code."""
    if not is_school(unit):
        return unit
    member = store.member(unit)
    if member is not None:
        return member.region
    for signed in store.signed_reports_of(unit):
        return parse_signed(signed)[1].region_code
    return None


@dataclass(frozen=True)
class Held:
    report: Report
    signer_key: bytes
    direct: bool  # a member's submission here (else forwarded with a member's rollup)


class Holdings:
    def __init__(self, store: Store, settings: Settings, period: Period) -> None:
        self.region = settings.region
        self.period = period
        self.members: dict[str, Member] = {m.member_id: m for m in store.members()}
        self.held: dict[str, Held] = {}
        self.direct: list[str] = []
        for submission in store.latest_submissions(period.code):
            envelope, report = parse_signed(submission.signed)
            self.held[submission.sender_id] = Held(report, bytes(envelope.signer_key), True)
            self.direct.append(submission.sender_id)
            for forwarded in store.forwarded(submission.log_index):
                envelope, report = parse_signed(forwarded.signed)
                self.held.setdefault(forwarded.sender_id,
                                     Held(report, bytes(envelope.signer_key), False))
        versions = {h.report.catalogue_version for h in self.held.values()}
        if len(versions) > 1:
            raise HoldingsError(f"目录版本不一 reports of {period} use catalogue versions "
                                f"{sorted(versions)}")
        self.catalogue: Catalogue = load(versions.pop()) if versions else load()

    # --- where things are
    def region_of(self, unit: str) -> str | None:
        """A school's county (from its report or enrolment); a region code is its own."""
        if not is_school(unit):
            return unit
        if unit in self.held:
            return self.held[unit].report.region_code
        member = self.members.get(unit)
        return member.region if member else None

    def within(self, unit: str, scope: str) -> bool:
        """Whether ``unit`` (a region or school) lies in ``scope`` (a region or school)."""
        if unit == scope:
            return True
        if is_school(scope) or RANKS[level_of(unit)] <= RANKS[level_of(scope)]:
            return False
        region = self.region_of(unit)
        return region is not None and region_within(region, scope)

    def units(self, level_name: str, scope: str) -> list[str]:
        """Every region or school of a level known here within ``scope``, by code."""
        known = {self.region, *self.held, *self.members}
        known |= {u[:4] + "00" for u in list(known) if not is_school(u) and level(u) == "county"}
        return sorted(u for u in known if level_of(u) == level_name and self.within(u, scope)
                      and self.within(u, self.region))

    # --- figures
    def _schools(self, report: Report) -> int:
        if report.kind != Report.ROLLUP:
            return 1
        found = (self.held.get(m.sender_id) for m in report.members)
        return sum(self._schools(h.report) for h in found if h is not None)

    def _sum(self, reports: list[Report], members: int, missing: int, unit: str) -> Figures:
        size = len(self.catalogue.cells)
        values, variances = sum_reports(reports, size) if reports else ([0] * size, [0.0] * size)
        ids = self.catalogue.ids()
        return Figures(unit, level_of(unit), dict(zip(ids, map(float, values), strict=True)),
                       dict(zip(ids, variances, strict=True)), members, missing,
                       sum(self._schools(r) for r in reports))

    def figures(self, unit: str) -> Figures | None:
        """The figures of a region or school, or None if nothing is held or enrolled for it."""
        if unit == self.region:
            reports = [self.held[d].report for d in self.direct]
            return self._sum(reports, len(reports), len(self.members) - len(reports), unit)
        if unit in self.held:
            report = self.held[unit].report
            if report.kind == Report.ROLLUP:
                return self._sum([report], len(report.members), len(report.missing), unit)
            return self._sum([report], 1, 0, unit)
        if is_school(unit):
            return self._sum([], 0, 1, unit) if unit in self.members else None
        parts = [d for d in self.direct if self.held[d].report.kind == Report.ROLLUP
                 and self.within(d, unit)]
        enrolled = [m for m in self.members.values()
                    if m.kind == "aggregator" and self.within(m.member_id, unit)]
        if not parts and not enrolled:
            return None
        return self._sum([self.held[d].report for d in parts], len(parts),
                         len(enrolled) - len(parts), unit)
