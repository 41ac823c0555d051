"""Annual work summaries (年度工作总结, attachment 2) at an aggregator: its members' and its own.

Members file theirs like tables (Submit, kind SUMMARY, the annual period); they are logged and
receipted, and completeness for the annual period says who filed. An aggregator files its own
with ``guanai aggregator summary file``: its staff's text, its rollups of the year's halves as
figures, the members' summaries it holds (named, and forwarded to the parent like a rollup's
member reports) and the members that filed none. It is stored as this aggregator's report of
the annual period and travels to the parent as a rollup does; the province keeps its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from aggregator.calendar.timeliness import counted_submissions, member_timeliness
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Rollup, Store, Submission
from common.clock import stamp
from common.errors import GuanaiError
from privacy.envelope import parse_signed, sign_report, verified_report
from protos.catalogue import load
from protos.deadlines import to_ms
from protos.periods import Period
from protos.refusals import Refused
from protos.report_pb2 import Member, Report
from protos.summary_pb2 import AnnualSummary
from protos.validation import check_summary


class SummaryError(GuanaiError):
    """A summary that cannot be filed or is not held here."""


def _year(period: Period) -> Period:
    if not period.annual:
        raise SummaryError(f"年度工作总结按年度报送 summaries are filed for a year (e.g. "
                           f"{period.year}), not for {period}")
    return period


def file_summary(store: Store, settings: Settings, year: Period, text: str,
                 now: datetime) -> Rollup:
    """Sign and keep this aggregator's summary of ``year``: the next revision each time."""
    year = _year(year)
    figures = [r.signed for half in Period.of_year(year.year)[:2]
               if (r := store.latest_rollup(half.code)) is not None]
    held = counted_submissions(store, year.code)
    filed = {s.sender_id for s in held}
    previous = store.latest_rollup(year.code)
    report = Report(
        report_id=os.urandom(16), kind=Report.SUMMARY, sender_id=settings.region,
        region_code=settings.region, recipient_id=settings.parent_region or "",
        period=year.code, catalogue_version=load().version,
        revision=previous.revision + 1 if previous else 1, created_unix_ms=to_ms(now),
        members=[Member(sender_id=s.sender_id, revision=s.revision,
                        report_sha256=s.report_sha256, log_index=s.log_index,
                        timeliness=member_timeliness(store, s.sender_id, year.code) or "")
                 for s in held],
        missing=[m.member_id for m in store.members() if m.member_id not in filed],
        summary=AnnualSummary(text=text, figures=figures),
    )
    try:
        check_summary(report, verified_report)
    except Refused as exc:
        raise SummaryError(exc.message) from exc
    rollup = Rollup(year.code, report.revision,
                    sign_report(report.SerializeToString(), settings.signing_key),
                    stamp(now), None)
    with store.transaction():
        store.add_rollup(rollup)
    return rollup


@dataclass(frozen=True)
class Filed:
    """A summary held here: a member's (direct, or forwarded from below) or this aggregator's."""

    report: Report
    received_at: str | None  # when it reached this aggregator (None: forwarded or own)
    timeliness: str | None
    via: str | None  # the member aggregator it came through, for summaries from below


def filed(store: Store, year: Period) -> list[Filed]:
    """Every summary of the year held here, direct members first, then those forwarded."""
    year = _year(year)
    direct: list[Filed] = []
    below: list[Filed] = []
    for s in counted_submissions(store, year.code):
        direct.append(_direct(store, s, year))
        for forwarded in store.forwarded(s.log_index):
            report = parse_signed(forwarded.signed)[1]
            below.append(Filed(report, None, None, s.sender_id))
    return direct + below


def _direct(store: Store, submission: Submission, year: Period) -> Filed:
    return Filed(parse_signed(submission.signed)[1], submission.received_at,
                 member_timeliness(store, submission.sender_id, year.code), None)


def find(store: Store, settings: Settings, member_id: str, year: Period) -> Filed:
    """The latest summary of ``member_id`` (or of this aggregator) for the year."""
    year = _year(year)
    if member_id == settings.region:
        own = store.latest_rollup(year.code)
        if own is not None:
            return Filed(parse_signed(own.signed)[1], own.created_at, None, None)
    for summary in filed(store, year):
        if summary.report.sender_id == member_id:
            return summary
    raise SummaryError(f"无工作总结 no {year} summary of {member_id} is held here")
