"""The simulated clock: threads take turns, time jumps only when all of them wait."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from common.clock import SimulatedClock, SystemClock

START = datetime(2025, 1, 1, tzinfo=UTC)


def test_sleepers_wake_in_time_order_one_at_a_time():
    clock = SimulatedClock(START)
    seen: list[tuple[str, datetime]] = []
    running = []

    def worker(name: str, pause: float, times: int) -> None:
        for _ in range(times):
            running.append(name)
            assert len(running) == 1, "two participants ran at once"
            seen.append((name, clock.now()))
            running.pop()
            clock.sleep(pause)

    threads = [clock.start(lambda: worker("day", 86400, 3), "day"),
               clock.start(lambda: worker("half", 43200, 5), "half")]
    clock.sleep_until(START + timedelta(days=10))
    for thread in threads:
        thread.join(timeout=5)
    assert clock.errors == []
    assert clock.now() == START + timedelta(days=10)
    hours = [(name, int((t - START).total_seconds() // 3600)) for name, t in seen]
    assert hours == [("day", 0), ("half", 0), ("half", 12), ("day", 24), ("half", 24),
                     ("half", 36), ("day", 48), ("half", 48)]


def test_a_failing_participant_is_recorded_and_the_others_go_on():
    clock = SimulatedClock(START)

    def broken() -> None:
        clock.sleep(60)
        raise RuntimeError("boom")

    thread = clock.start(broken, "broken")
    clock.sleep(3600)
    thread.join(timeout=5)
    assert [str(e) for e in clock.errors] == ["boom"]
    assert clock.now() == START + timedelta(hours=1)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2025, 1, 1))


def test_the_system_clock_stops_sleeping_when_told():
    stop = threading.Event()
    stop.set()
    SystemClock().sleep(3600, stop)  # returns at once
    assert SystemClock().now().tzinfo is not None
