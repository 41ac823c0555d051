"""An aggregator killed (SIGKILL) in the middle of a round and restarted loses and doubles nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aggregator.store.sqlite import Store
from member.client import Backoff
from node.membership import ensure_key, import_parent, own_identity
from node.release import release_period
from node.submit import outbox, receipts, submit
from privacy.checkpoint import parse_checkpoint
from privacy.merkle import verify_consistency
from protos.aggregator_pb2 import GetConsistencyProofRequest
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from tests.conftest import School
from tests.federation import Aggregator, free_port

H1 = Period.parse("2025-H1")
SCHOOLS = 16
PATIENT = dict(attempts=500, backoff=Backoff(initial=0.02, maximum=0.2), timeout=5)


def serve(db, address: str) -> subprocess.Popen:  # noqa: ANN001
    process = subprocess.Popen(
        [sys.executable, "-m", "guanai", "aggregator", "--db", str(db), "serve",
         "--listen", address, "--grace", "5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answer = health.Check(health_pb2.HealthCheckRequest(service="guanai.v1.Aggregator"),
                              wait_for_ready=True, timeout=60)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    return process


def committed(db) -> int:  # noqa: ANN001
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def schools(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    address = f"127.0.0.1:{free_port()}"
    made = []
    for n in range(SCHOOLS):
        school = School(tmp_path / f"s{n}.db", school_id=f"21610100{n:02d}")
        school.student("primary", ["poverty"])
        ensure_key(school.path)
        county.enrol(own_identity(school.db, school.path))
        import_parent(school.db, county.identity(address))
        release_period(school.db, H1, "610102", today=date(2025, 12, 31))
        made.append(school)
    return county, address, made


def test_sigkill_mid_round_then_restart_every_school_ends_with_one_receipt(schools):
    county, address, made = schools
    process = serve(county.db, address)
    killed = threading.Event()
    errors: list[BaseException] = []

    def run(group: list[School], wait_for_kill: bool) -> None:
        if wait_for_kill:
            killed.wait()
        for school in group:
            try:
                submit(school.db, school.path, H1, **PATIENT)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

    half = SCHOOLS // 2
    workers = [threading.Thread(target=run, args=(made[i:half:3], False)) for i in range(3)]
    workers += [threading.Thread(target=run, args=(made[half + i::2], True)) for i in range(2)]
    for worker in workers:
        worker.start()
    try:
        while committed(county.db) < 2:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed.set()
        time.sleep(0.3)  # schools meet a dead aggregator and back off
        process = serve(county.db, address)
        for worker in workers:
            worker.join(timeout=120)
    finally:
        killed.set()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read().decode()

    assert errors == []
    store = Store(county.db)
    try:
        leaves = store.leaf_hashes()
        held = store.latest_submissions(H1.code)
    finally:
        store.close()
    assert len(leaves) == SCHOOLS
    assert sorted(s.sender_id for s in held) == sorted(
        f"21610100{n:02d}" for n in range(SCHOOLS))
    for school in made:
        assert [i.state for i in outbox(school.db)] == ["delivered"]
        assert len(receipts(school.db)) == 1

    process = serve(county.db, address)
    try:
        with grpc.insecure_channel(address) as channel:
            stub = AggregatorStub(channel)
            for school in made:
                body = receipts(school.db)[0].body
                proof = stub.GetConsistencyProof(
                    GetConsistencyProofRequest(old_size=body.tree_size), timeout=10)
                old, new = parse_checkpoint(body.checkpoint), parse_checkpoint(proof.checkpoint)
                assert new.size == SCHOOLS
                verify_consistency(old.size, new.size, old.root, new.root, proof.hashes)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
