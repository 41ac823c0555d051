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

# A status message quotes what was refused; a hostile sender controls some of it (a code of a
# megabyte). Clipped, it always fits gRPC's status header and a batch answer's outcome.
MAX_MESSAGE_CHARS = 1000


def clipped(message: str) -> str:
    """``message`` cut to ``MAX_MESSAGE_CHARS`` characters (at most 3 KB of UTF-8)."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"
