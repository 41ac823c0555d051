"""Opening a submission: unseal, verify the signature, check the report — nothing stored yet.

This is the part of accepting that needs no stored state, so the server runs it for many
submissions at once; ``aggregator.intake.accept`` then checks enrolment and revisions and stores.
A rollup arrives with the SignedReports of the members it names (and of theirs, down to the
schools); each must verify, be addressed to the rollup's sender, be named by a rollup in the
submission, and every rollup must be exactly the sum of the members it names. An aggregator's
annual summary carries its members' summaries the same way (they are named, not summed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from nacl.public import PrivateKey

from privacy.envelope import (
    BadSignature,
    CannotOpen,
    EnvelopeError,
    open_sealed,
    verified_report,
    verify_signed,
)
from privacy.receipt import report_sha256
from privacy.signoff import verify_approvals
from protos.aggregator_pb2 import Submission
from protos.membership import membership_problems
from protos.refusals import Kind, Refused
from protos.report_pb2 import Member, Report
from protos.rollup_sums import is_sum_of
from protos.signoff import missing_roles, needs_signoff, role_label
from protos.validation import check_content, check_report

T = TypeVar("T")


@dataclass(frozen=True)
class Opened:
    signed: bytes  # the SignedReport bytes: the log leaf
    report: Report
    report_sha256: bytes
    signer_key: bytes
    forwarded: tuple[Opened, ...] = ()


def open_submission(submission: Submission, key: PrivateKey | Sequence[PrivateKey], region: str,
                    today: date) -> Opened:
    """The opened, verified and checked submission; Refused with a status code otherwise.

    ``key`` may be several sealing keys, the current one first: after a rotation, members
    that have not yet learnt the new key still seal to an old one.
    """
    keys = (key,) if isinstance(key, PrivateKey) else tuple(key)
    opened = _open(submission.sealed, keys)
    check_report(opened.report, region, today, verified_report)
    if not _names_members(opened.report):
        if submission.sealed_members:
            raise Refused(Kind.MALFORMED, "多余附件 only a rollup or an aggregator's summary carries "
                           "its members' reports")
        return opened
    forwarded = tuple(_open(sealed, keys) for sealed in submission.sealed_members)
    _check_members(opened, forwarded)
    _check_approvals(opened)
    return Opened(opened.signed, opened.report, opened.report_sha256, opened.signer_key, forwarded)


def _check_approvals(opened: Opened) -> None:
    """A rollup comes signed off: each role approved or waived, each approval signed over this
    rollup by the key it names, each waiver by the rollup's own signer (protos/signoff.py)."""
    lacking = missing_roles(opened.report) if needs_signoff(opened.report) else []
    if lacking:
        raise Refused(Kind.NOT_NOW, "未审核签字 the rollup lacks the sign-off of "
                      + ", ".join(map(role_label, lacking))
                      + "; it is sent only after `guanai aggregator approve` (or a recorded waiver)")
    problems = verify_approvals(opened.report) + [
        f"{a.role}: a waiver must be signed by the rollup's sender"
        for a in opened.report.approvals if a.waiver_reason and a.public_key != opened.signer_key]
    if problems:
        raise Refused(Kind.UNAUTHENTICATED, "审核签字无效 bad sign-off: " + "; ".join(problems))


def _names_members(report: Report) -> bool:
    return report.kind == Report.ROLLUP or (report.kind == Report.SUMMARY and bool(report.members))


def unseal(sealed: bytes, keys: tuple[PrivateKey, ...]) -> bytes:
    """The plaintext of ``sealed`` under the first of ``keys`` (current, then retired) that
    opens it; ``CannotOpen`` when none does."""
    for key in keys[:-1]:
        try:
            return open_sealed(sealed, key)
        except CannotOpen:
            continue
    return open_sealed(sealed, keys[-1])


def _open(sealed: bytes, keys: tuple[PrivateKey, ...]) -> Opened:
    signed, report, signer_key = open_verified(sealed, keys, verify_signed)
    # canonical (privacy/envelope.py): serializing gives back exactly the signed bytes
    return Opened(signed, report, report_sha256(report.SerializeToString()), signer_key)


