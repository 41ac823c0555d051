"""Accepting opened submissions: enrolment, revisions, storage, the log and receipts.

One call takes a group of opened submissions into one transaction: each is checked against
the stored state (sender enrolled, key enrolled for that sender and not revoked, revision not
older than the latest, the period not locked: aggregator/calendar/timeliness.py), then stored with its
log leaf and its timeliness mark. After the group, one checkpoint is
signed for the new tree size and every new submission gets a receipt with its inclusion
proof to it, stored in the same transaction. The caller answers only after this returns, that
is after the commit (invariant 6, docs/architecture.md). A refused submission stores nothing.

A submission already held with identical SignedReport bytes gets its stored receipt again;
the same (sender, period, revision) with other bytes is ALREADY_EXISTS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aggregator.calendar.timeliness import admit
from aggregator.intake.opening import Opened
from aggregator.keys.own_identity import Settings
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Forwarded, Store, Submission
from common.clock import SYSTEM
from privacy.envelope import parse_signed
from privacy.keys import key_id
from privacy.merkle import leaf_hash
from privacy.receipt import sign_receipt
from protos.aggregator_pb2 import Receipt, ReceiptBody
from protos.refusals import Kind, Refused
from protos.report_pb2 import Report

Outcome = Receipt | Refused


def accept(store: Store, log: TransparencyLog, settings: Settings, items: Sequence[Opened],
           now: datetime | None = None) -> list[Outcome]:
    """Store and log what may be accepted; one outcome per item, in order."""
    now = now or SYSTEM.now()
    outcomes: list[Outcome | int] = []
    fresh: list[tuple[int, Opened, str]] = []
    with log.lock:
        try:
            with store.transaction():
                for item in items:
                    try:
                        outcomes.append(_accept_one(store, log, item, now, fresh))
                    except Refused as rejected:
                        outcomes.append(rejected)
                receipts = _issue_receipts(store, log, settings, fresh, now)
        except BaseException:
            log.reset()
            raise
    return [receipts[o] if isinstance(o, int) else o for o in outcomes]


def _accept_one(store: Store, log: TransparencyLog, item: Opened, now: datetime,
                fresh: list[tuple[int, Opened, str]]) -> Outcome | int:
    report = item.report
    signer = _check_sender(store, item, now)
    revisions = store.revisions(report.sender_id, report.period)
    held = next((s for s in revisions if s.revision == report.revision), None)
    if held is not None:
        if held.signed != item.signed:
            raise Refused(Kind.DUPLICATE,
                           f"已有不同报送 {report.sender_id} already submitted other bytes as "
                           f"{report.period} revision {report.revision}; a correction is a new "
                           "revision (`guanai node release --correction`)")
        return Receipt.FromString(held.receipt) if held.receipt else held.log_index
    latest = revisions[-1].revision if revisions else None
    if latest is not None and latest > report.revision:
        raise Refused(Kind.NOT_NOW,
                       f"版本过旧 revision {report.revision} of {report.period} is older than "
                       f"revision {latest}, already accepted from {report.sender_id}")
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
    fresh.append((index, item, timeliness))
    return index


_KINDS = {Report.SCHOOL: "school", Report.ROLLUP: "rollup", Report.SUMMARY: "summary"}


def _check_sender(store: Store, item: Opened, now: datetime) -> str:
    """The signer's key id, if it is enrolled for the sender and not revoked."""
    report = item.report
    member = store.member(report.sender_id)
    if member is None:
        raise Refused(Kind.UNAUTHENTICATED,
                       f"未登记 unknown sender {report.sender_id}: not enrolled at this aggregator; "
                       "its operator enrols the sender's key with `guanai aggregator enroll`")
    expected = {Report.ROLLUP: "aggregator", Report.SCHOOL: "school"}.get(report.kind, member.kind)
    if member.kind != expected:
        raise Refused(Kind.NOT_PERMITTED,
                       f"身份不符 {report.sender_id} is enrolled as a {member.kind}, "
                       f"not as a sender of {expected} reports")
    if report.region_code != member.region:
        raise Refused(Kind.MALFORMED,
                       f"地区不符 {report.sender_id} is enrolled in region {member.region}, "
                       f"the report says {report.region_code}")
    key = next((k for k in store.keys(member.member_id) if k.signing_key == item.signer_key), None)
    if key is None:
        raise Refused(Kind.UNAUTHENTICATED,
                       f"密钥未登记 the signing key {key_id(item.signer_key)} is not enrolled for "
                       f"{report.sender_id}")
    if key.revoked_at is not None and datetime.fromisoformat(key.revoked_at) <= now:
        raise Refused(Kind.NOT_PERMITTED,
                       f"密钥已吊销 the signing key {key.key_id} of {report.sender_id} was revoked "
                       f"at {key.revoked_at}; enrol a new key")
    enrolled = {k.signing_key for k in store.keys(member.member_id)}
    for figure in report.summary.figures:
        if parse_signed(figure)[0].signer_key not in enrolled:
            raise Refused(Kind.UNAUTHENTICATED,
                           f"密钥未登记 a figure attached to the summary of {report.sender_id} is "
                           "signed by a key not enrolled for it")
    return key.key_id


def _issue_receipts(store: Store, log: TransparencyLog, settings: Settings,
                    fresh: list[tuple[int, Opened, str]], now: datetime) -> dict[int, Receipt]:
    if not fresh:
        return {}
    size = log.size
    checkpoint = log.checkpoint(size, now)
    receipts = {}
    for index, item, timeliness in fresh:
        body = ReceiptBody(
            aggregator_id=settings.region, sender_id=item.report.sender_id,
            period=item.report.period, revision=item.report.revision,
            report_sha256=item.report_sha256, leaf_hash=leaf_hash(item.signed),
            log_index=index, tree_size=size, inclusion_proof=log.inclusion_proof(index, size),
            checkpoint=checkpoint, accepted_unix_ms=int(now.timestamp() * 1000),
            timeliness=timeliness,
        )
        receipts[index] = sign_receipt(body, settings.signing_key)
        store.set_receipt(index, receipts[index].SerializeToString())
    return receipts
