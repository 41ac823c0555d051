"""A member's requests to its aggregator beside Submit: its standing, its key's rotation, and
(a member aggregator's) notice of the keys it revoked.

Used by school nodes and by aggregators towards their parent. Each request is signed with the
member's current key and each answer verified against the aggregator key the member knows,
following the aggregator's own key rotations (privacy/memberauth.py); the caller keeps the
new keys with ``updated_identity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import grpc
from nacl.signing import SigningKey

from common.errors import GuanaiError
from member.client import RETRYABLE, ClientTls, calling
from member.parent import ParentBook
from privacy.envelope import EnvelopeError
from privacy.identity import Identity
from privacy.keys import PublicKeys
from privacy.memberauth import VerifiedStatus, sign_request, verify_status
from protos.deadlines import to_ms
from protos.members_pb2 import MemberRequest, SignedRequest
from protos.members_pb2_grpc import MembersStub
from protos.report_pb2 import Enrolled


class MemberRequestFailed(GuanaiError):
    """The aggregator did not answer, refused, or answered with something that does not verify."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE


def _ask(target: Identity, method: str, signed: SignedRequest, timeout: float,
         client_tls: ClientTls | None) -> VerifiedStatus:
    try:
        with calling(target, client_tls, timeout) as channel:  # TlsMisconfigured: not retried
            answer = getattr(MembersStub(channel), method)(signed, timeout=timeout)
    except grpc.RpcError as exc:
        raise MemberRequestFailed(
            f"汇总节点未应答或拒绝 {target.id} at {target.address} ({exc.code().name}): "
            f"{exc.details() or ''}", exc.code()) from exc
    try:
        return verify_status(answer, target.keys.signing, signed)
    except EnvelopeError as exc:
        raise MemberRequestFailed(
            f"应答无效 the answer of {target.id} does not verify: {exc}; if the aggregator's keys "
            "were replaced without a rotation, import its new export (`… parent FILE`)") from exc


def _request(target: Identity, member_id: str, now: datetime) -> MemberRequest:
    return MemberRequest(member_id=member_id, aggregator_id=target.id, unix_ms=to_ms(now))


def get_status(target: Identity, member_id: str, key: SigningKey, now: datetime, *,
               timeout: float = 30.0, client_tls: ClientTls | None = None) -> VerifiedStatus:
    """The member's standing at ``target``, verified."""
    signed = sign_request(_request(target, member_id, now), key)
    return _ask(target, "GetStatus", signed, timeout, client_tls)


def rotate_key(target: Identity, member_id: str, key: SigningKey, new_key: SigningKey,
               now: datetime, *, timeout: float = 30.0,
               client_tls: ClientTls | None = None) -> VerifiedStatus:
    """Have ``target`` enrol ``new_key`` beside ``key``; idempotent."""
    signed = sign_request(_request(target, member_id, now), key, new_key)
    return _ask(target, "RotateKey", signed, timeout, client_tls)


def notice_revocations(target: Identity, member_id: str, key: SigningKey,
                       revocations: Sequence[Enrolled], now: datetime, *, timeout: float = 30.0,
                       client_tls: ClientTls | None = None) -> VerifiedStatus:
    """Tell ``target`` (the parent) of the keys this member aggregator revoked: its enrolment
    entries of members with a revoked key (protos/report.proto ``Enrolled.revoked``)."""
    request = _request(target, member_id, now)
    request.revocations.extend(revocations)
    return _ask(target, "NoticeRevocations", sign_request(request, key), timeout, client_tls)


def updated_identity(target: Identity, verified: VerifiedStatus) -> Identity | None:
    """The target's export with the keys it rotated to, or None if they did not change."""
    if not verified.followed:
        return None
    return replace(target, keys=PublicKeys(signing=verified.signing_key,
                                           sealing=verified.sealing_key))


def follow_parent(book: ParentBook, member_id: str, key: SigningKey, now: datetime, *,
                  timeout: float = 30.0, client_tls: ClientTls | None = None) -> VerifiedStatus:
    """Ask the parent for this member's standing and follow any key rotation it announces.

    The rotated export is kept with ``book.follow``, which keeps the replaced signing key, so
    that receipts signed before the rotation still verify (member/parent.py). Raises
    ``MemberRequestFailed`` when the parent does not answer or its answer does not verify.
    """
    parent = book.parent()
    verified = get_status(parent, member_id, key, now, timeout=timeout, client_tls=client_tls)
    learnt = updated_identity(parent, verified)
    if learnt is not None:
        book.follow(learnt, now)
    return verified
