"""Helpers for the aggregator and submission tests: real stores, real servers on loopback."""

from __future__ import annotations

import math
import socket
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import grpc
from click.testing import CliRunner
from nacl.signing import SigningKey

from aggregator.grpc.server import RunningAggregator, start
from aggregator.intake import enrolment
from aggregator.keys import own_identity
from aggregator.rollup import signoff
from aggregator.rollup.build import make_rollup, member_reports, rollup_report, send_rollup
from aggregator.store.sqlite import Rollup, Store
from guanai.cli import cli
from member.client import Backoff
from privacy.budget import DEFAULT_RHO_HALF_YEAR
from privacy.envelope import seal, sign_report
from privacy.identity import Identity
from privacy.keys import PublicKeys
from privacy.signoff import sign_approval
from protos.aggregator_pb2 import GetCheckpointRequest, Submission
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.catalogue import load
from protos.deadlines import default_deadlines
from protos.periods import Period
from protos.regions import school_stages
from protos.report_pb2 import NoiseGroup, Report
from protos.signoff import ROLES
from protos.validation import layout

CANARY_NAME = "欧阳金丝雀"
CANARY_ID = "610102200801011235"


class Aggregator:
    """An aggregator's store and keys in a folder; ``start`` serves it on a loopback port.

    Its calendar leaves 2025's periods open (the tests use them, long after their lock dates)
    unless ``open_2025`` is false. ``tls_ca`` (PEM text), once set, goes into its export: the
    CA its members trust for its TLS certificate.
    """

    tls_ca: str | None = None

    def __init__(self, folder: Path, region: str, level: str, parent_region: str | None = None,
                 open_2025: bool = True, role: str | None = None):
        self.db = folder / f"{role or 'aggregator'}-{region}.db"
        self.settings = own_identity.init(self.db, level, region, parent_region, role)
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
                                                  else "127.0.0.1:1"), self.tls_ca)

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


def two_counties(folder: Path) -> tuple[Aggregator, Aggregator, Aggregator]:
    """Province 610000 serving, with counties 610102 and 610103 serving and enrolled there."""
    province = Aggregator(folder, "610000", "province")
    county = Aggregator(folder, "610102", "county", "610000")
    other = Aggregator(folder, "610103", "county", "610000")
    for aggregator in (province, county, other):
        aggregator.start()
    for aggregator in (county, other):
        aggregator.set_parent(province)
        province.enrol(aggregator.identity())
    return province, county, other


def leave_open(db: Path, year: int) -> None:
    """Give an aggregator's store deadlines for the year's periods that never lock."""
    store = Store(db)
    try:
        for period in Period.of_year(year):
            store.set_deadlines(period.code, default_deadlines(period).due.isoformat(),
                                "2999-12-31T00:00:00+00:00")
    finally:
        store.close()


# `guanai aggregator rollup` options that waive every sign-off role, for tests about other things
WAIVE_ALL = ("--waive", "填表人", "--waive", "审核人", "--waive", "单位负责人",
             "--reason", "测试免签 waived in a test")


def signed_off(store: Store, settings: own_identity.Settings, period: Period) -> Rollup:
    """The period's rollup, ready to send, with each sign-off role waived: for tests about
    something else (tests/test_signoff.py approves with real staff credentials)."""
    at = datetime(2025, 6, 20, tzinfo=UTC)
    for role in signoff.unsigned_roles(make_rollup(store, settings, period)[0]):
        signoff.waive(store, settings, period, role, "测试免签 waived in a test", at)
    return signoff.sign_off(store, settings, period)


H1 = Period.parse("2025-H1")


def roll_up(child: Aggregator, parent: Aggregator, period: Period = H1) -> Report:
    """The child's rollup of ``period`` as it stands, signed off (``signed_off``) and sent to
    ``parent`` the project's way, its receipt verified and kept; the rollup's Report."""
    store = Store(child.db)
    try:
        made = signed_off(store, child.settings, period)
        send_rollup(store, child.settings, parent.identity(), made, attempts=3,
                    backoff=Backoff(initial=0.05, maximum=0.1), timeout=10)
        return rollup_report(made)
    finally:
        store.close()


Change = Callable[[Report, list[bytes]], list[bytes]]


