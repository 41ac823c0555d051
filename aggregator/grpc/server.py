"""Running an aggregator's gRPC server: in-process (tests, demo) or as `guanai aggregator serve`.

The server offers guanai.v1.Aggregator (the helper of secure aggregation: guanai.v1.Helper
instead, aggregator/grpc/helper_servicer.py), the standard health service (grpc.health.v1) and
server reflection; TLS when given a certificate, mutual TLS when also given the CA of its
members' client certificates; a message size limit (larger requests get RESOURCE_EXHAUSTED
from gRPC itself). Stopping is graceful: health turns NOT_SERVING, new calls are refused,
calls in flight get up to ``grace`` seconds to finish, then queued commits are completed.
Beside the services, one thread makes and keeps a period's official tables once its figures
changed and settled (aggregator/figures/kept.py ``Keeper``), so that pages and queries read them.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from aggregator.figures import cube
from aggregator.figures.kept import Keeper
from aggregator.grpc.aggregator_servicer import AggregatorService
from aggregator.grpc.helper_servicer import HelperService
from aggregator.grpc.inflight import InFlight
from aggregator.grpc.members_servicer import MembersService
from aggregator.grpc.metrics import Metrics, MetricsServer
from aggregator.grpc.query_servicer import QueryService
from aggregator.grpc.warnings_servicer import WarningsService
from aggregator.intake.accept import accept
from aggregator.intake.catalogues import ACCEPT_ALL, CataloguePolicy
from aggregator.intake.committer import Committer
from aggregator.keys import own_identity
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Store
from common.clock import Clock, SystemClock
from privacy.budget import BudgetPolicy
from protos import (
    aggregator_pb2,
    aggregator_pb2_grpc,
    helper_pb2,
    helper_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    query_pb2,
    query_pb2_grpc,
)
from protos.deadlines import local_date

logger = logging.getLogger(__name__)

SERVICE_NAME = aggregator_pb2.DESCRIPTOR.services_by_name["Aggregator"].full_name
MEMBERS_SERVICE_NAME = members_pb2.DESCRIPTOR.services_by_name["Members"].full_name
HELPER_SERVICE_NAME = helper_pb2.DESCRIPTOR.services_by_name["Helper"].full_name
STAFF_SERVICES = tuple(s.full_name for s in query_pb2.DESCRIPTOR.services_by_name.values())
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
DEFAULT_WORKERS = 32
DEFAULT_GRACE_SECONDS = 10.0
# Stopping: how long the submissions refused or committed after the grace may take to return
# (opening a full batch takes well under a second), and how long their answers take to leave.
DRAIN_SECONDS = 30.0
ANSWER_SECONDS = 10.0  # an upper bound: the server stops as soon as the answers have left


@dataclass(frozen=True)
class Tls:
    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None  # set: mutual TLS, members must present a certificate

    @classmethod
    def from_files(cls, certificate: Path, key: Path, client_ca: Path | None = None) -> Tls:
        return cls(Path(certificate).read_bytes(), Path(key).read_bytes(),
                   Path(client_ca).read_bytes() if client_ca else None)

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


class RunningAggregator:
    """A started server; ``stop`` it (gracefully) when done."""

    def __init__(self, server: grpc.Server, port: int, host: str, settings: own_identity.Settings,
                 store: Store, committer: Committer, health_servicer: health.HealthServicer,
                 metrics: MetricsServer | None = None, inflight: InFlight | None = None,
                 keeper: Keeper | None = None) -> None:
        self._server = server
        self._keeper = keeper
        self._inflight = inflight or InFlight()
        self.port = port
        self.address = f"{host}:{port}"
        self.settings = settings
        self._store = store
        self._committer = committer
        self._health = health_servicer
        self._metrics = metrics
        self.metrics_port = metrics.port if metrics else None
        self._stopped = False

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """Stop serving: a submission committed is answered with its receipt, every other one
        UNAVAILABLE (aggregator/grpc/inflight.py), whatever ``grace`` (seconds)."""
        if self._stopped:
            return
        self._stopped = True
        self._health.enter_graceful_shutdown()
        self._inflight.close()  # new submissions: UNAVAILABLE
        self._inflight.wait(grace)  # those in flight may finish within the grace
        self._committer.close()  # commits what it holds; later ones: UNAVAILABLE
        if not self._inflight.wait(DRAIN_SECONDS):
            logger.warning("submissions still running after %g s; stopping anyway", DRAIN_SECONDS)
        self._server.stop(ANSWER_SECONDS).wait()  # time to send the answers just made
        if self._metrics is not None:
            self._metrics.stop()
        if self._keeper is not None:
            self._keeper.stop(DRAIN_SECONDS)
        self._store.close()
        logger.info("aggregator %s stopped", self.settings.region)

    def wait(self) -> None:
        self._server.wait_for_termination()


def start(db: Path, listen: str = "127.0.0.1:0", tls: Tls | None = None,
          max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
          workers: int = DEFAULT_WORKERS, clock: Clock | None = None,
          catalogues: CataloguePolicy = ACCEPT_ALL,
          metrics_listen: str | None = None,
          budget: BudgetPolicy | None = None) -> RunningAggregator:
    """Start serving the aggregator whose store is ``db``; ``listen`` port 0 picks a free port.

    ``clock`` decides what time it is for deadlines and locks (tests pass a simulated one);
    with ``metrics_listen`` (host:port), counters are served there in the Prometheus format;
    ``budget`` is the federation's privacy policy every school table must fit (defaults of
    privacy/budget.py when None).
    """
    clock = clock or SystemClock()
    store = Store(db)
    try:
        settings = own_identity.load(store)
        log = TransparencyLog(settings.origin, settings.signing_key, store, clock)
        if cube.ensure_current(store):
            logger.info("figures store rebuilt from the log of %d leaves", log.size)
    except BaseException:
        store.close()
        raise
    committer = Committer(lambda items: accept(store, log, settings, items, clock.now(), budget))
    inflight = InFlight()
    metrics = Metrics(store, lambda: log.size, lambda: local_date(clock.now()))
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        interceptors=[metrics.interceptor()],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ],
    )
    if settings.helper:  # the province's helper: its own service, nothing of a leader's
        helper_pb2_grpc.add_HelperServicer_to_server(
            HelperService(settings, store, log, committer, clock, inflight, budget=budget),
            server)
        services: tuple[str, ...] = (HELPER_SERVICE_NAME,)
    else:
        aggregator_pb2_grpc.add_AggregatorServicer_to_server(
            AggregatorService(settings, store, log, committer, clock, catalogues,
                              max_message_bytes, inflight), server)
        members_pb2_grpc.add_MembersServicer_to_server(
            MembersService(settings, store, clock, budget), server)
        query_pb2_grpc.add_QueryServicer_to_server(QueryService(settings, store), server)
        query_pb2_grpc.add_WarningsServicer_to_server(WarningsService(settings, store), server)
        services = (SERVICE_NAME, MEMBERS_SERVICE_NAME, *STAFF_SERVICES)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME), server)
    port = (server.add_secure_port(listen, tls.credentials()) if tls
            else server.add_insecure_port(listen))
    if port == 0:
        committer.close()
        store.close()
        raise own_identity.ConfigError(f"无法监听 cannot listen on {listen}: address in use or invalid")
    try:
        exporter = MetricsServer(metrics, metrics_listen) if metrics_listen else None
    except OSError as exc:
        committer.close()
        store.close()
        raise own_identity.ConfigError(
            f"无法监听 cannot serve metrics on {metrics_listen}: {exc.strerror}") from None
    server.start()
    # the official tables made when figures change, not when someone asks (the helper holds none)
    keeper = None if settings.helper else Keeper(store, settings, clock).start()
    for service in ("", *services[:2]):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    logger.info("aggregator %s (log of %d leaves) serving on port %d%s", settings.describe(),
                log.size, port, " with TLS" if tls else "")
    return RunningAggregator(server, port, listen.rsplit(":", 1)[0], settings, store, committer,
                             health_servicer, exporter, inflight, keeper)


def serve(db: Path, listen: str, tls: Tls | None = None,
          max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
          grace: float = DEFAULT_GRACE_SECONDS, catalogues: CataloguePolicy = ACCEPT_ALL,
          metrics_listen: str | None = None, budget: BudgetPolicy | None = None,
          clock: Clock | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully; ``clock`` as for ``start``."""
    running = start(db, listen, tls, max_message_bytes, clock=clock, catalogues=catalogues,
                    metrics_listen=metrics_listen, budget=budget)
    # What start-up made (modules, the catalogue, gRPC) lives as long as the process: out of
    # the collector's sight, a full collection no longer walks it (it cost ≈ 45 ms, every
    # dozen or so 1,000-figure answers). https://docs.python.org/3/library/gc.html#gc.freeze
    gc.freeze()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    stopping.wait()
    logger.info("stopping: finishing submissions in flight (up to %g s)", grace)
    running.stop(grace)
