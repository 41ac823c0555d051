"""What people cannot see is taken out before a value is matched or stored (node/normalise.py),
for the whole kind: every invisible character, every space, full-width forms, separator dots."""

from __future__ import annotations

import pytest

from node.idcard import check_character, excel_damaged, id_card_problem, near_numbers
from node.importer import ImportRejected, import_file
from node.normalise import code, name_key, same_name, text

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202a"]
SPACES = ["\xa0", "\u3000", "\u2007", "\u202f", "\t", " "]


@pytest.mark.parametrize("ch", INVISIBLE + SPACES)
def test_codes_lose_every_invisible_character_and_space(ch):
    assert code(f"2025{ch}100010{ch}") == "2025100010"
    assert text(f"{ch}测试甲{ch}") == "测试甲"


def test_full_width_codes_are_ascii():
    assert code("２０２５１０００１０") == "2025100010"
    assert code("６１０１０２２０１７０４０７００１ｘ").upper() == "61010220170407001X"


@pytest.mark.parametrize("spelling", ["阿依·努尔", "阿依•努尔", "阿依.努尔", "阿依・努尔", "阿依．努尔",
                                      "阿依 · 努尔", "阿依‧努尔", "阿依\u200b·努尔"])
def test_one_separator_dot_in_names(spelling):
    assert same_name(spelling, "阿依·努尔")
    assert name_key(spelling) == "阿依·努尔"


def test_names_that_differ_otherwise_do_not_match():
    assert not same_name("阿依努尔", "阿依·努尔")
    assert not same_name("张三", "张叁")


def test_excel_damage_is_recognised_in_every_shape():
    assert excel_damaged(6.10102201704070e17) and excel_damaged(610102201704070000)
    assert excel_damaged("6.10102E+17") and excel_damaged("6.10102e17")
    assert excel_damaged("610102201704070000")
    assert not excel_damaged("610102201704070019") and not excel_damaged(None)


def test_near_ids_are_named_with_why():
    true = "610102201704070019"
    assert [n[0] for n in near_numbers(true, ["610102201704070000"])] == ["610102201704070000"]
    assert near_numbers(true, [true[:10] + true[11] + true[10] + true[12:]])[0][2].endswith("swapped")
    assert near_numbers(true, [true[:5] + "3" + true[6:]])[0][2] == "only character 6 differs"
    assert near_numbers(true, ["110105194912310021"]) == []


def test_temporary_999_numbers_are_named_as_such_not_as_a_bad_birth_date():
    for number in ("999123456789012345", "99912345678"):
        zh, en = id_card_problem(number)
        assert "999" in zh and "temporary" in en and "birth" not in en
    zh, en = id_card_problem("000102201704070019")
    assert "province" in en


@pytest.fixture
def db(school):
    """A fresh node of a primary school (2161010001, region 610102)."""
    return school.db


def _csv(path, text_):
    path.write_text(text_, encoding="utf-8")
    return path


def test_a_name_spelled_with_another_dot_matches_and_a_different_one_shows_both(db, tmp_path):
    first17 = "61010220160404101"
    number = first17 + check_character(first17)
    import_file(db, "roster", _csv(tmp_path / "r.csv",
                                   f"学号,姓名,身份证号,学段\n２０２５１\u3000,阿依·努尔,{number},小学\n"))
    assert db.execute("SELECT student_no FROM students").fetchall() == [("20251",)]
    counts = import_file(db, "auto", _csv(tmp_path / "a.csv",
                                          f"身份证号,姓名,困境类别,推送日期\n{number}\u200b,阿依•努尔,孤儿,"
                                          "2025-03-01\n"))
    assert counts["added"] == 1
    with pytest.raises(ImportRejected) as refused:
        import_file(db, "auto", _csv(tmp_path / "b.csv",
                                     f"身份证号,姓名,困境类别,推送日期\n{number},阿依努而,孤儿,2025-03-01\n"))
    message = str(refused.value.problems[0])
    assert "“阿依努而”" in message and "“阿依·努尔”" in message


def test_headers_with_invisible_characters_are_the_columns_they_look_like(db, tmp_path):
    path = _csv(tmp_path / "r.csv", "学号\u200b,\ufeff姓名,学\xa0段\n1001,甲,小学\n")
    assert import_file(db, "roster", path)["added"] == 1


def test_an_unknown_student_number_names_the_near_one_on_the_roster(db, tmp_path):
    import_file(db, "roster", _csv(tmp_path / "r.csv", "学号,姓名,学段\n2025100040,测试甲,小学\n"))
    with pytest.raises(ImportRejected) as refused:
        import_file(db, "records", _csv(tmp_path / "c.csv", "学号,日期,记录类型\n"
                                        "2025100004,2025-10-08,谈心谈话\n"))
    message = str(refused.value.problems[0])
    assert "2025100040（测试甲" in message and "swapped" in message


@pytest.mark.parametrize("gender, graduating", [("Ｆ", "Ｙ"), ("女\u200b", "是\xa0"), ("女 ", " 1")])
def test_gender_and_yes_no_in_full_width_or_with_invisible_characters(db, tmp_path, gender,
                                                                       graduating):
    path = _csv(tmp_path / "r.csv", f"学号,姓名,性别,学段,应届毕业生\n1001,甲,{gender},小学,{graduating}\n")
    import_file(db, "roster", path)
    assert db.execute("SELECT gender, graduating FROM students").fetchall() == [("女", 1)]
