"""The signed and sealed envelope of a submission (invariant 5, docs/architecture.md).

A node serializes its Report once, signs ``REPORT_CONTEXT || report_bytes`` with Ed25519,
wraps report, signature and public key in a SignedReport, and seals that to exactly one
aggregator's X25519 key with a libsodium sealed box. The signature covers the exact bytes
that travel, and those bytes name the sender, recipient, period, catalogue version and
revision: that is what binds a submission to them. ``verify_signed`` checks only the
signature; the receiver must still check that the signer is enrolled for
``report.sender_id``, that ``report.recipient_id`` is itself, and that period and catalogue
are ones it accepts — a replay to another aggregator or period then fails there.

Every signed object has its own context string (domain separation), so a signature on a
receipt can never pass for a signature on a report. A context is ASCII and ends with its only
NUL byte, which makes the contexts prefix-free; checkpoints are signed notes (UTF-8 text
without NUL), so they cannot collide with these either.
"""

from __future__ import annotations

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

from common.errors import GuanaiError
from protos.envelope_pb2 import SignedReport
from protos.refusals import Refused
from protos.report_pb2 import Report
from protos.share_pb2 import Enrolment, Share, Signed
from protos.validation import M, parse_canonical

REPORT_CONTEXT = b"guanai.v1.report\x00"
RECEIPT_CONTEXT = b"guanai.v1.receipt\x00"
WARNING_CONTEXT = b"guanai.v1.warning\x00"
SHARE_CONTEXT = b"guanai.v1.share\x00"  # a school's secret share (protos/share.proto)
ENROLMENT_CONTEXT = b"guanai.v1.enrolment\x00"  # a leader's enrolment sent to the helper
SIGNATURE_SIZE = 64
PUBLIC_KEY_SIZE = 32


class EnvelopeError(GuanaiError):
    """A submission envelope that cannot be opened, parsed or verified."""


class CannotOpen(EnvelopeError):
    """Not sealed to this key, or not a sealed box at all."""


class BadSignature(EnvelopeError):
    """The signature does not verify with the stated public key."""


class Malformed(EnvelopeError):
    """The bytes are not a well-formed SignedReport or Report."""


def _check_context(context: bytes) -> None:
    if not (context.isascii() and context.endswith(b"\x00") and context.count(b"\x00") == 1):
        raise ValueError("a signing context must be ASCII and end with its only NUL byte")


def sign_with_context(context: bytes, message: bytes, key: SigningKey) -> bytes:
    """The 64-byte Ed25519 signature of ``context || message``."""
    _check_context(context)
    return key.sign(context + message).signature


def verify_with_context(
    context: bytes, message: bytes, signature: bytes, public_key: bytes | VerifyKey
) -> None:
    """Raise BadSignature unless ``signature`` is by ``public_key`` over ``context || message``."""
    _check_context(context)
    what = context[:-1].decode("ascii")
    try:
        VerifyKey(bytes(public_key)).verify(context + message, signature)
    except CryptoError as exc:
        raise BadSignature(
            f"签名无效 bad signature: the {what} signature does not verify with the stated "
            "key; the data was altered or signed by someone else"
        ) from exc


def sign_report(report_bytes: bytes, key: SigningKey) -> bytes:
    """A serialized SignedReport over the exact ``report_bytes``."""
    return SignedReport(
        report=report_bytes,
        signature=sign_with_context(REPORT_CONTEXT, report_bytes, key),
        signer_key=bytes(key.verify_key),
    ).SerializeToString()


def seal(data: bytes, recipient: PublicKey | bytes) -> bytes:
    """Encrypt ``data`` so that only the holder of the recipient's X25519 key can read it."""
    if not isinstance(recipient, PublicKey):
        if len(recipient) != PUBLIC_KEY_SIZE:
            raise EnvelopeError(
                f"收件方公钥错误 bad recipient key: a sealing key is {PUBLIC_KEY_SIZE} bytes, "
                f"got {len(recipient)}; check the aggregator's exported public keys"
            )
        recipient = PublicKey(recipient)
    return SealedBox(recipient).encrypt(data)


def open_sealed(sealed: bytes, key: PrivateKey) -> bytes:
    """The plaintext of a libsodium sealed box (crypto_box_seal: 48 bytes of overhead) to the
    X25519 ``key``; raises ``CannotOpen`` when it is not sealed to that key or was damaged."""
    try:
        return SealedBox(key).decrypt(sealed)
    except CryptoError as exc:
        raise CannotOpen(
            "无法解密 cannot open: the submission is not sealed to this aggregator's key, "
            "or it was damaged on the way; the sender must seal it to this aggregator"
        ) from exc


def parse_envelope(signed: bytes) -> SignedReport:
    """The SignedReport of ``signed``, canonically encoded, without reading the report inside.

    Raises ``Malformed`` for bytes that are not one canonical SignedReport (an unknown or
    repeated field would be unsigned bytes in the log leaf: DESIGN §4 invariant 9), or whose
    signature and key have the wrong sizes.
    """
    envelope = _canonical(SignedReport, signed, "signed report")
    _check_envelope(envelope.report, envelope.signature, envelope.signer_key, "report")
    return envelope


