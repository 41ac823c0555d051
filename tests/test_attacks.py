"""The attack suite: a hostile sender against a live county, with a client of its own.

The client here is written from the .proto files and docs/formats.md alone — Ed25519 over
"guanai.v1.report\\0" || report bytes, a libsodium sealed box, protobuf bytes put together by
hand where an attacker would — and uses none of the project's sending or signing code. Each
case asserts the status code, that nothing was stored (every row of every table of the
aggregator's SQLite file, and the log's tree size, before and after) and that the server
still serves (health, and an honest resend answered with its receipt).

Each case stands for its kind (DESIGN §4 invariants 8, 9, 10; issue 16): other non-canonical
encodings, other overflowing values, other ways past the signature must fail the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nacl.public import PublicKey, SealedBox
from nacl.signing import SigningKey

from aggregator.intake.enrolment import revoke
from aggregator.store.sqlite import Store
from protos.aggregator_pb2 import GetCheckpointRequest, Submission, SubmitBatchRequest
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.envelope_pb2 import SignedReport
from protos.members_pb2 import MemberRequest, SignedRequest
from protos.members_pb2_grpc import MembersStub
from protos.query_pb2 import Credential, FiguresRequest, SignedCredential
from protos.query_pb2_grpc import QueryStub
from protos.report_pb2 import Member, Report
from protos.validation import MAX_BATCH
from tests.federation import Aggregator, dump, make_report, school_identity

SCHOOL, HONEST, VICTIM = "2161010001", "2161010002", "2161010003"
REPORT_CONTEXT = b"guanai.v1.report\x00"  # docs/formats.md §2
CREDENTIAL_CONTEXT = b"guanai.v1.credential\x00"  # docs/query.md §2
CODE = grpc.StatusCode


# --- the attacker's own client: protobuf wire format, signing and sealing by hand

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, data: bytes | int, wire: int | None = None) -> bytes:
    """One field on the wire: an int as a varint, bytes length-delimited."""
    if isinstance(data, int):
        return varint(number << 3 | (wire or 0)) + varint(data)
    return varint(number << 3 | 2) + varint(len(data)) + data


def fields_of(report: Report) -> list[tuple[int, bytes]]:
    """Each set field of a Report, serialized alone: the parts the canonical bytes join."""
    parts = []
    names = [descriptor.name for descriptor, _ in report.ListFields()]
    for descriptor, _ in report.ListFields():
        alone = Report()
        alone.CopyFrom(report)
        for name in names:
            if name != descriptor.name:
                alone.ClearField(name)
        parts.append((descriptor.number, alone.SerializeToString()))
    return parts


def signed(report_bytes: bytes, key: SigningKey) -> SignedReport:
    return SignedReport(report=report_bytes,
                        signature=key.sign(REPORT_CONTEXT + report_bytes).signature,
                        signer_key=bytes(key.verify_key))


def sealed(data: bytes, county: Aggregator) -> Submission:
    return Submission(sealed=SealedBox(PublicKey(county.identity().keys.sealing)).encrypt(data))


def submission(county: Aggregator, report_bytes: bytes, key: SigningKey | None = None) -> Submission:
    return sealed(signed(report_bytes, key or county.keys[SCHOOL]).SerializeToString(), county)


def zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


# --- a live county, and what "nothing changed, still serving" means

@pytest.fixture(scope="module")
def county(tmp_path_factory):
    county = Aggregator(tmp_path_factory.mktemp("attacks"), "610102", "county", "610000")
    county.keys = {s: SigningKey.generate() for s in (SCHOOL, HONEST, VICTIM)}
    for school_id, key in county.keys.items():
        county.enrol(school_identity(school_id, "610102", key))
    county.start()
    channel = grpc.insecure_channel(county.running.address)
    county.stub = AggregatorStub(channel)
    county.health = health_pb2_grpc.HealthStub(channel)
    county.query = QueryStub(channel)
    county.members = MembersStub(channel)
    county.honest = submission(county, make_report(school_id=HONEST).SerializeToString(),
                               county.keys[HONEST])
    county.receipt = county.stub.Submit(county.honest, timeout=10).SerializeToString()
    yield county
    channel.close()
    county.stop()


def log_size(county: Aggregator) -> int:
    note = county.stub.GetCheckpoint(GetCheckpointRequest(), timeout=10).note
    return int(note.splitlines()[1])  # C2SP checkpoint: origin, tree size, root hash


def still_serves(county: Aggregator) -> None:
    health = county.health.Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    again = county.stub.Submit(county.honest, timeout=10)
    assert again.SerializeToString() == county.receipt


def refused(county: Aggregator, call: Callable[[], object]) -> grpc.RpcError:
    """Run ``call``; it must fail, change no row and no leaf; the server must still serve."""
    size, before = log_size(county), dump(county.db)
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert dump(county.db) == before
    assert log_size(county) == size
    still_serves(county)
    return info.value


# --- the cases: each makes the bytes of one sealed submission

def _report(**changes) -> Report:  # noqa: ANN003
    return make_report(**{"school_id": SCHOOL, **changes})


def _canonical(county: Aggregator, **changes) -> Submission:  # noqa: ANN003
    return submission(county, _report(**changes).SerializeToString())


def _with_unknown_field(county):
    # field 100: free text naming a student, inside the signed bytes
    text = "张三 身份证 610102200801011234".encode()
    return submission(county, _report().SerializeToString() + field(100, text))


def _with_nested_unknown_field(county):
    report = _report()
    groups = list(report.noise)
    del report.noise[:]
    inner = field(9, field(1, field(1, b"hidden")))  # unknown field 9 of NoiseGroup, nested
    raw = b"".join(part for number, part in fields_of(report) if number < 11)
    raw += b"".join(field(11, g.SerializeToString() + inner) for g in groups)
    raw += b"".join(part for number, part in fields_of(report) if number > 11)
    return submission(county, raw)


def _unsigned_field_in_envelope(county):
    envelope = signed(_report().SerializeToString(), county.keys[SCHOOL]).SerializeToString()
    return sealed(envelope + field(4, "李四".encode()), county)


def _second_signature_field(county):
    envelope = signed(_report().SerializeToString(), county.keys[SCHOOL])
    raw = (field(1, envelope.report) + field(2, os.urandom(64)) + field(2, envelope.signature)
           + field(3, envelope.signer_key))  # the last signature wins and verifies
    return sealed(raw, county)


def _second_report_field(county):
    envelope = signed(_report().SerializeToString(), county.keys[SCHOOL])
    raw = (field(1, "王五".encode()) + field(1, envelope.report) + field(2, envelope.signature)
           + field(3, envelope.signer_key))
    return sealed(raw, county)


def _fields_out_of_order(county):
    return submission(county, b"".join(part for _, part in reversed(fields_of(_report()))))


def _unpacked_values(county):
    report = _report()
    raw = b""
    for number, part in fields_of(report):
        if number == 9:
            part = b"".join(field(9, zigzag(v)) for v in report.values)
        raw += part
    return submission(county, raw)


def _overlong_varint(county):
    raw = b""
    for number, part in fields_of(_report()):
        if number == 8:  # revision 1 as the two-byte varint 0x81 0x00
            part = varint(8 << 3) + b"\x81\x00"
        raw += part
    return submission(county, raw)


def _default_written(county):
    raw = b""
    for number, part in fields_of(_report()):
        raw += part
        if number == 13:
            raw += field(14, b"")  # an empty stage code written out, before the real one
    return submission(county, raw)


def _cell(value: int, public: bool = False) -> Callable:
    def make(county):
        report = _report()
        variances = list(report.noise_variance)
        index = next(i for i, v in enumerate(variances) if (v == 0) == public and report.values[i])
        report.values[index] = value
        return submission(county, report.SerializeToString())
    return make


def _noise(scale: float, variance: float | None = None, mechanism: str = "discrete_gaussian",
           ) -> Callable:
    def make(county):
        report = _report()
        for group in report.noise:
            group.scale, group.mechanism = scale, mechanism
        report.noise_variance[:] = [0.0 if v == 0 else (scale * scale if variance is None
                                                        else variance)
                                    for v in report.noise_variance]
        return submission(county, report.SerializeToString())
    return make


def _below_policy(county):
    report = _report()
    for group in report.noise:
        group.scale /= 2  # four times the ρ allowed
    report.noise_variance[:] = [0.0 if v == 0 else v / 4 for v in report.noise_variance]
    return submission(county, report.SerializeToString())


def _school_naming_members(county):
    report = _report()
    report.members.append(Member(sender_id=HONEST, revision=1, report_sha256=bytes(32)))
    return submission(county, report.SerializeToString())


CASES: dict[str, tuple[Callable[[Aggregator], Submission], grpc.StatusCode]] = {
    # already refused before issue 16
    "garbage": (lambda c: Submission(sealed=os.urandom(200)), CODE.INVALID_ARGUMENT),
    "forged signature": (lambda c: submission(c, _report().SerializeToString(),
                                              SigningKey.generate()), CODE.UNAUTHENTICATED),
    "unknown sender": (lambda c: submission(c, _report(school_id="2161010099")
                                            .SerializeToString(), SigningKey.generate()),
                       CODE.UNAUTHENTICATED),
    "another recipient": (lambda c: _canonical(c, recipient="610103"), CODE.PERMISSION_DENIED),
    # 1: strings exactly canonical ASCII
    "period with a trailing space": (lambda c: _canonical(c, period="2025-H1 "),
                                     CODE.INVALID_ARGUMENT),
    "period with a leading space": (lambda c: _canonical(c, period=" 2025-H1"),
                                    CODE.INVALID_ARGUMENT),
    "period with a newline": (lambda c: _canonical(c, period="2025-H1\n"), CODE.INVALID_ARGUMENT),
    "period in full-width digits": (lambda c: _canonical(c, period="２０２５-H1"),
                                    CODE.INVALID_ARGUMENT),
    "period in Arabic-Indic digits": (lambda c: _canonical(c, period="٢٠٢٥-H1"),
                                      CODE.INVALID_ARGUMENT),
    "period of 100,000 characters": (lambda c: _canonical(c, period="2025-H1" + "０" * 100_000),
                                     CODE.INVALID_ARGUMENT),
    "region code with a newline": (lambda c: _canonical(c, region="610102\n"),
                                   CODE.INVALID_ARGUMENT),
    "catalogue version with a space": (lambda c: _canonical(c, catalogue_version="v1 "),
                                       CODE.INVALID_ARGUMENT),
    # 2: nothing unsigned, unknown or repeated
    "unknown field with a name in the report": (_with_unknown_field, CODE.INVALID_ARGUMENT),
    "nested unknown field": (_with_nested_unknown_field, CODE.INVALID_ARGUMENT),
    "unsigned field in the envelope": (_unsigned_field_in_envelope, CODE.INVALID_ARGUMENT),
    "second signature field": (_second_signature_field, CODE.INVALID_ARGUMENT),
    "second report field": (_second_report_field, CODE.INVALID_ARGUMENT),
    "fields out of order": (_fields_out_of_order, CODE.INVALID_ARGUMENT),
    "repeated values not packed": (_unpacked_values, CODE.INVALID_ARGUMENT),
    "overlong varint": (_overlong_varint, CODE.INVALID_ARGUMENT),
    "a default value written out": (_default_written, CODE.INVALID_ARGUMENT),
    # 4: values bounded by the catalogue, revisions by a small bound
    "private cell 2^63-1": (_cell(2**63 - 1), CODE.INVALID_ARGUMENT),
    "private cell -2^63": (_cell(-(2**63)), CODE.INVALID_ARGUMENT),
    "private cell -10^9": (_cell(-(10**9)), CODE.INVALID_ARGUMENT),
    "public cell 2^62": (_cell(2**62, public=True), CODE.INVALID_ARGUMENT),
    "revision 2^32-1": (lambda c: _canonical(c, revision=2**32 - 1), CODE.INVALID_ARGUMENT),
    "revision 100": (lambda c: _canonical(c, revision=100), CODE.INVALID_ARGUMENT),
    "a school table naming members": (_school_naming_members, CODE.INVALID_ARGUMENT),
    # 3: noise as the contract and the policy require
    "scale 1e-200, no variance": (_noise(1e-200, 0.0), CODE.INVALID_ARGUMENT),
    "scale 1e300": (_noise(1e300), CODE.INVALID_ARGUMENT),
    "infinite scale": (_noise(float("inf")), CODE.INVALID_ARGUMENT),
    "another mechanism": (_noise(50.0, mechanism="none"), CODE.INVALID_ARGUMENT),
    "scale 0.5: far below the policy": (_noise(0.5), CODE.FAILED_PRECONDITION),
    "half the scale the policy requires": (_below_policy, CODE.FAILED_PRECONDITION),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_attack_gets_its_status_stores_nothing_and_the_server_serves_on(county, case):
    make, code = CASES[case]
    request = make(county)
    error = refused(county, lambda: county.stub.Submit(request, timeout=10))
    assert error.code() == code, error.details()
    assert len(error.details().encode()) <= 700  # a hostile string is quoted clipped


def test_the_policy_refusal_says_what_was_allowed(county):
    error = refused(county, lambda: county.stub.Submit(_below_policy(county), timeout=10))
    assert "ρ = 0.5" in error.details() and "σ ≥" in error.details()


def test_any_changed_byte_of_the_signed_report_is_unauthenticated(county):
    """The signature is checked before the report is read: a flipped bit anywhere in the
    report bytes is UNAUTHENTICATED, never a parse error (issue 16 item 8)."""
    good = signed(_report().SerializeToString(), county.keys[SCHOOL])
    size, before = log_size(county), dump(county.db)
    codes = set()
    for position in range(len(good.report)):
        flipped = bytearray(good.report)
        flipped[position] ^= 1 << (position % 8)
        envelope = SignedReport(report=bytes(flipped), signature=good.signature,
                                signer_key=good.signer_key)
        with pytest.raises(grpc.RpcError) as info:
            county.stub.Submit(sealed(envelope.SerializeToString(), county), timeout=10)
        codes.add(info.value.code())
    assert codes == {CODE.UNAUTHENTICATED}
    assert (log_size(county), dump(county.db)) == (size, before)
    still_serves(county)


def test_a_batch_beyond_the_maximum_is_refused_at_once(county):
    tiny = Submission(sealed=b"x")
    for count in (MAX_BATCH + 1, 1_000_000):
        request = SubmitBatchRequest(submissions=[tiny] * count)
        error = refused(county, lambda request=request: county.stub.SubmitBatch(request,
                                                                                timeout=60))
        assert error.code() == CODE.RESOURCE_EXHAUSTED, error.details()
        assert "at most" in error.details()


def test_an_accepted_batch_answer_always_fits_the_message_limit(tmp_path):
    """At a small message limit the batch maximum shrinks; a full batch of rejections that
    quote long hostile strings still gets its whole answer (messages are clipped)."""
    small = Aggregator(tmp_path, "610102", "county", "610000")
    key = SigningKey.generate()
    small.keys = {SCHOOL: key}
    small.enrol(school_identity(SCHOOL, "610102", key))
    small.start(max_message_bytes=256 * 1024)
    try:
        with grpc.insecure_channel(small.running.address) as channel:
            stub = AggregatorStub(channel)
            most = 256 * 1024 // 4096
            long_period = "2025-H1" + "Ｘ" * 400
            item = submission(small, _report(period=long_period).SerializeToString(), key)
            answer = stub.SubmitBatch(SubmitBatchRequest(submissions=[item] * most), timeout=60)
            assert [o.rejection.code for o in answer.outcomes] == [
                CODE.INVALID_ARGUMENT.value[0]] * most
            with pytest.raises(grpc.RpcError) as info:
                stub.SubmitBatch(SubmitBatchRequest(submissions=[item] * (most + 1)), timeout=60)
            assert info.value.code() == CODE.RESOURCE_EXHAUSTED
    finally:
        small.stop()


def test_the_annual_cap_counts_every_revision_held(county):
    """Revisions at the policy's ρ = 0.5 each: four fit the cap of 2.0 in a year, whatever the
    half; the fifth is refused, saying what was spent and allowed."""
    key = county.keys[VICTIM]
    for period, revision in (("2025-H1", 1), ("2025-H1", 2), ("2025-H2", 1), ("2025-H2", 2)):
        report = make_report(school_id=VICTIM, period=period, revision=revision)
        county.stub.Submit(submission(county, report.SerializeToString(), key), timeout=10)
    fifth = make_report(school_id=VICTIM, period="2025-H2", revision=3)
    error = refused(county, lambda: county.stub.Submit(
        submission(county, fifth.SerializeToString(), key), timeout=10))
    assert error.code() == CODE.FAILED_PRECONDITION
    assert "the cap is ρ = 2" in error.details()


# --- 6: query credentials

def credential(key: SigningKey, issuer: str, issued: int, expires: int) -> bytes:
    body = Credential(issuer=issuer, role="school", region=issuer, subject="aid-office",
                      issued_unix=issued, expires_unix=expires,
                      nonce=os.urandom(16)).SerializeToString()
    return SignedCredential(credential=body,
                            signature=key.sign(CREDENTIAL_CONTEXT + body).signature,
                            signer_key=bytes(key.verify_key)).SerializeToString()


def ask(county: Aggregator, token: bytes) -> None:
    county.query.Figures(FiguresRequest(numerator=["acad.dropped_out"], periods=["2025-H1"]),
                         metadata=[("guanai-credential-bin", token)], timeout=10)


NOW = int(datetime.now(UTC).timestamp())
DAY = 86400
CREDENTIAL_TIMES = {
    "expiry 2^40 s": (NOW - DAY, 2**40),
    "expiry 2^63-1": (NOW - DAY, 2**63 - 1),
    "issued before 1970": (-(2**40), NOW + DAY),
    "issued in the future": (NOW + 30 * DAY, NOW + 40 * DAY),
    "valid for ten years": (NOW - DAY, NOW + 3650 * DAY),
    "expires before issued": (NOW + DAY, NOW - DAY),
}


@pytest.mark.parametrize("case", list(CREDENTIAL_TIMES))
def test_a_credential_with_out_of_range_times_is_unauthenticated(county, case):
    issued, expires = CREDENTIAL_TIMES[case]
    for key in (county.keys[HONEST], SigningKey.generate()):
        token = credential(key, HONEST, issued, expires)
        error = refused(county, lambda token=token: ask(county, token))
        assert error.code() == CODE.UNAUTHENTICATED, error.details()


def test_the_attacker_client_speaks_the_contract(county):
    """The hand-made canonical bytes are what the generated code writes, and an honest
    table sent by this client is accepted: the refusals above are for the attack alone."""
    report = make_report(school_id=SCHOOL, period="2025-H2")
    assert b"".join(part for _, part in fields_of(report)) == report.SerializeToString()
    county.stub.Submit(submission(county, report.SerializeToString()), timeout=10)


def test_a_revoked_key_gets_no_figures_though_it_signed_a_report_held(county):
    key = county.keys[VICTIM]
    token = credential(key, VICTIM, NOW - DAY, NOW + DAY)
    ask(county, token)  # answered while the key stands
    store = Store(county.db)
    try:
        revoke(store, VICTIM, at=datetime.now(UTC) - timedelta(seconds=1))
    finally:
        store.close()
    size, before = log_size(county), dump(county.db)
    with pytest.raises(grpc.RpcError) as info:
        ask(county, token)
    assert info.value.code() == CODE.UNAUTHENTICATED
    assert (log_size(county), dump(county.db)) == (size, before)
    late = make_report(school_id=VICTIM, period="2025-H2", revision=3)
    error = refused(county, lambda: county.stub.Submit(  # nor does it submit
        submission(county, late.SerializeToString(), key), timeout=10))
    assert error.code() == CODE.PERMISSION_DENIED


MEMBER_REQUEST_CONTEXT = b"guanai.v1.member-request\x00"  # docs/formats.md §2


@pytest.mark.parametrize("unix_ms", [2**62, -(2**62), 2**63 - 1])
def test_a_member_request_with_an_out_of_range_time_is_unauthenticated(county, unix_ms):
    key = county.keys[HONEST]
    body = MemberRequest(member_id=HONEST, aggregator_id="610102", unix_ms=unix_ms,
                         nonce=os.urandom(16)).SerializeToString()
    signed = SignedRequest(request=body, signature=key.sign(MEMBER_REQUEST_CONTEXT + body)
                           .signature, signer_key=bytes(key.verify_key))
    error = refused(county, lambda: county.members.GetStatus(signed, timeout=10))
    assert error.code() == CODE.UNAUTHENTICATED, error.details()


# --- query credentials and member requests: canonical, the signature first (issue 16)

def credential_body(*, issued_field: bytes | None = None, extra: bytes = b"",
                    issuer: bytes = HONEST.encode()) -> bytes:
    """A school's Credential put together by hand, field by field, in canonical order."""
    return (field(1, issuer) + field(2, b"school") + field(3, HONEST.encode())
            + field(4, b"aid-office") + (issued_field or field(5, NOW - DAY))
            + field(6, NOW + DAY) + field(7, os.urandom(16)) + extra)


