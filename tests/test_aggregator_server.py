"""The server's parts: health, reflection, the log's RPCs, TLS and mutual TLS, graceful stop."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from nacl.signing import SigningKey

from aggregator.grpc.server import Tls
from aggregator.store.sqlite import Store
from member.client import Backoff, ClientTls, submit_until_receipt
from privacy.checkpoint import verify_checkpoint
from privacy.envelope import seal, sign_report
from privacy.merkle import leaf_hash, verify_consistency, verify_inclusion
from privacy.receipt import log_origin, verify_receipt
from protos import aggregator_pb2 as pb
from protos.aggregator_pb2_grpc import AggregatorStub
from tests.federation import Aggregator, make_report, school_identity

SCHOOL = "2161010001"


@pytest.fixture
def county(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    county.key = SigningKey.generate()
    county.enrol(school_identity(SCHOOL, "610102", county.key))
    yield county
    county.stop()


def signed_reports(county: Aggregator, count: int) -> list[bytes]:
    return [sign_report(make_report(revision=r + 1).SerializeToString(), county.key)
            for r in range(count)]


def test_health_and_reflection_name_the_service(county):
    county.start()
    with grpc.insecure_channel(county.running.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "guanai.v1.Aggregator"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        [answer] = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        names = {s.name for s in answer.list_services_response.service}
        assert {"guanai.v1.Aggregator", "grpc.health.v1.Health"} <= names


def test_the_log_answers_checkpoints_inclusion_and_consistency(county):
    county.start()
    signing = county.identity().keys.signing
    with grpc.insecure_channel(county.running.address) as channel:
        stub = AggregatorStub(channel)
        signed = signed_reports(county, 5)
        sealing = county.identity().keys.sealing
        first = stub.Submit(pb.Submission(sealed=seal(signed[0], sealing)), timeout=5)
        for s in signed[1:]:
            stub.Submit(pb.Submission(sealed=seal(s, sealing)), timeout=5)
        old = verify_checkpoint(verify_receipt(first, signed[0], signing).checkpoint,
                                log_origin("610102"), signing)
        now = verify_checkpoint(stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=5).note,
                                log_origin("610102"), signing)
        assert (old.size, now.size) == (1, 5)

        proof = stub.GetInclusionProof(pb.GetInclusionProofRequest(leaf_hash=leaf_hash(signed[3])),
                                       timeout=5)
        at = verify_checkpoint(proof.checkpoint, log_origin("610102"), signing)
        verify_inclusion(leaf_hash(signed[3]), proof.log_index, proof.tree_size, proof.hashes,
                         at.root)
        assert proof.log_index == 3

        consistency = stub.GetConsistencyProof(pb.GetConsistencyProofRequest(old_size=1),
                                               timeout=5)
        verify_consistency(1, consistency.new_size, old.root,
                           verify_checkpoint(consistency.checkpoint, log_origin("610102"),
                                             signing).root, consistency.hashes)

        with pytest.raises(grpc.RpcError) as info:
            stub.GetInclusionProof(pb.GetInclusionProofRequest(leaf_hash=bytes(32)), timeout=5)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            stub.GetConsistencyProof(pb.GetConsistencyProofRequest(old_size=9), timeout=5)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_restarted_server_rebuilds_the_same_log(county):
    county.start()
    signed = signed_reports(county, 3)
    with grpc.insecure_channel(county.running.address) as channel:
        stub = AggregatorStub(channel)
        for s in signed:
            stub.Submit(pb.Submission(sealed=seal(s, county.identity().keys.sealing)), timeout=5)
        before = verify_checkpoint(stub.GetCheckpoint(pb.GetCheckpointRequest()).note,
                                   log_origin("610102"), county.identity().keys.signing)
    county.stop()
    county.start()
    with grpc.insecure_channel(county.running.address) as channel:
        after = verify_checkpoint(AggregatorStub(channel).GetCheckpoint(
            pb.GetCheckpointRequest()).note, log_origin("610102"), county.identity().keys.signing)
    assert (after.size, after.root) == (before.size, before.root)


def test_stopping_finishes_a_submission_in_flight_or_refuses_it_whole(county):
    county.start()
    signed = signed_reports(county, 600)
    sealing = county.identity().keys.sealing
    request = pb.SubmitBatchRequest(submissions=[pb.Submission(sealed=seal(s, sealing))
                                                 for s in signed])
    channel = grpc.insecure_channel(county.running.address)
    call = AggregatorStub(channel).SubmitBatch.future(request, timeout=60)
    time.sleep(0.05)
    stopper = threading.Thread(target=county.stop)
    stopper.start()
    try:
        response = call.result()
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.UNAVAILABLE
        response = None
    stopper.join()
    channel.close()
    store = Store(county.db)
    stored = len(store.leaf_hashes())
    store.close()
    if response is not None:
        assert [o.WhichOneof("result") for o in response.outcomes] == ["receipt"] * 600
        assert stored == 600
        return
    # Refused: the batch went in whole or not at all (a commit already under way when the
    # grace period ran out still finishes), and sending it again converges without doubles.
    assert stored in (0, 600)
    county.start()
    with grpc.insecure_channel(county.running.address) as again:
        retried = AggregatorStub(again).SubmitBatch(request, timeout=60)
    assert [o.WhichOneof("result") for o in retried.outcomes] == ["receipt"] * 600
    store = Store(county.db)
    assert len(store.leaf_hashes()) == 600
    store.close()


def _openssl(*args: str, cwd) -> None:  # noqa: ANN001
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=guanai test CA", cwd=tmp_path)
    for name, san in (("server", "IP:127.0.0.1"), ("client", "DNS:2161010001")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=tmp_path)
        (tmp_path / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                 "-extfile", f"{name}.ext", cwd=tmp_path)
    return tmp_path


def test_mutual_tls_accepts_a_member_with_a_certificate_and_refuses_one_without(
        county, certificates):
    c = certificates
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key", c / "ca.pem"))
    target = county.settings.identity(county.running.address, (c / "ca.pem").read_text())
    signed = signed_reports(county, 1)[0]
    submission = pb.Submission(sealed=seal(signed, target.keys.sealing))
    client = ClientTls((c / "client.pem").read_bytes(), (c / "client.key").read_bytes())
    receipt = submit_until_receipt(target, submission, attempts=3, timeout=5, client_tls=client,
                                   backoff=Backoff(initial=0.05, maximum=0.1))
    verify_receipt(receipt, signed, target.keys.signing)
    with grpc.secure_channel(target.address, grpc.ssl_channel_credentials(
            (c / "ca.pem").read_bytes())) as channel:
        with pytest.raises(grpc.RpcError) as info:
            AggregatorStub(channel).Submit(submission, timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
