"""One school, one place: a member aggregator may not claim what is enrolled elsewhere.

A rollup's signed enrolment (protos/membership.py) proves only what its sender says of
itself. Against the stored state, the parent also refuses a rollup — or a rollup it forwards
from further down — that claims a member enrolled directly here (a university that reports to
the province) or one that another aggregator's latest signed enrolment names: a county that
signs for a school of another county with a key it made up. A school that moves is freed by
its old county's next rollup, whose enrolment no longer names it. Once accepted, the rollups'
enrolments replace what their senders said before (aggregator/store/enrolments.py).
"""

from __future__ import annotations

from aggregator.intake.opening import Opened
from aggregator.store.enrolments import EnrolledBelow
from aggregator.store.sqlite import Store
from protos.refusals import Kind, Refused
from protos.report_pb2 import Report


def _rollups(item: Opened) -> list[Report]:
    """The submission's rollups: itself, and those forwarded with it, top first."""
    return [r for r in (item.report, *(f.report for f in item.forwarded))
            if r.kind == Report.ROLLUP]


def check_enrolled_below(store: Store, item: Opened) -> None:
    """Raise ``Refused`` (NOT_PERMITTED) if a rollup of ``item`` claims a member enrolled here
    directly or by another aggregator's enrolment; change nothing."""
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


def record_enrolled_below(store: Store, item: Opened, log_index: int) -> None:
    """Keep each rollup's enrolment as its sender's latest word, inside the caller's
    transaction; ``log_index`` is the leaf of the submission that carried it."""
    for rollup in _rollups(item):
        store.replace_enrolled_below(rollup.sender_id, [
            EnrolledBelow(e.member_id, rollup.sender_id, e.region, log_index)
            for e in rollup.enrolled])


def _claimed(rollup: Report, member_id: str, where: str) -> Refused:
    return Refused(Kind.NOT_PERMITTED,
                   f"登记冲突 the rollup of {rollup.sender_id} claims member {member_id}, which is "
                   f"{where}: a member is enrolled in one place only")