def open_verified(sealed: bytes, keys: tuple[PrivateKey, ...],
                  verify: Callable[[bytes], tuple[T, bytes]]) -> tuple[bytes, T, bytes]:
    """Unseal ``sealed`` with ``keys`` and ``verify`` what is inside (``verified``): the signed
    bytes, the message, the signer's key. Bytes that cannot be opened are ``Refused``
    MALFORMED."""
    try:
        signed = unseal(sealed, keys)
    except EnvelopeError as exc:
        raise Refused(Kind.MALFORMED, str(exc)) from exc
    return (signed, *verified(signed, verify))


def verified(signed: bytes, verify: Callable[[bytes], tuple[T, bytes]]) -> tuple[T, bytes]:
    """``verify(signed)`` (the signature before the content: privacy/envelope.py's
    ``verify_signed``, ``verify_share``, ``verify_enrolment``) with its errors as refusals: a
    bad signature UNAUTHENTICATED, bytes not canonical MALFORMED."""
    try:
        return verify(signed)
    except BadSignature as exc:
        raise Refused(Kind.UNAUTHENTICATED, str(exc)) from exc
    except EnvelopeError as exc:
        raise Refused(Kind.MALFORMED, str(exc)) from exc


def _check_members(top: Opened, forwarded: tuple[Opened, ...]) -> None:
    by_digest = {f.report_sha256: f for f in forwarded}
    if len(by_digest) != len(forwarded):
        raise Refused(Kind.MALFORMED, "附件重复 a member report is attached twice")
    named: set[bytes] = set()
    pending = [top]
    while pending:
        rollup = pending.pop()
        members: list[Opened] = []
        for member in rollup.report.members:
            found = by_digest.get(member.report_sha256)
            if found is None or member.report_sha256 in named:
                raise Refused(Kind.MALFORMED, f"缺少成员报送 the report of member {member.sender_id} "
                               f"revision {member.revision} is missing or named twice")
            named.add(member.report_sha256)
            _check_member(rollup.report, member, found.report)
            members.append(found)
            if _names_members(found.report):
                pending.append(found)
        _check_membership(rollup.report, members)
        if rollup.report.kind == Report.ROLLUP and not is_sum_of(rollup.report,
                                                                 [m.report for m in members]):
            raise Refused(Kind.MALFORMED, f"汇总不符 the rollup of {rollup.report.sender_id} is not the "
                           "exact sum of the member reports it names")
    if named != set(by_digest):
        raise Refused(Kind.MALFORMED, "多余附件 a member report is attached that no rollup names")


def _check_membership(rollup: Report, members: list[Opened]) -> None:
    """Refuse a rollup that names a member twice, outside its sender's region or enrolment
    (protos/membership.py): PERMISSION_DENIED before INVALID_ARGUMENT when it does both."""
    problems = membership_problems(rollup, [(m.report, m.signer_key) for m in members])
    if not problems:
        return
    problems.sort(key=lambda p: p.kind != Kind.NOT_PERMITTED)
    shown = problems[:3]
    raise Refused(problems[0].kind,
                  f"汇总成员不符 the rollup of {rollup.sender_id} may not sum what it names: "
                  + "；".join(p.zh for p in shown) + " / " + "; ".join(p.en for p in shown)
                  + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))


def _check_member(rollup: Report, member: Member, report: Report) -> None:
    same = (
        (report.sender_id, report.revision) == (member.sender_id, member.revision)
        and (report.kind == Report.SUMMARY) == (rollup.kind == Report.SUMMARY)
        and report.recipient_id == rollup.sender_id
        and report.period == rollup.period
        and report.catalogue_version == rollup.catalogue_version
    )
    if not same:
        raise Refused(Kind.MALFORMED, f"成员报送不符 the report attached for member {member.sender_id} "
                       "is of another sender, revision, kind, recipient, period or catalogue")
    try:
        check_content(report, verified_report)
    except Refused as exc:
        raise Refused(Kind.MALFORMED, f"member {member.sender_id}: {exc.message}") from exc
