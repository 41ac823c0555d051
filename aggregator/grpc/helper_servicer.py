"""The gRPC servicer of guanai.v1.Helper: the province's helper of secure aggregation (DESIGN §8,
docs/secure-aggregation.md), the same software as an aggregator in the role ``helper``.

It takes the helper shares of the province's schools exactly as a leader county takes its
shares (``LogService``: the same opening, group commit, log, receipts and status codes), the
leaders' signed enrolments (its only source of school keys), and tells a leader which shares
it holds. Logs name codes, periods and revisions, never a value.
"""

from __future__ import annotations

import logging

import grpc

from aggregator.grpc.aggregator_servicer import LogService
from aggregator.grpc.status import CODES, clipped
from aggregator.intake.publish import answer_publish
from aggregator.intake.shares import accept_enrolment, held_shares
from privacy.budget import BudgetPolicy
from protos import aggregator_pb2 as pb
from protos import helper_pb2, helper_pb2_grpc
from protos.periods import Period, PeriodError
from protos.refusals import Kind, Refused
from protos.share_pb2 import Signed

logger = logging.getLogger(__name__)


class HelperService(LogService, helper_pb2_grpc.HelperServicer):
    def __init__(self, *args, budget: BudgetPolicy | None = None, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._budget = budget or BudgetPolicy()

    def Publish(self, request: pb.Submission, context: grpc.ServicerContext) -> Signed:
        """A leader's sealed signed NamedSet: this helper's signed NoisyPartial of that set
        (aggregator/intake/publish.py), or the refusal's status code; nothing stored then."""
        with self._answering(context):
            try:
                noisy = answer_publish(self._store, self._settings, request, self._clock.now(),
                                       self._budget)
            except Refused as rejected:
                logger.info("named set refused: %s %s", CODES[rejected.kind].name,
                            clipped(rejected.message))
                context.abort(CODES[rejected.kind], clipped(rejected.message))
            logger.info("noisy partial answered")
            return Signed.FromString(noisy)

    def Enrol(self, request: pb.Submission,
              context: grpc.ServicerContext) -> helper_pb2.EnrolResponse:
        with self._answering(context):
            try:
                schools = accept_enrolment(self._store, self._settings, request,
                                           self._clock.now())
            except Refused as rejected:
                logger.info("enrolment refused: %s %s", CODES[rejected.kind].name,
                            clipped(rejected.message))
                context.abort(CODES[rejected.kind], clipped(rejected.message))
            logger.info("enrolment of %d schools taken", schools)
            return helper_pb2.EnrolResponse(schools=schools)

    def HeldShares(self, request: helper_pb2.HeldSharesRequest,
                   context: grpc.ServicerContext) -> helper_pb2.HeldSharesResponse:
        try:
            if Period.parse(request.period).code != request.period:
                raise PeriodError(f"period {request.period!r} is not written canonically")
        except PeriodError as exc:
            context.abort(CODES[Kind.MALFORMED], f"期次错误 bad period: {exc}")
        return helper_pb2.HeldSharesResponse(
            shares=held_shares(self._store, request.period, request.region))
