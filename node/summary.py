"""The school's annual work summary (年度工作总结, attachment 2): screened, signed, queued.

Staff write it as a Markdown file. The node refuses it if it names a student or carries their
numbers (node/screening.py, naming the lines), attaches the year's released tables exactly as
they were sent (no new release, no budget spent), and puts it in the outbox as a SUMMARY
report of the annual period, signed like a table; the daemon or ``guanai node submit`` sends
it. Filing again makes the next revision, which supersedes the last.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import sqlite_utils

from common.clock import SYSTEM
from common.errors import GuanaiError
from node import screening
from node.membership import own_identity, parent, signing_key
from node.release import latest_release
from node.submit import OutboxItem, enqueue, outbox, queue_signed
from privacy.envelope import sign_report, verified_report
from protos.catalogue import load
from protos.deadlines import to_ms
from protos.periods import Period
from protos.refusals import Refused
from protos.report_pb2 import Report
from protos.summary_pb2 import AnnualSummary
from protos.validation import check_summary


class SummaryError(GuanaiError):
    """A summary that cannot be filed as it is."""


def attached_figures(store: sqlite_utils.Database, db: Path, year: Period,
                     now: Callable[[], datetime]) -> list[bytes]:
    """The signed bytes of the year's latest half-year releases, queued first if need be."""
    figures = []
    for half in Period.of_year(year.year)[:2]:
        release = latest_release(store, half)
        if release is None:
            continue
        item = enqueue(store, db, half, now)
        figures.append(item.signed)
    return figures


def file_summary(store: sqlite_utils.Database, db: Path, year: Period, text: str,
                 allow: Iterable[str] = (),
                 now: Callable[[], datetime] = SYSTEM.now) -> OutboxItem:
    """Screen ``text``, attach the year's figures, sign and queue the summary."""
    if not year.annual:
        raise SummaryError(f"年度工作总结按年度报送 a summary is filed for a year (e.g. "
                           f"{year.year}), not for {year}")
    screening.check(text, store, allow)
    me = own_identity(store, db)
    school_id, region = me.id, me.region
    target = parent(store)
    revision = 1 + max((i.revision for i in outbox(store) if i.period == year.code), default=0)
    report = Report(
        report_id=os.urandom(16), kind=Report.SUMMARY, sender_id=school_id, region_code=region,
        recipient_id=target.id, period=year.code, catalogue_version=load().version,
        revision=revision, created_unix_ms=to_ms(now()), stage_code=school_id[:2],
        summary=AnnualSummary(text=text),
    )
    try:
        check_summary(report, verified_report)
    except Refused as exc:
        raise SummaryError(exc.message) from exc
    report.summary.figures.extend(attached_figures(store, db, year, now))
    return queue_signed(store, year.code, revision, target.id,
                        lambda: sign_report(report.SerializeToString(), signing_key(db)), now)
