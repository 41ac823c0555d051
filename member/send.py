"""Sending a signed submission to the parent until a verified receipt comes back.

The one sending path of every member: a school sends its releases and summaries, a county or
city its rollups (with its members' reports beside them). Each is sealed to the parent's
current sealing key, submitted until the parent answers (member/client.py), and the receipt
is verified against the parent's current or retired signing keys (member/parent.py) before
the caller stores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from member.client import (
    DEFAULT_BACKOFF,
    Backoff,
    ClientTls,
    Failure,
    helper_share,
    leader_share,
    submit_until_receipt,
)
from member.parent import verify_parent_receipt
from privacy.envelope import seal
from privacy.identity import HELPER, Identity
from privacy.receipt import verify_share_receipt
from protos.aggregator_pb2 import Receipt, ReceiptBody, Submission


@dataclass(frozen=True)
class Delivered:
    """A receipt as the parent sent it (``receipt``, to keep) and its verified ``body``."""

    receipt: Receipt
    body: ReceiptBody


def send(parent: Identity, signed: bytes, *, retired: Sequence[bytes] = (),
         members: Sequence[bytes] = (),
         attempts: int | None = None, backoff: Backoff = DEFAULT_BACKOFF,
         timeout: float = 60.0, client_tls: ClientTls | None = None,
         on_failure: Failure | None = None) -> Delivered:
    """Seal ``signed`` (SignedReport bytes) and ``members`` (their SignedReport bytes, for a
    rollup) to ``parent``, submit until a receipt, and verify it under the parent's current
    signing key or one of ``retired`` (ParentBook.retired_signing_keys()).

    Raises ``SubmitRefused`` (a refusal retrying cannot change), ``SubmitGaveUp`` (no answer
    within ``attempts``) or ``ReceiptError`` (the answer does not verify under any signing key
    the parent has had). Nothing is stored here: the caller keeps the receipt.
    """
    submission = Submission(sealed=seal(signed, parent.keys.sealing),
                            sealed_members=[seal(m, parent.keys.sealing) for m in members])
    receipt = submit_until_receipt(parent, submission, attempts=attempts, backoff=backoff,
                                   timeout=timeout, client_tls=client_tls,
                                   on_failure=on_failure)
    body = verify_parent_receipt(receipt, signed, parent, retired)
    return Delivered(receipt, body)


def send_share(party: Identity, signed: bytes, *, retired: Sequence[bytes] = (),
               attempts: int | None = None, backoff: Backoff = DEFAULT_BACKOFF,
               timeout: float = 60.0, client_tls: ClientTls | None = None,
               on_failure: Failure | None = None) -> Delivered:
    """Seal a school's Signed share to ``party`` (its parent, the leader; or the province's
    helper, ``party.role == "helper"``), submit it until a receipt, and verify the receipt
    (privacy/receipt.py ``verify_share_receipt``) under the party's current signing key or one
    of ``retired``. Raises as ``send``; nothing is stored here.
    """
    rpc = helper_share if party.role == HELPER else leader_share
    submission = Submission(sealed=seal(signed, party.keys.sealing))
    receipt = submit_until_receipt(party, submission, attempts=attempts, backoff=backoff,
                                   timeout=timeout, client_tls=client_tls,
                                   on_failure=on_failure, rpc=rpc)
    body = verify_parent_receipt(
        receipt, signed, party, retired,
        lambda r, s, key: verify_share_receipt(r, s, key, party.role))
    return Delivered(receipt, body)
