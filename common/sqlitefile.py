"""A store's SQLite file as a whole: a consistent copy of it, and a check of a copy.

Both roles keep one SQLite file (node/store/, aggregator/store/); backing one up and checking a
restored one is the same for both (guanai/backup.py), so it is written once, here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from common.errors import GuanaiError


class SqliteFileError(GuanaiError):
    """A file that cannot be copied, or that is not a sound SQLite store."""


def copy(db: Path, to: Path) -> None:
    """A consistent snapshot of what was committed in ``db`` (SQLite's online backup, one
    step), written to the new file ``to`` in rollback-journal mode so it stands alone."""
    source = sqlite3.connect(db, timeout=30)
    target = sqlite3.connect(to)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        raise SqliteFileError(f"无法复制 cannot copy {db}: {exc}") from None
    finally:
        target.close()
        source.close()


def checked_meta(path: Path) -> dict[str, str]:
    """The ``meta`` table (key → value) of a store file that passes SQLite's integrity check;
    ``SqliteFileError`` for a damaged file or one that is no guanai store."""
    conn = sqlite3.connect(path)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise SqliteFileError("数据库损坏 it fails SQLite's integrity check")
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise SqliteFileError(f"不是 guanai 数据库 not a guanai store: {exc}") from None
    finally:
        conn.close()