def signed_credential(body: bytes, key: SigningKey, extra: bytes = b"") -> bytes:
    return (field(1, body) + field(2, key.sign(CREDENTIAL_CONTEXT + body).signature)
            + field(3, bytes(key.verify_key)) + extra)


NAME_AND_ID = field(100, "欧阳金丝雀 610102200801011235".encode())
CREDENTIALS = {
    "an unknown field in the signed credential": lambda k: signed_credential(
        credential_body(extra=NAME_AND_ID), k),
    "the issuer written twice": lambda k: signed_credential(
        credential_body(extra=field(1, HONEST.encode())), k),
    "an overlong varint for the issue time": lambda k: signed_credential(
        credential_body(issued_field=varint(5 << 3) + varint(NOW - DAY)[:-1]
                        + bytes([varint(NOW - DAY)[-1] | 0x80, 0x00])), k),
    "a field written out at its default": lambda k: signed_credential(
        credential_body(extra=varint(8 << 3) + varint(0)), k),
    "an unsigned field beside the signature": lambda k: signed_credential(
        credential_body(), k, NAME_AND_ID),
    "a second signature field": lambda k: signed_credential(
        credential_body(), k, field(2, bytes(64))),
    "fields out of order": lambda k: (lambda body: field(3, bytes(k.verify_key))
                                      + field(1, body) + field(2, k.sign(
                                          CREDENTIAL_CONTEXT + body).signature))(
        credential_body()),
}


