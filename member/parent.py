"""The parent a member reports to, and every signing key that parent has had.

Schools and aggregators alike report to a parent aggregator, and the parent rotates its keys
(docs/operations.md). A receipt the parent signed before its rotation must still verify when a
resend is answered with it, so a member keeps the parent's retired signing keys beside its
current export. Where the member keeps them is its own store's business: each role implements
``ParentBook`` over its store (node/store, aggregator/store), and everything here works on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from privacy.identity import Identity
from privacy.receipt import ReceiptError, verify_receipt
from protos.aggregator_pb2 import Receipt, ReceiptBody


class ParentBook(Protocol):
    """A member's record of its parent: the current export and the signing keys it retired."""

    def parent(self) -> Identity:
        """The parent's export as last imported or followed; raises if there is none."""
        ...

    def retired_signing_keys(self) -> list[bytes]:
        """The parent's earlier Ed25519 signing keys (32 bytes each), newest first."""
        ...

    def follow(self, learnt: Identity, at: datetime) -> None:
        """Keep ``learnt`` as the parent's export, keeping the signing key it replaces."""
        ...


Verify = Callable[[Receipt, bytes, bytes], ReceiptBody]  # receipt, signed bytes, signing key


def verify_parent_receipt(receipt: Receipt, signed: bytes, parent: Identity,
                          retired: Sequence[bytes], verify: Verify = verify_receipt) -> ReceiptBody:
    """The receipt's body, once it verifies under the parent's current or a retired key.

    ``signed`` is the exact SignedReport bytes that were submitted. The current key is tried
    first, then the retired ones newest first (a resend may be answered with the receipt stored
    before a rotation). Raises ``ReceiptError`` naming the current key's failure when none
    verifies: a receipt signed by a key the parent never had is refused. ``verify`` checks
    one key (a school's share: privacy/receipt.py ``verify_share_receipt``).
    """
    try:
        return verify(receipt, signed, parent.keys.signing)
    except ReceiptError as current:
        for key in retired:
            try:
                return verify(receipt, signed, key)
            except ReceiptError:
                continue
        raise current
