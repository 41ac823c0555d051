"""Progress of long work on the terminal (进度): imports, inspections, rollups, the demo.

A person waiting on a long import or inspection should see that it moves. ``progress`` draws a
bar (or a spinner when the amount of work is unknown) with rich, on stderr — but only when
stderr is a terminal and the logs are not JSON lines, and only once the work has taken longer
than ``after`` seconds (a timer, not the injected clock: it measures the wait of a person, not
the calendar), so short commands, piped output, log collectors and tests see nothing of it.
Nothing it draws is kept.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from common import logs

T = TypeVar("T")
DEFAULT_AFTER = 1.0  # seconds of work before a bar appears


def on_terminal() -> bool:
    """Whether a progress bar may be drawn: stderr is a terminal, logs are not JSON lines."""
    return (sys.stderr.isatty() and not logs.json_lines()
            and os.environ.get("TERM", "") != "dumb")


class Tracker:
    """What a piece of long work reports: ``advance`` after each item, ``describe`` a new
    label. It draws only when the work is on a terminal and has lasted ``after`` seconds."""

    def __init__(self, label: str, total: int | None, after: float, shown: bool) -> None:
        self._label, self._total = label, total
        self._done = 0
        self._bar: Progress | None = None
        self._task = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(after, self._start) if shown else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def advance(self, count: int = 1) -> None:
        """``count`` more items done."""
        self._done += count
        self._refresh()

    def describe(self, label: str) -> None:
        """Show ``label`` from now on (the step or item being worked on)."""
        self._label = label
        self._refresh()

    @property
    def done(self) -> int:
        return self._done

    def _start(self) -> None:
        with self._lock:
            columns = [SpinnerColumn(), TextColumn("{task.description}")]
            if self._total is not None:
                columns += [BarColumn(), MofNCompleteColumn()]
            self._bar = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True),
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total,
                                            completed=self._done)

    def _refresh(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.update(self._task, completed=self._done, description=self._label)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


_open = threading.local()  # the outermost progress of this thread: inner work draws nothing


@contextmanager
def progress(label: str, total: int | None = None, after: float = DEFAULT_AFTER) -> Iterator[Tracker]:
    """Report progress of ``total`` items (None: unknown) under ``label`` (Chinese first).

    Inside another progress (a demo step that rolls up, which reads members) the inner one
    stays silent: a terminal shows one bar at a time."""
    outer = not getattr(_open, "active", False)
    tracker = Tracker(label, total, after, outer and on_terminal())
    _open.active = True
    try:
        yield tracker
    finally:
        tracker.close()
        if outer:
            _open.active = False


def track(items: Iterable[T], label: str, total: int | None = None,
          after: float = DEFAULT_AFTER) -> Iterator[T]:
    """Each of ``items``, advancing a progress bar after each one."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress(label, total, after) as tracker:
        for item in items:
            yield item
            tracker.advance()
