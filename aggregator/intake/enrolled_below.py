"""One school, one place: a member aggregator may not claim what is enrolled elsewhere.

A rollup's signed enrolment (protos/membership.py) proves only what its sender says of
itself. Against the stored state, the parent also refuses a rollup — or a rollup it forwards
from further down — that claims a member enrolled directly here (a university that reports to
the province) or one that another aggregator's latest signed enrolment names: a county that
signs for a school of another county with a key it made up. A school that moves is freed by
its old county's next rollup, whose enrolment no longer names it. Once accepted, the rollups'
enrolments replace what their senders said before (aggregator/store/enrolments.py).

Once this aggregator holds the register of schools (protos/school_register.py), a rollup whose
signed enrolment names a school the register does not place in the region the enrolment gives
it is refused too: a county cannot sum a school of its own making under an unlisted code.

Revocations are kept apart and never forgotten. A member aggregator gives them at once with a
signed notice (Members.NoticeRevocations, ``notice_revocations``) and again in every rollup's
enrolment. Once it said a member's key was revoked from a time, its later enrolments must say
so too (no revocation taken back or moved later), and no report made under that key from then
on is taken here, whoever forwards it; the key gets no answer here either (aggregator/grpc/
access.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aggregator.intake.opening import Opened
from aggregator.store.enrolments import EnrolledBelow, RevokedBelow
from aggregator.store.sqlite import Decision, Store
from common.clock import stamp
from privacy.keys import key_id
from protos.deadlines import from_ms
from protos.members_pb2 import SignedRequest
from protos.membership import revocation_problems, revocations
from protos.refusals import Kind, Refused
from protos.report_pb2 import Enrolled, Report
from protos.school_register import unregistered


def _rollups(item: Opened) -> list[Report]:
    """The submission's rollups: itself, and those forwarded with it, top first."""
    return [r for r in (item.report, *(f.report for f in item.forwarded))
            if r.kind == Report.ROLLUP]


def check_enrolled_below(store: Store, item: Opened) -> None:
    """Raise ``Refused`` (NOT_PERMITTED) if a rollup of ``item`` claims a member enrolled here
    directly or by another aggregator's enrolment, or a school the register of schools held
    here does not place there, takes back a revocation it signed before, or forwards a report
    made under a key revoked below by then; change nothing."""
    for rollup in _rollups(item):
        _check_revocations_kept(store, rollup)
        _check_registered(store, rollup)
    for forwarded in item.forwarded:
        held = store.revoked_below(forwarded.report.sender_id).get(forwarded.signer_key)
        if held is not None and forwarded.report.created_unix_ms >= held.revoked_unix_ms:
            raise Refused(Kind.NOT_PERMITTED,
                          f"密钥已吊销 the report of {forwarded.report.sender_id} revision "
                          f"{forwarded.report.revision} was made under key "
                          f"{key_id(forwarded.signer_key)}, which {held.via} revoked from "
                          f"{stamp(from_ms(held.revoked_unix_ms))} (its {held.said_in})")
    for rollup in _rollups(item):
        ids = [e.member_id for e in rollup.enrolled]
        for member_id in ids:
            if store.member(member_id) is not None:
                raise _claimed(rollup, member_id, "此处直接登记 enrolled here directly")
        for member_id, row in store.enrolled_below(ids).items():
            if row.via != rollup.sender_id:
                raise _claimed(rollup, member_id,
                               f"由 {row.via} 登记 enrolled by {row.via} (its rollup at leaf "
                               f"{row.log_index})")


