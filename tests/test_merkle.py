"""The Merkle tree against published RFC 6962/9162 vectors, a real CT log, and a reference."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from privacy.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors"
RFC = json.loads((VECTORS / "rfc6962.json").read_text())
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in RFC["leaf_inputs_hex"]]


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def argon(name: str) -> dict:
    return json.loads((VECTORS / "ct-argon2020" / name).read_text())


# A reference written straight from RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1, slow and obvious.
def ref_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(ref_root(leaves[:k]), ref_root(leaves[k:]))


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_root(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_root(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_root(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, leaves[:k], whole) + [ref_root(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_root(leaves[:k])]


def flipped(value: bytes, position: int, bit: int = 1) -> bytes:
    return value[:position] + bytes([value[position] ^ bit]) + value[position + 1 :]


def random_leaves(n: int, rng: random.Random) -> list[bytes]:
    return [leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(n)]


# --- published vectors -----------------------------------------------------------------------


def test_hasher_known_answers():
    answers = RFC["hasher_known_answers"]
    assert EMPTY_ROOT.hex() == answers["empty_root"]
    assert leaf_hash(b"").hex() == answers["leaf_hash_of_empty"]
    assert leaf_hash(b"L123456").hex() == answers["leaf_hash_of_L123456"]
    assert node_hash(b"N123", b"N456").hex() == answers["node_hash_of_N123_N456"]


def test_roots_of_every_size_built_at_once_and_by_appending():
    appended = MerkleTree()
    for size in range(len(LEAVES) + 1):
        expected = RFC["roots_hex"][str(size)]
        assert MerkleTree(LEAVES[:size]).root().hex() == expected
        assert appended.root().hex() == expected
        assert MerkleTree(LEAVES).root(size).hex() == expected
        if size < len(LEAVES):
            assert appended.append(LEAVES[size]) == size


@pytest.mark.parametrize("case", RFC["inclusion"], ids=lambda c: f"{c['leaf_index']}@{c['tree_size']}")
def test_inclusion_vectors(case):
    index, size, proof = case["leaf_index"], case["tree_size"], unhex(case["proof_hex"])
    tree = MerkleTree(LEAVES)
    assert tree.inclusion_proof(index, size) == proof
    verify_inclusion(LEAVES[index], index, size, proof, tree.root(size))


@pytest.mark.parametrize("case", RFC["consistency"], ids=lambda c: f"{c['size1']}-{c['size2']}")
def test_consistency_vectors(case):
    old, new, proof = case["size1"], case["size2"], unhex(case["proof_hex"])
    tree = MerkleTree(LEAVES)
    assert tree.consistency_proof(old, new) == proof
    verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@pytest.mark.parametrize("case", RFC["must_fail"], ids=lambda c: c["why"])
def test_must_fail_vectors(case):
    tree = MerkleTree(LEAVES)
    proof = unhex(case["proof_hex"])
    if case["kind"] == "inclusion":
        index, size = case["leaf_index"], case["tree_size"]
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[0], index, size, proof, tree.root(size))
        with pytest.raises(ProofError):
            tree.inclusion_proof(index, size)
    else:
        old, new = case["size1"], case["size2"]
        with pytest.raises(ProofError):
            verify_consistency(old, new, tree.root(old), tree.root(new), proof)
        if old > new:
            with pytest.raises(ProofError):
                tree.consistency_proof(old, new)


def test_inclusion_in_the_argon2020_log():
    sth, proof = argon("sth.json"), argon("proof.json")
    leaf = leaf_hash(base64.b64decode(argon("entries.json")["entries"][0]["leaf_input"]))
    path = [base64.b64decode(p) for p in proof["audit_path"]]
    root = base64.b64decode(sth["sha256_root_hash"])
    verify_inclusion(leaf, proof["leaf_index"], sth["tree_size"], path, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, proof["leaf_index"] + 1, sth["tree_size"], path, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, proof["leaf_index"], sth["tree_size"], path, flipped(root, 31))


def test_consistency_in_the_argon2020_log():
    sth = argon("sth.json")
    path = [base64.b64decode(p) for p in argon("consistency.json")["consistency"]]
    old_root = bytes.fromhex("02e219e55eac0d48f5be7dd8d4af39a0e690ef2f852492adc914e5d5e7482814")
    new_root = base64.b64decode(sth["sha256_root_hash"])
    verify_consistency(3_654_490, sth["tree_size"], old_root, new_root, path)
    with pytest.raises(ProofError):
        verify_consistency(3_654_491, sth["tree_size"], old_root, new_root, path)
    with pytest.raises(ProofError):
        verify_consistency(3_654_490, sth["tree_size"], old_root, new_root, path[:-1])


# --- properties against the reference --------------------------------------------------------

SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64, 65, 127, 128, 129, 255, 256, 257]
RANDOM_SIZES = random.Random(9162).sample(range(2, 301), 6)


@pytest.mark.parametrize("size", SIZES + RANDOM_SIZES)
def test_trees_match_the_reference_and_every_proof_verifies(size):
    rng = random.Random(size)
    leaves = random_leaves(size, rng)
    tree = MerkleTree()
    for leaf in leaves:
        tree.append(leaf)
    assert tree.root() == MerkleTree(leaves).root() == ref_root(leaves)
    for n in range(size + 1):
        assert tree.root(n) == ref_root(leaves[:n])
    root = tree.root()
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert proof == ref_path(index, leaves)
        verify_inclusion(leaves[index], index, size, proof, root)
        assert root_from_inclusion(leaves[index], index, size, proof) == root
    for old in range(1, size + 1):
        proof = tree.consistency_proof(old, size)
        assert proof == (ref_subproof(old, leaves, True) if old < size else [])
        verify_consistency(old, size, tree.root(old), root, proof)


@pytest.mark.parametrize("size", SIZES)
def test_flipping_any_byte_of_an_inclusion_proof_or_root_fails(size):
    rng = random.Random(size)
    leaves = random_leaves(size, rng)
    tree = MerkleTree(leaves)
    root = tree.root()
    for index in rng.sample(range(size), min(size, 16)):
        proof = tree.inclusion_proof(index, size)
        for i, element in enumerate(proof):
            for position in range(32):
                bad = proof[:i] + [flipped(element, position, rng.randrange(1, 256))] + proof[i + 1 :]
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], index, size, bad, root)
        for position in range(32):
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, size, proof, flipped(root, position))
            with pytest.raises(ProofError):
                verify_inclusion(flipped(leaves[index], position), index, size, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, proof + [root], root)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, size, proof[:-1], root)


@pytest.mark.parametrize("size", [s for s in SIZES if s > 1])
def test_flipping_any_byte_of_a_consistency_proof_or_root_fails(size):
    rng = random.Random(size)
    leaves = random_leaves(size, rng)
    tree = MerkleTree(leaves)
    new_root = tree.root()
    for old in rng.sample(range(1, size), min(size - 1, 16)):
        proof = tree.consistency_proof(old, size)
        old_root = tree.root(old)
        for i, element in enumerate(proof):
            for position in range(32):
                bad = proof[:i] + [flipped(element, position, rng.randrange(1, 256))] + proof[i + 1 :]
                with pytest.raises(ProofError):
                    verify_consistency(old, size, old_root, new_root, bad)
        for position in range(32):
            with pytest.raises(ProofError):
                verify_consistency(old, size, flipped(old_root, position), new_root, proof)
            with pytest.raises(ProofError):
                verify_consistency(old, size, old_root, flipped(new_root, position), proof)
        with pytest.raises(ProofError):
            verify_consistency(old, size, old_root, new_root, proof + [new_root])
        with pytest.raises(ProofError):
            verify_consistency(old, size, old_root, new_root, proof[:-1])


# --- edges -----------------------------------------------------------------------------------


def test_the_empty_tree_and_size_zero():
    tree = MerkleTree()
    assert tree.size == 0 and tree.root() == EMPTY_ROOT
    tree = MerkleTree(LEAVES)
    assert tree.consistency_proof(0, 8) == []
    verify_consistency(0, 8, EMPTY_ROOT, tree.root(), [])
    with pytest.raises(ProofError):
        verify_consistency(0, 8, tree.root(1), tree.root(), [])
    with pytest.raises(ProofError):
        verify_consistency(3, 3, tree.root(3), tree.root(4), [])


def test_a_proof_for_a_subtree_is_not_a_proof_for_the_tree():
    tree = MerkleTree(LEAVES)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 8, tree.inclusion_proof(0, 8)[:-1], tree.root(4))
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 2, [], LEAVES[0])
    with pytest.raises(ProofError):
        verify_consistency(2, 8, tree.root(2), tree.root(4), tree.consistency_proof(2, 8)[:-1])


def test_requests_beyond_the_tree_are_refused():
    tree = MerkleTree(LEAVES)
    with pytest.raises(ProofError):
        tree.root(9)
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ProofError):
        tree.inclusion_proof(-1, 8)
    with pytest.raises(ProofError):
        tree.consistency_proof(2, 9)
    with pytest.raises(ProofError):
        tree.leaf(8)
    assert tree.leaf(7) == LEAVES[7]


def test_hashes_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError):
        MerkleTree([b"short"])
    with pytest.raises(ValueError):
        MerkleTree().append(b"x" * 33)
    tree = MerkleTree(LEAVES)
    proof = tree.inclusion_proof(0, 8)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 8, [*proof[:2], proof[2] + b"\x00"], tree.root())
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 8, proof, tree.root()[:31])


def test_the_standalone_script_in_the_docs(tmp_path):
    docs = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
    script = re.search(r"```python\n(# verify_inclusion\.py.*?)```", docs, re.DOTALL).group(1)
    (tmp_path / "verify_inclusion.py").write_text(script)
    (tmp_path / "leaf.bin").write_bytes(b"submission 4")
    command = docs.split("$ python3 verify_inclusion.py ")[1].split("\nincluded")[0]
    args = command.replace("\\\n", " ").split()
    tree = MerkleTree([leaf_hash(f"submission {i}".encode()) for i in range(6)])
    assert args == ["leaf.bin", "4", "6", tree.root().hex(), *(p.hex() for p in tree.inclusion_proof(4, 6))]

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-I", "verify_inclusion.py", *arguments],
                              cwd=tmp_path, capture_output=True, text=True)

    assert run(*args).returncode == 0
    for index in range(6):
        (tmp_path / f"leaf{index}.bin").write_bytes(f"submission {index}".encode())
        proof = [p.hex() for p in tree.inclusion_proof(index, 6)]
        assert run(f"leaf{index}.bin", str(index), "6", tree.root().hex(), *proof).returncode == 0
    bad = [args[:3] + [flipped(tree.root(), 5).hex()] + args[4:], args[:1] + ["5"] + args[2:],
           args[:-1], args + [args[-1]], args[:2] + ["7"] + args[3:], ["leaf0.bin", *args[1:]]]
    for arguments in bad:
        result = run(*arguments)
        assert result.returncode == 1 and "NOT included" in result.stdout, arguments
