"""guanai's own formats against frozen known answers (tests/vectors/guanai-v1/).

Each known-good vector must verify with the project's own functions, each must-fail case must
be refused with its typed error, and every deterministic file must come out byte for byte the
same when derived again from ``inputs.json`` with the current code: a format that changes
without anyone meaning it fails here. The files are made by ``tests/vectors/generate.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import nacl.bindings
import nacl.encoding
import pytest
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from nacl.hash import blake2b
from nacl.public import PrivateKey
from nacl.signing import VerifyKey

from inspector.bundle import BundleError
from inspector.verify import verify
from privacy import partials
from privacy.checkpoint import CheckpointError, verify_checkpoint
from privacy.envelope import (
    REPORT_CONTEXT,
    SHARE_CONTEXT,
    BadSignature,
    CannotOpen,
    Malformed,
    open_and_verify,
    open_sealed,
    seal,
    verify_share,
    verify_signed,
)
from privacy.receipt import ReceiptError, verify_receipt, verify_share_receipt
from privacy.shares import signed
from protos.aggregator_pb2 import Receipt
from protos.share_pb2 import Party, Signed
from tests.vectors.generate import FOLDER, derive, flip_bit

ERRORS = {e.__name__: e for e in (BadSignature, Malformed, CannotOpen, ReceiptError,
                                  CheckpointError, DecodeError, BundleError)}
FROZEN_ONLY = {"inputs.json", "sealed-envelope.json"}  # inputs, and the randomised envelope


def vector(name: str) -> dict:
    """A frozen JSON file of the vectors."""
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


SIGNED, SEALED, RECEIPT, CHECKPOINT, BUNDLE, SHARE, NAMED = (vector(f"{n}.json") for n in (
    "signed-report", "sealed-envelope", "receipt", "checkpoint", "bundle", "signed-share",
    "named-set"))


def cases(data: dict) -> list:
    """The must-fail cases of a vector, each with the good vector's fields it does not change."""
    good = {k: v for k, v in data.items() if k != "must_fail"}
    return [pytest.param(good | c, id=c["case"]) for c in data["must_fail"]]


def refused(error: str) -> pytest.RaisesContext:
    """Expect exactly the typed error a must-fail case names."""
    return pytest.raises(ERRORS[error])


def test_the_signed_report_verifies_and_is_the_documented_bytes():
    signed = bytes.fromhex(SIGNED["signed_report_hex"])
    report, signer = verify_signed(signed)
    assert signer.hex() == SIGNED["signer_key_hex"]
    assert report.SerializeToString().hex() == SIGNED["report_hex"]
    assert report.sender_id == SIGNED["school"] and report.kind == report.SCHOOL
    # docs/formats.md §2: Ed25519 over the context and the exact report bytes, nothing else.
    VerifyKey(bytes.fromhex(SIGNED["signer_key_hex"])).verify(
        REPORT_CONTEXT + bytes.fromhex(SIGNED["report_hex"]),
        bytes.fromhex(SIGNED["signature_hex"]))
    assert bytes.fromhex(SIGNED["message_prefix_hex"]) == REPORT_CONTEXT


@pytest.mark.parametrize("case", cases(SIGNED))
def test_a_damaged_signed_report_is_refused(case):
    with refused(case["error"]):
        verify_signed(bytes.fromhex(case["signed_report_hex"]))


def test_the_frozen_sealed_envelope_opens_to_the_frozen_signed_report():
    key = PrivateKey(bytes.fromhex(SEALED["recipient_secret_key_hex"]))
    sealed = bytes.fromhex(SEALED["sealed_hex"])
    assert bytes(key.public_key).hex() == SEALED["recipient_public_key_hex"]
    assert SEALED["opens_to_hex"] == SIGNED["signed_report_hex"]
    assert open_sealed(sealed, key).hex() == SEALED["opens_to_hex"]
    report, signer = open_and_verify(sealed, key)
    assert report.SerializeToString().hex() == SIGNED["report_hex"]
    assert signer.hex() == SIGNED["signer_key_hex"]