def notice_revocations(store: Store, sender: str, entries: Sequence[Enrolled],
                       signed: SignedRequest, now: datetime) -> int:
    """Keep the revocations a member aggregator's signed notice gives (Members.
    NoticeRevocations), recorded as its own signed request (a decision); how many keys.

    ``entries`` are the sender's enrolment entries of members with a revoked key. Raises
    ``Refused`` and keeps nothing: MALFORMED for a malformed revocation (protos/membership.py,
    the same rule as for a rollup's enrolment), NOT_PERMITTED for a member enrolled here
    directly or, by the latest rollups, by another aggregator. A member no rollup has named
    here yet is passed over: the rollup that first names it carries its revocations.
    """
    problems = [p for entry in entries for p in revocation_problems(entry)]
    if problems:
        raise Refused(Kind.MALFORMED, "吊销通知格式错误 malformed revocation notice: "
                      + "；".join(p.zh for p in problems[:3]) + " / "
                      + "; ".join(p.en for p in problems[:3]))
    below = store.enrolled_below([e.member_id for e in entries])
    for entry in entries:
        if store.member(entry.member_id) is not None:
            raise _noticed(sender, entry.member_id, "此处直接登记 enrolled here directly")
        row = below.get(entry.member_id)
        if row is not None and row.via != sender:
            raise _noticed(sender, entry.member_id, f"由 {row.via} 登记 enrolled by {row.via}")
    kept = [(entry.member_id, key, ms) for entry in entries if entry.member_id in below
            for key, ms in revocations(entry).items()]
    with store.transaction():
        decision = store.add_decision(Decision(
            "revoke_below", sender, None, stamp(now),
            f"member:{sender}:{key_id(signed.signer_key)}", signed.request, signed.signature))
        for member_id, key, revoked_ms in kept:
            store.add_revoked_below(RevokedBelow(member_id, key, revoked_ms, sender,
                                                 f"notice, decision {decision}"))
    return len(kept)


def _noticed(sender: str, member_id: str, where: str) -> Refused:
    return Refused(Kind.NOT_PERMITTED,
                   f"无权吊销 {sender} gives a revocation for member {member_id}, which is {where}: "
                   "only the aggregator that enrolled a member revokes its keys")


def _check_registered(store: Store, rollup: Report) -> None:
    if not store.has_register():
        return
    for entry in rollup.enrolled:
        problem = unregistered(entry.member_id, entry.region,
                               store.registered_region(entry.member_id))
        if problem is not None:
            raise Refused(Kind.NOT_PERMITTED,
                          f"未列入学校名录 the rollup of {rollup.sender_id} enrols a school the "
                          f"register contradicts: {problem[0]} / {problem[1]}")


def _check_revocations_kept(store: Store, rollup: Report) -> None:
    """A revocation the rollup's sender signed before is in its enrolment still, no later."""
    for entry in rollup.enrolled:
        said = revocations(entry)
        for key, held in store.revoked_below(entry.member_id).items():
            if held.via == rollup.sender_id and said.get(key, held.revoked_unix_ms + 1) > \
                    held.revoked_unix_ms:
                raise Refused(Kind.NOT_PERMITTED,
                              f"吊销不可撤回 the rollup of {rollup.sender_id} lists member "
                              f"{entry.member_id} without the revocation of key {key_id(key)} "
                              f"from {stamp(from_ms(held.revoked_unix_ms))} that its "
                              f"{held.said_in} signed; a revocation is never taken back")


def record_enrolled_below(store: Store, item: Opened, log_index: int) -> None:
    """Keep each rollup's enrolment as its sender's latest word, and every revocation it
    lists, inside the caller's transaction; ``log_index`` is the leaf of the submission that
    carried it."""
    for rollup in _rollups(item):
        store.replace_enrolled_below(rollup.sender_id, [
            EnrolledBelow(e.member_id, rollup.sender_id, e.region, log_index)
            for e in rollup.enrolled])
        for entry in rollup.enrolled:
            for key, revoked_ms in revocations(entry).items():
                store.add_revoked_below(RevokedBelow(entry.member_id, key, revoked_ms,
                                                     rollup.sender_id,
                                                     f"rollup at leaf {log_index}"))


def _claimed(rollup: Report, member_id: str, where: str) -> Refused:
    return Refused(Kind.NOT_PERMITTED,
                   f"登记冲突 the rollup of {rollup.sender_id} claims member {member_id}, which is "
                   f"{where}: a member is enrolled in one place only")
