"""Asking an aggregator for figures (guanai.v1.Query), as `guanai query` and the demo do."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from aggregator.figures.indicators import split
from aggregator.grpc.access import METADATA_KEY
from common.errors import GuanaiError
from member.client import ClientTls, calling
from privacy.identity import Identity
from protos.periods import Period
from protos.query_pb2 import FiguresRequest, FiguresResponse, TableRequest, TableResponse
from protos.query_pb2_grpc import QueryStub


class QueryRefused(GuanaiError):
    """The aggregator refused the query or could not be reached."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"查询被拒 query refused ({code.name}): {details}")
        self.code = code


def request(indicator: str, periods: Sequence[Period], regions: Sequence[str] = (),
            below: str = "", stage: str = "", confidence: float = 0.95) -> FiguresRequest:
    """The request for an indicator written as text (see aggregator/figures/indicators.py)."""
    numerator, denominator = split(indicator)
    return FiguresRequest(numerator=numerator, denominator=denominator, regions=list(regions),
                          below=below, stage=stage, periods=[p.code for p in periods],
                          confidence=confidence)


def ask(target: Identity, credential: bytes, query: FiguresRequest, *,
        client_tls: ClientTls | None = None, timeout: float = 60.0) -> FiguresResponse:
    """The aggregator's answer; QueryRefused with the status code if it refuses,
    ``TlsMisconfigured`` if the TLS setups do not match (member/client.py ``calling``)."""
    try:
        with calling(target, client_tls, timeout) as channel:
            return QueryStub(channel).Figures(query, metadata=[(METADATA_KEY, credential)],
                                              timeout=timeout)
    except grpc.RpcError as exc:
        raise QueryRefused(exc.code(), exc.details() or "") from None


def ask_table(target: Identity, credential: bytes, region: str, period: Period, *,
              client_tls: ClientTls | None = None, timeout: float = 60.0) -> TableResponse:
    """The whole statistics table of ``region`` ("" for the credential's) for ``period``;
    QueryRefused with the status code if the aggregator refuses, ``TlsMisconfigured`` as
    ``ask``."""
    try:
        with calling(target, client_tls, timeout) as channel:
            return QueryStub(channel).Table(TableRequest(region=region, period=period.code),
                                            metadata=[(METADATA_KEY, credential)],
                                            timeout=timeout)
    except grpc.RpcError as exc:
        raise QueryRefused(exc.code(), exc.details() or "") from None


def periods_between(text: str) -> list[Period]:
    """``2025-H1`` (or ``2025上半年``), or a range ``2024-H1..2025-H2`` (half-years) or
    ``2023..2025`` (years), as people type them (``Period.from_human``)."""
    first, _, last = text.partition("..")
    start = Period.from_human(first)
    end = Period.from_human(last) if last else start
    if start.annual != end.annual:
        raise GuanaiError(f"期间错误 {text!r}: a range is of half-years or of years, not both")
    found = []
    current = start
    while (current.year, current.half or 0) <= (end.year, end.half or 0):
        found.append(current)
        if current.annual:
            current = Period(current.year + 1, None)
        else:
            current = Period(current.year + current.half - 1, 3 - current.half)
        if len(found) > 40:
            raise GuanaiError(f"期间错误 {text!r}: at most 40 periods")
    if not found:
        raise GuanaiError(f"期间错误 {text!r}: the range is empty (its end is before its start)")
    return found
