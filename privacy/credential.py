"""Credentials for queries: short-lived tokens signed with Ed25519 (docs/query.md §2).

A credential says who may ask (a post, never a student), in which role (staff of a region, or
a school asking about itself), about which region, until when. Its issuer signs
``CREDENTIAL_CONTEXT || credential`` — a context of its own, so that a credential can never
pass for a report, a receipt or a warning. Whether the signer is one the aggregator trusts
for that role and region is decided by the aggregator (aggregator/grpc/access.py), not here.

On disk and on the command line a credential is one line of text: ``guanai-credential-v1:``
followed by the base64 of the SignedCredential bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nacl.signing import SigningKey

from common.clock import SYSTEM
from common.errors import GuanaiError
from privacy.envelope import BadSignature, sign_with_context, verify_with_context
from protos.query_pb2 import Credential, SignedCredential
from protos.refusals import Refused
from protos.validation import M, parse_canonical

CREDENTIAL_CONTEXT = b"guanai.v1.credential\x00"
ROLES = ("staff", "school")
TEXT_PREFIX = "guanai-credential-v1:"
LONGEST = timedelta(days=366)
CLOCK_SKEW = timedelta(minutes=5)  # an issuer's clock may run this far ahead of ours


class CredentialError(GuanaiError):
    """A credential that is malformed, forged or expired."""


@dataclass(frozen=True)
class Grant:
    """A verified credential: what its holder may ask, and who signed it."""

    issuer: str
    role: str
    region: str
    subject: str
    expires: datetime
    signer_key: bytes


def issue(key: SigningKey, issuer: str, role: str, region: str, subject: str,
          valid_for: timedelta, now: datetime | None = None) -> bytes:
    """A SignedCredential (bytes) granting ``role`` over ``region`` for ``valid_for``."""
    if role not in ROLES:
        raise CredentialError(f"角色错误 role must be one of {ROLES}, not {role!r}")
    if not timedelta(0) < valid_for <= LONGEST:
        raise CredentialError("有效期错误 a credential is valid for 1 to 366 days")
    now = now or SYSTEM.now()
    credential = Credential(
        issuer=issuer, role=role, region=region, subject=subject,
        issued_unix=int(now.timestamp()), expires_unix=int((now + valid_for).timestamp()),
        nonce=os.urandom(16),
    ).SerializeToString()
    return SignedCredential(
        credential=credential, signature=sign_with_context(CREDENTIAL_CONTEXT, credential, key),
        signer_key=bytes(key.verify_key),
    ).SerializeToString()


def verify(token: bytes, now: datetime | None = None) -> Grant:
    """The grant of a well-formed, correctly signed, unexpired credential.

    ``token`` is SignedCredential bytes. Both it and the Credential inside must be canonically
    encoded (protos/validation.py ``parse_canonical``: no unknown, repeated or unsigned field),
    and the signature is checked before the Credential is read. Raises ``CredentialError``.
    """
    signed = _canonical(SignedCredential, token)
    if len(signed.signer_key) != 32 or len(signed.signature) != 64:
        raise CredentialError("凭据格式错误 malformed credential: bad key or signature size")
    try:
        verify_with_context(CREDENTIAL_CONTEXT, signed.credential, signed.signature,
                            signed.signer_key)
    except BadSignature:
        raise CredentialError("凭据签名无效 the credential's signature does not verify") from None
    credential = _canonical(Credential, signed.credential)
    if credential.role not in ROLES:
        raise CredentialError(f"角色错误 unknown role {credential.role!r}")
    now = now or SYSTEM.now()
    issued, expires = _times(credential, now)
    if issued > now + CLOCK_SKEW:
        raise CredentialError(f"凭据时间错误 the credential was issued at {issued.isoformat()}, "
                              "in the future; check the issuer's clock")
    if now >= expires:
        raise CredentialError(f"凭据已过期 the credential expired at {expires.isoformat()}; "
                              "ask for a new one")
    return Grant(credential.issuer, credential.role, credential.region, credential.subject,
                 expires, bytes(signed.signer_key))


def _canonical(kind: type[M], data: bytes) -> M:
    try:
        return parse_canonical(kind, data, "credential")
    except Refused as exc:
        raise CredentialError(f"凭据格式错误 malformed credential: {exc.message}") from None


def _times(credential: Credential, now: datetime) -> tuple[datetime, datetime]:
    """Issue and expiry times, if within the calendar and at most ``LONGEST`` apart."""
    lowest, highest = 0, int((now + 2 * LONGEST).timestamp())
    issued, expires = credential.issued_unix, credential.expires_unix
    if not (lowest <= issued < expires <= highest
            and expires - issued <= LONGEST.total_seconds()):
        raise CredentialError("凭据时间错误 the credential's issue and expiry times are out of "
                              f"range: a credential is valid for at most {LONGEST.days} days "
                              "from its issue; ask for a new one")
    return datetime.fromtimestamp(issued, UTC), datetime.fromtimestamp(expires, UTC)


def to_text(token: bytes) -> str:
    """A credential as one line of text for a file: ``TEXT_PREFIX`` + base64 of its bytes."""
    return TEXT_PREFIX + base64.b64encode(token).decode("ascii")


def from_text(text: str) -> bytes:
    """The credential bytes of a line ``to_text`` wrote; raises ``CredentialError`` otherwise."""
    text = text.strip()
    if not text.startswith(TEXT_PREFIX):
        raise CredentialError(
            f"凭据文件错误 not a credential: expected a line starting with {TEXT_PREFIX} "
            "(written by `guanai aggregator credential` or `guanai node credential`)")
    try:
        return base64.b64decode(text.removeprefix(TEXT_PREFIX), validate=True)
    except binascii.Error:
        raise CredentialError("凭据文件错误 the credential is not valid base64") from None
