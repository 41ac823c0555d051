"""The one table from a refusal's kind (protos/refusals.py) to its gRPC status code.

Every servicer answers a ``Refused`` with ``CODES[kind]``; nothing below the gRPC edge names a
status code. The codes are those docs/aggregator.md promises (invariant 8, docs/architecture.md).
"""

from __future__ import annotations

import grpc

from protos.refusals import Kind

CODES: dict[Kind, grpc.StatusCode] = {
    Kind.MALFORMED: grpc.StatusCode.INVALID_ARGUMENT,
    Kind.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Kind.NOT_PERMITTED: grpc.StatusCode.PERMISSION_DENIED,
    Kind.DUPLICATE: grpc.StatusCode.ALREADY_EXISTS,
    Kind.NOT_NOW: grpc.StatusCode.FAILED_PRECONDITION,
    Kind.TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Kind.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}
