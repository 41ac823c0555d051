"""Group commit: one writer thread takes every submission waiting into one transaction.

A durable commit costs an fsync; taking all submissions that arrived meanwhile into the same
transaction pays it once for the group, which is where an aggregator's throughput comes from.
Callers block until their group is committed, so nobody answers before the data is on disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from aggregator.intake.accept import Item, Outcome
from protos.refusals import Kind, Refused

logger = logging.getLogger(__name__)

MAX_GROUP = 1024


@dataclass
class _Job:
    items: Sequence[Item]
    done: Future = field(default_factory=Future)


class Committer:
    def __init__(self, accept: Callable[[Sequence[Item]], list[Outcome]]) -> None:
        self._accept = accept
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._closed = threading.Event()
        self._entry = threading.Lock()  # no job is queued behind the stop marker
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._thread.start()

    def submit(self, items: Sequence[Item]) -> list[Outcome]:
        """Accept ``items`` (one outcome each); returns once they are committed."""
        job = _Job(items)
        with self._entry:
            if self._closed.is_set():
                raise Refused(Kind.UNAVAILABLE, "正在停止 the aggregator is shutting down")
            self._queue.put(job)
        return job.done.result()

    def close(self) -> None:
        """Finish every job already queued, then stop the writer thread."""
        with self._entry:
            if self._closed.is_set():
                return
            self._closed.set()
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            while len(jobs) < MAX_GROUP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                jobs.append(job)
            self._commit(jobs)
        self._refuse_late_jobs()

    def _refuse_late_jobs(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.done.set_exception(
                    Refused(Kind.UNAVAILABLE, "正在停止 the aggregator is shutting down"))

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            outcomes = self._accept([item for job in jobs for item in job.items])
        except Exception as exc:  # the group is rolled back; every caller hears of it
            logger.exception("group commit of %d submissions failed", len(jobs))
            for job in jobs:
                job.done.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.done.set_result(outcomes[start : start + len(job.items)])
            start += len(job.items)
