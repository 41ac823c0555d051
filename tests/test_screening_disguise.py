"""The summary screen against the whole kind of disguise: a corpus of names and numbers of a
roster written with markup, spaces, line breaks, punctuation, entities, invisible characters,
full-width and Chinese digits — each must be found, shown in context — and ordinary summary
sentences that must pass."""

from __future__ import annotations

from datetime import date

import pytest

from node.screening import Roster, screen

NAME = "测试金丝雀甲"
ID_CARD = "610102201501019993"  # the 6101.0220.1501.0199.93, valid check digit
PHONE = "13300001111"
STUDENT_NO = "2025100040"
TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    from tests.conftest import School
    school = School(tmp_path_factory.mktemp("disguise") / "school.db")
    sid = school.student("primary", ["poverty"], name=NAME, id_card=ID_CARD)
    school.db.execute("UPDATE students SET phone = ?, student_no = ? WHERE id = ?",
                      [PHONE, STUDENT_NO, sid])
    school.student("primary", ["orphan"], name="王芳")
    school.student("primary", ["orphan"], name="阿依·努尔")
    school.student("primary", ["orphan"], name="Li Ming")
    return Roster.of(school.db)


DISGUISED = [
    # names: markup
    ("name", "感谢测试金**丝雀甲**同学的家长"),
    ("name", "感谢测试金__丝雀甲__同学"),
    ("name", "感谢*测*试*金*丝*雀*甲*"),
    ("name", "感谢~~测试~~金丝雀甲"),
    ("name", "感谢`测试金丝雀甲`"),
    ("name", "感谢[测试金丝雀甲](https://example.org)"),
    ("name", "> 测试金丝雀甲说"),
    ("name", "测试<b>金丝</b>雀甲进步很大"),
    ("name", "测试<span style='color:red'>金丝雀</span>甲"),
    ("name", "测试金<!-- 备注 -->丝雀甲"),
    ("name", "&#27979;试金丝雀甲"),
    ("name", "&#x6D4B;试金丝雀甲"),
    ("name", "测\\试\\金\\丝\\雀\\甲"),
    # names: whitespace, line breaks, punctuation, invisible characters
    ("name", "测 试 金 丝 雀 甲"),
    ("name", "测试\u3000金丝雀甲"),
    ("name", "测试金\n丝雀甲"),
    ("name", "测试金\r\n\r\n丝雀甲"),
    ("name", "测-试-金-丝-雀-甲"),
    ("name", "测.试.金.丝.雀.甲"),
    ("name", "测、试、金、丝、雀、甲"),
    ("name", "测试·金丝雀甲"),
    ("name", "测（试）金丝雀甲"),
    ("name", "测\u200b试金\u200d丝雀\ufeff甲"),
    ("name", "王/芳"),
    ("name", "王 · 芳"),
    ("name", "阿依•努尔"),
    ("name", "阿依努尔"),
    ("name", "ＬＩ　ＭＩＮＧ"),
    ("name", "**Li** Ming"),
    ("name", "L-i M-i-n-g"),
    # ID-card numbers
    ("id_card", "6101.0220.1501.0199.93"),
    ("id_card", "6101 0220 1501 0199 93"),
    ("id_card", "6101-0220-1501-0199-93"),
    ("id_card", "610102/20150101/9993"),
    ("id_card", "６１０１０２２０１５０１０１９９９３"),
    ("id_card", "六一〇一〇二二〇一五〇一〇一九九九三"),
    ("id_card", "610102<i>2015</i>01019993"),
    ("id_card", "6101\n0220\n1501\n0199\n93"),
    ("id_card", "6101**0220**15010199\\93"),
    ("id_card", "证件号610102201501019993。"),
    # phone numbers
    ("phone", "133/0000/1111"),
    ("phone", "133-0000-1111"),
    ("phone", "(133) 0000 1111"),
    ("phone", "+86 133 0000 1111"),
    ("phone", "一三三零零零零一一一一"),
    ("phone", "幺三三 洞洞洞洞 幺幺幺幺"),
    ("phone", "１３３００００１１１１"),
    ("phone", "133**0000**1111"),
    ("phone", "1 3 3 0 0 0 0 1 1 1 1"),
    ("phone", "133&#48;0001111"),
    # student numbers
    ("student_no", "2025-1000-40"),
    ("student_no", "2025 100 040"),
    ("student_no", "二〇二五一〇〇〇四〇"),
    ("student_no", "学号：2025\\_100040"),
    # not on the roster, but shaped like one
    ("phone", "家长电话 139 1234 5678"),
    ("phone", "座机 029-8888 6666"),
    ("id_card", "110105 19491231 0021"),
    ("id_card", "61010220160303123X"),
    ("student_no", "学号2024300123"),
    ("student_no", "学号 2025 1000 41"),
]


@pytest.mark.parametrize("kind, text", DISGUISED)
def test_every_disguise_is_found_and_shown_in_context(roster, kind, text):
    findings = screen(f"本学期工作总结。\n{text}\n以上。", roster, today=TODAY)
    assert kind in {f.kind for f in findings}, findings
    for finding in findings:
        assert finding.line >= 2 and "【" in finding.context and "】" in finding.context


PLAIN = [
    "2025年共帮扶36名学生，开展家访120次，一对一帮扶18对。",
    "资助金额共计62,500元，其中生活补助1,250元/人。",
    "2025-09-01开学；2025年9月1日至2026年1月15日为秋季学期。",
    "三年级2班、五年级3班的学生参加了读书活动。",
    "金丝雀图案的手工课很受欢迎；测试工作按时完成。",
    "王老师和芳草地小学开展了交流。",
    "climbing to the limit, Lim Ingrid",
    "**重点工作**：<b>心理健康</b>教育覆盖率100%。",
    "会议编号2025-12，第3次会议，共12、15、18人参加。",
]


@pytest.mark.parametrize("text", PLAIN)
def test_ordinary_summary_sentences_pass(roster, text):
    assert screen(text, roster, today=TODAY) == []


def test_allow_spares_a_phrase_for_numbers_too(roster):
    text = "工作周期2025.9–2026.7\n"
    assert [f.kind for f in screen(text, roster, today=TODAY)] == ["student_no"]
    assert screen(text, roster, ("2025.9–2026.7",), today=TODAY) == []


def test_a_number_of_the_rosters_shape_is_flagged_though_short(school):
    school.student("primary", ["poverty"], name="某某")
    school.db.execute("UPDATE students SET student_no = '20259001'")
    roster = Roster.of(school.db)
    assert [f.kind for f in screen("学号20259002", roster, today=TODAY)] == ["student_no"]
    assert screen("学号30259002", roster, today=TODAY) == []  # another shape: a count


def test_the_command_shows_each_finding_in_context_before_signing(tmp_path):
    from click.testing import CliRunner

    from guanai.cli import cli
    db = tmp_path / "school.db"
    from tests.conftest import School
    school = School(db)
    school.student("primary", ["poverty"], name=NAME)
    text = tmp_path / "summary.md"
    text.write_text("# 总结\n\n感谢测试金**丝雀甲**的家长，电话133/0000/1111。\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["node", "--db", str(db), "summary", "--year", "2025",
                                      str(text)])
    assert result.exit_code != 0
    assert "感谢【测试金**丝雀甲】**的家长" in result.output
    assert "电话【133/0000/1111】。" in result.output
    assert not school.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
