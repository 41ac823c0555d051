"""Record commands: the same row checks as the imports, natural keys, and the growth ledger."""

from __future__ import annotations

import pytest

from node.importer import KINDS, ImportRejected, import_file
from node.records import ledger
from tests.test_import import dump, node_runner, write


@pytest.fixture
def node(tmp_path, monkeypatch, capsys):
    return node_runner(tmp_path, monkeypatch, capsys)


def _ok(node, *args) -> str:
    code, out, err = node(*args)
    assert code == 0, err
    return out


def _refused(node, args, message):
    before = dump(node.path)
    code, _, err = node(*args)
    assert code == 2 and message in err, err
    assert dump(node.path) == before


def test_care_records_by_chinese_label_or_id_and_by_natural_key(node):
    out = _ok(node, "record", "谈心谈话", "--student", "S001", "--date", "2025-03-05",
              "--quantity", "2")
    assert "关爱记录 care records: 新增 added 1" in out
    assert "未变 unchanged 1" in _ok(node, "record", "talk", "--student", "S001",
                                     "--date", "2025-03-05", "--quantity", "2")
    assert "更新 updated 1" in _ok(node, "record", "talk", "--student", "S001",
                                   "--date", "2025-03-05", "--quantity", "3")
    _ok(node, "record", "talk", "--student", "S001", "--date", "2025-03-05", "--note", "家访")
    assert node.db.execute("SELECT kind, on_date, quantity, note FROM care_records ORDER BY id"
                           ).fetchall() == [("talk", "2025-03-05", 3, None),
                                            ("talk", "2025-03-05", 1, "家访")]
    _refused(node, ("record", "聊天", "--student", "S001", "--quantity", "0"),
             "unknown record kind '聊天'")
    _refused(node, ("record", "talk", "--student", "S001", "--quantity", "0"),
             "'0' must be a positive whole number")


def test_a_value_is_refused_alike_by_command_and_import(node, tmp_path):
    code, _, err = node("aid", "--student", "S002", "--item", "普通高中国家助学金", "--amount", "-5")
    assert code == 2
    file = write(tmp_path / "aid.csv", KINDS["aid"].headers,
                 [("S002", "2025-03-01", "普通高中国家助学金", "-5", "否")])
    with pytest.raises(ImportRejected) as rejected:
        import_file(node.db, "aid", file)
    for problem in rejected.value.problems:
        assert problem.zh in err and problem.en in err
    assert len(rejected.value.problems) == 2


def test_aid_item_must_serve_the_students_stage(node):
    _ok(node, "aid", "--student", "S001", "--item", "senior_grant", "--amount", "1150",
        "--date", "2025-03-01", "--highest-tier")
    _ok(node, "aid", "--student", "S002", "--item", "社会资助", "--amount", "300")
    _refused(node, ("aid", "--student", "S002", "--item", "senior_grant", "--amount", "1150"),
             "does not serve students of stage Junior secondary")
    assert node.db.execute("SELECT item, amount, highest_tier FROM aid_records ORDER BY id"
                           ).fetchall() == [("senior_grant", 1150, 1), ("social_aid", 300, 0)]


def test_registration_by_semester(node):
    _ok(node, "register", "--student", "S002", "--period", "2025秋季", "--status", "休学",
        "--returned-on", "2025-10-08")
    assert "更新 updated 1" in _ok(node, "register", "--student", "S002", "--period", "2025-H2",
                                   "--status", "other", "--dropped-out")
    assert node.db.execute("SELECT period, status, returned_on, dropped_out FROM registrations"
                           ).fetchall() == [("2025-H2", "other", None, 1)]
    _refused(node, ("register", "--student", "S001", "--period", "2025-H1", "--status", "按时报到",
                    "--dropped-out"), "only for a student who did not register on time")
    _refused(node, ("register", "--student", "S001", "--period", "2025", "--status", "按时报到"),
             "'2025' is not a semester")


def test_mentors_and_activities(node):
    assert "新增导师 new mentors 1" in _ok(node, "mentor", "assign", "--staff-no", "T01",
                                         "--name", "王老师", "--student", "S001",
                                         "--period", "2025-H1")
    out = _ok(node, "mentor", "assign", "--staff-no", "T01", "--name", "王老师",
              "--student", "S002", "--period", "2025-H1")
    assert "新增 added 1" in out and "new mentors" not in out
    assert node.db.execute("SELECT count(*) FROM mentors").fetchone() == (1,)
    _ok(node, "activity", "add", "--kind", "家长会", "--date", "2025-03-10", "--note", "春季")
    assert "未变 unchanged 1" in _ok(node, "activity", "add", "--kind", "parent_meeting",
                                     "--date", "2025-03-10", "--note", "春季")
    _refused(node, ("activity", "add", "--kind", "联欢会"), "unknown activity kind '联欢会'")


def test_mentor_names_must_agree_within_a_file(node, tmp_path):
    rows = [("T01", "王老师", "S001", "2025-H1"), ("T01", "汪老师", "S002", "2025-H1")]
    with pytest.raises(ImportRejected) as rejected:
        import_file(node.db, "mentors", write(tmp_path / "m.csv", KINDS["mentors"].headers, rows))
    assert str(rejected.value.problems[0]).endswith(
        "line 3, column B (导师姓名): the same staff number has another name on line 2")


def test_the_ledger_shows_a_students_work_list_in_date_order(node):
    _ok(node, "apply", "--student", "S001", "--requester", "teacher", "--care", "心理关爱",
        "--facts", "x", "--reasons", "y", "--date", "2025-03-01")
    _ok(node, "record", "心理高危倾向", "--student", "S001", "--date", "2025-02-20")
    _ok(node, "aid", "--student", "S001", "--item", "senior_grant", "--amount", "1150",
        "--date", "2025-03-02")
    _ok(node, "ledger", "add", "--student", "S001", "--kind", "获奖表彰", "--text", "三好学生",
        "--date", "2025-04-01")
    _refused(node, ("ledger", "add", "--student", "S001", "--kind", "升学", "--text", "x"),
             "unknown growth event kind '升学'")
    out = _ok(node, "ledger", "show", "--student", "S001")
    assert out.splitlines() == [
        "2025-02-20  心理高危倾向 High-risk mental-health sign",
        "2025-03-01  案件 case 1: 提出申请 Application",
        "2025-03-02  普通高中国家助学金 Senior-secondary national grant  1150 元 yuan",
        "2025-04-01  成长事件 growth: 获奖表彰 Award  三好学生",
        "共 4 条 entries",
    ]
    assert [e.what for e in ledger(node.db, "S002")] == []
    _refused(node, ("ledger", "show", "--student", "S404"), "unknown student number S404")
