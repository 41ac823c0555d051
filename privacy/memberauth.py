"""Signed requests between members and their aggregator, its signed answers, key rotations.

A member (school or aggregator) asks its aggregator for its standing, or enrols its next key,
with a ``SignedRequest``: a ``MemberRequest`` naming both ends and a time, signed by the
member's enrolled key (protos/members.proto). The aggregator answers with a ``SignedStatus``
bound to that request. When an aggregator moves to new keys it endorses them with the signing
key they replace; a member that knows any earlier key follows the endorsements to the current
one, so that it learns the new keys from the answer itself. Each kind of signed object has its
own context string (privacy/envelope.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from nacl.signing import SigningKey

from privacy.envelope import (
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    BadSignature,
    Malformed,
    sign_with_context,
    verify_with_context,
)
from protos.members_pb2 import KeyRotation, MemberRequest, MemberStatus, SignedRequest, SignedStatus
from protos.refusals import Refused
from protos.validation import M, parse_canonical

REQUEST_CONTEXT = b"guanai.v1.member-request\x00"
STATUS_CONTEXT = b"guanai.v1.member-status\x00"
ROTATION_CONTEXT = b"guanai.v1.key-rotation\x00"
DECISION_CONTEXT = b"guanai.v1.decision\x00"


def sign_request(request: MemberRequest, key: SigningKey,
                 new_key: SigningKey | None = None) -> SignedRequest:
    """Sign a request; with ``new_key`` (a rotation) the new key signs it too."""
    if not request.nonce:
        request.nonce = os.urandom(16)
    if new_key is not None:
        request.new_signing_key = bytes(new_key.verify_key)
    data = request.SerializeToString()
    return SignedRequest(
        request=data, signature=sign_with_context(REQUEST_CONTEXT, data, key),
        signer_key=bytes(key.verify_key),
        new_key_signature=sign_with_context(REQUEST_CONTEXT, data, new_key) if new_key else b"",
    )


def open_request(signed: SignedRequest) -> MemberRequest:
    """The request, once its signature (and a new key's) verifies; who signed is for the caller.

    The SignedRequest (as received: re-serialized, its unknown fields kept) and the
    MemberRequest inside must be canonically encoded (protos/validation.py
    ``parse_canonical``): a rotation is kept as the request that made it, and nothing unsigned
    rides along. The signature is checked before the request is read. Raises ``Malformed``
    or ``BadSignature``.
    """
    _canonical(SignedRequest, signed.SerializeToString(deterministic=True))
    if len(signed.signature) != SIGNATURE_SIZE or len(signed.signer_key) != PUBLIC_KEY_SIZE:
        raise Malformed("请求格式错误 malformed request: bad signature or key length")
    verify_with_context(REQUEST_CONTEXT, signed.request, signed.signature, signed.signer_key)
    request = _canonical(MemberRequest, signed.request)
    if request.new_signing_key:
        if len(request.new_signing_key) != PUBLIC_KEY_SIZE:
            raise Malformed("请求格式错误 malformed request: the new key is not 32 bytes")
        verify_with_context(REQUEST_CONTEXT, signed.request, signed.new_key_signature,
                            request.new_signing_key)
    return request


def _canonical(kind: type[M], data: bytes) -> M:
    try:
        return parse_canonical(kind, data, "request")
    except Refused as exc:
        raise Malformed(f"请求格式错误 malformed request: {exc.message}") from None


def request_sha256(signed: SignedRequest) -> bytes:
    """SHA-256 (32 bytes) of a request's exact bytes, which its signed answer names."""
    return hashlib.sha256(signed.request).digest()


def sign_status(status: MemberStatus, key: SigningKey) -> SignedStatus:
    """An aggregator's answer, signed with Ed25519 under the status context string."""
    data = status.SerializeToString()
    return SignedStatus(status=data, signature=sign_with_context(STATUS_CONTEXT, data, key))


def _rotation_bytes(rotation: KeyRotation) -> bytes:
    return (rotation.old_signing_key + rotation.signing_key + rotation.sealing_key
            + rotation.rotated_unix_ms.to_bytes(8, "big"))


def endorse_rotation(old_key: SigningKey, signing_key: bytes, sealing_key: bytes,
                     rotated_unix_ms: int) -> KeyRotation:
    """A key rotation to ``signing_key`` and ``sealing_key`` (32 bytes each) at
    ``rotated_unix_ms``, endorsed by the ``old_key`` it replaces (rotation context string)."""
    rotation = KeyRotation(old_signing_key=bytes(old_key.verify_key), signing_key=signing_key,
                           sealing_key=sealing_key, rotated_unix_ms=rotated_unix_ms)
    rotation.endorsement = sign_with_context(ROTATION_CONTEXT, _rotation_bytes(rotation), old_key)
    return rotation


@dataclass(frozen=True)
class VerifiedStatus:
    """An aggregator's answer whose signature verified, with the keys it rotated to."""

    status: MemberStatus
    signing_key: bytes  # the aggregator's current signing key
    sealing_key: bytes | None  # its current sealing key, if it rotated since ``known``
    followed: tuple[KeyRotation, ...]  # the rotations after the key that was known


def verify_status(signed: SignedStatus, known_key: bytes, request: SignedRequest) -> VerifiedStatus:
    """Check an answer against the aggregator key the member knows, following its rotations."""
    try:
        status = MemberStatus.FromString(signed.status)
    except DecodeError as exc:
        raise Malformed("应答格式错误 malformed answer: not a guanai.v1.MemberStatus") from exc
    key, sealing, followed = bytes(known_key), None, []
    for rotation in status.rotations:
        if rotation.old_signing_key != key:
            continue
        verify_with_context(ROTATION_CONTEXT, _rotation_bytes(rotation), rotation.endorsement, key)
        key, sealing = rotation.signing_key, rotation.sealing_key
        followed.append(rotation)
    verify_with_context(STATUS_CONTEXT, signed.status, signed.signature, key)
    if status.request_sha256 != request_sha256(request):
        raise BadSignature("应答不符 the answer is not for the request sent; it may be replayed")
    return VerifiedStatus(status, key, sealing, tuple(followed))
