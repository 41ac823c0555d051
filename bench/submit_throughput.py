"""Submissions accepted per second, end to end over gRPC on loopback, against open + verify alone.

    .venv/bin/python bench/submit_throughput.py [--count 10000] [--concurrency 64] [--batch 250]

A county aggregator runs as its own process (`guanai aggregator serve`), with as many enrolled
schools as submissions. Every submission is a distinct school's report of catalogue v1, signed
and sealed beforehand (each school does that on its own machine), so the figures are the
aggregator's: receive, open, verify, check, store durably, log, sign a receipt, answer. Many
concurrent calls come from one client process, first one report per Submit, then batches per
SubmitBatch. Then, in the same run, opening and verifying the same submissions alone on one
core, and the ratio. Every run checks that every submission was accepted exactly once.

The reports are for 2025-H1, so the aggregator runs on a clock inside that period, before its
deadline (``SUBMITTED_AT``), whatever the day the figures are taken: served by the same
``aggregator.server.serve`` as `guanai aggregator serve`, with the clock injected.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nacl.signing import SigningKey

from aggregator.grpc import server
from aggregator.keys import own_identity
from aggregator.store.sqlite import Member, MemberKey, Store
from common.clock import SimulatedClock
from privacy.envelope import open_sealed, seal, sign_report, verify_signed
from privacy.keys import key_id
from protos.aggregator_pb2 import Submission, SubmitBatchRequest
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import CHINA

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the tests' report maker
from tests.federation import make_report  # noqa: E402

REGION = "610102"
CHANNELS = 4
SUBMITTED_AT = datetime(2025, 6, 20, 10, tzinfo=CHINA)  # 2025-H1 is open and not yet due


def prepare(folder: Path, count: int) -> tuple[Path, list[bytes]]:
    """A county store with ``count`` enrolled schools, and one sealed report from each."""
    db = folder / "county.db"
    settings = own_identity.init(db, "county", REGION, "610000")
    store = Store(db)
    sealed = []
    with store.transaction():
        for n in range(count):
            school_id = f"2161{n:06d}"
            key = SigningKey.generate()
            public = bytes(key.verify_key)
            store.add_member(Member(school_id, "school", REGION, "2025-01-01T00:00:00+00:00"))
            store.add_key(MemberKey(school_id, key_id(public), public,
                                    "2025-01-01T00:00:00+00:00", None))
            report = make_report(school_id, base=n % 50).SerializeToString()
            sealed.append(seal(sign_report(report, key), settings.sealing_key.public_key))
    store.close()
    return db, sealed


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(db), address], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with grpc.insecure_channel(address) as channel:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="guanai.v1.Aggregator"),
            wait_for_ready=True, timeout=60)
    return process, address


def serve_at_submission_time(db: Path, address: str) -> None:
    """The aggregator's process: serve until SIGTERM, with the clock stopped at SUBMITTED_AT."""
    server.serve(db, address, clock=SimulatedClock(SUBMITTED_AT))


def fire(address: str, requests: list, method: str, concurrency: int) -> float:
    """Send every request with at most ``concurrency`` in flight; seconds until all answered."""
    channels = [grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(CHANNELS)]
    calls = [getattr(AggregatorStub(c), method) for c in channels]
    slots = threading.Semaphore(concurrency)
    finished = threading.Semaphore(0)
    failures: list[str] = []

    def done(future: grpc.Future) -> None:
        if future.exception() is not None:
            failures.append(str(future.exception()))
        slots.release()
        finished.release()

    start = time.perf_counter()
    for i, request in enumerate(requests):
        slots.acquire()
        calls[i % CHANNELS].future(request, timeout=600).add_done_callback(done)
    for _ in requests:
        finished.acquire()
    elapsed = time.perf_counter() - start
    for channel in channels:
        channel.close()
    if failures:
        raise SystemExit(f"{len(failures)} calls failed, e.g. {failures[0]}")
    return elapsed


def accepted(db: Path) -> int:
    store = Store(db)
    try:
        return len(store.leaf_hashes())
    finally:
        store.close()


def end_to_end(count: int, concurrency: int, batch: int | None) -> float:
    with tempfile.TemporaryDirectory(prefix="guanai-bench-") as folder:
        db, sealed = prepare(Path(folder), count)
        if batch is None:
            requests, method = [Submission(sealed=s) for s in sealed], "Submit"
        else:
            requests = [SubmitBatchRequest(submissions=[Submission(sealed=s)
                                                        for s in sealed[i : i + batch]])
                        for i in range(0, count, batch)]
            method = "SubmitBatch"
        process, address = serve(db)
        try:
            elapsed = fire(address, requests, method, concurrency)
        finally:
            process.terminate()
            process.wait()
        held = accepted(db)
        if held != count:
            raise SystemExit(f"{held} of {count} submissions were stored")
        return count / elapsed


def open_and_verify_alone(count: int) -> float:
    with tempfile.TemporaryDirectory(prefix="guanai-bench-") as folder:
        db, sealed = prepare(Path(folder), count)
        store = Store(db)
        key = own_identity.load(store).sealing_key
        store.close()
        start = time.perf_counter()
        for s in sealed:
            verify_signed(open_sealed(s, key))
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64,
                        help="unary calls in flight at once")
    parser.add_argument("--batch", type=int, default=250, help="submissions per SubmitBatch")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "ADDRESS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_at_submission_time(Path(args.serve[0]), args.serve[1])
        return
    print(f"guanai submit throughput: {args.count} submissions of catalogue v1, "
          f"{os.cpu_count()} cores, server in its own process, loopback")
    crypto = open_and_verify_alone(args.count)
    unary = end_to_end(args.count, args.concurrency, None)
    batched = end_to_end(args.count, 4, args.batch)
    print(f"{'open + verify alone (one core)':<44}{crypto:>10,.0f} /s")
    for label, rate in ((f"Submit, {args.concurrency} calls in flight", unary),
                        (f"SubmitBatch of {args.batch}, 4 in flight", batched)):
        print(f"{label:<44}{rate:>10,.0f} /s   ratio to open + verify {rate / crypto:.2f}   "
              f"20,000 schools in {20_000 / rate:.1f} s")


if __name__ == "__main__":
    main()