def open_as_documented(sealed: bytes, key: PrivateKey) -> bytes:
    """docs/formats.md §3 by hand: ephemeral_pk || crypto_box, nonce BLAKE2b-192(epk || pk)."""
    ephemeral, box = sealed[:32], sealed[32:]
    nonce = blake2b(ephemeral + bytes(key.public_key), digest_size=24, encoder=nacl.encoding.RawEncoder)
    return nacl.bindings.crypto_box_open(box, nonce, ephemeral, bytes(key))


def test_sealing_today_still_makes_the_documented_sealed_box():
    key = PrivateKey(bytes.fromhex(SEALED["recipient_secret_key_hex"]))
    signed = bytes.fromhex(SIGNED["signed_report_hex"])
    fresh = seal(signed, key.public_key)
    assert len(fresh) == len(signed) + 48
    assert open_as_documented(fresh, key) == signed
    assert open_as_documented(bytes.fromhex(SEALED["sealed_hex"]), key) == signed


@pytest.mark.parametrize("case", cases(SEALED))
def test_a_damaged_or_misaddressed_envelope_is_refused(case):
    with refused(case["error"]):
        open_and_verify(bytes.fromhex(case["sealed_hex"]),
                        PrivateKey(bytes.fromhex(case["secret_key_hex"])))


def test_the_receipt_verifies_for_the_signed_report():
    body = verify_receipt(Receipt.FromString(bytes.fromhex(RECEIPT["receipt_hex"])),
                          bytes.fromhex(RECEIPT["signed_report_hex"]),
                          bytes.fromhex(RECEIPT["aggregator_key_hex"]))
    assert json_format.MessageToDict(body, preserving_proto_field_name=True) \
        == RECEIPT["body_decoded"]
    assert RECEIPT["signed_report_hex"] == SIGNED["signed_report_hex"]
    assert body.checkpoint.startswith("guanai/610102\n2\n")


@pytest.mark.parametrize("case", cases(RECEIPT))
def test_a_damaged_or_misapplied_receipt_is_refused(case):
    with refused(case["error"]):
        verify_receipt(Receipt.FromString(bytes.fromhex(case["receipt_hex"])),
                       bytes.fromhex(case["signed_report_hex"]),
                       bytes.fromhex(case["aggregator_key_hex"]))


def test_the_checkpoint_verifies_and_says_what_it_is_frozen_to_say():
    checkpoint = verify_checkpoint(CHECKPOINT["note"], CHECKPOINT["name"],
                                   bytes.fromhex(CHECKPOINT["key_hex"]))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root.hex(), checkpoint.timestamp_ms) \
        == (CHECKPOINT["name"], CHECKPOINT["tree_size"], CHECKPOINT["root_hex"],
            CHECKPOINT["timestamp_ms"])
    assert checkpoint.signatures[0].key_hash.hex() == CHECKPOINT["key_hash_hex"]
    assert (FOLDER / "bundle" / "checkpoints" / f"{checkpoint.size}.txt").read_text(
        encoding="utf-8") == CHECKPOINT["note"]


@pytest.mark.parametrize("case", cases(CHECKPOINT))
def test_a_damaged_or_misattributed_checkpoint_is_refused(case):
    with refused(case["error"]):
        verify_checkpoint(case["note"], case["name"], bytes.fromhex(case["key_hex"]))


def test_the_bundle_verifies_with_nothing_to_report():
    verdict = verify([FOLDER / "bundle"], keys=[FOLDER / BUNDLE["trusted"]])
    assert verdict.ok and verdict.findings == []
    assert verdict.passed["signature"] == 3 and verdict.passed["inclusion"] == 3
    assert verdict.passed["consistency"] >= 1


