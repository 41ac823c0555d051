"""Checking a rollup's sign-off (审核签字): who approved it, and with which key.

A rollup that was sent up must carry the approvals of 填表人, 审核人 and 单位负责人 (or a
recorded waiver of a role), each signed over the rollup's draft (protos/signoff.py). An
approval must be signed by an official the rollup's aggregator registered, as listed in that
aggregator's bundle (staff.json), under the name registered; a waiver by the aggregator's own
key, the key that signed the rollup.
"""

from __future__ import annotations

from inspector.bundle import Official
from inspector.verdict import Verdict
from privacy.keys import key_id
from privacy.signoff import verify_approvals
from protos.report_pb2 import Report
from protos.signoff import missing_roles, role_label


def check_signoff(verdict: Verdict, subject: str, report: Report, signer: bytes,
                  staff: list[Official] | None) -> None:
    """Record in ``verdict`` whether ``report``'s approvals hold.

    ``signer`` is the rollup's signing key; ``staff`` the officials of the rollup's aggregator
    from its bundle, or None when that bundle was not given (then the approvals' signatures are
    checked, and who holds the keys is left as a note). Called for rollups that were sent up
    or carry approvals: a role without approval or waiver is a failure.
    """
    if not report.approvals:
        verdict.fail("signoff", subject, "上报的汇总未经审核签字（填表人、审核人、单位负责人）",
                     "the rollup was sent up without the sign-off of filler, reviewer and "
                     "unit head")
        return
    problems = list(verify_approvals(report))
    lacking = missing_roles(report)
    if lacking:
        problems.append("no approval or waiver from " + ", ".join(map(role_label, lacking)))
    unknown = []
    for a in report.approvals:
        if a.waiver_reason:
            if a.public_key != signer:
                problems.append(f"{a.role}: the waiver is not signed by the rollup's aggregator")
        elif staff is not None and not any(o.key == a.public_key and o.name == a.name
                                           for o in staff):
            problems.append(f"{a.role}: {a.name} (key {key_id(a.public_key)}) is not an official "
                            "the aggregator registered")
        elif staff is None:
            unknown.append(a.name)
    if problems:
        verdict.fail("signoff", subject, "审核签字不成立：" + "；".join(problems),
                     "the sign-off does not hold: " + "; ".join(problems))
        return
    verdict.pass_("signoff")
    if unknown:
        verdict.note("signoff", subject,
                     f"{'、'.join(unknown)} 的签字有效，但其登记在 {report.sender_id} 的核验包中，未提供",
                     f"the approvals of {', '.join(unknown)} are validly signed, but they are "
                     f"registered at {report.sender_id}, whose bundle was not given: add it to "
                     "check who holds the keys")
