"""Long work with progress: a release of a large school, a submission waiting on the network.

A job runs in its own thread and moves through named steps; its page shows them and follows
along (a small script asks for the state each second; without scripts the page refreshes
itself). When it ends the page says how, and links to where the result is. Jobs live in
memory: they are minutes long at most. Shared by the school's and the bureaus' pages.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from common.errors import GuanaiError

logger = logging.getLogger(__name__)
KEPT = 100


@dataclass
class Job:
    id: str
    title: str
    steps: list[str]
    done_url: str
    step: int = 0  # index of the step under way; len(steps) when finished
    error: str | None = None
    message: str | None = None  # what the finished job says
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, to: int) -> None:
        with self.lock:
            self.step = to

    def state(self) -> dict[str, object]:
        with self.lock:
            return {"title": self.title, "steps": self.steps, "step": self.step,
                    "error": self.error, "message": self.message, "finished": self.finished,
                    "done_url": self.done_url}


Work = Callable[[Job], str | None]


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, title: str, steps: list[str], done_url: str, work: Work) -> Job:
        """Run ``work(job)`` in a thread; it calls ``job.advance`` and returns a closing word.

        A GuanaiError ends the job with its message shown; anything else is logged.
        """
        job = Job(secrets.token_urlsafe(12), title, steps, done_url)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                self._jobs.pop(next(iter(self._jobs)))

        def run() -> None:
            message, error = None, None
            try:
                message = work(job)
            except GuanaiError as exc:
                error = str(exc)
            except Exception as exc:  # shown to staff, and logged for the operator
                logger.exception("web job %r failed", title)
                error = f"内部错误 internal error: {type(exc).__name__}"
            with job.lock:
                job.message, job.error, job.finished = message, error, True
                if error is None:
                    job.step = len(job.steps)

        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)
