"""The aggregator's transparency log (透明日志): an append-only Merkle tree of accepted submissions.

A leaf is the serialized SignedReport exactly as it arrived inside the sealed box — the Report
bytes, their signature and the signer's key — so that anyone holding the signed payloads can
recompute every leaf without any key of the aggregator (docs/formats.md §4). Hashing is RFC
9162 (privacy/merkle.py); checkpoints are C2SP signed notes named ``guanai/<region code>``.

The tree lives in memory and is rebuilt from the store's leaves at start; the store is the
truth. Whoever appends holds ``lock`` until the leaves are committed, or calls ``reset`` after
a rollback, so that no reader sees an uncommitted root.

A tree size is signed once: its checkpoint is stored, and every later request for that size
(a receipt, GetCheckpoint, a proof) gets the same note. So the store holds every checkpoint
the aggregator ever gave out, and an export hands them all to inspectors.
"""

from __future__ import annotations

import threading
from datetime import datetime

from nacl.signing import SigningKey

from aggregator.store.sqlite import Store, StoreError
from common.clock import SYSTEM, Clock
from privacy.checkpoint import parse_checkpoint, sign_checkpoint
from privacy.merkle import MerkleTree
from protos.deadlines import to_ms


class TransparencyLog:
    def __init__(self, origin: str, key: SigningKey, store: Store, clock: Clock = SYSTEM) -> None:
        self.origin = origin
        self._key = key
        self._store = store
        self._clock = clock
        self._tree = MerkleTree(store.leaf_hashes())
        self.lock = threading.RLock()

    @property
    def size(self) -> int:
        return self._tree.size

    def append(self, leaf_hash: bytes) -> int:
        with self.lock:
            return self._tree.append(leaf_hash)

    def reset(self) -> None:
        """Forget what was appended and not committed: rebuild from the store's leaves."""
        with self.lock:
            self._tree = MerkleTree(self._store.leaf_hashes())

    def checkpoint(self, size: int | None = None, now: datetime | None = None) -> str:
        """The signed checkpoint of the first ``size`` leaves (all by default).

        Signed and stored the first time the size is asked for, with the time ``now`` (the
        caller's clock; the system's by default). Inside the store's transaction
        (a group commit) it is stored in that transaction, and forgotten with it on rollback.
        """
        with self.lock:
            size = self._tree.size if size is None else size
            root = self._tree.root(size)
            held = self._store.checkpoint_at(size)
            if held is not None:
                if parse_checkpoint(held).root != root:
                    raise StoreError(
                        f"汇总库损坏 the log in {self._store.path} no longer matches checkpoint "
                        f"{size} that it signed: the store was altered; restore it from a backup")
                return held
            note = sign_checkpoint(self.origin, size, root, self._key, self.origin,
                                   timestamp_ms=to_ms(now or self._clock.now()))
            self._store.add_checkpoint(size, note)
            return note

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.lock:
            return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self.lock:
            return self._tree.consistency_proof(old_size, new_size)