def tampered_rollup(child: Aggregator, parent: Aggregator, change: Change) -> Submission:
    """The child's rollup of 2025-H1 as it stands, with the SignedReports of its members,
    changed by ``change(report, members)`` (which returns the members to attach), its
    sign-off waived again over the changed draft and validly signed by the child: what a
    dishonest child can send, sealed to ``parent``."""
    store = Store(child.db)
    try:
        report = rollup_report(make_rollup(store, child.settings, H1)[0])
        members = change(report, member_reports(store, report))
    finally:
        store.close()
    waive_all(report, child.settings.signing_key)
    to = parent.identity().keys.sealing
    return Submission(sealed=seal(sign_report(report.SerializeToString(),
                                              child.settings.signing_key), to),
                      sealed_members=[seal(m, to) for m in members])


def waive_all(report: Report, key: SigningKey) -> None:
    """Sign ``report`` off with a waiver of every role, signed by ``key`` (its sender's own), as
    a sender that records waivers does; for tests that build a rollup by hand."""
    del report.approvals[:]
    draft = Report()
    draft.CopyFrom(report)
    report.approvals.extend(sign_approval(draft, role, key, 1750000000000,
                                          waiver_reason="测试免签 waived in a test")
                            for role in ROLES)


def school_identity(school_id: str, region: str, key: SigningKey,
                    name: str | None = None) -> Identity:
    return Identity(id=school_id, kind="school", region=region,
                    keys=PublicKeys(signing=bytes(key.verify_key)), name=name)


def make_report(school_id: str = "2161010001", region: str = "610102",
                recipient: str = "610102", period: str = "2025-H1", revision: int = 1,
                base: int = 5, **changes) -> Report:  # noqa: ANN003
    """A school report that fits catalogue v1: every value the catalogue allows."""
    shape = layout("v1", frozenset(school_stages(school_id)))
    values = [base + i % 7 for i in range(shape.size)]
    variances = [0.0] * shape.size
    for i in shape.closed:
        values[i] = 0
    scales = honest_scales(school_id)
    for group, cells in shape.groups.items():
        for i in cells:
            variances[i] = scales[group] ** 2
    fields = dict(
        report_id=bytes(16), kind=Report.SCHOOL, sender_id=school_id, region_code=region,
        recipient_id=recipient, period=period, catalogue_version="v1", revision=revision,
        values=values, noise_variance=variances,
        noise=[NoiseGroup(group=g, mechanism="discrete_gaussian", scale=scales[g],
                          l2_sensitivity=1.0, rho=0.1) for g in shape.groups],
        created_unix_ms=1750000000000, stage_code=school_id[:2],
    )
    fields.update(changes)
    return Report(**fields)


def honest_scales(school_id: str, rho: float = DEFAULT_RHO_HALF_YEAR) -> dict[str, float]:
    """Per DP group, a noise scale just above what ``rho`` (split by the catalogue's shares)
    requires for the school's stages: σ = Δ / √(2 ρ_g)."""
    catalogue = load("v1")
    stages = frozenset(school_stages(school_id))
    return {g: 1.001 * catalogue.sensitivity(g, stages) / math.sqrt(2 * rho * group.share)
            for g, group in catalogue.groups.items() if catalogue.sensitivity(g, stages) > 0}


def sealed(report: Report, key: SigningKey, to: Aggregator | Identity) -> Submission:
    identity = to.identity() if isinstance(to, Aggregator) else to
    signed = sign_report(report.SerializeToString(), key)
    return Submission(sealed=seal(signed, identity.keys.sealing))


# Made by a serving aggregator's own thread from its figures, in its own time, whatever a
# test sends (aggregator/figures/kept.py): not a record that input could change.
DERIVED = {"kept_periods", "kept_tables"}


def dump(db: Path) -> dict[str, list]:
    """Every row of every table of a SQLite file, read through a fresh connection; the kept
    official tables (``DERIVED``) left out."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if r[0] not in DERIVED]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    finally:
        conn.close()


def log_size(aggregator: Aggregator) -> int:
    """The tree size of the running aggregator's latest checkpoint (GetCheckpoint)."""
    with grpc.insecure_channel(aggregator.running.address) as channel:
        note = AggregatorStub(channel).GetCheckpoint(GetCheckpointRequest(), timeout=10).note
    return int(note.splitlines()[1])  # C2SP checkpoint: origin, tree size, root hash


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aggregator_cli(db, *args: str) -> str:  # noqa: ANN001
    """``guanai aggregator --db DB ARGS…`` run in-process; its output, once it succeeded."""
    result = CliRunner().invoke(cli, ["aggregator", "--db", str(db), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def aggregator_cli_fails(db, *args: str) -> BaseException:  # noqa: ANN001
    """The same, expected to fail; the exception it ended with."""
    result = CliRunner().invoke(cli, ["aggregator", "--db", str(db), *args])
    assert result.exit_code != 0
    return result.exception
