"""Submit over real gRPC: receipts, idempotence, revisions, and every refusal with its code.

Each refusal must leave the aggregator's database exactly as it was.
"""

from __future__ import annotations

import grpc
import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from aggregator.intake.enrolment import revoke
from aggregator.store.sqlite import Store
from privacy.envelope import seal, sign_report
from privacy.receipt import verify_receipt
from protos.aggregator_pb2 import Receipt, Submission, SubmitBatchRequest
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.envelope_pb2 import SignedReport
from protos.regions import school_stages
from protos.report_pb2 import Report
from protos.validation import layout
from tests.federation import Aggregator, dump, make_report, school_identity

SCHOOL, OTHER = "2161010001", "2161010002"
MAX_MESSAGE = 256 * 1024


@pytest.fixture
def county(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    county.keys = {SCHOOL: SigningKey.generate(), OTHER: SigningKey.generate()}
    for school_id, key in county.keys.items():
        county.enrol(school_identity(school_id, "610102", key))
    county.start(max_message_bytes=MAX_MESSAGE)
    channel = grpc.insecure_channel(county.running.address)
    county.stub = AggregatorStub(channel)
    yield county
    channel.close()
    county.stop()


def signed_of(report: Report, key: SigningKey) -> bytes:
    return sign_report(report.SerializeToString(), key)


def submission(county: Aggregator, report: Report, key: SigningKey | None = None) -> Submission:
    signed = signed_of(report, key or county.keys[report.sender_id])
    return Submission(sealed=seal(signed, county.identity().keys.sealing))


def refused(county: Aggregator, request: Submission) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        county.stub.Submit(request, timeout=10)
    return info.value.code()


def test_an_accepted_report_gets_a_verifiable_receipt_and_a_resend_the_same_one(county):
    report = make_report()
    signed = signed_of(report, county.keys[SCHOOL])
    seal_to = county.identity().keys.sealing
    first = county.stub.Submit(Submission(sealed=seal(signed, seal_to)), timeout=10)
    body = verify_receipt(first, signed, county.identity().keys.signing)
    assert (body.sender_id, body.period, body.revision, body.log_index) == (SCHOOL, "2025-H1", 1, 0)
    after_first = dump(county.db)
    again = county.stub.Submit(Submission(sealed=seal(signed, seal_to)), timeout=10)
    assert again.SerializeToString() == first.SerializeToString()
    assert dump(county.db) == after_first


def _garbage(county):
    return Submission(sealed=b"not a sealed box at all" * 4)


def _sealed_to_another_aggregator(county):
    signed = signed_of(make_report(), county.keys[SCHOOL])
    return Submission(sealed=seal(signed, bytes(PrivateKey.generate().public_key)))


def _forged_signature(county):
    envelope = SignedReport.FromString(signed_of(make_report(), county.keys[SCHOOL]))
    envelope.signature = bytes([envelope.signature[0] ^ 1]) + envelope.signature[1:]
    return Submission(sealed=seal(envelope.SerializeToString(), county.identity().keys.sealing))


def _replayed_into_another_period(county):
    envelope = SignedReport.FromString(signed_of(make_report(), county.keys[SCHOOL]))
    envelope.report = make_report(period="2025-H2").SerializeToString()
    return Submission(sealed=seal(envelope.SerializeToString(), county.identity().keys.sealing))


def _signed_by_an_unenrolled_key(county):
    return submission(county, make_report(), SigningKey.generate())


def _unknown_sender(county):
    return submission(county, make_report(school_id="2161010099"), SigningKey.generate())


def _addressed_to_another_aggregator(county):
    return submission(county, make_report(recipient="610103"))


def _oversized(county):
    return Submission(sealed=b"\0" * (MAX_MESSAGE + 1))


def _wrong_length(county):
    report = make_report()
    report.values.append(1)
    report.noise_variance.append(0.0)
    return submission(county, report)


def _negative_public_cell(county):
    report = make_report()
    report.values[0] = -1  # pop.enrolled.preschool is a public cell
    return submission(county, report)


def _closed_cell_not_zero(county):
    report = make_report()
    report.values[layout("v1", frozenset(school_stages(SCHOOL))).closed[0]] = 3
    return submission(county, report)


def _missing_noise_group(county):
    report = make_report()
    del report.noise[-1]
    return submission(county, report)


def _variance_not_scale_squared(county):
    report = make_report()
    report.noise[0].scale = 4.0
    return submission(county, report)


def _negative_variance(county):
    report = make_report()
    report.noise_variance[0] = -1.0
    return submission(county, report)


def _unknown_catalogue(county):
    return submission(county, make_report(catalogue_version="v9"))


def _future_period(county):
    return submission(county, make_report(period="2999-H1"))


def _bad_period(county):
    return submission(county, make_report(period="2025-Q3"))


def _other_region(county):
    return submission(county, make_report(region="610103"))


def _school_with_member_reports(county):
    request = submission(county, make_report())
    request.sealed_members.append(request.sealed)
    return request


CASES = {
    "garbage bytes": (_garbage, grpc.StatusCode.INVALID_ARGUMENT),
    "sealed to another aggregator": (_sealed_to_another_aggregator,
                                     grpc.StatusCode.INVALID_ARGUMENT),
    "forged signature": (_forged_signature, grpc.StatusCode.UNAUTHENTICATED),
    "replay into another period": (_replayed_into_another_period,
                                   grpc.StatusCode.UNAUTHENTICATED),
    "key not enrolled for the sender": (_signed_by_an_unenrolled_key,
                                        grpc.StatusCode.UNAUTHENTICATED),
    "unknown sender": (_unknown_sender, grpc.StatusCode.UNAUTHENTICATED),
    "addressed to another aggregator": (_addressed_to_another_aggregator,
                                        grpc.StatusCode.PERMISSION_DENIED),
    "oversized message": (_oversized, grpc.StatusCode.RESOURCE_EXHAUSTED),
    "vector of the wrong length": (_wrong_length, grpc.StatusCode.INVALID_ARGUMENT),
    "negative public cell": (_negative_public_cell, grpc.StatusCode.INVALID_ARGUMENT),
    "value where no student can be": (_closed_cell_not_zero, grpc.StatusCode.INVALID_ARGUMENT),
    "missing noise group": (_missing_noise_group, grpc.StatusCode.INVALID_ARGUMENT),
    "variance not the scale squared": (_variance_not_scale_squared,
                                       grpc.StatusCode.INVALID_ARGUMENT),
    "negative variance": (_negative_variance, grpc.StatusCode.INVALID_ARGUMENT),
    "unknown catalogue version": (_unknown_catalogue, grpc.StatusCode.INVALID_ARGUMENT),
    "period not begun": (_future_period, grpc.StatusCode.INVALID_ARGUMENT),
    "malformed period": (_bad_period, grpc.StatusCode.INVALID_ARGUMENT),
    "region other than enrolled": (_other_region, grpc.StatusCode.INVALID_ARGUMENT),
    "a school report with member reports": (_school_with_member_reports,
                                            grpc.StatusCode.INVALID_ARGUMENT),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_submission_gets_its_status_code_and_changes_nothing(county, case):
    county.stub.Submit(submission(county, make_report(school_id=OTHER)), timeout=10)
    make, code = CASES[case]
    request = make(county)
    before = dump(county.db)
    assert refused(county, request) == code
    assert dump(county.db) == before


def test_a_revoked_key_is_refused_from_then_on_and_its_earlier_receipt_still_verifies(county):
    key = county.keys[OTHER]
    first = make_report(school_id=OTHER)
    receipt = county.stub.Submit(submission(county, first), timeout=10)
    store = Store(county.db)
    revoke(store, OTHER)
    store.close()
    before = dump(county.db)
    assert refused(county, submission(county, make_report(school_id=OTHER, period="2025-H2"))) \
        == grpc.StatusCode.PERMISSION_DENIED
    assert dump(county.db) == before
    verify_receipt(receipt, signed_of(first, key), county.identity().keys.signing)


def test_revisions_supersede_and_never_go_back(county):
    r1 = make_report(revision=1)
    county.stub.Submit(submission(county, r1), timeout=10)
    before = dump(county.db)
    assert refused(county, submission(county, make_report(revision=1, base=9))) == \
        grpc.StatusCode.ALREADY_EXISTS
    assert dump(county.db) == before
    county.stub.Submit(submission(county, make_report(revision=3, base=2)), timeout=10)
    before = dump(county.db)
    assert refused(county, submission(county, make_report(revision=2))) == \
        grpc.StatusCode.FAILED_PRECONDITION
    assert dump(county.db) == before
    store = Store(county.db)
    latest = store.latest_submissions("2025-H1")
    history = [store.submission(SCHOOL, "2025-H1", r) for r in (1, 3)]
    store.close()
    assert [(s.sender_id, s.revision) for s in latest] == [(SCHOOL, 3)]
    assert all(history), "an earlier revision is kept as history"


def test_a_batch_answers_each_submission_in_order(county):
    good = submission(county, make_report())
    bad = _garbage(county)
    other = submission(county, make_report(school_id=OTHER))
    response = county.stub.SubmitBatch(SubmitBatchRequest(submissions=[good, bad, other, good]),
                                       timeout=10)
    kinds = [o.WhichOneof("result") for o in response.outcomes]
    assert kinds == ["receipt", "rejection", "receipt", "receipt"]
    assert response.outcomes[1].rejection.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert response.outcomes[3].receipt == response.outcomes[0].receipt
    store = Store(county.db)
    assert len(store.leaf_hashes()) == 2
    store.close()


def test_receipts_of_one_batch_share_a_checkpoint_and_all_verify(county):
    reports = [make_report(revision=r) for r in (1, 2)] + [make_report(school_id=OTHER)]
    signed = [signed_of(r, county.keys[r.sender_id]) for r in reports]
    sealing = county.identity().keys.sealing
    response = county.stub.SubmitBatch(
        SubmitBatchRequest(submissions=[Submission(sealed=seal(s, sealing)) for s in signed]),
        timeout=10)
    bodies = [verify_receipt(o.receipt, s, county.identity().keys.signing)
              for o, s in zip(response.outcomes, signed, strict=True)]
    assert [b.log_index for b in bodies] == [0, 1, 2]
    assert {b.tree_size for b in bodies} == {3}
    assert isinstance(response.outcomes[0].receipt, Receipt)
