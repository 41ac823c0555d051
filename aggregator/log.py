"""The aggregator's transparency log (透明日志): an append-only Merkle tree of accepted submissions.

A leaf is the serialized SignedReport exactly as it arrived inside the sealed box — the Report
bytes, their signature and the signer's key — so that anyone holding the signed payloads can
recompute every leaf without any key of the aggregator (docs/formats.md §4). Hashing is RFC
9162 (privacy/merkle.py); checkpoints are C2SP signed notes named ``guanai/<region code>``.

The tree lives in memory and is rebuilt from the store's leaves at start; the store is the
truth. Whoever appends holds ``lock`` until the leaves are committed, or calls ``reset`` with
the stored leaves after a rollback, so that no reader sees an uncommitted root.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from nacl.signing import SigningKey

from privacy.checkpoint import sign_checkpoint
from privacy.merkle import MerkleTree


class TransparencyLog:
    def __init__(self, origin: str, key: SigningKey, leaf_hashes: Iterable[bytes]) -> None:
        self.origin = origin
        self._key = key
        self._tree = MerkleTree(leaf_hashes)
        self.lock = threading.RLock()

    @property
    def size(self) -> int:
        return self._tree.size

    def append(self, leaf_hash: bytes) -> int:
        with self.lock:
            return self._tree.append(leaf_hash)

    def reset(self, leaf_hashes: Iterable[bytes]) -> None:
        with self.lock:
            self._tree = MerkleTree(leaf_hashes)

    def checkpoint(self, size: int | None = None) -> str:
        """A freshly signed checkpoint of the first ``size`` leaves (all by default)."""
        with self.lock:
            size = self._tree.size if size is None else size
            root = self._tree.root(size)
        return sign_checkpoint(self.origin, size, root, self._key, self.origin,
                               timestamp_ms=int(time.time() * 1000))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.lock:
            return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self.lock:
            return self._tree.consistency_proof(old_size, new_size)
