"""What every school page handler needs: the store, today's date, the node's settings.

One store connection for all pages, used by one request at a time (``lock``, held by the app
around each request: a school's pages have one user, and SQLite writes one at a time anyway),
and a memory of each period's true table kept until the records change: SQLite's
``data_version`` moves when another connection (a CLI import, the daemon, a job of these
pages) commits and ``total_changes`` when this one writes, so a table is never stale and the
front page does not recompute it at every visit. Long jobs open their own connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlite_utils
from flask import current_app

from common.clock import Clock
from common.web.jobs import Jobs
from member.client import ClientTls
from node.config import NodeConfig
from node.release import true_table
from node.store import change_mark, get_meta, open_store
from protos.catalogue import load
from protos.deadlines import local_date
from protos.periods import Period
from protos.regions import school_stages


@dataclass
class Site:
    db: Path
    clock: Clock
    config: NodeConfig
    served_beyond_loopback: bool = False
    client_tls: ClientTls | None = None
    submit_attempts: int = 3
    submit_timeout: float = 20.0
    jobs: Jobs = field(default_factory=Jobs)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _store: sqlite_utils.Database | None = None
    _tables: dict[str, tuple[tuple, dict[str, int]]] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return local_date(self.clock.now())

    def store(self) -> sqlite_utils.Database | None:
        """The pages' connection, or None while the node has no store file yet."""
        if self._store is None and self.db.exists():
            self._store = open_store(self.db)
        return self._store

    def initialised(self) -> bool:
        store = self.store()
        return store is not None and bool(get_meta(store, "school_id"))

    def school_id(self) -> str:
        return get_meta(self.store(), "school_id") or ""

    def school_stages(self) -> tuple[str, ...]:
        return school_stages(self.school_id())

    def truth(self, period: Period) -> dict[str, int]:
        """The period's true table as of today, recomputed only after the records change."""
        store = self.store()
        stamp = (*change_mark(store), self.today())
        held = self._tables.get(period.code)
        if held is None or held[0] != stamp:
            table = true_table(store, period, load(), self.today())
            # Reading may itself have counted as a change on some SQLite builds: stamp after.
            stamp = (*change_mark(store), self.today())
            held = self._tables[period.code] = (stamp, table)
        return held[1]


def site() -> Site:
    """The Site of the app handling this request."""
    return current_app.extensions["guanai_site"]
