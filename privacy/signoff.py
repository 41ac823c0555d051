"""Signing and checking a rollup's approvals (审核签字), the format of protos/signoff.py.

The aggregator signs an approval with an official's staff credential, or a waiver with its own
key; the inspector checks each against the key it names and the keys it was told to trust.
Ed25519 under the context ``guanai.v1.approval\\0`` (privacy/envelope.py).
"""

from __future__ import annotations

from nacl.signing import SigningKey

from common.errors import GuanaiError
from privacy.envelope import sign_with_context, verify_with_context
from privacy.keys import key_id
from protos.report_pb2 import Approval, Report
from protos.signoff import APPROVAL_CONTEXT, approval_message, draft_sha256


def sign_approval(draft: Report, role: str, key: SigningKey, at_unix_ms: int, name: str = "",
                  waiver_reason: str = "") -> Approval:
    """The approval of ``draft`` (a Report with no approvals) in ``role`` by ``key``.

    ``name`` is the official's registered name; a waiver gives ``waiver_reason`` instead and is
    signed with the aggregator's own key.
    """
    public = bytes(key.verify_key)
    approval = Approval(role=role, name=name, key_id=key_id(public), public_key=public,
                        approved_unix_ms=at_unix_ms, waiver_reason=waiver_reason)
    approval.signature = sign_with_context(
        APPROVAL_CONTEXT, approval_message(draft_sha256(draft), approval), key)
    return approval


def verify_approvals(report: Report) -> list[str]:
    """The problems of ``report``'s approvals: a key id that is not its key's, or a signature
    that does not verify over the report's draft. Empty when every approval holds. Whether
    each key belongs to a registered official (or, for a waiver, to the rollup's signer) is
    for the caller to check against the keys it trusts."""
    digest = draft_sha256(report)
    problems = []
    for a in report.approvals:
        if a.key_id != key_id(a.public_key):
            problems.append(f"{a.role}: key id {a.key_id} is not its key's")
            continue
        try:
            verify_with_context(APPROVAL_CONTEXT, approval_message(digest, a), a.signature,
                                a.public_key)
        except GuanaiError:
            problems.append(f"{a.role}: the signature of {a.name or 'the waiver'} does not "
                            "verify over this rollup")
    return problems
