"""Review sign-off (审核签字) of a rollup before it is sent up.

A statistics table is sent only after the person who filled it (填表人), a reviewer (审核人)
and the unit head (单位负责人) have each approved it with their own staff credential
(aggregator/keys/staff.py), or the role was waived with a recorded reason. Each approval signs
the rollup's draft (protos/signoff.py), is kept in the store and recorded as a decision; when
the three are there, the rollup of that revision is signed again with its approvals inside and
replaces the draft, so the parent, the exports' sign-off block and ``guanai inspect verify``
all see the same signatures. A member's new report makes a new draft revision, which needs
new approvals: nobody signs a table they have not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.keys import staff
from aggregator.keys.own_identity import Settings
from aggregator.rollup.build import make_rollup
from aggregator.store import approvals
from aggregator.store.sqlite import Decision, Rollup, Store
from common.clock import stamp
from common.errors import GuanaiError
from privacy.envelope import parse_signed, sign_report
from privacy.signoff import sign_approval
from protos.deadlines import CHINA
from protos.periods import Period
from protos.report_pb2 import Approval, Report
from protos.signoff import MAX_REASON_CHARS, ROLES, missing_roles, role_code, role_label


class SignOffError(GuanaiError):
    """An approval or waiver that cannot be recorded, or a rollup not yet signed off."""


@dataclass(frozen=True)
class SignOff:
    """One line of a table's sign-off block: ``role`` code, its Chinese and English labels,
    the official's ``name`` (empty for a waiver), the Beijing ``date`` and any waiver reason."""

    role: str
    role_zh: str
    role_en: str
    name: str
    date: str  # YYYY-MM-DD, Beijing time
    waiver_reason: str = ""

    @property
    def waived(self) -> bool:
        return bool(self.waiver_reason)


def approve(store: Store, settings: Settings, credential: staff.Credential, period: Period,
            role: str, at: datetime) -> tuple[Rollup, Approval]:
    """Approve the period's current rollup (made now if the members' reports changed) in
    ``role`` (填表人/审核人/单位负责人 or filler/reviewer/head) with a registered staff
    credential. Raises ``SignOffError`` for the aggregator's own key, a role already signed
    off, or one person taking two roles; ``RollupError`` when there is nothing to sum."""
    code = _role(role)
    if not credential.label.startswith("staff:"):
        raise SignOffError("须用工作人员凭据 approve with your own staff credential, not the "
                           "aggregator's key")
    kid = credential.label.removeprefix("staff:")
    name = next(s.name for s in store.staff() if s.key_id == kid)
    rollup, draft = _draft(store, settings, period)
    held = approvals.of_rollup(store, period.code, rollup.revision)
    if any(a.key_id == kid and a.role != code for a in held):
        raise SignOffError(f"一人不能兼任 {name} already signed this rollup in another role; "
                           "each of 填表人, 审核人, 单位负责人 signs with their own credential")
    approval = sign_approval(draft, code, credential.key, _ms(at), name=name)
    _keep(store, period, rollup, approval, credential.label, at, "approve")
    return rollup, approval


def waive(store: Store, settings: Settings, period: Period, role: str, reason: str,
          at: datetime) -> tuple[Rollup, Approval]:
    """Record that ``role`` does not sign the current rollup, and why; signed with the
    aggregator's own key. Raises ``SignOffError`` for an empty or overlong reason."""
    code = _role(role)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise SignOffError(f"免签须说明理由 a waiver needs a reason of 1–{MAX_REASON_CHARS} "
                           "characters (it travels with the table: never a student's name)")
    rollup, draft = _draft(store, settings, period)
    approval = sign_approval(draft, code, settings.signing_key, _ms(at), waiver_reason=reason)
    own = staff.aggregator_credential(settings.signing_key)
    _keep(store, period, rollup, approval, own.label, at, "waive")
    return rollup, approval


def sign_off(store: Store, settings: Settings, period: Period) -> Rollup:
    """The period's rollup with its approvals signed in, ready to send.

    Raises ``SignOffError`` naming the roles still to approve, and how, when the current
    rollup lacks any; ``RollupError`` when there is nothing to sum.
    """
    rollup, draft = _draft_or_signed(store, settings, period)
    if draft.approvals:
        return rollup
    held = {a.role: a for a in approvals.of_rollup(store, period.code, rollup.revision)}
    lacking = [code for code in ROLES if code not in held]
    if lacking:
        raise SignOffError(
            f"未审核签字 rollup {period} revision {rollup.revision} lacks the sign-off of "
            + ", ".join(role_label(c) for c in lacking)
            + ": each approves with `guanai aggregator approve --period "
            f"{period.code} --role ROLE --credential FILE`, or the sender records a waiver with "
            "`--waive ROLE --reason TEXT`")
    draft.approvals.extend(held[code] for code in ROLES)
    signed = sign_report(draft.SerializeToString(), settings.signing_key)
    with store.transaction():
        approvals.replace_draft(store, period.code, rollup.revision, signed)
    return Rollup(rollup.period, rollup.revision, signed, rollup.created_at, rollup.receipt)


def approvals_of(store: Store, period: Period) -> list[SignOff]:
    """The sign-off block of the period's latest rollup, in table order (填表人, 审核人,
    单位负责人): those signed into it, or, before sign-off, those recorded so far. Empty when
    there is no rollup. This is what the printable exports fill their sign-off block from."""
    rollup = store.latest_rollup(period.code)
    if rollup is None:
        return []
    report = parse_signed(rollup.signed)[1]
    held = list(report.approvals) or approvals.of_rollup(store, period.code, rollup.revision)
    return sign_offs(held)


def sign_offs(held: list[Approval]) -> list[SignOff]:
    """``held`` approvals as sign-off lines, in table order."""
    by_role = {a.role: a for a in held}
    return [SignOff(code, *ROLES[code], by_role[code].name, _date(by_role[code]),
                    by_role[code].waiver_reason)
            for code in ROLES if code in by_role]


def unsigned_roles(rollup: Rollup) -> list[str]:
    """The roles a rollup still lacks (empty for a signed-off rollup or an annual summary)."""
    report = parse_signed(rollup.signed)[1]
    return missing_roles(report) if report.kind == Report.ROLLUP else []


def _role(text: str) -> str:
    try:
        return role_code(text)
    except ValueError as exc:
        raise SignOffError(str(exc)) from None


def _draft_or_signed(store: Store, settings: Settings, period: Period) -> tuple[Rollup, Report]:
    rollup, _ = make_rollup(store, settings, period)
    return rollup, parse_signed(rollup.signed)[1]


def _draft(store: Store, settings: Settings, period: Period) -> tuple[Rollup, Report]:
    rollup, report = _draft_or_signed(store, settings, period)
    if report.approvals:
        raise SignOffError(f"已签字 rollup {period} revision {rollup.revision} is already signed "
                           "off; a member's new report makes a new revision to approve")
    return rollup, report


def _keep(store: Store, period: Period, rollup: Rollup, approval: Approval, label: str,
          at: datetime, kind: str) -> None:
    approvals.ensure(store)
    with store.transaction():
        approvals.put(store, period.code, rollup.revision, approval)
        store.add_decision(Decision(kind, None, period.code,
                                    stamp(at), label,
                                    approval.SerializeToString(), approval.signature))


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _date(approval: Approval) -> str:
    return datetime.fromtimestamp(approval.approved_unix_ms / 1000, CHINA).date().isoformat()
