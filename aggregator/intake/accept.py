"""Accepting opened submissions: enrolment, revisions, storage, the log and receipts.

One call takes a group of opened submissions into one transaction: each is checked against
the stored state (sender enrolled, key enrolled for that sender and not revoked, revision not
older than the latest, the period not locked: aggregator/calendar/timeliness.py), then stored with its
log leaf, its timeliness mark and its figures (aggregator/figures/cube.py). After the group, one checkpoint is
signed for the new tree size and every new submission gets a receipt with its inclusion
proof to it, stored in the same transaction. The caller answers only after this returns, that
is after the commit (invariant 6, docs/architecture.md). A refused submission stores nothing.

A submission already held with identical SignedReport bytes gets its stored receipt again;
the same (sender, period, revision) with other bytes is ALREADY_EXISTS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.calendar.timeliness import admit
from aggregator.figures import cube
from aggregator.intake.enrolled_below import check_enrolled_below, record_enrolled_below
from aggregator.intake.opening import Opened
from aggregator.intake.privacy_policy import check_year
from aggregator.intake.shares import OpenedShare, check_signer
from aggregator.keys.own_identity import Settings
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Forwarded, Store, StoredShare, Submission
from common.clock import SYSTEM
from privacy.budget import BudgetPolicy
from privacy.envelope import parse_signed
from privacy.merkle import leaf_hash
from privacy.receipt import sign_receipt
from protos.aggregator_pb2 import Receipt, ReceiptBody
from protos.periods import Period
from protos.refusals import Kind, Refused
from protos.report_pb2 import Report

Outcome = Receipt | Refused
Item = Opened | OpenedShare


@dataclass(frozen=True)
class _Fresh:
    """A leaf appended in this group, to be answered with a receipt after the commit."""

    index: int
    signed: bytes
    sender_id: str
    period: str
    revision: int
    digest: bytes  # SHA-256 of the Report or Share bytes
    timeliness: str
    share: bool


def accept(store: Store, log: TransparencyLog, settings: Settings, items: Sequence[Item],
           now: datetime | None = None, policy: BudgetPolicy | None = None) -> list[Outcome]:
    """Store and log what may be accepted; one outcome per item, in order.

    ``policy`` is the federation's privacy budget (aggregator/intake/privacy_policy.py; the
    defaults of privacy/budget.py when None): every school table, sent or forwarded, must fit.
    Schools' shares (aggregator/intake/shares.py) are taken in the same group and log.
    """
    now = now or SYSTEM.now()
    policy = policy or BudgetPolicy()
    outcomes: list[Outcome | int] = []
    fresh: list[_Fresh] = []
    with log.lock:
        try:
            with store.transaction():
                for item in items:
                    try:
                        outcomes.append(
                            _accept_share(store, log, item, now, fresh, settings.helper)
                            if isinstance(item, OpenedShare)
                            else _accept_one(store, log, item, now, fresh, policy))
                    except Refused as rejected:
                        outcomes.append(rejected)
                receipts = _issue_receipts(store, log, settings, fresh, now)
        except BaseException:
            log.reset()
            raise
    return [receipts[o] if isinstance(o, int) else o for o in outcomes]


def _accept_share(store: Store, log: TransparencyLog, item: OpenedShare, now: datetime,
                  fresh: list[_Fresh], helper: bool) -> Outcome | int:
    """A school's share: the signer and revision checks of a report; at the leader its calendar
    too (a share after the lock needs the exception its report needs), the helper keeping
    none of its own."""
    share = item.share
    signer = check_signer(store, share.school_id, share.region, "school", item.signer_key, now)
    held = _held(store.share_revisions(share.school_id, share.period), item.signed,
                 share.school_id, share.period, share.revision)
    if held is not None:
        return held
    timeliness = "" if helper else admit(store, share.school_id, share.period, now)[0]
    leaf = leaf_hash(item.signed)
    index = log.append(leaf)
    store.add_share(StoredShare(
        log_index=index, leaf_hash=leaf, school_id=share.school_id, region=share.region,
        period=share.period, revision=share.revision, catalogue_version=share.catalogue_version,
        signed=item.signed, share_sha256=item.share_sha256, key_id=signer,
        received_at=now.isoformat(timespec="milliseconds"), receipt=b""))
    fresh.append(_Fresh(index, item.signed, share.school_id, share.period, share.revision,
                        item.share_sha256, timeliness, True))
    return index


def _accept_one(store: Store, log: TransparencyLog, item: Opened, now: datetime,
                fresh: list[_Fresh], policy: BudgetPolicy) -> Outcome | int:
    report = item.report
    signer = _check_sender(store, item, now)
    held = _held(store.revisions(report.sender_id, report.period), item.signed,
                 report.sender_id, report.period, report.revision)
    if held is not None:
        return held
    for table in (item, *item.forwarded):
        if table.report.kind == Report.SCHOOL:
            check_year(table.report, _held_in_year(store, table), policy)
    check_enrolled_below(store, item)
    timeliness, exception = admit(store, report.sender_id, report.period, now)
    leaf = leaf_hash(item.signed)
    index = log.append(leaf)
    store.add_submission(
        Submission(
            log_index=index, leaf_hash=leaf, sender_id=report.sender_id,
            kind=_KINDS[report.kind],
            period=report.period, revision=report.revision, signed=item.signed,
            report_sha256=item.report_sha256, key_id=signer,
            received_at=now.isoformat(timespec="milliseconds"), receipt=b"",
        ),
        [Forwarded(f.report_sha256, f.report.sender_id, f.report.period, f.report.revision,
                   f.signed) for f in item.forwarded],
    )
    store.add_mark(index, timeliness, exception)
    cube.record_submission(store, report, item.report_sha256,
                           {f.report_sha256: f.report for f in item.forwarded})
    record_enrolled_below(store, item, index)
    fresh.append(_Fresh(index, item.signed, report.sender_id, report.period, report.revision,
                        item.report_sha256, timeliness, False))
    return index


def _held(revisions: Sequence[Submission | StoredShare], signed: bytes, sender: str,
          period: str, revision: int) -> Outcome | int | None:
    """What a submission (or share) of ``revision`` meets among the sender's ``revisions`` of
    the period held here, oldest first: None when it is new and not older than the latest; the
    stored receipt (or, inside this group, the log index) for the same bytes again; DUPLICATE
    for other bytes of the same revision, NOT_NOW for an older revision."""
    held = next((s for s in revisions if s.revision == revision), None)
    if held is not None:
        if held.signed != signed:
            raise Refused(Kind.DUPLICATE,
                          f"已有不同报送 {sender} already submitted other bytes as {period} "
                          f"revision {revision}; a correction is a new revision "
                          "(`guanai node release --correction`)")
        return Receipt.FromString(held.receipt) if held.receipt else held.log_index
    if revisions and revisions[-1].revision > revision:
        raise Refused(Kind.NOT_NOW,
                      f"版本过旧 revision {revision} of {period} is older than revision "
                      f"{revisions[-1].revision}, already accepted from {sender}")
    return None


def _held_in_year(store: Store, table: Opened) -> list[Report]:
    """Every other table of the school held here (sent or forwarded) for the table's year."""
    year = Period.parse(table.report.period).year
    held = []
    for signed in store.signed_reports_of(table.report.sender_id):
        report = parse_signed(signed)[1]
        if (report.kind == Report.SCHOOL and Period.parse(report.period).year == year
                and report.SerializeToString() != table.report.SerializeToString()):
            held.append(report)
    return held


