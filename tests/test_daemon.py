"""The node's daemon on a simulated clock: early warnings, retries across restarts, status."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import datetime

import pytest
from click.testing import CliRunner

from aggregator.keys import own_identity as own_identity_of
from aggregator.rollup.helper import send_enrolment
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from guanai.cli import cli
from node import status as node_status
from node.config import ConfigError, load_config
from node.daemon import Daemon
from node.membership import ensure_key, import_helper, import_parent, own_identity
from node.schedule import ScheduleSettings
from node.store import shares as share_rows
from node.submit import outbox, receipts
from privacy.budget import BudgetPolicy
from protos.deadlines import CHINA
from tests.conftest import School
from tests.federation import Aggregator, free_port

DAILY = ScheduleSettings(check_every_minutes=24 * 60, retry_seconds=600, max_retry_minutes=120,
                         timeout_seconds=5)


def cst(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=CHINA)


@pytest.fixture
def setup(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000", open_2025=False)
    address = f"127.0.0.1:{free_port()}"
    school = School(tmp_path / "school.db")
    school.student("primary", ["poverty"])
    ensure_key(school.path)
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity(address))
    yield county, address, school
    county.stop()


def run_until(clock: SimulatedClock, daemon: Daemon, moment: datetime) -> None:
    stop = threading.Event()
    thread = clock.start(lambda: daemon.run(stop), "daemon")
    clock.sleep_until(moment)
    stop.set()
    while thread.is_alive():  # it leaves when it next wakes
        clock.sleep(600)
    thread.join(timeout=10)
    assert clock.errors == []


def status(school: School, clock: SimulatedClock) -> str:
    """What `guanai node status` shows at the simulated time (the command asks the system's)."""
    return "\n".join(node_status.lines(school.db, school.path, ScheduleSettings(), clock.now()))


def status_command(school: School) -> str:
    result = CliRunner().invoke(cli, ["node", "--db", str(school.path), "status"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_unreachable_parent_is_retried_and_a_restarted_daemon_sends_the_same_bytes(setup):
    county, address, school = setup
    clock = SimulatedClock(cst(6, 15))
    run_until(clock, Daemon(school.path, clock, DAILY), cst(6, 24))
    [queued] = outbox(school.db)
    assert queued.state == "pending" and queued.attempts >= 3
    assert queued.last_error.startswith("UNAVAILABLE")
    shown = status(school, clock)
    assert "报送中 sending revision 1" in shown and "联系失败 last contact failed" in shown

    county.start(listen=address, clock=clock)
    run_until(clock, Daemon(school.path, clock, DAILY), cst(6, 28))
    [delivered] = outbox(school.db)
    assert delivered.state == "delivered" and delivered.signed == queued.signed
    assert [r.body.timeliness for r in receipts(school.db)] == ["on_time"]
    assert school.db.execute("SELECT count(*) FROM releases").fetchone()[0] == 1
    shown = status(school, clock)
    assert "已报送 delivered revision 1 (按时 on time)" in shown
    assert "2025 " in shown and "工作总结未报 summary not filed" in shown
    assert "已报送 delivered revision 1 (按时 on time)" in status_command(school)  # on any date


def test_a_budget_that_will_not_cover_the_table_is_told_a_month_ahead_and_nothing_is_spent(
        setup, caplog):
    county, address, school = setup
    county.start(listen=address, clock=(clock := SimulatedClock(cst(5, 20))))
    daemon = Daemon(school.path, clock, DAILY, BudgetPolicy(rho_half_year=0.5, annual_cap=0.4))
    run_until(clock, daemon, cst(5, 31))
    assert "隐私预算不足" not in caplog.text  # checks begin 30 days before the deadline
    run_until(clock, daemon, cst(6, 1, 1))
    found = school.db.execute("SELECT problem FROM schedule_checks WHERE period = '2025-H1'")
    assert "隐私预算不足" in found.fetchone()[0]
    assert "隐私预算不足" in status(school, clock)
    run_until(clock, daemon, cst(6, 25))  # in the window: the release is refused, nothing spent
    assert school.db.execute("SELECT count(*) FROM budget_ledger").fetchone()[0] == 0
    assert caplog.text.count("隐私预算不足") >= 20  # and said again every day


def test_schedule_settings_come_from_the_node_configuration(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text("[schedule]\nwarn_days = 20\nwindow_days = 5\n", encoding="utf-8")
    assert load_config(path).schedule == ScheduleSettings(warn_days=20, window_days=5)
    path.write_text("[schedule]\nwarn_day = 20\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key schedule\.warn_day"):
        load_config(path)
    path.write_text("[schedule]\nwarn_days = 5\nwindow_days = 10\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule.window_days cannot exceed"):
        load_config(path)


def test_guanai_node_run_is_a_service_that_stops_cleanly_on_sigterm(tmp_path):
    school = School(tmp_path / "school.db")
    ensure_key(school.path)
    process = subprocess.Popen([sys.executable, "-m", "guanai", "node", "--db", str(school.path),
                                "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):  # until its first look at the calendar is stored
            with closing(sqlite3.connect(school.path)) as conn:
                row = conn.execute(
                    "SELECT value FROM meta WHERE key = 'schedule_checked_at'").fetchone()
            if row or process.poll() is not None:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err.decode()
    log = err.decode()
    assert "schedule running" in log and "schedule stopped" in log
    assert "no parent aggregator" in log  # said, not crashed on
    assert out == b""


def test_the_node_groups_configuration_file_reaches_run(tmp_path):
    from click.testing import CliRunner

    from guanai.cli import cli

    school = School(tmp_path / "school.db")
    path = tmp_path / "node.toml"
    path.write_text("[schedule]\nwarn_days = 5\nwindow_days = 10\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["node", "--db", str(school.path), "--config", str(path),
                                      "run"])
    assert result.exit_code != 0
    assert "schedule.window_days cannot exceed" in str(result.exception or result.output)


def test_the_daemon_delivers_both_shares_and_retries_an_unreachable_helper(setup, tmp_path):
    """Secure aggregation (issue 15): the share to the parent arrives with the release; the
    helper's, while the helper is down, is retried and arrives as the same bytes later."""
    county, address, school = setup
    helper = Aggregator(tmp_path, "610000", "province", role="helper")
    helper_address = f"127.0.0.1:{free_port()}"
    import_helper(school.db, helper.identity(helper_address))
    county.start(listen=address, clock=(clock := SimulatedClock(cst(6, 15))))
    try:
        run_until(clock, Daemon(school.path, clock, DAILY), cst(6, 24))
        leader, waiting = share_rows.of_release(school.db, "2025-H1", 1)
        assert (leader.party, leader.state) == ("leader", "delivered")
        assert (waiting.party, waiting.state) == ("helper", "pending") and waiting.attempts >= 2
        assert waiting.last_error.startswith("UNAVAILABLE")
        assert "份额·协助方 helper share revision 1 → 610000: 发送中 sending" in status(school,
                                                                                   clock)
        helper.start(listen=helper_address)
        helper.enrol(county.identity(address))
        store = Store(county.db)
        try:
            own_identity_of.set_helper(store, county.settings, helper.identity())
            send_enrolment(store, county.settings, clock.now(), timeout=5, attempts=3)
        finally:
            store.close()
        run_until(clock, Daemon(school.path, clock, DAILY), cst(6, 28))
        _, delivered = share_rows.of_release(school.db, "2025-H1", 1)
        assert delivered.state == "delivered" and delivered.signed == waiting.signed
        held = Store(helper.db)
        try:
            assert held.shares_of("2025-H1", [school_id_of(school)])[
                school_id_of(school)].signed == delivered.signed
        finally:
            held.close()
    finally:
        helper.stop()


def school_id_of(school: School) -> str:
    return school.db.execute("SELECT value FROM meta WHERE key = 'school_id'").fetchone()[0]
