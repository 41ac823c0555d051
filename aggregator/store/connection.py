"""One aggregator's SQLite file: opening it (WAL, fsync on every commit, deleted content
overwritten), its transactions.

Every concern module of the store (members, submissions, rollups, calendar, warnings) runs its
SQL through the one connection kept here, so a transaction that accepts a submission covers all
the tables it touches. A lock makes the connection safe to share by the server's threads.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from aggregator.store.schema import SCHEMA
from common.errors import GuanaiError

logger = logging.getLogger(__name__)

CACHE_KIB = 65536  # SQLite's page cache per connection, KiB


class StoreError(GuanaiError):
    """The aggregator's store cannot be opened or is not an aggregator store."""


class Transactions(Protocol):
    """What every store backend offers: all-or-nothing work, and closing."""

    def transaction(self) -> Iterator[object]:  # a context manager yielding the store
        ...

    def close(self) -> None:
        ...


class SqliteConnection:
    """The shared SQLite connection, the lock, and the three ways of running a statement.

    ``path`` is the store file; ``create`` makes it (mode 0600) when missing, otherwise a
    missing file raises StoreError. Concern mixins call ``_all``, ``_one`` and ``_run``.
    """

    def __init__(self, path: Path | str, create: bool = False) -> None:
        import sqlite_utils  # here, not at import: clients that never open a store skip it

        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreError(
                    f"找不到汇总库 no aggregator store at {path} (run `guanai aggregator init`)"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        self.path = path
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before a receipt leaves
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        # content deleted or replaced is overwritten with zeros, in its page and in freed pages
        # (https://sqlite.org/pragma.html#pragma_secure_delete): an account's old sealed
        # credential leaves no copy in the file once checkpointed (``forgetting``)
        conn.execute("PRAGMA secure_delete=ON")
        # 64 MiB of pages kept between reads (SQLite's default is 2 MiB): a trend's ten
        # periods of county rows and cells stay in memory instead of being read again
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        conn.executescript(SCHEMA)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[SqliteConnection]:
        """All-or-nothing; other threads wait until it ends."""
        with self._lock:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")

    @contextmanager
    def forgetting(self) -> Iterator[SqliteConnection]:
        """A transaction (as ``transaction``) whose replaced content must leave no readable
        copy: after the commit the WAL is checkpointed into the file, where secure_delete has
        zeroed the old bytes, and truncated to zero bytes (``PRAGMA wal_checkpoint(TRUNCATE)``,
        https://sqlite.org/pragma.html#pragma_wal_checkpoint), so its frames holding the old
        pages go. The checkpoint waits up to the busy timeout for other connections' readers;
        if one still reads, it is logged and the old frames stay until the next checkpoint."""
        with self.transaction():
            yield self
        with self._lock:
            busy, _, _ = self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            logger.warning("WAL of %s not truncated: another connection was reading", self.path)

    def _all(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        with self._lock:
            return self.db.conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        with self._lock:
            return self.db.conn.execute(sql, params).fetchone()

    def _run(self, sql: str, params: list | tuple = ()) -> int:
        with self._lock:
            return self.db.conn.execute(sql, params).rowcount

    def _many(self, sql: str, rows: list[list | tuple]) -> None:
        with self._lock:
            self.db.conn.executemany(sql, rows)

    def _insert(self, sql: str, params: list | tuple = ()) -> int:
        """Run an INSERT and return the new row's id."""
        with self._lock:
            return self.db.conn.execute(sql, params).lastrowid

    # --- meta
    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", [key])
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])