_KINDS = {Report.SCHOOL: "school", Report.ROLLUP: "rollup", Report.SUMMARY: "summary"}


def _check_sender(store: Store, item: Opened, now: datetime) -> str:
    """The signer's key id, if it is enrolled for the sender and not revoked."""
    report = item.report
    member = store.member(report.sender_id)
    kind = {Report.ROLLUP: "aggregator", Report.SCHOOL: "school"}.get(
        report.kind, member.kind if member else "school")
    key = check_signer(store, report.sender_id, report.region_code, kind, item.signer_key, now)
    enrolled = {k.signing_key for k in store.keys(report.sender_id)}
    for figure in report.summary.figures:
        if parse_signed(figure)[0].signer_key not in enrolled:
            raise Refused(Kind.UNAUTHENTICATED,
                           f"密钥未登记 a figure attached to the summary of {report.sender_id} is "
                           "signed by a key not enrolled for it")
    return key


def _issue_receipts(store: Store, log: TransparencyLog, settings: Settings,
                    fresh: list[_Fresh], now: datetime) -> dict[int, Receipt]:
    if not fresh:
        return {}
    size = log.size
    checkpoint = log.checkpoint(size, now)
    receipts = {}
    for item in fresh:
        body = ReceiptBody(
            aggregator_id=settings.region, sender_id=item.sender_id, period=item.period,
            revision=item.revision, report_sha256=item.digest, leaf_hash=leaf_hash(item.signed),
            log_index=item.index, tree_size=size,
            inclusion_proof=log.inclusion_proof(item.index, size), checkpoint=checkpoint,
            accepted_unix_ms=int(now.timestamp() * 1000), timeliness=item.timeliness,
        )
        receipts[item.index] = sign_receipt(body, settings.signing_key)
        keep = store.set_share_receipt if item.share else store.set_receipt
        keep(item.index, receipts[item.index].SerializeToString())
    return receipts
