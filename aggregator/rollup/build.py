"""Rollup (汇总): the sum of the members' latest reports of a period, signed and sent up.

A rollup is a ROLLUP Report: values and noise variances summed cell by cell over each
member's latest revision (invariant 7, docs/architecture.md), the members it includes (sender, revision, SHA-256 of
the Report bytes, log index here) and the enrolled members that are missing. It is made once
per content: asking again while nothing changed returns the stored rollup, so a resend is the
same bytes; a member's new submission makes the next revision.

It travels to the parent with the SignedReports of every member it names, and of theirs for
members that are rollups themselves, each sealed to the parent: the parent checks the sums and
keeps them, so that it can verify any school below it. The top of the tree (the province)
stores its rollup and sends nothing.
"""

from __future__ import annotations

import os
from datetime import datetime

from aggregator.calendar.timeliness import counted_submissions, member_timeliness
from aggregator.keys import keyring
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Rollup, Store
from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from common.progress import track
from member.client import DEFAULT_BACKOFF, Backoff, ClientTls
from member.send import send
from member.standing import notice_revocations
from privacy.envelope import parse_signed, sign_report
from privacy.identity import Identity
from protos.aggregator_pb2 import ReceiptBody
from protos.catalogue import load
from protos.deadlines import to_ms
from protos.periods import Period
from protos.report_pb2 import Enrolled, Member, Report, Revoked
from protos.rollup_sums import sum_reports
from protos.signoff import missing_roles, role_label


class RollupError(GuanaiError):
    """A rollup that cannot be made: no member reports, or reports that do not add up."""


def make_rollup(store: Store, settings: Settings, period: Period) -> tuple[Rollup, bool]:
    """The period's rollup, made now if the members' reports changed; and whether it is new.

    Members whose latest report was returned for correction are left out (and listed as
    missing) until they send a new revision. When this aggregator published the period's
    figure with the helper, the rollup carries its signed named set, leader partial and both
    noisy partials (aggregator/rollup/publish.py): the level above sums the partials into its
    own and reads the published figure as this aggregator's.
    """
    if period.annual:
        raise RollupError(f"年度不汇总 {period} is the annual summary's period, with no table to "
                          "sum: file this aggregator's own summary (`guanai aggregator summary "
                          "file`), which lists the members' summaries")
    held = counted_submissions(store, period.code)
    if not held:
        raise RollupError(f"无成员报送 no member has submitted for {period} yet")
    reports = [parse_signed(s.signed)[1] for s in track(held, "汇总成员报送 reading members' reports")]
    versions = {r.catalogue_version for r in reports}
    if len(versions) != 1:
        by_version = {v: [r.sender_id for r in reports if r.catalogue_version == v]
                      for v in sorted(versions)}
        raise RollupError(
            "目录版本不一 members' latest reports use different catalogue versions, which are "
            "never summed together: " + "; ".join(f"{v}: {', '.join(s)}" for v, s in
                                                   by_version.items())
            + ". Ask the members on the old version to release a correction with the new one "
            "(`guanai node release --correction --catalogue VERSION`), then roll up again")
    members = [Member(sender_id=s.sender_id, revision=s.revision, report_sha256=s.report_sha256,
                      log_index=s.log_index,
                      timeliness=member_timeliness(store, s.sender_id, period.code) or "")
               for s in held]
    submitted = {s.sender_id for s in held}
    missing = [m.member_id for m in store.members() if m.member_id not in submitted]
    enrolled = enrolment(store, period)
    published = store.publication(period.code, settings.region)
    own = store.figure_unit(period.code, settings.region)  # published: the figure stands
    carried = ({"named_set": published.named_set, "partial": published.partial,
                "noisy": published.noisy, "helper_noisy": published.other_noisy}
               if published is not None and published.other_noisy and own is not None
               and own.kind == "published" else {})
    previous = store.latest_rollup(period.code)
    if previous is not None:
        old = parse_signed(previous.signed)[1]
        if (list(old.members), list(old.missing), list(old.enrolled)) == (members, missing,
                                                                           enrolled) and all(
                getattr(old, k) == carried.get(k, b"")
                for k in ("named_set", "partial", "noisy", "helper_noisy")):
            return previous, False
    values, variances = sum_reports(reports, len(load(versions.pop()).cells))
    report = Report(
        report_id=os.urandom(16), kind=Report.ROLLUP, sender_id=settings.region,
        region_code=settings.region, recipient_id=settings.parent_region or "",
        period=period.code, catalogue_version=reports[0].catalogue_version,
        revision=previous.revision + 1 if previous else 1, values=values,
        noise_variance=variances, created_unix_ms=to_ms(SYSTEM.now()), members=members,
        missing=missing, enrolled=enrolled, **carried,
    )
    rollup = Rollup(period.code, report.revision,
                    sign_report(report.SerializeToString(), settings.signing_key),
                    stamp(SYSTEM.now()), None)
    with store.transaction():
        store.add_rollup(rollup)
    return rollup, True


