"""The node's release: stored once, charged to the ledger, validated, free of identifiers."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from guanai.cli import cli
from node.release import NoAnnualTable, latest_release, release_period, spent_in_year
from node.validation import ValidationFailed
from privacy.budget import BudgetExceeded, BudgetPolicy
from protos import report_pb2
from protos.periods import Period

H1, H2, YEAR = (Period.parse(p) for p in ("2025-H1", "2025-H2", "2025"))
DAY = date(2025, 12, 31)
CANARY_NAME = "欧阳金丝雀"
CANARY_ID = "610102200801011235"


def _dump(db) -> list:  # noqa: ANN001
    return [list(db.execute(f"SELECT * FROM {t}").fetchall()) for t in db.table_names()]


def test_release_is_stored_once_and_returned_again(school):
    school.student("primary", ["poverty"])
    first = release_period(school.db, H1, "610102", today=DAY)
    again = release_period(school.db, H1, "610102", today=DAY)
    assert again.report_bytes == first.report_bytes
    assert spent_in_year(school.db, 2025) == pytest.approx(0.5)
    report = first.report
    assert report.kind == report_pb2.Report.SCHOOL
    assert (report.sender_id, report.region_code, report.recipient_id) == (
        "2161010001", "610102", "610102")
    assert (report.period, report.catalogue_version, report.revision) == ("2025-H1", "v1", 1)
    assert len(report.report_id) == 16 and report.created_unix_ms > 0
    assert report.stage_code == "21"
    assert {n.group for n in report.noise} == {"monitored", "enrolment", "students", "events",
                                               "yuan"}
    assert report.budget.rho == pytest.approx(0.5) and report.budget.epsilon > 0


def test_a_correction_is_a_new_revision_that_spends_again(school):
    school.student("primary", ["poverty"])
    first = release_period(school.db, H1, "610102", today=DAY)
    second = release_period(school.db, H1, "610102", correction=True, today=DAY)
    assert second.revision == 2 and second.report_bytes != first.report_bytes
    assert latest_release(school.db, H1).revision == 2
    assert spent_in_year(school.db, 2025) == pytest.approx(1.0)
    assert second.report.budget.rho_year_total == pytest.approx(1.0)


def test_a_release_past_the_annual_cap_is_refused_and_spends_nothing(school):
    school.student("primary", ["poverty"])
    policy = BudgetPolicy(rho_half_year=0.5, rho_annual=0.25, annual_cap=0.8)
    release_period(school.db, H1, "610102", policy, today=DAY)
    before = _dump(school.db)
    with pytest.raises(BudgetExceeded, match="annual cap"):
        release_period(school.db, H2, "610102", policy, today=DAY)
    assert _dump(school.db) == before
    # A smaller release that still fits goes through: the refusal did not exhaust anything.
    smaller = BudgetPolicy(rho_half_year=0.25, annual_cap=0.8)
    assert release_period(school.db, H2, "610102", smaller, today=DAY).revision == 1
    assert spent_in_year(school.db, 2025) == pytest.approx(0.75)


def test_the_annual_period_has_no_table_of_its_own(school):
    school.student("primary", ["poverty"])
    before = _dump(school.db)
    with pytest.raises(NoAnnualTable, match="guanai node summary"):
        release_period(school.db, YEAR, "610102", today=DAY)
    assert _dump(school.db) == before


def test_a_violated_rule_blocks_the_release_and_names_it(school):
    s = school.student("primary", ["poverty"])
    school.registration(s, "2025-H1", "on_time", returned_on="2025-03-01")
    before = _dump(school.db)
    with pytest.raises(ValidationFailed) as caught:
        release_period(school.db, H1, "610102", today=DAY)
    assert "R04" in str(caught.value) and "acad.returned = 1" in str(caught.value)
    assert _dump(school.db) == before


def test_no_identifier_from_the_roster_appears_in_the_report_bytes(school):
    s = school.student("primary", ["poverty", "orphan"], name=CANARY_NAME, id_card=CANARY_ID)
    school.db.execute("UPDATE students SET phone = '13912345678', address = '金丝雀路1号'"
                      " WHERE id = ?", [s])
    school.record(s, "talk", "2025-03-01")
    stored = release_period(school.db, H1, "610102", today=DAY)
    data = stored.report_bytes
    for secret in (CANARY_NAME, CANARY_ID, "S000001", "13912345678", "金丝雀路1号", "测试学校"):
        assert secret.encode("utf-8") not in data
        assert secret.encode("utf-16-le") not in data


def test_cli_release_and_report(school, tmp_path):
    school.student("primary", ["poverty"])
    runner = CliRunner()
    db = str(school.path)
    result = runner.invoke(cli, ["node", "--db", db, "release", "--period", "2025-H1"])
    assert result.exit_code == 0, result.output
    assert "released 2025-H1 revision 1" in result.output
    result = runner.invoke(cli, ["node", "--db", db, "report", "--period", "2025-H1"])
    assert "困境学生人数—小学" in result.output and "区间" in result.output
    out = tmp_path / "t.xlsx"
    result = runner.invoke(cli, ["node", "--db", db, "report", "--period", "2025-H1",
                                 "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(out).active
    assert sheet["A1"].value.startswith("困境学生教育助学关爱服务情况统计表")
    assert "数值 Value" in [c.value for c in sheet[3]]  # the official form (test_school_table)


def test_the_store_and_its_journal_are_readable_by_the_owner_only(school):
    import stat

    school.student("primary", ["poverty"])
    release_period(school.db, H1, "610102", today=DAY)
    for path in school.path.parent.glob("school.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
