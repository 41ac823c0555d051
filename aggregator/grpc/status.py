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
# megabyte). gRPC sends the message percent-encoded in a header (a non-ASCII byte becomes
# three) that must stay under 8 KiB; clipped to 700 UTF-8 bytes it takes at most 2.1 KB, and
# always fits the header and a batch answer's outcome.
MAX_MESSAGE_BYTES = 700


def clipped(message: str) -> str:
    """``message`` cut to at most ``MAX_MESSAGE_BYTES`` of UTF-8, on a character boundary."""
    data = message.encode("utf-8")
    if len(data) <= MAX_MESSAGE_BYTES:
        return message
    return data[: MAX_MESSAGE_BYTES - 3].decode("utf-8", errors="ignore") + "…"
