"""Signed checkpoints: the C2SP formats byte for byte, Go's published note vector, and openssl."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from privacy.checkpoint import (
    CheckpointError,
    checkpoint_body,
    note_key_hash,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)
from privacy.keys import public_key_pem
from privacy.merkle import MerkleTree, leaf_hash, verify_inclusion

# golang.org/x/mod/sumdb/note, note_test.go and the package documentation.
PETER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
PETER_PUBLIC = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
    "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/tlog-checkpoint, the example in the specification.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q"
    "1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
DOCS = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
ORIGIN = "guanai.example/610102"
ROOT = bytes(range(32))
TIME = 1767225600000


@pytest.fixture
def key():
    return SigningKey(bytes(32))


def test_go_note_vector_is_reproduced_and_opens():
    peter = SigningKey(PETER_SEED)
    assert bytes(peter.verify_key) == PETER_PUBLIC
    assert note_key_hash("PeterNeumann", PETER_PUBLIC).hex() == "c74f20a3"
    assert sign_note(PETER_TEXT, peter, "PeterNeumann") == PETER_NOTE
    assert open_note(PETER_NOTE, "PeterNeumann", PETER_PUBLIC) == PETER_TEXT
    with pytest.raises(CheckpointError):
        open_note(PETER_NOTE.replace("cryptography", "cryptographY"), "PeterNeumann", PETER_PUBLIC)
    with pytest.raises(CheckpointError):
        open_note(PETER_NOTE, "PeterNeumann", SigningKey.generate().verify_key)


def test_the_specification_example_parses():
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT)
    assert (checkpoint.origin, checkpoint.size, checkpoint.timestamp_ms) == (
        "example.com/behind-the-sofa", 20852163, None)
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    (signature,) = checkpoint.signatures
    assert signature.name == "example.com/behind-the-sofa" and len(signature.signature) == 64


def test_sign_parse_verify(key):
    text = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, timestamp_ms=TIME)
    body = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\ntimestamp-ms {TIME}\n"
    assert text.startswith(body + "\n— " + ORIGIN + " ")
    assert text.count("\n") == 6
    checkpoint = verify_checkpoint(text, ORIGIN, key.verify_key)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.timestamp_ms) == (
        ORIGIN, 42, ROOT, TIME)
    assert checkpoint.body == body == checkpoint_body(ORIGIN, 42, ROOT, TIME)
    assert checkpoint.extensions == ()
    assert verify_checkpoint(text, ORIGIN, bytes(key.verify_key)) == checkpoint


def test_without_timestamp_and_with_an_empty_tree(key):
    tree = MerkleTree()
    checkpoint = verify_checkpoint(
        sign_checkpoint(ORIGIN, 0, tree.root(), key, ORIGIN), ORIGIN, key.verify_key)
    assert checkpoint.size == 0 and checkpoint.timestamp_ms is None
    assert checkpoint.body.count("\n") == 3


def test_a_receipt_checks_against_a_checkpoint(key):
    leaves = [leaf_hash(bytes([i])) for i in range(11)]
    tree = MerkleTree(leaves)
    checkpoint = verify_checkpoint(
        sign_checkpoint(ORIGIN, tree.size, tree.root(), key, ORIGIN, TIME), ORIGIN, key.verify_key)
    verify_inclusion(leaves[6], 6, checkpoint.size, tree.inclusion_proof(6, 11), checkpoint.root)


@pytest.mark.parametrize(
    "old, new",
    [("\n42\n", "\n43\n"), (base64.b64encode(ROOT).decode(), base64.b64encode(ROOT[::-1]).decode()),
     (f"timestamp-ms {TIME}", f"timestamp-ms {TIME + 1}"), (ORIGIN + "\n", "guanai.example/610103\n")],
)
def test_an_altered_body_is_refused(key, old, new):
    text = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, TIME)
    assert old in text
    with pytest.raises(CheckpointError, match="bad checkpoint signature"):
        verify_checkpoint(text.replace(old, new, 1), ORIGIN, key.verify_key)


def test_another_key_or_name_is_not_a_signature(key):
    text = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, TIME)
    with pytest.raises(CheckpointError, match="not signed by"):
        verify_checkpoint(text, ORIGIN, SigningKey.generate().verify_key)
    with pytest.raises(CheckpointError, match="not signed by"):
        verify_checkpoint(text, "someone-else", key.verify_key)


def test_a_forged_signature_under_the_right_key_hash_is_refused(key):
    text = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, TIME)
    head, blob = text.rstrip("\n").rsplit(" ", 1)
    raw = base64.b64decode(blob)
    forged = raw[:4] + bytes(64)
    with pytest.raises(CheckpointError, match="bad checkpoint signature"):
        verify_checkpoint(f"{head} {base64.b64encode(forged).decode()}\n", ORIGIN, key.verify_key)


def test_cosignatures_are_kept_and_each_key_verifies_its_own(key):
    text = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, TIME)
    province = SigningKey.generate()
    body = parse_checkpoint(text).body
    cosignature = sign_note(body, province, "guanai.example/610000").split("\n\n")[1]
    both = text + cosignature
    assert len(parse_checkpoint(both).signatures) == 2
    verify_checkpoint(both, ORIGIN, key.verify_key)
    verify_checkpoint(both, "guanai.example/610000", province.verify_key)


def test_extension_lines_are_kept(key):
    body = checkpoint_body(ORIGIN, 1, ROOT, TIME) + "other-extension 1\n"
    checkpoint = verify_checkpoint(sign_note(body, key, ORIGIN), ORIGIN, key.verify_key)
    assert checkpoint.extensions == ("other-extension 1",) and checkpoint.timestamp_ms == TIME


def good(key) -> str:  # noqa: ANN001
    return sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN, TIME)


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t.replace("\n\n", "\n"),                      # no blank line
        lambda t: t.replace("— ", "- "),                         # hyphen, not em dash
        lambda t: t.replace("\n42\n", "\n042\n"),                # leading zero
        lambda t: t.replace("\n42\n", "\n-42\n"),
        lambda t: t.replace("\n42\n", "\n٤٢\n"),                 # non-ASCII digits
        lambda t: t.replace("\n42\n", f"\n{2**64}\n"),
        lambda t: t.replace("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "AAECAw=="),
        lambda t: t.replace("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="),  # not canonical
        lambda t: t.replace(f"timestamp-ms {TIME}\n", f"timestamp-ms {TIME}\n\n"),
        lambda t: t.replace(f"timestamp-ms {TIME}\n", f"timestamp-ms {TIME}\ntimestamp-ms 1\n"),
        lambda t: t.replace(f"timestamp-ms {TIME}", "timestamp-ms soon"),
        lambda t: t.replace("\n42\n", "\n4\t2\n"),                # control character
        lambda t: t[:-1],                                        # no final newline
        lambda t: t + "\n",                                      # empty signature line
        lambda t: t.split("\n\n")[0] + "\n\n",                   # no signature
        lambda t: t.replace(ORIGIN + " ", ORIGIN + "+x "),       # '+' in the key name
        lambda t: t[: t.rindex(" ") + 1] + "!!!!\n",             # signature not base64
        lambda t: t[: t.rindex(" ") + 1] + "AAAA\n",             # signature too short
        lambda t: t.replace(ORIGIN + "\n42", "\n42", 1),         # empty origin
        lambda t: t.replace(f"\n42\n{base64.b64encode(ROOT).decode()}", "\n42", 1),  # no root
    ],
)
def test_malformed_checkpoints_are_refused(key, damage):
    text = damage(good(key))
    assert text != good(key)
    with pytest.raises(CheckpointError, match="malformed|bad key name"):
        verify_checkpoint(text, ORIGIN, key.verify_key)


@pytest.mark.parametrize(
    "args",
    [dict(origin=""), dict(origin="two\nlines"), dict(size=-1), dict(root=b"short"),
     dict(name="has space"), dict(name="has+plus"), dict(timestamp_ms=-5)],
)
def test_bad_arguments_to_sign_are_refused(key, args):
    call = dict(origin=ORIGIN, size=1, root=ROOT, name=ORIGIN, timestamp_ms=None) | args
    with pytest.raises(CheckpointError):
        sign_checkpoint(key=key, **call)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_a_checkpoint_signature(tmp_path, key):
    checkpoint = parse_checkpoint(good(key))
    (tmp_path / "pub.pem").write_text(public_key_pem(key.verify_key))
    (tmp_path / "payload.bin").write_bytes(checkpoint.body.encode("utf-8"))
    (tmp_path / "sig.bin").write_bytes(checkpoint.signatures[0].signature)
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
               "-in", "payload.bin", "-sigfile", "sig.bin"]
    ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    (tmp_path / "payload.bin").write_bytes(checkpoint.body.replace("42", "43").encode("utf-8"))
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0


def test_the_worked_example_in_the_docs_verifies():
    example = SigningKey(hashlib.sha256(b"guanai example key - never use").digest())
    assert public_key_pem(example.verify_key) in DOCS
    assert bytes(example.verify_key).hex() in DOCS
    text = re.search(r"```\n(guanai\.example/610102\n.*?)```", DOCS, re.DOTALL).group(1)
    checkpoint = verify_checkpoint(text, ORIGIN, example.verify_key)
    assert note_key_hash(ORIGIN, example.verify_key).hex() in DOCS
    tree = MerkleTree([leaf_hash(f"submission {i}".encode()) for i in range(6)])
    assert (checkpoint.size, checkpoint.root) == (6, tree.root())
