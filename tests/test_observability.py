"""Observability: counters scraped over HTTP in the Prometheus text format, and JSON log lines
of a whole round in which no student's name or ID number appears."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

import grpc
import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from common.clock import SYSTEM
from common.logs import JsonFormatter
from guanai.cli import cli
from protos import aggregator_pb2 as pb
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import local_date
from protos.periods import Period
from tests.conftest import School
from tests.federation import (
    CANARY_ID,
    CANARY_NAME,
    Aggregator,
    make_report,
    school_identity,
    sealed,
)

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode("utf-8")
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ \S", line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(match["labels"] or ""))
        samples[(match["name"], labels)] = float(match["value"])
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_counters_latency_and_completeness_are_served_in_the_prometheus_format(tmp_path):
    county = Aggregator(tmp_path, "610102", "county")
    running = county.start(metrics_listen="127.0.0.1:0")
    try:
        key = SigningKey.generate()
        county.enrol(school_identity("2161010001", "610102", key))
        county.enrol(school_identity("2161010002", "610102", SigningKey.generate()))
        target = county.identity()
        before = scrape(running.metrics_port)
        assert value(before, "guanai_submissions_total", result="accepted", code="OK") == 0

        with grpc.insecure_channel(running.address) as channel:
            stub = AggregatorStub(channel)
            first = sealed(make_report(), key, target)
            stub.Submit(first)
            stub.Submit(first)  # an identical resend is answered with the same receipt
            with pytest.raises(grpc.RpcError) as refused:
                stub.Submit(sealed(make_report(school_id="2161010003"), SigningKey.generate(),
                                   target))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            batch = pb.SubmitBatchRequest(submissions=[
                sealed(make_report(revision=2), key, target),
                sealed(make_report(revision=3, recipient="610103"), key, target),
            ])
            outcomes = stub.SubmitBatch(batch).outcomes
            assert [o.WhichOneof("result") for o in outcomes] == ["receipt", "rejection"]

        samples = scrape(running.metrics_port)
        assert value(samples, "guanai_submissions_total", result="accepted", code="OK") == 3
        assert value(samples, "guanai_submissions_total", result="rejected",
                     code="UNAUTHENTICATED") == 1
        assert value(samples, "guanai_submissions_total", result="rejected",
                     code="PERMISSION_DENIED") == 1
        for method, calls in (("Submit", 3), ("SubmitBatch", 1)):
            count = value(samples, "guanai_rpc_duration_seconds_count", method=method)
            assert count == calls
            buckets = sorted((float(dict(labels)["le"]), n) for (name, labels), n in
                             samples.items() if name == "guanai_rpc_duration_seconds_bucket"
                             and dict(labels)["method"] == method)
            assert buckets[-1] == (float("inf"), count)
            assert [n for _, n in buckets] == sorted(n for _, n in buckets)
            assert value(samples, "guanai_rpc_duration_seconds_sum", method=method) > 0

        assert value(samples, "guanai_members_enrolled", region="610102") == 2
        round_ = dict(period="2025-H1", region="610102")
        assert value(samples, "guanai_round_members", **round_, state="submitted") == 1
        assert value(samples, "guanai_round_members", **round_, state="missing") == 1
        assert value(samples, "guanai_round_completeness_ratio", period="2025-H1") == 0.5
        today = local_date(SYSTEM.now())
        current = Period(today.year, 1 if today.month <= 6 else 2).code
        assert value(samples, "guanai_round_completeness_ratio", period=current) == (
            0.5 if current == "2025-H1" else 0.0)
        assert value(samples, "guanai_log_size") == 2

        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{running.metrics_port}/other", timeout=10)
        assert missing.value.code == 404
    finally:
        county.stop()


class Lines(logging.Handler):
    """Every record of every logger, formatted as the JSON lines an operator would collect."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    lines = Lines()
    root.addHandler(lines)
    root.setLevel(logging.DEBUG)
    yield lines.lines
    root.handlers[:] = handlers
    root.setLevel(level)


def test_no_log_line_of_a_round_holds_a_name_or_an_id_number(tmp_path, log_lines):
    county = Aggregator(tmp_path, "610102", "county")
    county.start()
    school = School(tmp_path / "school.db")
    school.student("primary", ["poverty"], name=CANARY_NAME, id_card=CANARY_ID)
    school.student("primary", ["orphan", "disability"], name="金丝雀乙")
    school.db.close()
    runner = CliRunner()
    stderr: list[str] = []

    def guanai(*args: str, ok: bool = True) -> None:
        result = runner.invoke(cli, ["--log-format", "json", "-v", *args])
        stderr.extend(result.stderr.splitlines())
        assert (result.exit_code == 0) is ok, result.output

    node = ("node", "--db", str(school.path))
    counties = ("aggregator", "--db", str(county.db))
    try:
        guanai(*node, "init", "--school-id", "2161010001", "--region", "610102",
               "--name", "测试学校")
        guanai(*node, "export-key", "--out", str(tmp_path / "school.json"))
        (tmp_path / "county.json").write_text(county.identity().to_json(), encoding="utf-8")
        guanai(*node, "parent", str(tmp_path / "county.json"))
        guanai(*node, "release", "--period", "2025-H1")
        guanai(*node, "submit", "--period", "2025-H1", "--attempts", "2", ok=False)  # not enrolled
        guanai(*counties, "enroll", "--key", str(tmp_path / "school.json"))
        guanai(*node, "submit", "--period", "2025-H1", "--attempts", "2")
        guanai(*node, "report", "--period", "2025-H1")
        guanai(*counties, "rollup", "--period", "2025-H1")
        guanai(*counties, "status", "--period", "2025-H1")
    finally:
        county.stop()

    lines = log_lines + [line for line in stderr if line.startswith("{")]
    messages = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(m) for m in messages)
    assert any(m["logger"] == "aggregator.grpc.aggregator_servicer" and "UNAUTHENTICATED" in m["message"]
               for m in messages)
    assert any(m["logger"] == "aggregator.grpc.server" for m in messages)
    for line in lines:
        for canary in (CANARY_NAME, CANARY_ID, "金丝雀乙"):
            assert canary not in line, line
