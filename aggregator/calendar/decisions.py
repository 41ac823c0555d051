"""Decisions (决定) at an aggregator, each recorded with its time and the credential that made it.

Setting a period's deadline and lock, granting an exception after the lock (unlock),
returning a member's submission for correction (退回), revoking a member's key, registering
an official, and a member's own key rotation. Each is one transaction: the change and its
record. The record is canonical JSON (sorted keys, UTF-8) of what was decided, signed with the
credential's key under the context ``guanai.v1.decision\\0`` (docs/calendar.md §6); a member's
rotation is recorded as the member's own signed request.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from nacl.signing import SigningKey

from aggregator.calendar.timeliness import open_return
from aggregator.figures import cube
from aggregator.intake import enrolment
from aggregator.keys import staff
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Decision, MemberKey, Return, Staff, Store
from common.clock import stamp
from common.errors import GuanaiError
from privacy.envelope import sign_with_context
from privacy.keys import key_id
from privacy.memberauth import DECISION_CONTEXT
from protos.deadlines import Deadlines, local_text
from protos.members_pb2 import SignedRequest
from protos.periods import Period

DEFAULT_EXCEPTION_DAYS = 14
MAX_REASON_CHARS = 500


class DecisionError(GuanaiError):
    """A decision that cannot be made as asked; nothing was changed."""


# A recorded decision's kind as a person reads it (the bureau's decisions log): Chinese first.
KINDS: dict[str, tuple[str, str]] = {
    "deadline": ("截止日", "deadline"),
    "unlock": ("准予补报", "unlock"),
    "return": ("退回修改", "return"),
    "revoke": ("吊销密钥", "revoke"),
    "staff": ("登记工作人员", "staff"),
    "approve": ("审核签字", "approve"),
    "waive": ("免签", "waive"),
}


def _record(store: Store, settings: Settings, credential: staff.Credential, kind: str,
            at: datetime, member_id: str | None = None, period: str | None = None,
            **detail: object) -> int:
    body = {"kind": kind, "aggregator": settings.region, "member": member_id, "period": period,
            "at": stamp(at), "credential": credential.label, **detail}
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return store.add_decision(Decision(
        kind, member_id, period, stamp(at), credential.label, data,
        sign_with_context(DECISION_CONTEXT, data, credential.key)))


def _member(store: Store, member_id: str) -> None:
    if store.member(member_id) is None:
        raise DecisionError(f"未登记 {member_id} is not a member of this aggregator")


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise DecisionError(f"理由不合要求 give a reason of 1–{MAX_REASON_CHARS} characters "
                            "(it is sent to the member: never a student's name or number)")
    return reason


def set_deadlines(store: Store, settings: Settings, credential: staff.Credential, period: Period,
                  limits: Deadlines, at: datetime) -> int:
    if limits.lock < limits.due:
        raise DecisionError("锁定早于截止 the lock date must not come before the deadline")
    with store.transaction():
        store.set_deadlines(period.code, stamp(limits.due), stamp(limits.lock))
        return _record(store, settings, credential, "deadline", at, period=period.code,
                       due=stamp(limits.due), lock=stamp(limits.lock))


def unlock(store: Store, settings: Settings, credential: staff.Credential, member_id: str,
           period: Period, at: datetime, until: datetime | None = None, reason: str = "") -> int:
    """Let the member submit for the period after its lock, up to ``until`` (default 14 days)."""
    _member(store, member_id)
    until = until or at + timedelta(days=DEFAULT_EXCEPTION_DAYS)
    if until <= at:
        raise DecisionError(f"期限已过 the exception would end at {local_text(until)}, before now")
    with store.transaction():
        decision = _record(store, settings, credential, "unlock", at, member_id, period.code,
                           until=stamp(until), reason=reason.strip())
        store.set_exception(member_id, period.code, stamp(until), decision)
    return decision


def return_submission(store: Store, settings: Settings, credential: staff.Credential,
                      member_id: str, period: Period, reason: str, at: datetime) -> Return:
    """Return the member's latest submission for correction; it stops counting until revised."""
    _member(store, member_id)
    reason = _reason(reason)
    revisions = store.revisions(member_id, period.code)
    if not revisions:
        raise DecisionError(f"无可退回 {member_id} has submitted nothing for {period}")
    if open_return(store, member_id, period.code) is not None:
        raise DecisionError(f"已退回 revision {revisions[-1].revision} of {member_id} for {period} "
                            "is already returned; a new revision closes the return")
    with store.transaction():
        revision = revisions[-1].revision
        decision = _record(store, settings, credential, "return", at, member_id, period.code,
                           revision=revision, reason=reason)
        returned = Return(member_id, period.code, revision, reason, stamp(at), decision)
        store.add_return(returned)
        cube.record_return(store, member_id, period.code)
    return returned


def revoke(store: Store, settings: Settings, credential: staff.Credential, member_id: str,
           key: str | None, at: datetime, effective: datetime | None = None) -> int:
    """Revoke one key (or all) of a member from ``effective`` (default now); how many."""
    effective = effective or at
    with store.transaction():
        count = enrolment.revoke_keys(store, member_id, key, effective)
        _record(store, settings, credential, "revoke", at, member_id, key_id=key,
                effective=stamp(effective), keys=count)
    return count


def register_staff(store: Store, settings: Settings, name: str, key_out: Path,
                   at: datetime) -> str:
    """Register an official (a decision of the aggregator itself); the credential's key id."""
    with store.transaction():
        official, _ = staff.add(store, name, key_out, at)
        _record_staff(store, settings, official, at)
    return official.key_id


def register_staff_key(store: Store, settings: Settings, name: str, key: SigningKey,
                       at: datetime) -> str:
    """Register ``key`` as an official's credential, as ``register_staff`` does with a key file;
    call it inside the caller's transaction (a web account and its credential are made
    together, aggregator/keys/accounts.py). The credential's key id."""
    official = staff.register(store, name, key, at)
    _record_staff(store, settings, official, at)
    return official.key_id


def _record_staff(store: Store, settings: Settings, official: Staff, at: datetime) -> None:
    _record(store, settings, staff.aggregator_credential(settings.signing_key), "staff", at,
            key_id=official.key_id, name=official.name)


def rotate_member_key(store: Store, member_id: str, signed: SignedRequest, new_key: bytes,
                      at: datetime) -> bool:
    """Enrol a member's next key, vouched for by its current one; False if already enrolled."""
    kid = key_id(new_key)
    if any(k.key_id == kid for k in store.keys(member_id)):
        return False
    with store.transaction():
        store.add_key(MemberKey(member_id, kid, new_key, stamp(at), None))
        store.add_decision(Decision("rotate", member_id, None, stamp(at),
                                    f"member:{member_id}:{key_id(signed.signer_key)}",
                                    signed.request, signed.signature))
    return True
