"""R-PROC from the command line: apply → review → confirm → file → exit, and every wrong order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from common.clock import SYSTEM
from node import procedure
from node.importer import import_file
from node.procedure import ProcedureError, Step, replay
from protos.deadlines import local_date
from tests.test_import import ROSTER, ROSTER_HEADERS, dump, node_runner, write


@pytest.fixture
def node(tmp_path, monkeypatch, capsys):
    return node_runner(tmp_path, monkeypatch, capsys)


APPLY = ("apply", "--student", "S001", "--requester", "家长（监护人）", "--care", "学业辅导",
         "--facts", "父母外出务工", "--reasons", "成绩明显下滑", "--date", "2025-03-01")


def test_the_whole_procedure_from_the_command_line(node):
    code, out, _ = node(*APPLY)
    assert code == 0 and out.strip() == "已提出申请 application recorded: 案件 case 1"
    code, out, _ = node("review", "1", "--participants", "资助干部,班主任,心理教师",
                        "--decision", "approve", "--date", "2025-03-05", "--note", "一致同意")
    assert code == 0 and "评议同意 Approved at review" in out
    assert node("confirm", "1", "--date", "2025-03-06")[0] == 0
    code, out, _ = node("file", "--all-confirmed", "--date", "2025-03-10")
    assert code == 0 and "filed: 1" in out and "only counts go upward" in out
    assert node("exit", "1", "--participants", "资助干部、班主任", "--date", "2025-06-20")[0] == 0

    case = node.db.execute("SELECT route, requester, requested_care, facts, reasons, status "
                           "FROM cases").fetchone()
    assert case == ("application", "guardian", "学业辅导", "父母外出务工", "成绩明显下滑", "exited")
    assert node.db.execute(
        "SELECT kind, on_date, participants, decision, note FROM case_events ORDER BY id"
    ).fetchall() == [
        ("apply", "2025-03-01", None, None, None),
        ("review", "2025-03-05", "资助干部、班主任、心理教师", "approve", "一致同意"),
        ("confirm", "2025-03-06", None, None, None),
        ("file", "2025-03-10", None, None, None),
        ("exit", "2025-06-20", "资助干部、班主任", "approve", None),
    ]
    code, out, _ = node("cases", "--status", "exited")
    assert code == 0 and "1 | S001 | 张三 | 申请 application | 已退出 Exited | 退出 2025-06-20" in out
    # after an exit the student may apply again
    code, out, _ = node(*APPLY[:-1], "2025-07-01")
    assert code == 0 and "case 2" in out


def test_dates_default_to_today(node):
    # Today as the school lives it: the date in China (UTC+8), whatever the machine's zone.
    node(*APPLY[:-2])
    node("review", "1", "--participants", "班主任、资助干部", "--decision", "同意")
    assert node.db.execute("SELECT DISTINCT on_date FROM case_events").fetchall() == [
        (local_date(SYSTEM.now()).isoformat(),)]


def test_a_rejected_application_cannot_be_confirmed(node):
    node(*APPLY)
    code, out, _ = node("review", "1", "--participants", "资助干部,班主任", "--decision", "reject")
    assert "评议不同意 Rejected" in out
    code, _, err = node("confirm", "1")
    assert code == 2 and "the case is closed" in err


def _wrong(node, args, message):
    before = dump(node.path)
    code, out, err = node(*args)
    assert code == 2, out
    assert message in err
    assert err.count("\n") == 1  # one clear line, no stack trace
    assert dump(node.path) == before


def test_every_wrong_order_is_refused_and_writes_nothing(node):
    _wrong(node, ("confirm", "1"), "no case number 1")
    node(*APPLY)
    _wrong(node, ("confirm", "1"), "has not been reviewed collectively")
    _wrong(node, ("exit", "1", "--participants", "甲,乙"), "only a confirmed key care target can exit")
    _wrong(node, ("file", "1"), "only a confirmed case can be filed")
    _wrong(node, ("file", "--all-confirmed"), "no case to file")
    _wrong(node, APPLY, "the student already has an open case 1")
    _wrong(node, ("review", "1", "--participants", "班主任", "--decision", "approve"),
           "at least two participants")
    _wrong(node, ("review", "1", "--participants", "甲,乙", "--decision", "maybe"),
           "unknown decision 'maybe'")
    _wrong(node, ("review", "1", "--participants", "甲,乙", "--decision", "approve",
                  "--date", "2025-02-01"), "before the previous step")
    future = (local_date(SYSTEM.now()) + timedelta(days=1)).isoformat()
    _wrong(node, ("review", "1", "--participants", "甲,乙", "--decision", "approve",
                  "--date", future), "is in the future")
    node("review", "1", "--participants", "甲,乙", "--decision", "approve", "--date", "2025-03-02")
    _wrong(node, ("review", "1", "--participants", "甲,乙", "--decision", "approve"),
           "already reviewed")
    node("confirm", "1", "--date", "2025-03-03")
    node("file", "1", "--date", "2025-03-04")
    _wrong(node, ("file", "1"), "already been filed")
    _wrong(node, ("exit", "1", "--participants", "班主任"), "at least two participants")


def test_apply_checks_the_student_and_every_value(node):
    _wrong(node, ("apply", "--student", "S404", "--requester", "教师", "--care", "x", "--facts", "y",
                  "--reasons", "z"), "unknown student number S404")
    _wrong(node, ("apply", "--student", "S001", "--requester", "校长", "--care", " ", "--facts", "y",
                  "--reasons", "", "--date", "2025-13-01"),
           "'2025-13-01' is not a date")
    code, _, err = node("apply", "--student", "S001", "--requester", "校长", "--care", " ",
                        "--facts", "y", "--reasons", "")
    assert "unknown requester '校长'" in err and "申请关爱内容（care requested）" in err \
        and "理由（reasons）: 必填项为空" in err


def test_a_student_who_left_cannot_apply(node, tmp_path):
    import_file(node.db, "roster", write(tmp_path / "r.csv", ROSTER_HEADERS, ROSTER[1:]), full=True)
    _wrong(node, APPLY, "the student has left the school")


def test_replay_judges_imported_and_typed_histories_alike():
    day = date(2025, 3, 1)
    review = Step("review", day, ("甲", "乙"), "approve")
    assert replay("application", [Step("apply", day), review, Step("confirm", day)]) == "confirmed"
    assert replay("auto", [Step("confirm", day), Step("file", day)]) == "confirmed"
    with pytest.raises(ProcedureError, match="starts with an application"):
        replay("application", [Step("confirm", day)])
    with pytest.raises(ProcedureError, match="already has its application"):
        replay("application", [Step("apply", day), Step("apply", day)])


def test_core_functions_return_what_the_commands_print(node):
    case_id = procedure.apply(node.db, "S002", "teacher", "谈心", "留守", "情绪低落",
                              on=date(2025, 4, 1))
    assert procedure.review(node.db, case_id, "班主任、心理教师", "同意", on="2025-04-02") == "reviewed"
    procedure.confirm(node.db, case_id, on="2025-04-03")
    assert procedure.file_cases(node.db, [case_id], on="2025-04-04") == [case_id]
    lines = procedure.list_cases(node.db, "已确定")
    assert [(c.student_no, c.status, c.last_step) for c in lines] == [("S002", "confirmed", "file")]
    with pytest.raises(ProcedureError, match="unknown case status"):
        procedure.list_cases(node.db, "open")
