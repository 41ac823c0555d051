"""A whole reporting year in seconds: real servers on loopback, school daemons, a simulated clock.

Two counties and the province run their gRPC servers; six school nodes run `guanai node run`'s
daemon, each in its own thread, all on one simulated clock (common/clock.py), so time moves
only when everybody waits. Staff act on set days. The year holds an on-time school, one whose
records fail validation (told a month early, fixed after the deadline: late), one whose daemon
is down until after the lock (refused, then unlocked), one returned for correction and revised,
a county outage during the December window, a school key rotated mid-year and its old key then
revoked, a county rotating its own keys, a school that stops running (missing), annual
summaries with a planted name refused then accepted. At the end, completeness and every
rollup must be exactly right.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from aggregator.calendar import decisions
from aggregator.calendar.completeness import member_status
from aggregator.keys import keyring, staff
from aggregator.rollup import summaries
from aggregator.rollup.build import make_rollup, rollup_report, send_rollup
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from member.client import Backoff
from node import status as node_status
from node.daemon import Daemon
from node.membership import (
    ensure_key,
    import_parent,
    key_path,
    own_identity,
    parent,
    previous_parent_keys,
)
from node.release import release_period
from node.schedule import ScheduleSettings
from node.screening import IdentifiableText
from node.submit import outbox, receipts
from node.summary import file_summary
from node.upstream import rotate_own_key
from privacy.envelope import verify_signed
from privacy.keys import key_id, load_signing_key
from privacy.receipt import verify_receipt
from protos.aggregator_pb2 import Receipt
from protos.deadlines import CHINA, Deadlines, end_of_day
from protos.periods import Period
from tests.conftest import School
from tests.federation import CANARY_ID, CANARY_NAME, Aggregator, free_port

H1, H2, YEAR = (Period.parse(p) for p in ("2025-H1", "2025-H2", "2025"))
A, B, C = "2161010001", "3161010002", "2161010003"  # in 新城区 610102
D, E = "2161030004", "3461030005"  # in 碑林区 610103
U = "4161000007"  # a university, straight to the province
SCHOOLS = {A: ("610102", "primary"), B: ("610102", "junior"), C: ("610102", "primary"),
           D: ("610103", "primary"), E: ("610103", "senior"), U: ("610116", "undergraduate")}
SETTINGS = ScheduleSettings(check_every_minutes=24 * 60, warn_days=30, window_days=10,
                            retry_seconds=600, max_retry_minutes=180, refused_retry_hours=24,
                            timeout_seconds=10)
FAST = dict(attempts=3, backoff=Backoff(initial=0.05, maximum=0.1), timeout=10)


def cst(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=CHINA)


@dataclass
class Node:
    school: School
    parent: Aggregator
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def id(self) -> str:
        return own_identity(self.school.db, self.school.path).id

    def start(self, clock: SimulatedClock) -> None:
        self.stop = threading.Event()
        daemon = Daemon(self.school.path, clock, SETTINGS)
        self.thread = clock.start(lambda: daemon.run(self.stop), name=f"node-{self.id}")

    def status(self, clock: SimulatedClock) -> str:
        return "\n".join(node_status.lines(self.school.db, self.school.path, SETTINGS,
                                           clock.now()))

    def receipt(self, period: Period, revision: int = 1):  # noqa: ANN201
        return next(r for r in receipts(self.school.db)
                    if (r.period, r.revision) == (period.code, revision))

    def sent(self, period: Period, revision: int = 1) -> bytes:
        return next(i.signed for i in outbox(self.school.db)
                    if (i.period, i.revision) == (period.code, revision))


class Year:
    """The federation, its staff credentials and the schools, on one simulated clock."""

    def __init__(self, folder) -> None:  # noqa: ANN001
        self.clock = SimulatedClock(datetime(2025, 1, 1, tzinfo=CHINA))
        self.province = Aggregator(folder, "610000", "province", open_2025=False)
        self.counties = {r: Aggregator(folder, r, "county", "610000", open_2025=False)
                         for r in ("610102", "610103")}
        self.ports = {}
        for aggregator in self.aggregators:
            self.ports[aggregator.settings.region] = free_port()
            self.serve(aggregator)
            store = Store(aggregator.db)
            aggregator.credential = folder / f"staff-{aggregator.settings.region}.key"
            decisions.register_staff(store, aggregator.settings, "值班员", aggregator.credential,
                                     self.clock.now())
            store.close()
        for county in self.counties.values():
            county.set_parent(self.province)
            self.province.enrol(county.identity())
        self.nodes = {sid: self.make_node(folder, sid, *place) for sid, place in SCHOOLS.items()}

    @property
    def aggregators(self) -> list[Aggregator]:
        return [self.province, *self.counties.values()]

    def serve(self, aggregator: Aggregator) -> None:
        aggregator.start(listen=f"127.0.0.1:{self.ports[aggregator.settings.region]}",
                         clock=self.clock)

    def make_node(self, folder, school_id: str, region: str, stage: str) -> Node:  # noqa: ANN001
        school = School(folder / f"school-{school_id}.db", school_id=school_id, region=region)
        first = school.student(stage, ["poverty"], name=CANARY_NAME, id_card=CANARY_ID)
        second = school.student(stage, ["disability", "orphan"], name="学生乙")
        school.record(first, "talk", "2025-03-02")
        school.registration(second, "2025-H1", "on_time")
        ensure_key(school.path)
        parent_agg = self.counties.get(region, self.province)
        parent_agg.enrol(own_identity(school.db, school.path))
        import_parent(school.db, parent_agg.identity())
        return Node(school, parent_agg)

    def decide(self, aggregator: Aggregator):  # noqa: ANN201
        store = Store(aggregator.db)
        return store, staff.load(store, aggregator.credential)

    def roll_up(self, county: Aggregator, period: Period) -> None:
        store = Store(county.db)
        try:
            made, _ = make_rollup(store, county.settings, period)
            send_rollup(store, county.settings, self.province.identity(), made, **FAST)
        finally:
            store.close()

    def at(self, moment: datetime) -> None:
        self.clock.sleep_until(moment)


@pytest.fixture
def year(tmp_path):
    year = Year(tmp_path)
    yield year
    for node in year.nodes.values():
        node.stop.set()
    for aggregator in year.aggregators:
        aggregator.stop()


def test_a_simulated_year(year, caplog):
    caplog.set_level("INFO")
    clock, nodes, province = year.clock, year.nodes, year.province
    c102, c103 = year.counties["610102"], year.counties["610103"]
    # B's records break rule R04 (a return to school without any absence).
    nodes[B].school.db.execute("UPDATE registrations SET returned_on = '2025-03-01'")
    for node in nodes.values():
        node.start(clock)

    year.at(cst(1, 2))
    store, credential = year.decide(province)
    for period, due, lock in ((H1, (7, 31), (8, 31)), (H2, (12, 25), (12, 31)),
                              (YEAR, (12, 28), (12, 31))):
        limits = Deadlines(end_of_day(datetime(2025, *due).date()),
                           end_of_day(datetime(2025, *lock).date()))
        decisions.set_deadlines(store, province.settings, credential, period, limits, clock.now())
    store.close()

    year.at(cst(6, 2))  # a month before the deadline, B is told what to fix
    assert "R04" in nodes[B].status(clock) and "acad.returned" in nodes[B].status(clock)
    assert "2025-H1: 校验未通过" in caplog.text
    year.at(cst(6, 10))
    nodes[C].stop.set()  # C's machine is off until after the lock

    year.at(cst(6, 25))
    for sid in (A, D, E):
        assert nodes[sid].receipt(H1).body.timeliness == "on_time", sid
    assert "待发布 released from 2025-07-21" in nodes[U].status(clock)  # the province's deadline
    assert not [i for i in outbox(nodes[B].school.db) if i.period == H1.code]

    year.at(cst(7, 1))
    year.roll_up(c103, H1)
    year.at(cst(7, 2))
    store, credential = year.decide(c103)
    decisions.return_submission(store, c103.settings, credential, D, H1,
                                "辍学人数与台账不符 dropouts do not match the ledger", clock.now())
    store.close()

    year.at(cst(7, 3))
    shown = nodes[D].status(clock)
    assert "已退回修改" in shown and "辍学人数与台账不符 dropouts do not match the ledger" in shown
    nodes[B].school.db.execute("UPDATE registrations SET returned_on = NULL")  # B fixes it

    year.at(cst(7, 5))
    d = nodes[D].school
    d.record(d.db.execute("SELECT min(id) FROM students").fetchone()[0], "tutoring", "2025-04-01")
    release_period(d.db, H1, "610103", correction=True, today=clock.now().date())

    year.at(cst(7, 20, 6))
    nodes[C].start(clock)
    year.at(cst(7, 21, 7))
    assert "被拒收 refused" in nodes[C].status(clock) and "已锁定" in nodes[C].status(clock)
    store, credential = year.decide(c102)
    decisions.unlock(store, c102.settings, credential, C, H1, clock.now(), reason="停电 power cut")
    store.close()

    year.at(cst(7, 25))
    assert nodes[B].receipt(H1).body.timeliness == "late"
    assert nodes[C].receipt(H1).body.timeliness == "late"
    assert nodes[D].receipt(H1, 2).body.timeliness == "late"  # the revision came after 30 June
    for county in (c102, c103):
        year.roll_up(county, H1)

    year.at(cst(8, 15))  # A moves to a new key; the county enrols it first
    a_old = load_signing_key(key_path(nodes[A].school.path))
    rotate_own_key(nodes[A].school.db, nodes[A].school.path, clock.now())
    year.at(cst(8, 16))  # …and then learns the old one was copied: refused from 1 September
    store, credential = year.decide(c102)
    decisions.revoke(store, c102.settings, credential, A, key_id(a_old.verify_key), clock.now(),
                     cst(9, 1, 0))
    store.close()

    year.at(cst(9, 1))
    nodes[B].stop.set()  # B stops running for good: its H2 goes missing

    year.at(cst(9, 10))  # 碑林区 rotates its own keys; the province enrols the new one first
    store = Store(c103.db)
    new_signing, _ = keyring.next_keys(c103.db)
    keyring.announce(c103.settings, province.identity(), new_signing, clock.now())
    keyring.switch(store, c103.settings, clock.now())
    store.close()
    c103.stop()
    year.serve(c103)
    c103.settings = c103.running.settings

    year.at(cst(12, 5))  # 碑林区 goes down just before the December window opens
    c103.stop()
    year.at(cst(12, 8))
    text = "# 2025年工作总结\n\n本年度帮扶了" + CANARY_NAME + "等同学。\n"
    with pytest.raises(IdentifiableText, match="line 3") as refused:
        file_summary(nodes[A].school.db, nodes[A].school.path, YEAR, text, now=clock.now)
    assert CANARY_NAME not in str(refused.value)
    assert not [i for i in outbox(nodes[A].school.db) if i.period == YEAR.code]
    fixed = text.replace(CANARY_NAME, "两名")
    for sid in (A, U):
        file_summary(nodes[sid].school.db, nodes[sid].school.path, YEAR, fixed, now=clock.now)
    year.at(cst(12, 9))
    year.serve(c103)
    year.at(cst(12, 10))
    file_summary(nodes[D].school.db, nodes[D].school.path, YEAR, fixed, now=clock.now)

    year.at(cst(12, 20))
    for county in (c102, c103):
        year.roll_up(county, H2)
    year.at(cst(12, 22))
    for county in (c102, c103):
        store = Store(county.db)
        made = summaries.file_summary(store, county.settings, YEAR, "# 区县年度工作总结\n",
                                      clock.now())
        send_rollup(store, county.settings, province.identity(), made, **FAST)
        store.close()

    year.at(cst(12, 31))
    for node in nodes.values():
        node.stop.set()
    year.at(cst(12, 31, 12))
    assert clock.errors == []
    assert "schedule step failed" not in caplog.text
    check_the_year(year)


def check_the_year(year: Year) -> None:
    nodes, province = year.nodes, year.province
    c102, c103 = year.counties["610102"], year.counties["610103"]

    def statuses(aggregator: Aggregator, period: Period) -> dict:
        store = Store(aggregator.db)
        try:
            return {s.member.member_id: s for s in member_status(store, period)}
        finally:
            store.close()

    def standing(aggregator: Aggregator, period: Period) -> dict:
        return {m: (s.submission.revision if s.submission else None, s.timeliness)
                for m, s in statuses(aggregator, period).items()}

    assert standing(c102, H1) == {A: (1, "on_time"), B: (1, "late"), C: (1, "late")}
    assert standing(c102, H2) == {A: (1, "on_time"), B: (None, None), C: (1, "on_time")}
    assert standing(c103, H1) == {D: (2, "on_time"), E: (1, "on_time")}
    assert standing(c103, H2) == {D: (1, "on_time"), E: (1, "on_time")}
    assert standing(province, H1) == {"610102": (1, "on_time"), "610103": (2, "on_time"),
                                      U: (1, "on_time")}
    assert standing(province, H2) == {"610102": (1, "on_time"), "610103": (1, "on_time"),
                                      U: (1, "on_time")}
    assert standing(province, YEAR) == {"610102": (1, "on_time"), "610103": (1, "on_time"),
                                        U: (1, "on_time")}
    at_province = statuses(province, H1)
    assert set(at_province["610102"].late_below) == {B, C}
    assert statuses(province, H2)["610102"].missing_below == (B,)
    assert set(statuses(province, YEAR)["610102"].missing_below) == {B, C}
    assert statuses(province, YEAR)["610103"].missing_below == (E,)
    assert [i.attempts > 1 for i in outbox(nodes[E].school.db) if i.period == H2.code] == [True]

    # Every rollup is exactly the sum of the revisions that count, down to the schools.
    counted = {H1: {A: 1, B: 1, C: 1, D: 2, E: 1, U: 1}, H2: {A: 1, C: 1, D: 1, E: 1, U: 1}}
    store = Store(province.db)
    try:
        for period, revisions in counted.items():
            total = rollup_report(make_rollup(store, province.settings, period)[0])
            reports = [verify_signed(nodes[s].sent(period, r))[0] for s, r in revisions.items()]
            assert list(total.values) == [sum(c) for c in zip(*(r.values for r in reports),
                                                              strict=True)]
            assert list(total.noise_variance) == pytest.approx(
                [sum(c) for c in zip(*(r.noise_variance for r in reports), strict=True)])
            below = {f.sender_id: f.revision for s in store.latest_submissions(period.code)
                     for f in store.forwarded(s.log_index)}
            assert below == {s: r for s, r in revisions.items() if s != U}
        filed = {f.report.sender_id: f.via for f in summaries.filed(store, YEAR)}
        assert filed == {"610102": None, "610103": None, U: None, A: "610102", D: "610103"}
    finally:
        store.close()

    # Old receipts still verify after both rotations; the revoked key signed nothing after it.
    for node in nodes.values():
        keys = [parent(node.school.db).keys.signing, *previous_parent_keys(node.school.db)]
        for held in receipts(node.school.db):
            signed = node.sent(Period.parse(held.period), held.revision)
            assert any(_verifies(held.receipt, signed, k) for k in keys)
    assert len(previous_parent_keys(nodes[D].school.db)) == 1
    h1_signer = verify_signed(nodes[A].sent(H1))[1]
    h2_signer = verify_signed(nodes[A].sent(H2))[1]
    assert h1_signer != h2_signer

    for aggregator in year.aggregators:
        for path in aggregator.db.parent.glob(aggregator.db.name + "*"):
            data = path.read_bytes()
            for canary in (CANARY_NAME, CANARY_ID, "学生乙"):
                assert canary.encode() not in data, f"{canary} in {path.name}"
    store = Store(c103.db)
    assert [d.kind for d in store.decisions()] == ["staff", "return"]
    store.close()
    store = Store(c102.db)
    assert [d.kind for d in store.decisions()] == ["staff", "unlock", "rotate", "revoke"]
    store.close()


def _verifies(receipt: bytes, signed: bytes, key: bytes) -> bool:
    try:
        verify_receipt(Receipt.FromString(receipt), signed, key)
    except Exception:
        return False
    return True
