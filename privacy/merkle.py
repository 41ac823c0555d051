"""The Merkle tree of an aggregator's log, with RFC 9162 (Certificate Transparency 2.0) hashing.

Leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right), and the root of the
empty tree SHA-256(""). Proofs are generated and verified exactly as in RFC 9162 §2.1.3 and
§2.1.4, so any CT or C2SP tlog tool can check them (docs/formats.md).

``MerkleTree`` keeps the hash of every complete subtree, level by level, in flat byte arrays
(32 bytes per hash): an append costs amortised O(1) hashes, a root or a proof O(log n), and
a million leaves take 64 MB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from common.errors import GuanaiError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(GuanaiError):
    """A Merkle proof that does not verify, or a request for a proof the tree cannot give."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || data), 32 bytes."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 || left || right), 32 bytes."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash, got {len(value)} bytes")


class MerkleTree:
    """An append-only Merkle tree over leaf hashes (compute them with ``leaf_hash``).

    ``_levels[k]`` holds, in order, the hashes of the complete subtrees of 2**k leaves, so
    every subtree a root or a proof needs is either stored or a short fold along the tree's
    right edge.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        leaves = list(leaf_hashes)
        if any(len(h) != HASH_SIZE for h in leaves):
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        level = b"".join(leaves)
        self._levels = [bytearray(level)]
        while len(level) >= 2 * HASH_SIZE:
            level = _parent_level(level)
            self._levels.append(bytearray(level))

    @property
    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash; return its index."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        index = self.size
        node, count, level = leaf_hash, index + 1, 0
        self._levels[0] += node
        while count % 2 == 0:  # the new node completes a pair: hash it into the level above
            node = node_hash(bytes(self._levels[level][-2 * HASH_SIZE : -HASH_SIZE]), node)
            level += 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += node
            count //= 2
        return index

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        if not 0 <= index < self.size:
            raise ProofError(f"leaf index {index} is outside the tree of {self.size} leaves")
        return self._stored(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 §2.1.3.1 PATH(index, D[0:size])."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is not in a tree of {size} leaves")
        siblings = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                siblings.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                siblings.append(self._subtree(lo, lo + k))
                lo += k
        return siblings[::-1]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 §2.1.4.1 PROOF(old_size, D[0:new_size]); empty when old_size is 0."""
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ProofError(f"cannot prove size {old_size} consistent with size {new_size}")
        if old_size in (0, new_size):
            return []
        siblings = []
        lo, hi, whole_old_tree = 0, new_size, True
        while hi != old_size:
            k = _split(hi - lo)
            if old_size - lo <= k:
                siblings.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                siblings.append(self._subtree(lo, lo + k))
                lo += k
                whole_old_tree = False
        head = [] if whole_old_tree else [self._subtree(lo, hi)]
        return head + siblings[::-1]

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ProofError(f"tree size {size} is beyond the log's {self.size} leaves")

    def _stored(self, level: int, index: int) -> bytes:
        start = index * HASH_SIZE
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range that starts on a multiple of its left part's size."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self._stored(level, start >> level)
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))


def _parent_level(level: bytes) -> bytes:
    pairs = len(level) // (2 * HASH_SIZE)
    step = 2 * HASH_SIZE
    sha256 = hashlib.sha256
    return b"".join(
        sha256(_NODE_PREFIX + level[i : i + step]).digest() for i in range(0, pairs * step, step)
    )


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` (RFC 9162 §2.1.3.2)."""
    _check_hash(leaf_hash, "the leaf hash")
    for p in proof:
        _check_hash(p, "every inclusion proof element")
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``root``."""
    _check_hash(root, "the root")
    if root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise ProofError(
            f"the inclusion proof of leaf {index} does not lead to the root of size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless ``proof`` shows the tree ``new_root`` extends ``old_root``.

    RFC 9162 §2.1.4.2 for 0 < old_size < new_size; equal sizes need equal roots and an empty
    proof; size 0 needs the empty root and an empty proof.
    """
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    for p in proof:
        _check_hash(p, "every consistency proof element")
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {old_size} cannot be a prefix of one of size {new_size}")
    if old_size in (0, new_size):
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or old_root != expected:
            raise ProofError(f"size {old_size} is not consistent with size {new_size}")
        return
    old, new = _roots_from_consistency(old_size, new_size, old_root, proof)
    if old != old_root or new != new_root:
        raise ProofError(
            f"the consistency proof from size {old_size} to {new_size} does not match the roots"
        )


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    if not proof:
        raise ProofError("a consistency proof between different sizes cannot be empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    return fr, sr
