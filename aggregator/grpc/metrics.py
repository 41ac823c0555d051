"""Counters an operator watches, served over HTTP in the Prometheus text format.

- ``guanai_submissions_total{result, code}``: submissions accepted (code OK) and rejected, by
  gRPC status code — each submission of a batch counts once;
- ``guanai_rpc_duration_seconds{method}``: a histogram of the time to answer each call of
  ``guanai.v1.Aggregator`` (for Submit: opened, checked, committed to disk, receipt signed);
- completeness (一个都不少), read from the store at each scrape: members enrolled and, for the
  current half-year and every period with a submission, members submitted and missing by
  region and the share submitted;
- ``guanai_log_size``: leaves in the transparency log.

Labels are status codes, method names, region codes and periods: never anything a report
holds. Counters start at zero when the server starts, as Prometheus expects.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

from aggregator.calendar.completeness import by_region, member_status
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from protos import aggregator_pb2
from protos.deadlines import local_date
from protos.periods import Period

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SERVICE_PREFIX = "/" + aggregator_pb2.DESCRIPTOR.services_by_name["Aggregator"].full_name + "/"
_CODES = {code.value[0]: code for code in grpc.StatusCode}


class Metrics:
    """The counters of one running aggregator; ``interceptor`` feeds them, ``render`` shows them."""

    def __init__(self, store: Store, log_size: Callable[[], int],
                 today: Callable[[], date] | None = None) -> None:
        self._store = store
        self._log_size = log_size
        self._today = today or (lambda: local_date(SYSTEM.now()))
        self._lock = threading.Lock()
        self._submissions: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: Counter[str] = Counter()

    def count_submission(self, code: grpc.StatusCode) -> None:
        result = "accepted" if code == grpc.StatusCode.OK else "rejected"
        with self._lock:
            self._submissions[(result, code.name)] += 1

    def observe(self, method: str, seconds: float) -> None:
        with self._lock:
            counts = self._buckets.setdefault(method, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._sums[method] += seconds

    def interceptor(self) -> grpc.ServerInterceptor:
        return _Interceptor(self)

    def render(self) -> str:
        """Every metric in the Prometheus text exposition format (version 0.0.4)."""
        out: list[str] = []
        with self._lock:
            submissions = dict(self._submissions)
            buckets = {m: list(c) for m, c in self._buckets.items()}
            sums = dict(self._sums)
        _family(out, "guanai_submissions_total", "counter",
                "Submissions accepted (code OK) and rejected, by gRPC status code.")
        if not submissions:
            out.append(_sample("guanai_submissions_total", {"result": "accepted", "code": "OK"}, 0))
        for (result, code), n in sorted(submissions.items()):
            out.append(_sample("guanai_submissions_total", {"result": result, "code": code}, n))
        _family(out, "guanai_rpc_duration_seconds", "histogram",
                "Time to answer a call of guanai.v1.Aggregator, in seconds.")
        for method, counts in sorted(buckets.items()):
            for bound, n in zip((*BUCKETS, "+Inf"), counts, strict=True):
                out.append(_sample("guanai_rpc_duration_seconds_bucket",
                                   {"method": method, "le": str(bound)}, n))
            out.append(_sample("guanai_rpc_duration_seconds_sum", {"method": method}, sums[method]))
            out.append(_sample("guanai_rpc_duration_seconds_count", {"method": method}, counts[-1]))
        self._render_completeness(out)
        _family(out, "guanai_log_size", "gauge", "Leaves in the transparency log (透明日志).")
        out.append(_sample("guanai_log_size", {}, self._log_size()))
        return "\n".join(out) + "\n"

    def _render_completeness(self, out: list[str]) -> None:
        today = self._today()
        periods = {*self._store.periods(), Period(today.year, 1 if today.month <= 6 else 2).code}
        members = self._store.members()
        _family(out, "guanai_members_enrolled", "gauge", "Members enrolled (应报), by region.")
        for region in sorted({m.region for m in members}):
            out.append(_sample("guanai_members_enrolled", {"region": region},
                               sum(m.region == region for m in members)))
        _family(out, "guanai_round_members", "gauge",
                "Members that submitted (已报) or are missing (未报) for a period, by region.")
        ratios = {}
        for code in sorted(periods):
            regions = by_region(member_status(self._store, Period.parse(code)))
            for r in regions:
                labels = {"period": code, "region": r.region}
                out.append(_sample("guanai_round_members", {**labels, "state": "submitted"},
                                   r.submitted))
                out.append(_sample("guanai_round_members", {**labels, "state": "missing"},
                                   len(r.missing)))
            enrolled = sum(r.enrolled for r in regions)
            ratios[code] = sum(r.submitted for r in regions) / enrolled if enrolled else 0.0
        _family(out, "guanai_round_completeness_ratio", "gauge",
                "Share of enrolled members that submitted for a period (一个都不少 at 1).")
        for code, ratio in ratios.items():
            out.append(_sample("guanai_round_completeness_ratio", {"period": code}, ratio))


class _Interceptor(grpc.ServerInterceptor):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def intercept_service(self, continuation: Callable, details: grpc.HandlerCallDetails):  # noqa: ANN201
        handler = continuation(details)
        if (handler is None or handler.unary_unary is None
                or not details.method.startswith(SERVICE_PREFIX)):
            return handler
        method = details.method[len(SERVICE_PREFIX):]
        inner = handler.unary_unary
        metrics = self._metrics

        def behaviour(request: object, context: grpc.ServicerContext) -> object:
            started = time.perf_counter()
            response = None
            try:
                response = inner(request, context)
                return response
            finally:
                metrics.observe(method, time.perf_counter() - started)
                code = context.code() or grpc.StatusCode.OK
                if method == "Submit":
                    metrics.count_submission(code)
                elif method == "SubmitBatch":
                    _count_batch(metrics, request, response, code)

        return grpc.unary_unary_rpc_method_handler(
            behaviour, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)


def _count_batch(metrics: Metrics, request: aggregator_pb2.SubmitBatchRequest,
                 response: aggregator_pb2.SubmitBatchResponse | None,
                 code: grpc.StatusCode) -> None:
    if response is None:  # the whole call failed: each submission shares its fate
        for _ in request.submissions:
            metrics.count_submission(code)
        return
    for outcome in response.outcomes:
        metrics.count_submission(grpc.StatusCode.OK if outcome.HasField("receipt")
                                 else _CODES.get(outcome.rejection.code, grpc.StatusCode.UNKNOWN))


def _family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")


def _sample(name: str, labels: dict[str, str], value: float) -> str:
    if labels:
        inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
        return f"{name}{{{inner}}} {_number(value)}"
    return f"{name} {_number(value)}"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


class MetricsServer:
    """``GET /metrics`` on its own HTTP port, in a background thread."""

    def __init__(self, metrics: Metrics, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        handler = type("Handler", (_Handler,), {"metrics": metrics})
        self._http = ThreadingHTTPServer((host.strip("[]") or "0.0.0.0", int(port)), handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, name="metrics",
                                        daemon=True)
        self._thread.start()
        logger.info("metrics (Prometheus text format) on port %d, path /metrics", self.port)

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    metrics: Metrics

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404, "only /metrics is served here")
            return
        try:
            body = self.metrics.render().encode("utf-8")
        except Exception:
            logger.exception("rendering the metrics failed")
            self.send_error(500)
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("metrics: " + format, *args)