def enrolment(store: Store, period: Period) -> list[Enrolled]:
    """Every member enrolled here with all its keys and their revocations, and the revision
    returned for correction that keeps it out of the period's rollup: the enrolment a rollup
    carries, signed with it (protos/membership.py), by member id. The parent learns this
    aggregator's revocations from it (aggregator/intake/enrolled_below.py)."""
    returned = {(r.member_id, r.revision) for r in store.returns(period.code)}
    latest = store.latest_revisions(period.code)
    return [_enrolled(store, m.member_id, m.region, latest.get(m.member_id, 0)
                      if (m.member_id, latest.get(m.member_id)) in returned else 0)
            for m in store.members()]


def revoked_members(store: Store) -> list[Enrolled]:
    """The enrolment entries of the members with a revoked key: what a notice to the parent
    carries (``notify_parent``)."""
    return [entry for m in store.members()
            if (entry := _enrolled(store, m.member_id, m.region)).revoked]


def _enrolled(store: Store, member_id: str, region: str, returned_revision: int = 0) -> Enrolled:
    keys = store.keys(member_id)
    return Enrolled(
        member_id=member_id, region=region, signing_keys=[k.signing_key for k in keys],
        returned_revision=returned_revision,
        revoked=[Revoked(signing_key=k.signing_key,
                         revoked_unix_ms=to_ms(datetime.fromisoformat(k.revoked_at)))
                 for k in keys if k.revoked_at is not None])


def notify_parent(store: Store, settings: Settings, now: datetime,
                  client_tls: ClientTls | None = None) -> int:
    """Tell the parent at once of every key revoked here (Members.NoticeRevocations), rather
    than with the next rollup's enrolment only; how many members' revocations were told.
    Raises ``RollupError`` with no parent or nothing revoked, ``MemberRequestFailed`` or
    ``TlsMisconfigured`` when the parent does not take it."""
    revoked = revoked_members(store)
    if not revoked:
        raise RollupError("无吊销 no key of a member is revoked here: nothing to tell the parent")
    if settings.parent_region is None:
        raise RollupError("无上级 this aggregator reports to no parent")
    parent = keyring.follow_parent(store, settings, now, client_tls)
    notice_revocations(parent, settings.region, settings.signing_key, revoked, now,
                       client_tls=client_tls)
    return len(revoked)


def member_reports(store: Store, report: Report) -> list[bytes]:
    """The SignedReports of the members a rollup names, and of the members below them."""
    signed = []
    for member in track(report.members, "附上成员报送 attaching members' reports"):
        held = store.submission(member.sender_id, report.period, member.revision)
        if held is None or held.report_sha256 != member.report_sha256:
            raise RollupError(f"成员报送缺失 the report of {member.sender_id} is not in the store")
        signed.append(held.signed)
        signed.extend(f.signed for f in store.forwarded(held.log_index))
    return signed


def send_rollup(store: Store, settings: Settings, parent: Identity, rollup: Rollup, *,
                attempts: int | None = None, backoff: Backoff = DEFAULT_BACKOFF, timeout: float = 120.0,
                client_tls: ClientTls | None = None) -> ReceiptBody:
    """Seal the rollup and its members' reports to the parent; keep its verified receipt."""
    report = parse_signed(rollup.signed)[1]
    lacking = missing_roles(report) if report.kind == Report.ROLLUP else []
    if lacking:
        raise RollupError(f"未审核签字 not signed off: {', '.join(map(role_label, lacking))} "
                          "must approve the rollup, or be waived with a reason, before it is sent "
                          "(`guanai aggregator approve`)")
    if report.recipient_id != parent.id:
        raise RollupError(f"收件方不符 the rollup is for {report.recipient_id or 'no parent'}, "
                          f"the parent is {parent.id}")
    delivered = send(parent, rollup.signed, retired=store.retired_parent_keys(),
                     members=member_reports(store, report), attempts=attempts, backoff=backoff,
                     timeout=timeout, client_tls=client_tls)
    with store.transaction():
        store.set_rollup_receipt(rollup.period, rollup.revision,
                                delivered.receipt.SerializeToString())
    return delivered.body


def send_to_parent(store: Store, settings: Settings, rollup: Rollup, now: datetime, *,
                   client_tls: ClientTls | None = None, **options: object) -> ReceiptBody:
    """Send a rollup (or this level's summary) to the parent it was made for, following any
    key rotation the parent made since its export was imported; ``options`` are those of
    ``send_rollup`` (attempts, backoff, timeout)."""
    parent = keyring.follow_parent(store, settings, now, client_tls)
    return send_rollup(store, settings, parent, rollup, client_tls=client_tls, **options)


def rollup_report(rollup: Rollup) -> Report:
    return parse_signed(rollup.signed)[1]