def test_the_hand_made_credential_is_answered(county):
    """The control: the same hand-made bytes, canonical, get figures."""
    token = signed_credential(credential_body(), county.keys[HONEST])
    assert Credential.FromString(SignedCredential.FromString(token).credential).issuer == HONEST
    ask(county, token)


@pytest.mark.parametrize("case", list(CREDENTIALS))
def test_a_non_canonical_credential_is_unauthenticated(county, case):
    token = CREDENTIALS[case](county.keys[HONEST])
    error = refused(county, lambda: ask(county, token))
    assert error.code() == CODE.UNAUTHENTICATED, error.details()
    assert "凭据格式错误 malformed credential" in error.details()


def test_a_changed_credential_byte_is_always_a_bad_signature(county):
    """The signature is checked before the credential is read: no flipped bit of the signed
    bytes, wherever it falls, gets another answer than a bad signature."""
    key = county.keys[HONEST]
    body = credential_body()
    for bit in range(0, len(body) * 8, 3):
        changed = bytearray(body)
        changed[bit // 8] ^= 1 << bit % 8
        token = (field(1, bytes(changed)) + field(2, key.sign(CREDENTIAL_CONTEXT + body)
                                                  .signature) + field(3, bytes(key.verify_key)))
        with pytest.raises(grpc.RpcError) as info:
            ask(county, token)
        assert info.value.code() == CODE.UNAUTHENTICATED
        assert "凭据签名无效" in info.value.details(), (bit, info.value.details())
    still_serves(county)


def member_request(*, extra: bytes = b"", unix_ms: bytes | None = None) -> bytes:
    """HONEST's MemberRequest to the county, by hand, in canonical order."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    return (field(1, HONEST.encode()) + field(2, b"610102")
            + (unix_ms or varint(3 << 3) + varint(now_ms)) + field(4, os.urandom(16)) + extra)


def signed_request(body: bytes, key: SigningKey) -> SignedRequest:
    return SignedRequest(request=body, signature=key.sign(MEMBER_REQUEST_CONTEXT + body)
                         .signature, signer_key=bytes(key.verify_key))


def overlong_now() -> bytes:
    now = varint(int(datetime.now(UTC).timestamp() * 1000))
    return varint(3 << 3) + now[:-1] + bytes([now[-1] | 0x80, 0x00])


MEMBER_REQUESTS = {
    "an unknown field in the signed request": lambda: member_request(extra=NAME_AND_ID),
    "the member id written twice": lambda: member_request(extra=field(1, HONEST.encode())),
    "an overlong varint for the time": lambda: member_request(unix_ms=overlong_now()),
    "an empty new key written out": lambda: member_request(extra=field(5, b"")),
}


def test_the_hand_made_member_request_is_answered(county):
    county.members.GetStatus(signed_request(member_request(), county.keys[HONEST]), timeout=10)


@pytest.mark.parametrize("case", list(MEMBER_REQUESTS))
@pytest.mark.parametrize("method", ["GetStatus", "RotateKey"])
def test_a_non_canonical_member_request_is_invalid_argument(county, case, method):
    signed = signed_request(MEMBER_REQUESTS[case](), county.keys[HONEST])
    error = refused(county, lambda: getattr(county.members, method)(signed, timeout=10))
    assert error.code() == CODE.INVALID_ARGUMENT, error.details()
    assert "请求格式错误 malformed request" in error.details()


def test_an_unsigned_field_beside_a_member_requests_signature_is_invalid_argument(county):
    wire = signed_request(member_request(), county.keys[HONEST]).SerializeToString()
    smuggled = SignedRequest.FromString(wire + NAME_AND_ID)  # what the server's gRPC parses
    error = refused(county, lambda: county.members.GetStatus(smuggled, timeout=10))
    assert error.code() == CODE.INVALID_ARGUMENT, error.details()


def test_a_changed_member_request_byte_is_always_unauthenticated(county):
    key = county.keys[HONEST]
    body = member_request()
    for bit in range(0, len(body) * 8, 3):
        changed = bytearray(body)
        changed[bit // 8] ^= 1 << bit % 8
        signed = SignedRequest(request=bytes(changed), signer_key=bytes(key.verify_key),
                               signature=key.sign(MEMBER_REQUEST_CONTEXT + body).signature)
        with pytest.raises(grpc.RpcError) as info:
            county.members.GetStatus(signed, timeout=10)
        assert info.value.code() == CODE.UNAUTHENTICATED, (bit, info.value.details())
    still_serves(county)