def _check_envelope(body: bytes, signature: bytes, signer_key: bytes, what: str) -> None:
    if len(signature) != SIGNATURE_SIZE or len(signer_key) != PUBLIC_KEY_SIZE:
        raise Malformed(
            f"报送格式错误 malformed submission: expected a {SIGNATURE_SIZE}-byte signature "
            f"and a {PUBLIC_KEY_SIZE}-byte signer key"
        )
    if not body:
        raise Malformed(f"报送格式错误 malformed submission: the {what} is empty")


def parse_report(report_bytes: bytes) -> Report:
    """The Report of canonical ``report_bytes``; ``Malformed`` otherwise."""
    return _canonical(Report, report_bytes, "report")


def _canonical(kind: type[M], data: bytes, what: str) -> M:
    try:
        return parse_canonical(kind, data, what)
    except Refused as exc:
        raise Malformed(exc.message) from None


def parse_signed(signed: bytes) -> tuple[SignedReport, Report]:
    """Parse a SignedReport and the Report inside it, without checking the signature.

    Both must be canonically encoded (``Malformed`` otherwise). A receiver checks the
    signature before reading the report: ``verify_signed``.
    """
    envelope = parse_envelope(signed)
    return envelope, parse_report(envelope.report)


def verify_signed(signed: bytes) -> tuple[Report, bytes]:
    """Check the signature of a SignedReport; return the Report and the signer's public key.

    The signature is checked before the report is parsed, so a changed byte of the report is
    always ``BadSignature``, never a parse error. The caller still decides whether that key is
    enrolled for ``report.sender_id`` and whether recipient, period, catalogue version and
    revision are acceptable.
    """
    envelope = parse_envelope(signed)
    verify_with_context(REPORT_CONTEXT, envelope.report, envelope.signature, envelope.signer_key)
    return parse_report(envelope.report), envelope.signer_key


def open_and_verify(sealed: bytes, key: PrivateKey) -> tuple[Report, bytes]:
    """``open_sealed`` then ``verify_signed``. Call the two yourself to keep the signed bytes."""
    return verify_signed(open_sealed(sealed, key))


def verified_report(signed: bytes) -> Report:
    """The Report of a SignedReport whose signature verifies (``verify_signed`` without the key).

    Raises ``EnvelopeError`` as ``verify_signed`` does. Serves protos/validation.py's
    ``FigureVerifier`` for the figures an annual summary attaches.
    """
    return verify_signed(signed)[0]


def sign_body(context: bytes, body: bytes, key: SigningKey) -> bytes:
    """A serialized ``Signed`` (protos/share.proto) over the exact ``body`` bytes under
    ``context`` (one of the contexts above): the envelope of shares and enrolments."""
    return Signed(body=body, signature=sign_with_context(context, body, key),
                  signer_key=bytes(key.verify_key)).SerializeToString()


def parse_signed_body(signed: bytes) -> Signed:
    """The canonical ``Signed`` of ``signed``, its body not yet read or verified.

    Raises ``Malformed`` for non-canonical bytes, wrong signature or key sizes, an empty body.
    """
    envelope = _canonical(Signed, signed, "signed message")
    _check_envelope(envelope.body, envelope.signature, envelope.signer_key, "signed body")
    return envelope


def verify_signed_body(context: bytes, signed: bytes) -> tuple[bytes, bytes]:
    """The body of a ``Signed`` whose signature under ``context`` verifies, and the signer's
    32-byte key. Raises ``Malformed`` or ``BadSignature``; the body is not parsed here."""
    envelope = parse_signed_body(signed)
    verify_with_context(context, envelope.body, envelope.signature, envelope.signer_key)
    return envelope.body, envelope.signer_key


def parse_share(share_bytes: bytes) -> Share:
    """The Share of canonical ``share_bytes``; ``Malformed`` otherwise."""
    return _canonical(Share, share_bytes, "share")


def verify_share(signed: bytes) -> tuple[Share, bytes]:
    """A signed share's Share and signer key, the signature (``SHARE_CONTEXT``) checked first.

    Raises ``Malformed`` or ``BadSignature``; the receiver still checks that the key is
    enrolled for ``share.school_id`` and that party and recipient key are its own.
    """
    body, signer = verify_signed_body(SHARE_CONTEXT, signed)
    return parse_share(body), signer


def verify_enrolment(signed: bytes) -> tuple[Enrolment, bytes]:
    """A signed enrolment's Enrolment and signer key (``ENROLMENT_CONTEXT``), as ``verify_share``."""
    body, signer = verify_signed_body(ENROLMENT_CONTEXT, signed)
    return _canonical(Enrolment, body, "enrolment"), signer
