"""Submissions being handled, so that a stopping server answers each one (docs/aggregator.md §1).

gRPC's own ``server.stop(grace)`` cancels every call still running when the grace ends: a
submission already committed was then answered ``UNAVAILABLE: Cancelling all calls`` (or
``CANCELLED``), though it holds a log leaf. Stopping therefore goes through this gate first:
new submissions are refused UNAVAILABLE at once, those in flight get the grace to finish,
the committer then commits what it holds and refuses the rest UNAVAILABLE, and only once
every handler has returned its answer does the gRPC server stop.
"""

from __future__ import annotations

import threading

from protos.refusals import Kind, Refused

STOPPING = "正在停止 the aggregator is shutting down; send it again later"


class InFlight:
    """Counts the submission calls being handled; closed, it refuses new ones."""

    def __init__(self) -> None:
        self._count = 0
        self._closed = False
        self._changed = threading.Condition()

    def enter(self) -> None:
        """One more call in flight; raises Refused(UNAVAILABLE) once closed."""
        with self._changed:
            if self._closed:
                raise Refused(Kind.UNAVAILABLE, STOPPING)
            self._count += 1

    def leave(self) -> None:
        """A call entered has returned its answer."""
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def close(self) -> None:
        """Refuse every call from now on (those in flight go on)."""
        with self._changed:
            self._closed = True

    def wait(self, timeout: float | None) -> bool:
        """Wait until no call is in flight, at most ``timeout`` seconds; True if none is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)
