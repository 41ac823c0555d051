"""Sign-off (审核签字) of a rollup: the roles that must approve it, and the bytes they sign.

Under 《教育统计管理规定》 a statistics table carries the signatures of the person who filled it
(填表人), the reviewer (审核人) and the unit head (单位负责人). A rollup is signed off when each
role has approved the same draft — the rollup's Report serialized with no approvals — or was
waived with a recorded reason. The approvals then travel inside the signed rollup
(report.proto ``Approval``), so the parent and an inspector can check them. Defined here once
for the aggregator that collects them (aggregator/rollup/signoff.py) and the inspector that
checks them; signing and verifying are privacy/signoff.py's.
"""

from __future__ import annotations

import hashlib

from protos.refusals import Kind, Refused
from protos.report_pb2 import Approval, Report

APPROVAL_CONTEXT = b"guanai.v1.approval\x00"

#: role code → (Chinese, English), in the order a statistics table prints them
ROLES: dict[str, tuple[str, str]] = {
    "filler": ("填表人", "filled by"),
    "reviewer": ("审核人", "reviewed by"),
    "head": ("单位负责人", "unit head"),
}
MAX_NAME_CHARS = 100
MAX_REASON_CHARS = 500


class RoleError(ValueError):
    """A role that is none of filler, reviewer, head (or their Chinese names)."""


def role_code(text: str) -> str:
    """The role code of ``text`` as people write it: 填表人, 审核人, 单位负责人 or the code.

    Raises ``RoleError`` naming the accepted words.
    """
    text = text.strip()
    for code, (zh, en) in ROLES.items():
        if text in (code, zh, en):
            return code
    raise RoleError(f"角色不明 {text!r} is not a role: give 填表人 (filler), 审核人 (reviewer) or "
                    "单位负责人 (head)")


def role_label(code: str) -> str:
    """``审核人 reviewer`` for ``reviewer``."""
    zh, _ = ROLES[code]
    return f"{zh} {code}"


def draft_bytes(report: Report) -> bytes:
    """The bytes every approval signs: ``report`` serialized with its approvals removed."""
    draft = Report()
    draft.CopyFrom(report)
    draft.ClearField("approvals")
    return draft.SerializeToString()


def approval_message(draft_sha256: bytes, approval: Approval) -> bytes:
    """What an approval's signature covers (after the context): the draft's SHA-256 (32 bytes)
    and the approval serialized with an empty signature."""
    unsigned = Approval()
    unsigned.CopyFrom(approval)
    unsigned.signature = b""
    return draft_sha256 + unsigned.SerializeToString()


def draft_sha256(report: Report) -> bytes:
    return hashlib.sha256(draft_bytes(report)).digest()


def check_shape(report: Report) -> None:
    """Raise ``Refused`` (MALFORMED) unless the approvals are well formed: only on a rollup, one
    per known role, a name for an approval and a bounded reason for a waiver, 32-byte keys and
    64-byte signatures. Whether they verify is privacy/signoff.py's ``verify_approvals``."""
    if report.approvals and report.kind != Report.ROLLUP:
        raise _bad("only a rollup carries approvals")
    seen: set[str] = set()
    for a in report.approvals:
        if a.role not in ROLES or a.role in seen:
            raise _bad(f"role {a.role!r} is unknown or approves twice")
        seen.add(a.role)
        if len(a.public_key) != 32 or len(a.signature) != 64 or a.approved_unix_ms <= 0:
            raise _bad(f"the {a.role} approval lacks a key, a signature or a time")
        waived = bool(a.waiver_reason)
        if waived == bool(a.name) or len(a.name) > MAX_NAME_CHARS \
                or len(a.waiver_reason) > MAX_REASON_CHARS:
            raise _bad(f"the {a.role} approval must name the official, or be a waiver with a "
                       f"reason of at most {MAX_REASON_CHARS} characters")


def needs_signoff(report: Report) -> bool:
    """Whether ``report`` goes up only signed off: a statistics table's rollup does; an annual
    work summary (its text is its author's) and a school's own table do not."""
    return report.kind == Report.ROLLUP


def missing_roles(report: Report) -> list[str]:
    """The roles (codes, in table order) that neither approved nor were waived."""
    done = {a.role for a in report.approvals}
    return [code for code in ROLES if code not in done]


def _bad(what: str) -> Refused:
    return Refused(Kind.MALFORMED, f"审核签字不合要求 bad sign-off: {what}")
