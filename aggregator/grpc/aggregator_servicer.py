"""The gRPC servicer of guanai.v1.Aggregator (and, in ``LogService``, what the helper's Helper
service shares with it: aggregator/grpc/helper_servicer.py): each refusal as its precise status
code.

Submissions are opened and checked in the calling thread (many at once), then handed to the
committer, which stores them durably; the answer leaves only after the commit. Logs name the
sender's school or region code, period and revision — never anything inside the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc

from aggregator.grpc.inflight import InFlight
from aggregator.grpc.status import CODES, clipped
from aggregator.intake.accept import Item
from aggregator.intake.catalogues import ACCEPT_ALL, CataloguePolicy
from aggregator.intake.committer import Committer
from aggregator.intake.opening import Opened, open_submission
from aggregator.intake.shares import OpenedShare, open_share
from aggregator.keys.own_identity import Settings
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Store
from common.clock import Clock, SystemClock
from privacy.merkle import ProofError
from protos import aggregator_pb2 as pb
from protos import aggregator_pb2_grpc
from protos.deadlines import local_date
from protos.refusals import Refused
from protos.validation import check_batch

logger = logging.getLogger(__name__)


class LogService:
    """What the leader's Aggregator service and the helper's Helper service share: the gate
    of calls in flight, one submission committed and answered with its receipt, schools'
    shares (aggregator/intake/shares.py), and the log's checkpoint and proofs."""

    def __init__(self, settings: Settings, store: Store, log: TransparencyLog,
                 committer: Committer, clock: Clock | None = None,
                 inflight: InFlight | None = None) -> None:
        self._settings = settings
        self._inflight = inflight or InFlight()
        self._store = store
        self._log = log
        self._committer = committer
        self._clock = clock or SystemClock()

    @contextmanager
    def _answering(self, context: grpc.ServicerContext) -> Iterator[None]:
        """Around a submission call: counted in flight, or UNAVAILABLE if stopping."""
        try:
            self._inflight.enter()
        except Refused as rejected:
            context.abort(CODES[rejected.kind], rejected.message)
        try:
            yield
        finally:
            self._inflight.leave()

    def _commit_one(self, opening: Callable[[], Item], context: grpc.ServicerContext) -> pb.Receipt:
        """Open (``opening``), commit and answer one submission: its receipt, or its refusal's
        status code."""
        try:
            outcome = self._committer.submit([opening()])[0]
        except Refused as rejected:
            outcome = rejected
        except Exception:
            logger.exception("submission failed")
            context.abort(grpc.StatusCode.INTERNAL, "内部错误 internal error; retry later")
        if isinstance(outcome, Refused):
            logger.info("refused: %s %s", CODES[outcome.kind].name, clipped(outcome.message))
            context.abort(CODES[outcome.kind], clipped(outcome.message))
        logger.debug("accepted a submission")
        return outcome

    def _open_share(self, request: pb.Submission) -> OpenedShare:
        return open_share(request, self._settings, local_date(self._clock.now()))

    def SubmitShare(self, request: pb.Submission, context: grpc.ServicerContext) -> pb.Receipt:
        with self._answering(context):
            return self._commit_one(lambda: self._open_share(request), context)

    def GetCheckpoint(self, request: pb.GetCheckpointRequest,
                      context: grpc.ServicerContext) -> pb.SignedCheckpoint:
        return pb.SignedCheckpoint(note=self._log.checkpoint())

    def GetInclusionProof(self, request: pb.GetInclusionProofRequest,
                          context: grpc.ServicerContext) -> pb.InclusionProof:
        index = self._store.index_of(request.leaf_hash)
        if index is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "日志中无此叶 no such leaf in this log")
        with self._log.lock:
            size = request.tree_size or self._log.size
            try:
                proof = self._log.inclusion_proof(index, size)
            except ProofError as exc:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            checkpoint = self._log.checkpoint(size)
        return pb.InclusionProof(log_index=index, tree_size=size, hashes=proof,
                                 checkpoint=checkpoint)

    def GetConsistencyProof(self, request: pb.GetConsistencyProofRequest,
                            context: grpc.ServicerContext) -> pb.ConsistencyProof:
        with self._log.lock:
            new_size = request.new_size or self._log.size
            try:
                proof = self._log.consistency_proof(request.old_size, new_size)
            except ProofError as exc:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            checkpoint = self._log.checkpoint(new_size)
        return pb.ConsistencyProof(old_size=request.old_size, new_size=new_size, hashes=proof,
                                   checkpoint=checkpoint)




class AggregatorService(LogService, aggregator_pb2_grpc.AggregatorServicer):
    def __init__(self, settings: Settings, store: Store, log: TransparencyLog,
                 committer: Committer, clock: Clock | None = None,
                 catalogues: CataloguePolicy = ACCEPT_ALL,
                 answer_limit: int = 64 * 1024 * 1024,
                 inflight: InFlight | None = None) -> None:
        """``answer_limit``: the server's largest message (bytes), which a batch answer must
        fit; ``inflight``: the gate that stopping closes (aggregator/grpc/inflight.py)."""
        super().__init__(settings, store, log, committer, clock, inflight)
        self._answer_limit = answer_limit
        self._catalogues = catalogues

    def _open(self, submission: pb.Submission) -> Opened:
        today = local_date(self._clock.now())
        opened = open_submission(submission, self._settings.sealing_keys, self._settings.region,
                                 today)
        self._catalogues.check(opened.report.catalogue_version, today)
        return opened

    def _open_share(self, request: pb.Submission) -> OpenedShare:
        """A leader takes shares of the catalogue versions it takes reports of."""
        opened = super()._open_share(request)
        self._catalogues.check(opened.share.catalogue_version, local_date(self._clock.now()))
        return opened

    def Submit(self, request: pb.Submission, context: grpc.ServicerContext) -> pb.Receipt:
        with self._answering(context):
            return self._commit_one(lambda: self._open(request), context)

    def SubmitBatch(self, request: pb.SubmitBatchRequest,
                    context: grpc.ServicerContext) -> pb.SubmitBatchResponse:
        with self._answering(context):
            return self._submit_batch(request, context)

    def _submit_batch(self, request: pb.SubmitBatchRequest,
                      context: grpc.ServicerContext) -> pb.SubmitBatchResponse:
        try:
            check_batch(len(request.submissions), self._answer_limit)
        except Refused as rejected:
            context.abort(CODES[rejected.kind], rejected.message)
        outcomes: list[pb.Outcome | None] = []
        opened: list[Opened] = []
        for submission in request.submissions:
            try:
                opened.append(self._open(submission))
                outcomes.append(None)
            except Refused as rejected:
                outcomes.append(_rejection(rejected))
        try:
            accepted = iter(self._committer.submit(opened) if opened else [])
        except Refused as rejected:
            context.abort(CODES[rejected.kind], clipped(rejected.message))
        except Exception:
            logger.exception("batch of %d submissions failed", len(opened))
            context.abort(grpc.StatusCode.INTERNAL, "内部错误 internal error; retry later")
        response = pb.SubmitBatchResponse()
        for outcome in outcomes:
            if outcome is None:
                result = next(accepted)
                outcome = (_rejection(result) if isinstance(result, Refused)
                           else pb.Outcome(receipt=result))
            response.outcomes.append(outcome)
        return response


def _rejection(rejected: Refused) -> pb.Outcome:
    return pb.Outcome(rejection=pb.Rejection(code=CODES[rejected.kind].value[0],
                                                 message=clipped(rejected.message)))
