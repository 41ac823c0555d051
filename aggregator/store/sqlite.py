"""The aggregator's store: one SQLite file per aggregator, WAL, fsync on every commit.

It holds its members' public keys, the submissions it accepted (each one a leaf of its log, in
log order), the member reports that rollups forwarded, and its own rollups. Nothing that
arrives carries a name: it is a DP table. All SQL of the aggregator lives in aggregator/store/,
split by concern (members, submissions, rollups, calendar, warnings, figures, kept official
tables, accounts), each declaring a
Protocol of what it offers and its SQLite implementation; ``Store`` composes them over one
connection, so that another database can take SQLite's place when one machine is outgrown.
"""

from __future__ import annotations

from pathlib import Path

from aggregator.store.accounts import Account, AccountStore, SqliteAccounts
from aggregator.store.calendar import CalendarStore, Decision, Return, SqliteCalendar, Staff
from aggregator.store.connection import SqliteConnection, StoreError, Transactions
from aggregator.store.enrolments import EnrolledBelow, EnrolmentsBelow, RevokedBelow
from aggregator.store.figures import CellSums, FigureStore, FigureUnit, SqliteFigures
from aggregator.store.kept import KeptRace, KeptRegion, KeptSet, KeptStore, SqliteKept
from aggregator.store.members import Member, MemberKey, MemberStore, SqliteMembers
from aggregator.store.publications import Publication, PublicationStore, SqlitePublications
from aggregator.store.register import SchoolRegister
from aggregator.store.rollups import Rollup, RollupStore, SqliteRollups
from aggregator.store.schema import SCHEMA
from aggregator.store.shares import LeaderEnrolment, ShareStore, SqliteShares, StoredShare
from aggregator.store.submissions import (
    Forwarded,
    SqliteSubmissions,
    Submission,
    SubmissionStore,
)
from aggregator.store.warnings import SqliteWarnings, StoredResponse, StoredWarning, WarningStore

__all__ = [
    "SCHEMA", "Account", "AccountStore", "CalendarStore", "CellSums", "Decision", "EnrolledBelow",
    "EnrolmentsBelow", "FigureStore", "FigureUnit", "Forwarded", "KeptRace", "KeptRegion",
    "KeptSet", "KeptStore", "LeaderEnrolment", "Member",
    "MemberKey", "MemberStore", "Publication", "PublicationStore", "Return", "RevokedBelow",
    "Rollup", "RollupStore", "ShareStore", "SqliteConnection", "StoredShare", "Staff", "Store",
    "StoreError",
    "StoredResponse", "StoredWarning", "Submission", "SubmissionStore", "Transactions",
    "WarningStore",
]


class Store(SqliteMembers, SqliteSubmissions, SqliteRollups, SqliteCalendar, SqliteWarnings,
            SqliteFigures, SqliteShares, SqlitePublications, EnrolmentsBelow, SchoolRegister,
            SqliteAccounts, SqliteKept):
    """One aggregator's SQLite file: every concern's SQLite implementation over one connection.

    ``Store(path, create=False)``; StoreError when the file is missing and not to be created.
    ``with store.transaction() as s:`` makes everything inside all-or-nothing.
    """

    def __init__(self, path: Path | str, create: bool = False) -> None:
        super().__init__(path, create)
        self.figures_current()  # a new store's (empty) figures store is current
