"""Refusals (拒收): why a submission or request is not taken, as the contract names them.

Domain code raises ``Refused`` with one ``Kind``; only an edge chooses how to say it — the
gRPC servicers through one table (aggregator/grpc/status.py), the CLI as a message. So a
school that checks its own annual summary before sending it depends on no transport. The
kinds follow invariant 8, docs/architecture.md and docs/aggregator.md.
"""

from __future__ import annotations

from enum import Enum

from common.errors import GuanaiError


class Kind(Enum):
    """What kind of refusal, independent of any transport."""

    MALFORMED = "malformed"  # the bytes or values break the contract
    UNAUTHENTICATED = "unauthenticated"  # no valid signature of a known, unrevoked key
    NOT_PERMITTED = "not_permitted"  # a known sender asking what it may not
    DUPLICATE = "duplicate"  # the same revision with other content, or a stale revision
    NOT_NOW = "not_now"  # the calendar or a policy forbids it now (locked, over budget…)
    TOO_LARGE = "too_large"  # beyond a documented size or count
    UNAVAILABLE = "unavailable"  # the receiver is stopping; the same request may succeed later


class Refused(GuanaiError):
    """A submission or request refused for ``kind``; nothing was stored.

    ``message`` is for the sender's staff: Chinese first, English beside it.
    """

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
