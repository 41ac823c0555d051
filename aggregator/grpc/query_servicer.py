"""The gRPC servicer of guanai.v1.Query: figures with confidence intervals, for whoever may ask.

Every call is authenticated first (aggregator/grpc/access.py) and every region asked is checked
against the credential before anything is computed; a refusal says nothing about the data.
Malformed regions and periods, too many periods and unknown cells are refused before any
figure is read; the figures asked are then read from the figures store, only the cells the
indicator needs, one query per period for all the regions asked.
Figures are post-processing of released values: they spend no privacy budget.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeVar

import grpc

from aggregator.figures import indicators, trends
from aggregator.figures.estimates import Interval
from aggregator.figures.holdings import RANKS, Holdings, Span, level_of
from aggregator.figures.kept import region_table
from aggregator.figures.official import OfficialError
from aggregator.figures.statistics import TableError
from aggregator.figures.trends import MAX_PERIODS
from aggregator.grpc import access
from aggregator.grpc.status import CODES, clipped
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Store
from aggregator.warnings.rules import RulesError, load_rules
from common.errors import GuanaiError
from privacy.credential import Grant
from protos import query_pb2 as pb
from protos import query_pb2_grpc
from protos.catalogue import CatalogueError
from protos.periods import Period
from protos.refusals import Refused
from protos.regions import CodeError, check_region, check_school

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_FIGURES = 20000
NO_INTERVAL = Interval(math.nan, math.nan, math.nan)  # a figure not held


class BadRequest(GuanaiError):
    """A request that cannot be answered as written (INVALID_ARGUMENT)."""


def _unit(text: str) -> str:
    try:
        return check_school(text) if len(text) == 10 else check_region(text)
    except CodeError as exc:
        raise BadRequest(str(exc)) from None


def _periods(codes: list[str]) -> list[Period]:
    if not codes or len(codes) > MAX_PERIODS:
        raise BadRequest(f"期间错误 ask for 1 to {MAX_PERIODS} periods")
    try:
        return [Period.parse(code) for code in codes]
    except GuanaiError as exc:
        raise BadRequest(str(exc)) from None


def answer(store: Store, settings: Settings, grant: Grant,
           request: pb.FiguresRequest) -> pb.FiguresResponse:
    """The figures asked, once every region asked is within the grant."""
    periods = _periods(list(request.periods))
    confidence = request.confidence or 0.95
    if not 0 < confidence < 1:
        raise BadRequest("置信度错误 confidence must lie strictly between 0 and 1")
    if request.below and request.below not in RANKS:
        raise BadRequest(f"级别错误 below must be one of {tuple(RANKS)}")
    span = Span(store, settings, periods)  # reads no figures
    catalogue = span.holdings[-1].catalogue
    try:
        indicator = indicators.from_terms(catalogue, list(request.numerator),
                                          list(request.denominator), load_rules())
        if request.stage:
            indicator = indicators.for_stage(indicator, catalogue, request.stage)
    except (CatalogueError, RulesError) as exc:
        raise BadRequest(str(exc)) from None

    asked = [_unit(u) for u in request.regions] or [grant.region]

    within = span.within
    for unit in asked:
        access.permit(grant, unit, within(unit, grant.region) and within(unit, settings.region))
    units = asked
    if request.below:
        candidates = span.units(request.below, asked[0])
        units = sorted(u for u in candidates if grant.role == "staff" and within(u, grant.region))
        if RANKS[request.below] <= RANKS[level_of(asked[0])]:
            raise BadRequest(f"级别错误 {request.below} is not below {asked[0]}")
    if len(units) * len(periods) > MAX_FIGURES:
        raise BadRequest(f"结果过大 more than {MAX_FIGURES} figures; ask for fewer regions")

    response = pb.FiguresResponse(
        kind=indicator.kind, label_zh=indicator.label.zh, label_en=indicator.label.en,
        unit_zh=indicator.unit.zh, unit_en=indicator.unit.en, confidence=confidence,
        catalogue_version=catalogue.version, unbounded_below=indicator.bounds.low < 0)
    for point in trends.points(span, indicator, units, confidence):
        interval = point.interval or NO_INTERVAL
        response.figures.add(
            region=point.unit, level=level_of(point.unit), period=point.period,
            held=point.held, value=interval.value, low=interval.low, high=interval.high,
            members=point.members, missing=point.missing, schools=point.schools)
    return response


def table_answer(store: Store, settings: Settings, grant: Grant,
                 request: pb.TableRequest) -> pb.TableResponse:
    """The whole table of one region, once it is within the grant."""
    period = _periods([request.period])[0]
    unit = _unit(request.region) if request.region else grant.region
    holdings = Holdings(store, settings, period)
    access.permit(grant, unit, holdings.within(unit, grant.region)
                  and holdings.within(unit, settings.region))
    try:
        table = region_table(holdings, unit)
    except TableError as exc:
        raise BadRequest(str(exc)) from None
    figures = table.figures
    return pb.TableResponse(
        region=unit, level=level_of(unit), period=period.code,
        catalogue_version=table.catalogue.version, members=figures.members,
        missing=figures.missing, schools=figures.schools,
        rows=[pb.TableRow(cell=c, official=table.official.values[c],
                          estimate=figures.values[c], variance=figures.variances[c])
              for c in table.catalogue.ids()])


class QueryService(query_pb2_grpc.QueryServicer):
    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def _answer(self, context: grpc.ServicerContext, what: str,
                make: Callable[[Grant], T]) -> tuple[Grant, T]:
        """Authenticate the caller and ``make`` the answer, each failure as its status code:
        a refusal by its kind, a bad request INVALID_ARGUMENT, a table that cannot be made
        consistent FAILED_PRECONDITION, anything else INTERNAL (logged, never sent)."""
        token = dict(context.invocation_metadata()).get(access.METADATA_KEY)
        try:
            grant = access.authenticate(self._store, self._settings, token)
            return grant, make(grant)
        except Refused as refused:
            logger.info("%s refused: %s", what, CODES[refused.kind].name)
            context.abort(CODES[refused.kind], clipped(refused.message))
        except (BadRequest, indicators.IndicatorError) as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except OfficialError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except Exception:
            logger.exception("%s failed", what)
            context.abort(grpc.StatusCode.INTERNAL, "内部错误 internal error; retry later")

    def Figures(self, request: pb.FiguresRequest,
                context: grpc.ServicerContext) -> pb.FiguresResponse:
        grant, response = self._answer(
            context, "query", lambda g: answer(self._store, self._settings, g, request))
        logger.info("query by %s of %s: %d figures", grant.role, grant.region,
                    len(response.figures))
        return response

    def Table(self, request: pb.TableRequest, context: grpc.ServicerContext) -> pb.TableResponse:
        grant, response = self._answer(
            context, "table", lambda g: table_answer(self._store, self._settings, g, request))
        logger.info("table for %s of %s: %s", grant.role, grant.region, response.region)
        return response
