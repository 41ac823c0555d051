"""Signed receipts (回执): an aggregator's signed word that it logged a submission.

A receipt body names the submission (sender, period, revision, SHA-256 of the Report bytes),
its leaf in the aggregator's log (the RFC 9162 leaf hash of the SignedReport bytes, its index)
and carries an inclusion proof up to a signed checkpoint. The body is signed with the
receipt context (docs/formats.md §7). ``verify_receipt`` checks all of it against the exact
signed bytes the sender sent, so a sender that holds a verified receipt can later prove the
aggregator accepted exactly those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from google.protobuf.message import DecodeError
from nacl.signing import SigningKey

from common.errors import GuanaiError
from privacy.checkpoint import CheckpointError, verify_checkpoint
from privacy.envelope import (
    RECEIPT_CONTEXT,
    EnvelopeError,
    parse_share,
    parse_signed,
    parse_signed_body,
    sign_with_context,
    verify_with_context,
)
from privacy.merkle import ProofError, leaf_hash, verify_inclusion
from protos.aggregator_pb2 import Receipt, ReceiptBody


class ReceiptError(GuanaiError):
    """A receipt that does not prove the aggregator logged these exact bytes."""


def log_origin(aggregator_id: str, role: str | None = None) -> str:
    """The origin (name) of an aggregator's log in its checkpoints: ``guanai/<region code>``,
    or ``guanai/helper/<province code>`` for the province's helper (``role`` "helper"), whose
    region code is the province's own."""
    return f"guanai/{role}/{aggregator_id}" if role else f"guanai/{aggregator_id}"


def report_sha256(report_bytes: bytes) -> bytes:
    """SHA-256 (32 bytes) of the exact Report bytes a receipt vouches for."""
    return hashlib.sha256(report_bytes).digest()


def sign_receipt(body: ReceiptBody, key: SigningKey) -> Receipt:
    """The receipt: ``body``'s bytes and their Ed25519 signature by ``key`` under the
    ``guanai.v1.receipt`` context (docs/formats.md §6)."""
    data = body.SerializeToString()
    return Receipt(body=data, signature=sign_with_context(RECEIPT_CONTEXT, data, key))


def verify_receipt(receipt: Receipt, signed: bytes, aggregator_key: bytes) -> ReceiptBody:
    """The receipt's body, once every part of it checks out for the SignedReport ``signed``.

    ``aggregator_key`` is the aggregator's Ed25519 public key, from its exported identity.
    """
    def names(body: ReceiptBody) -> None:
        envelope, report = parse_signed(signed)
        _check_names(body, envelope.report, report.sender_id, report.period, report.revision)

    return _verify(receipt, signed, aggregator_key, None, names)


def verify_share_receipt(receipt: Receipt, signed: bytes, party_key: bytes,
                         role: str | None = None) -> ReceiptBody:
    """The receipt's body, once every part of it checks out for the Signed share ``signed``
    (protos/share.proto): the same checks as ``verify_receipt``, the digest being that of the
    Share bytes. ``role`` is the party's (None: the leader; "helper": the helper's log origin).
    """
    def names(body: ReceiptBody) -> None:
        share = parse_share(parse_signed_body(signed).body)
        _check_names(body, parse_signed_body(signed).body, share.school_id, share.period,
                     share.revision)

    return _verify(receipt, signed, party_key, role, names)


def _check_names(body: ReceiptBody, inner: bytes, sender: str, period: str,
                 revision: int) -> None:
    if body.report_sha256 != report_sha256(inner):
        raise ReceiptError("回执无效 bad receipt: it is for other bytes than those sent")
    if (body.sender_id, body.period, body.revision) != (sender, period, revision):
        raise ReceiptError("回执无效 bad receipt: it names another sender, period or revision")


def _verify(receipt: Receipt, signed: bytes, key: bytes, role: str | None,
            names: Callable[[ReceiptBody], None]) -> ReceiptBody:
    try:
        verify_with_context(RECEIPT_CONTEXT, receipt.body, receipt.signature, key)
        body = ReceiptBody.FromString(receipt.body)
        origin = log_origin(body.aggregator_id, role)
        checkpoint = verify_checkpoint(body.checkpoint, origin, key)
        leaf = leaf_hash(signed)
        if checkpoint.origin != origin or checkpoint.size != body.tree_size:
            raise ReceiptError("回执无效 bad receipt: its checkpoint is of another log or size")
        if body.leaf_hash != leaf:
            raise ReceiptError("回执无效 bad receipt: it is for other bytes than those sent")
        names(body)
        verify_inclusion(leaf, body.log_index, body.tree_size, body.inclusion_proof,
                         checkpoint.root)
    except (EnvelopeError, CheckpointError, ProofError, DecodeError) as exc:
        raise ReceiptError(
            f"回执无效 bad receipt: {exc}; the aggregator's answer cannot be trusted — "
            "keep the submission and report this to the aggregator's operator"
        ) from exc
    return body
