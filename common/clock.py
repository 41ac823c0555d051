"""Clocks: the system's, and a simulated one in which a year of the schedule passes in seconds.

Everything that acts on the calendar (the node's daemon, an aggregator's deadlines) asks a
``Clock`` for the time and sleeps through it, so that tests and rehearsals can replace real
time with ``SimulatedClock``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Wait ``seconds``; a real clock returns early once ``stop`` is set."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        (stop or threading.Event()).wait(max(0.0, seconds))


class SimulatedClock:
    """Virtual time shared by cooperating threads, which run one at a time.

    The thread that makes the clock takes part, and so does every thread started with
    ``start``. Exactly one of them runs at any moment; when it sleeps, the one due to wake
    first runs next (in the order they went to sleep, among equals) and time jumps to its
    wake-up. Time never moves while one of them works, so a simulated year is deterministic
    however long each step takes in real time. Other threads (a gRPC server's) may read
    ``now`` freely but must not sleep on it.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock starts at a timezone-aware time")
        self._now = start.astimezone(UTC)
        self._cond = threading.Condition()
        self._sleepers: list[tuple[datetime, int]] = []  # (wake-up, ticket)
        self._tickets = itertools.count(1)
        self._running = 0  # ticket of the thread that may run; 0: the one that made the clock
        self.errors: list[BaseException] = []

    def now(self) -> datetime:
        with self._cond:
            return self._now

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        with self._cond:
            ticket = next(self._tickets)
            heapq.heappush(self._sleepers, (self._now + timedelta(seconds=max(0.0, seconds)),
                                            ticket))
            self._hand_over()
            self._cond.wait_for(lambda: self._running == ticket)

    def sleep_until(self, moment: datetime) -> None:
        self.sleep((moment - self.now()).total_seconds())

    def start(self, target: Callable[[], None], name: str) -> threading.Thread:
        """Start ``target`` in a thread that takes part; it first runs when the caller sleeps."""
        with self._cond:
            ticket = next(self._tickets)
            heapq.heappush(self._sleepers, (self._now, ticket))

        def body() -> None:
            with self._cond:
                self._cond.wait_for(lambda: self._running == ticket)
            try:
                target()
            except BaseException as exc:  # kept for the test to see; the others go on
                self.errors.append(exc)
            finally:
                with self._cond:
                    self._hand_over()

        thread = threading.Thread(target=body, name=name, daemon=True)
        thread.start()
        return thread

    def _hand_over(self) -> None:
        """The running thread stops running: wake the next sleeper, moving time to it."""
        self._running = -1
        if self._sleepers:
            wake, self._running = heapq.heappop(self._sleepers)
            self._now = max(self._now, wake)
        self._cond.notify_all()


SYSTEM = SystemClock()
"""The system's clock: the default wherever a caller does not inject one."""


def stamp(moment: datetime) -> str:
    """``moment`` as every stored time is written: ISO 8601 in UTC with its offset, to the
    second (``2026-06-30T16:00:00+00:00``). Raises ``ValueError`` for a naive time."""
    if moment.tzinfo is None:
        raise ValueError("a stored time must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds")