@pytest.mark.parametrize("case", cases(BUNDLE))
def test_a_damaged_bundle_or_a_wrong_key_fails_the_checks_it_should(case, tmp_path):
    bundle = shutil.copytree(FOLDER / "bundle", tmp_path / "bundle")
    trusted = tmp_path / "trusted.json"
    trusted.write_text(case.get("trusted_json") or (FOLDER / case["trusted"]).read_text(
        encoding="utf-8"), encoding="utf-8")
    if "file" in case:
        path = bundle / case["file"]
        data = path.read_bytes()
        if "flip_bit" in case:
            data = flip_bit(data, *case["flip_bit"])
        elif "truncate_to" in case:
            data = data[: case["truncate_to"]]
        else:
            data = bytes.fromhex(case["replace_hex"])
        assert data != path.read_bytes()
        path.write_bytes(data)
    if case["error"] != "verdict":
        with refused(case["error"]):
            verify([bundle], keys=[trusted])
        return
    verdict = verify([bundle], keys=[trusted])
    assert sorted({f.check for f in verdict.failures}) == case["fails"]


def test_the_signed_share_and_its_receipt_verify_and_are_the_documented_bytes():
    signed = bytes.fromhex(SHARE["signed_share_hex"])
    share, signer = verify_share(signed)
    assert signer.hex() == SHARE["signer_key_hex"]
    assert share.SerializeToString().hex() == SHARE["share_hex"]
    assert share.school_id == SHARE["school"] and share.party == Party.LEADER
    # docs/formats.md §12: Ed25519 over the share context and the exact Share bytes
    VerifyKey(bytes.fromhex(SHARE["signer_key_hex"])).verify(
        SHARE_CONTEXT + bytes.fromhex(SHARE["share_hex"]), bytes.fromhex(SHARE["signature_hex"]))
    assert bytes.fromhex(SHARE["message_prefix_hex"]) == SHARE_CONTEXT
    body = verify_share_receipt(Receipt.FromString(bytes.fromhex(SHARE["receipt_hex"])), signed,
                                bytes.fromhex(SHARE["aggregator_key_hex"]))
    assert (body.sender_id, body.period, body.revision) == (share.school_id, share.period, 1)


@pytest.mark.parametrize("case", cases(SHARE))
def test_a_damaged_or_misapplied_signed_share_is_refused(case):
    signed = bytes.fromhex(case["signed_share_hex"])
    with refused(case["error"]):
        if case.get("receipt_only"):
            verify_share_receipt(Receipt.FromString(bytes.fromhex(case["receipt_hex"])), signed,
                                 bytes.fromhex(case["aggregator_key_hex"]))
        else:
            verify_share(signed)


def test_the_named_set_and_its_partials_verify_and_name_the_set_by_its_digest():
    named, body, signer = partials.open_named_set(bytes.fromhex(NAMED["signed_named_set_hex"]))
    assert body.hex() == NAMED["named_set_hex"] and signer.hex() == NAMED["signer_key_hex"]
    assert hashlib.sha256(body).hexdigest() == NAMED["set_sha256_hex"]
    partial, _ = partials.open_partial(bytes.fromhex(NAMED["signed_partial_hex"]))
    noisy, _ = partials.open_noisy_partial(bytes.fromhex(NAMED["signed_noisy_partial_hex"]))
    assert partial.set_sha256.hex() == noisy.set_sha256.hex() == NAMED["set_sha256_hex"]
    # the documented noise: +1 in each noised cell, read back as signed integers
    noise = [signed(v - p) for v, p in zip(noisy.values, partial.values, strict=True)]
    assert set(noise) == {0, 1} and noisy.party == Party.LEADER
    # docs/formats.md: Ed25519 over the context and the exact NamedSet bytes, checkable alone
    envelope = Signed.FromString(bytes.fromhex(NAMED["signed_named_set_hex"]))
    VerifyKey(signer).verify(partials.NAMED_SET_CONTEXT + body, envelope.signature)


def test_every_deterministic_vector_is_derived_again_byte_for_byte():
    inputs = vector("inputs.json")
    derived = derive(inputs)
    frozen = {p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob("*") if p.is_file()}
    assert frozen == set(derived) | FROZEN_ONLY
    changed = [path for path, data in sorted(derived.items())
               if (FOLDER / path).read_bytes() != data]
    assert changed == [], (
        f"a format changed: {changed} no longer come out as frozen. If the change is meant, "
        "run `python -m tests.vectors.generate` and review the diff of tests/vectors/guanai-v1/")
