"""Screening free text against the roster: whole names, ID-card, student and phone numbers."""

from __future__ import annotations

import pytest

from node.screening import IdentifiableText, Roster, check, screen

ID_CARD = "610102200801011235"  # valid check digit


@pytest.fixture
def roster(school):
    school.student("primary", ["poverty"], name="欧阳金丝雀", id_card=ID_CARD)
    school.student("primary", ["orphan"], name="文明")
    school.student("primary", ["orphan"], name="Li Ming")
    school.db.execute("UPDATE students SET phone = '+86 138-0013-8000' WHERE name = '文明'")
    school.db.execute("UPDATE students SET student_no = '2023A0458' WHERE name = 'Li Ming'")
    return Roster.of(school.db)


def kinds(text: str, roster: Roster, allow: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    return [(f.line, f.kind) for f in screen(text, roster, allow)]


def test_whole_names_are_found_however_they_are_spaced_or_dotted(roster):
    text = "第一行\n帮扶欧阳 金丝雀同学\n帮扶欧阳·金丝雀\n帮扶ＬＩ ＭＩＮＧ and li-ming\n"
    assert kinds(text, roster) == [(2, "name"), (3, "name"), (4, "name"), (4, "name")]


def test_parts_of_names_and_latin_names_inside_words_are_not_names(roster):
    text = "欧阳老师、金丝雀图案\nclimbing to the limit, Lim Ingrid\n"
    assert kinds(text, roster) == []


def test_a_short_name_that_is_a_common_word_can_be_allowed_inside_a_phrase_only(roster):
    text = "创建文明校园\n文明同学进步很大\n"
    assert kinds(text, roster) == [(1, "name"), (2, "name")]
    assert kinds(text, roster, ("文明校园",)) == [(2, "name")]


def test_numbers_from_the_roster_and_anything_shaped_like_an_id_or_a_mobile(roster):
    text = ("学号2023a0458\n证件 " + ID_CARD[:6] + " " + ID_CARD[6:] + "\n电话 138 0013 8000\n"
            "另一证件 11010519491231002X 手机 13912345678\n")
    assert kinds(text, roster) == [(1, "student_no"), (2, "id_card"), (3, "phone"),
                                   (4, "id_card"), (4, "phone")]


def test_counts_years_amounts_and_short_numbers_pass(roster, school):
    school.db.execute("UPDATE students SET student_no = '105' WHERE name = '文明'")
    text = ("2025年共资助105名学生，金额13,800,138元，2025-09-01开学，2025年9月至2026年7月，"
            "家访12、15、18次\n")
    assert kinds(text, Roster.of(school.db)) == []


def test_long_digit_runs_are_flagged_whoever_they_belong_to(roster):
    # An ID with a wrong check digit is still someone's ID to guess at; ten digits are no count.
    text = "金额1380013800元\n编号110105194912310021\n"
    assert kinds(text, roster) == [(1, "student_no"), (2, "id_card")]


def test_the_refusal_can_be_logged_and_each_finding_is_shown_in_context(school, roster):
    with pytest.raises(IdentifiableText) as refused:
        check("# 总结\n\n感谢欧阳金丝雀的家长\n", school.db)
    message = str(refused.value)
    assert "line 3, column 3" in message and "a student's name" in message
    assert "欧阳金丝雀" not in message  # the refusal itself can be logged
    [finding] = refused.value.findings
    assert "感谢【欧阳金丝雀】的家长" in finding.shown()  # what the command shows on screen
