"""The signed and sealed envelope: round trip, and every way a forged or stray one is refused."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey, VerifyKey

from privacy.envelope import (
    RECEIPT_CONTEXT,
    REPORT_CONTEXT,
    BadSignature,
    CannotOpen,
    EnvelopeError,
    Malformed,
    open_and_verify,
    open_sealed,
    parse_signed,
    seal,
    sign_report,
    sign_with_context,
    verify_signed,
    verify_with_context,
)
from privacy.keys import public_key_pem
from protos.envelope_pb2 import SignedReport
from protos.report_pb2 import Report


def make_report(**changes) -> Report:
    fields = dict(
        report_id=bytes(range(16)), kind=Report.SCHOOL, sender_id="2161010001",
        region_code="610102", recipient_id="610102", period="2025-H1",
        catalogue_version="1", revision=1, values=[3, -1, 40], noise_variance=[10.0, 10.0, 0.0],
        created_unix_ms=1750000000000, stage_code="21",
    )
    fields.update(changes)
    return Report(**fields)


@pytest.fixture
def school():
    return SigningKey.generate()


@pytest.fixture
def county():
    return PrivateKey.generate()


def test_round_trip(school, county):
    report_bytes = make_report().SerializeToString()
    sealed = seal(sign_report(report_bytes, school), county.public_key)
    report, signer = open_and_verify(sealed, county)
    assert report == make_report()
    assert signer == bytes(school.verify_key)
    assert report.recipient_id == "610102" and report.period == "2025-H1"


def test_the_signature_is_plain_ed25519_over_context_and_report_bytes(school):
    report_bytes = make_report().SerializeToString()
    envelope = SignedReport.FromString(sign_report(report_bytes, school))
    assert envelope.report == report_bytes
    assert REPORT_CONTEXT == b"guanai.v1.report\x00"
    VerifyKey(envelope.signer_key).verify(REPORT_CONTEXT + report_bytes, envelope.signature)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_a_report_signature(tmp_path, school):
    envelope = SignedReport.FromString(sign_report(make_report().SerializeToString(), school))
    (tmp_path / "pub.pem").write_text(public_key_pem(VerifyKey(envelope.signer_key)))
    (tmp_path / "payload.bin").write_bytes(REPORT_CONTEXT + envelope.report)
    (tmp_path / "sig.bin").write_bytes(envelope.signature)
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
               "-in", "payload.bin", "-sigfile", "sig.bin"]
    ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    (tmp_path / "payload.bin").write_bytes(envelope.report)  # without the context
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0


def test_sealed_for_another_aggregator_cannot_be_opened(school, county):
    signed = sign_report(make_report().SerializeToString(), school)
    sealed = seal(signed, PrivateKey.generate().public_key)
    with pytest.raises(CannotOpen):
        open_sealed(sealed, county)
    assert open_sealed(seal(signed, bytes(county.public_key)), county) == signed


@pytest.mark.parametrize("garbage", [b"", b"x" * 47, b"x" * 48, b"x" * 500])
def test_garbage_cannot_be_opened(county, garbage):
    with pytest.raises(CannotOpen):
        open_sealed(garbage, county)


def test_any_damaged_byte_of_a_sealed_box_is_refused(school, county):
    sealed = seal(sign_report(make_report().SerializeToString(), school), county.public_key)
    for position in range(len(sealed)):
        damaged = sealed[:position] + bytes([sealed[position] ^ 0x20]) + sealed[position + 1 :]
        with pytest.raises(CannotOpen):
            open_sealed(damaged, county)


def test_a_changed_report_fails_the_signature(school):
    envelope = SignedReport.FromString(sign_report(make_report().SerializeToString(), school))
    for change in (dict(recipient_id="610000"), dict(period="2025-H2"), dict(revision=2),
                   dict(sender_id="2161010002"), dict(catalogue_version="2")):
        envelope.report = make_report(**change).SerializeToString()
        with pytest.raises(BadSignature):
            verify_signed(envelope.SerializeToString())


def test_any_flipped_bit_of_the_signed_bytes_is_refused(school):
    report_bytes = make_report().SerializeToString()
    envelope = SignedReport.FromString(sign_report(report_bytes, school))
    for field in ("report", "signature", "signer_key"):
        original = getattr(envelope, field)
        for position in range(len(original)):
            setattr(envelope, field,
                    original[:position] + bytes([original[position] ^ 1]) + original[position + 1 :])
            with pytest.raises(EnvelopeError):
                verify_signed(envelope.SerializeToString())
        setattr(envelope, field, original)
    verify_signed(envelope.SerializeToString())


def test_another_signer_key_in_the_envelope_is_refused(school):
    envelope = SignedReport.FromString(sign_report(make_report().SerializeToString(), school))
    envelope.signer_key = bytes(SigningKey.generate().verify_key)
    with pytest.raises(BadSignature):
        verify_signed(envelope.SerializeToString())


def test_a_signature_made_for_another_purpose_is_refused(school):
    report_bytes = make_report().SerializeToString()
    envelope = SignedReport(
        report=report_bytes,
        signature=sign_with_context(RECEIPT_CONTEXT, report_bytes, school),
        signer_key=bytes(school.verify_key),
    )
    with pytest.raises(BadSignature):
        verify_signed(envelope.SerializeToString())
    verify_with_context(RECEIPT_CONTEXT, report_bytes, envelope.signature, school.verify_key)


@pytest.mark.parametrize("context", [b"guanai.v1.report", b"a\x00b\x00", "ctx\x00".encode("utf-16")])
def test_contexts_must_end_with_their_only_nul(school, context):
    with pytest.raises(ValueError):
        sign_with_context(context, b"m", school)


def test_malformed_envelopes(school):
    good = SignedReport.FromString(sign_report(make_report().SerializeToString(), school))
    unsigned_garbage = SignedReport(report=b"\xff\xff", signature=good.signature,
                                    signer_key=good.signer_key).SerializeToString()
    with pytest.raises(Malformed):
        parse_signed(unsigned_garbage)
    with pytest.raises(BadSignature):  # the signature is checked before the report is read
        verify_signed(unsigned_garbage)
    cases = [
        b"\xff\xff\xff",
        SignedReport(report=good.report, signer_key=good.signer_key).SerializeToString(),
        SignedReport(report=good.report, signature=good.signature).SerializeToString(),
        SignedReport(signature=good.signature, signer_key=good.signer_key).SerializeToString(),
    ]
    for bad in cases:
        with pytest.raises(Malformed):
            parse_signed(bad)
        with pytest.raises(Malformed):
            verify_signed(bad)


def test_a_bad_recipient_key_is_refused():
    with pytest.raises(EnvelopeError, match="32 bytes"):
        seal(b"data", b"short")
