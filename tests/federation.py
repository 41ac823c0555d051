"""Helpers for the aggregator and submission tests: real stores, real servers on loopback."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from nacl.signing import SigningKey

from aggregator.grpc.server import RunningAggregator, start
from aggregator.intake import enrolment
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from privacy.envelope import seal, sign_report
from privacy.identity import Identity
from privacy.keys import PublicKeys
from protos.aggregator_pb2 import Submission
from protos.deadlines import default_deadlines
from protos.periods import Period
from protos.regions import school_stages
from protos.report_pb2 import NoiseGroup, Report
from protos.validation import layout

CANARY_NAME = "欧阳金丝雀"
CANARY_ID = "610102200801011235"


class Aggregator:
    """An aggregator's store and keys in a folder; ``start`` serves it on a loopback port.

    Its calendar leaves 2025's periods open (the tests use them, long after their lock dates)
    unless ``open_2025`` is false.
    """

    def __init__(self, folder: Path, region: str, level: str, parent_region: str | None = None,
                 open_2025: bool = True):
        self.db = folder / f"aggregator-{region}.db"
        self.settings = own_identity.init(self.db, level, region, parent_region)
        self.running: RunningAggregator | None = None
        if open_2025:
            leave_open(self.db, 2025)

    def start(self, **options) -> RunningAggregator:  # noqa: ANN003
        self.running = start(self.db, **options)
        return self.running

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop(grace=5)
            self.running = None

    def identity(self, address: str | None = None) -> Identity:
        """Its export; the address of its running server unless another is given."""
        return self.settings.identity(address or (self.running.address if self.running
                                                  else "127.0.0.1:1"))

    def enrol(self, identity: Identity) -> None:
        store = Store(self.db)
        try:
            enrolment.enrol(store, self.settings, identity)
        finally:
            store.close()

    def set_parent(self, parent: Aggregator) -> None:
        store = Store(self.db)
        try:
            own_identity.set_parent(store, self.settings, parent.identity())
        finally:
            store.close()


def leave_open(db: Path, year: int) -> None:
    """Give an aggregator's store deadlines for the year's periods that never lock."""
    store = Store(db)
    try:
        for period in Period.of_year(year):
            store.set_deadlines(period.code, default_deadlines(period).due.isoformat(),
                                "2999-12-31T00:00:00+00:00")
    finally:
        store.close()


def school_identity(school_id: str, region: str, key: SigningKey) -> Identity:
    return Identity(id=school_id, kind="school", region=region,
                    keys=PublicKeys(signing=bytes(key.verify_key)))


def make_report(school_id: str = "2161010001", region: str = "610102",
                recipient: str = "610102", period: str = "2025-H1", revision: int = 1,
                base: int = 5, **changes) -> Report:  # noqa: ANN003
    """A school report that fits catalogue v1: every value the catalogue allows."""
    shape = layout("v1", frozenset(school_stages(school_id)))
    values = [base + i % 7 for i in range(shape.size)]
    variances = [0.0] * shape.size
    for i in shape.closed:
        values[i] = 0
    for cells in shape.groups.values():
        for i in cells:
            variances[i] = 9.0
    fields = dict(
        report_id=bytes(16), kind=Report.SCHOOL, sender_id=school_id, region_code=region,
        recipient_id=recipient, period=period, catalogue_version="v1", revision=revision,
        values=values, noise_variance=variances,
        noise=[NoiseGroup(group=g, mechanism="discrete_gaussian", scale=3.0, l2_sensitivity=1.0,
                          rho=0.1) for g in shape.groups],
        created_unix_ms=1750000000000, stage_code=school_id[:2],
    )
    fields.update(changes)
    return Report(**fields)


def sealed(report: Report, key: SigningKey, to: Aggregator | Identity) -> Submission:
    identity = to.identity() if isinstance(to, Aggregator) else to
    signed = sign_report(report.SerializeToString(), key)
    return Submission(sealed=seal(signed, identity.keys.sealing))


def dump(db: Path) -> dict[str, list]:
    """Every row of every table of a SQLite file, read through a fresh connection."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
