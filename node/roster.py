"""Who the students are: the school's roster (学生名册) and the aid system's list (免申即享).

The roster is upserted by 学号; its categories replace the student's roster-sourced ones,
while those pushed by the aid system stay. ``--full`` marks students missing from a whole
roster as left (enrolled = 0); nobody is ever deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from node import normalise
from node.idcard import near_numbers
from node.normalise import same_name
from node.procedure import confirm_auto
from node.rows import Cells, Column, Context, RowKind, Student, Terms, Unique
from node.store import students as student_rows
from node.vocabulary import TIERS
from protos.catalogue import Label, load

STAGES = Terms.of_dimension(load().stages)
CATEGORIES = Terms.of_dimension(load().dimensions["category"])
FACTORS = Terms.of_dimension(load().dimensions["factor"])
TIER_TERMS = Terms.of_vocabulary(Label("家庭经济困难等级", "tier of family economic difficulty"),
                                 TIERS)


class RosterError(GuanaiError):
    """A roster that cannot be applied as a whole."""


@dataclass(frozen=True)
class RosterRow:
    student_no: str
    name: str
    id_card: str | None
    gender: str | None
    stage: str
    grade: str | None
    class_: str | None
    tier: str | None
    graduating: int
    phone: str | None
    address: str | None
    categories: frozenset[str]
    factors: frozenset[str]
    born: date | None = None  # 出生日期 of another system's export: to recognise a child
    # entered twice, never stored

    def fields(self) -> tuple:
        """The values of the students table's columns, in SQL order."""
        return (self.student_no, self.name, self.id_card, self.gender, self.stage, self.grade,
                self.class_, self.tier, self.graduating, self.phone, self.address)


def _parse_roster(cells: Cells, context: Context) -> RosterRow | None:
    student_no = cells.code("学号", required=True)
    id_card = cells.id_card("身份证号", checked=student_no in context.confirmed)
    stage = cells.term("学段", STAGES, required=True)
    if stage is not None and stage not in context.stages:
        taught = "、".join(STAGES.labels[s] for s in context.stages)
        cells.fail("学段", f"本校不设该学段（本校学段：{taught}）",
                   f"the school does not teach stage {stage} (it teaches {', '.join(context.stages)})")
    if id_card is not None and student_no is not None:
        holder = context.by_id_card.get(id_card)
        if holder is not None and holder.student_no != student_no:
            cells.fail("身份证号", f"该身份证号已属于学号 {holder.student_no} 的学生",
                       f"this ID number already belongs to student {holder.student_no}")
    row = RosterRow(
        student_no=student_no,
        name=cells.text("姓名", required=True),
        id_card=id_card,
        gender=cells.gender("性别"),
        stage=stage,
        grade=cells.text("年级"),
        class_=cells.text("班级"),
        tier=cells.term("家庭经济困难等级", TIER_TERMS),
        graduating=int(cells.yes("应届毕业生")),
        phone=cells.code("联系电话"),
        address=cells.text("家庭住址"),
        categories=cells.terms("困境类别", CATEGORIES),
        factors=cells.terms("叠加因素", FACTORS),
        born=cells.date("出生日期"),
    )
    return None if cells.problems else row


@dataclass(frozen=True)
class _Person:
    """What is compared to recognise one child entered twice."""

    line: int | None  # the file's line, or None for a student already in the store
    student_no: str
    name: str
    gender: str | None
    born: date | None
    grade: str | None
    class_: str | None
    id_card: str | None
    distinct: bool

    @classmethod
    def of_row(cls, line: int, row: RosterRow, confirmed: frozenset[str]) -> _Person:
        return cls(line, row.student_no, row.name, row.gender, row.born or _born(row.id_card),
                   row.grade, row.class_, row.id_card, row.student_no in confirmed)

    def where(self) -> tuple[str, str]:
        if self.line is None:
            return f"名册中学号 {self.student_no} 的学生", f"student {self.student_no} on the roster"
        return f"第{self.line}行（学号 {self.student_no}）", f"line {self.line} ({self.student_no})"


def _born(id_card: str | None) -> date | None:
    return date(int(id_card[6:10]), int(id_card[10:12]), int(id_card[12:14])) if id_card else None


def probable_duplicate(a: _Person, b: _Person) -> tuple[str, str] | None:
    """Why two entries are probably one child, as (Chinese, English), or None: the same name
    (node/normalise.py) and gender, the same birth date or the same grade and class, and one
    of them without an ID number (two different ID numbers are two people)."""
    if a.student_no == b.student_no or (a.id_card and b.id_card) \
            or not same_name(a.name, b.name) or a.gender != b.gender:
        return None
    if a.born and a.born == b.born:
        return f"出生日期同为 {a.born}", f"both born {a.born}"
    if a.grade and a.class_ and (normalise.code(a.grade), normalise.code(a.class_)) == \
            (normalise.code(b.grade or ""), normalise.code(b.class_ or "")):
        return f"同在{a.grade}{a.class_}", f"both in {a.grade} {a.class_}"
    return None


def _check_duplicates(rows: list[tuple[int, RosterRow]], context: Context) -> list[tuple]:
    """One person is one student: a row that is probably a child already in the file or on the
    roster under another 学号 is refused naming both, unless staff confirm its 学号
    (``--confirm``) as a child of its own."""
    people = [_Person.of_row(line, row, context.confirmed) for line, row in rows]
    in_file = {p.student_no for p in people}
    stored = [_Person(None, normalise.code(no), name, gender, _born(id_card), grade, class_,
                      id_card, False)
              for no, name, gender, grade, class_, id_card
              in student_rows.enrolled_people(context.db)
              if normalise.code(no) not in in_file]
    by_name: dict[str, list[_Person]] = defaultdict(list)
    for person in [*stored, *people]:
        by_name[normalise.name_key(person.name)].append(person)
    problems = []
    for group in by_name.values():
        for index, person in enumerate(group):
            if person.line is None or person.distinct:
                continue
            for other in group[:index]:
                why = probable_duplicate(person, other)
                if why is None or other.distinct:
                    continue
                there = other.where()
                problems.append((person.line, "姓名",
                                 f"疑似与{there[0]}是同一学生（姓名、性别相同，{why[0]}，且其中一个没有身份证号）："
                                 f"若是同一人，请合并为一行、只保留一个学号；若确为不同学生，请加 --confirm {person.student_no} 重新导入",
                                 f"probably the same child as {there[1]} (same name and gender, "
                                 f"{why[1]}, one without an ID number): if so, merge them into one "
                                 "row with one student number; if they are different children, "
                                 f"import again with --confirm {person.student_no}"))
    return problems




def _save_roster(db: sqlite_utils.Database, rows: list[RosterRow],
                 context: Context) -> Counter[str]:
    now = stamp(SYSTEM.now())
    since = context.today.isoformat()
    old = {normalise.code(r[1]): r for r in student_rows.all_students(db)}
    categories: dict[int, dict[str, str]] = defaultdict(dict)
    for student_id, category, source in student_rows.categories(db):
        categories[student_id][category] = source
    factors: dict[int, set[str]] = defaultdict(set)
    for student_id, factor in student_rows.factors(db):
        factors[student_id].add(factor)

    counts: Counter[str] = Counter()
    new_rows, changed = [], []
    for row in rows:
        before = old.get(row.student_no)
        if before is None:
            new_rows.append(row)
            counts["added"] += 1
            continue
        student_id = before[0]
        held = categories[student_id]
        roster_held = {c for c, source in held.items() if source == "roster"}
        wanted = {c for c in row.categories if held.get(c) != "auto"}
        if before[1:12] == row.fields() and before[12] and roster_held == wanted \
                and factors[student_id] == row.factors:
            counts["unchanged"] += 1
            continue
        changed.append((student_id, row, roster_held, wanted))
        counts["updated"] += 1

    ids = student_rows.add_students(db, [row.fields() for row in new_rows], now)
    student_rows.update_students(db, [(sid, row.fields()) for sid, row, _, _ in changed], now)
    category_drops, category_adds, factor_drops, factor_adds = [], [], [], []
    for row in new_rows:
        student_id = ids[row.student_no]
        category_adds += [(student_id, c, since) for c in row.categories]
        factor_adds += [(student_id, f) for f in row.factors]
    for student_id, row, roster_held, wanted in changed:
        category_drops += [(student_id, c) for c in roster_held - wanted]
        category_adds += [(student_id, c, since) for c in wanted - roster_held]
        factor_drops += [(student_id, f) for f in factors[student_id] - row.factors]
        factor_adds += [(student_id, f) for f in row.factors - factors[student_id]]
    student_rows.replace_roster_marks(db, category_drops, category_adds, factor_drops,
                                      factor_adds)
    return counts


def _mark_left(db: sqlite_utils.Database, rows: list[RosterRow],
               context: Context) -> Counter[str]:
    """``--full``: enrolled students missing from the whole roster have left the school."""
    if not rows:
        raise RosterError(
            "完整名册不能为空 a --full roster with no students would mark everyone as left"
        )
    listed = {row.student_no for row in rows}
    gone = [(stamp(SYSTEM.now()), s.id)
            for s in context.students.values() if s.enrolled and s.student_no not in listed]
    student_rows.mark_left(db, gone)
    return Counter(left=len(gone))


ROSTER = RowKind(
    id="roster",
    label=Label("学生名册", "student roster"),
    columns=(
        Column("学号", "student number", required=True, text=True),
        Column("姓名", "name", required=True),
        Column("身份证号", "ID-card number", text=True),
        Column("性别", "gender"),
        Column("学段", "stage", required=True),
        Column("年级", "grade"),
        Column("班级", "class"),
        Column("困境类别", "categories of difficulty"),
        Column("叠加因素", "stacked factors"),
        Column("家庭经济困难等级", "tier of family economic difficulty"),
        Column("应届毕业生", "graduating this year"),
        Column("联系电话", "phone", text=True),
        Column("家庭住址", "address"),
    ),
    parse=_parse_roster,
    save=_save_roster,
    check_file=_check_duplicates,
    also_reads=("出生日期",),
    uniques=(Unique(("学号",), "学号与第{line}行重复", "student number repeats line {line}"),
             Unique(("身份证号",), "身份证号与第{line}行重复", "ID number repeats line {line}")),
    finish_full=_mark_left,
)


# ------------------------------------------------------------------ 免申即享 (R-AUTO)

@dataclass(frozen=True)
class AutoRow:
    student: Student
    categories: frozenset[str]
    source: str | None
    pushed_on: date


def _parse_auto(cells: Cells, context: Context) -> AutoRow | None:
    raw = cells.values.get("身份证号")
    on_roster = isinstance(raw, str) and normalise.code(raw).upper() in context.by_id_card
    id_card = cells.id_card("身份证号", required=True, checked=on_roster)
    name = cells.text("姓名", required=True)
    student = context.by_id_card.get(id_card) if id_card else None
    if id_card and student is None:
        near = near_numbers(id_card, context.by_id_card)
        if near:
            zh = "；".join(f"学号 {context.by_id_card[other].student_no}"
                          f"（{context.by_id_card[other].name}）的身份证号与它{why}" for other, why, _ in near)
            en = "; ".join(f"student {context.by_id_card[other].student_no}'s ID number: {why}"
                           for other, _, why in near)
            cells.fail("身份证号", f"学生名册中没有这个身份证号，但有几乎相同的：{zh}。请核对后在名册中更正",
                       f"no student on the roster has this ID number, but one is nearly the same: "
                       f"{en}. Check it and correct the roster")
        else:
            cells.fail("身份证号", "学生名册中没有该身份证号的学生（请先导入学生名册）",
                       "no student on the roster has this ID number (import the roster first)")
    elif student is not None and not student.enrolled:
        cells.fail("身份证号", f"学号 {student.student_no} 的学生已离校",
                   f"student {student.student_no} has left the school")
    elif student is not None and name and not same_name(name, student.name):
        cells.fail("姓名", f"姓名“{name}”与学生名册（学号 {student.student_no}）中的“{student.name}”"
                   "不一致", f"the name {name!r} differs from the roster's {student.name!r} "
                   f"(student {student.student_no})")
    row = AutoRow(student, cells.terms("困境类别", CATEGORIES, required=True),
                  cells.text("来源"), cells.date("推送日期", required=True))
    return None if cells.problems else row


def _save_auto(db: sqlite_utils.Database, rows: list[AutoRow], context: Context) -> Counter[str]:
    """Add the pushed categories (source auto) and a confirmed auto case where none is open."""
    counts: Counter[str] = Counter()
    for row in rows:
        held = {c: source for _, c, source in student_rows.categories(db, row.student.id)}
        changed = False
        for category in sorted(row.categories):
            if category not in held:
                student_rows.push_category(db, row.student.id, category,
                                           row.pushed_on.isoformat())
                changed = True
            elif held[category] != "auto":
                student_rows.push_category(db, row.student.id, category, None)
                changed = True
        if confirm_auto(db, row.student.id, row.pushed_on, row.source):
            counts["added"] += 1
        else:
            counts["updated" if changed else "unchanged"] += 1
    return counts


AUTO = RowKind(
    id="auto",
    label=Label("免申即享名单", "aid-system list (免申即享)"),
    columns=(
        Column("身份证号", "ID-card number", required=True, text=True),
        Column("姓名", "name", required=True),
        Column("困境类别", "categories of difficulty", required=True),
        Column("来源", "source"),
        Column("推送日期", "date pushed", required=True),
    ),
    parse=_parse_auto,
    save=_save_auto,
    uniques=(Unique(("身份证号",), "身份证号与第{line}行重复", "ID number repeats line {line}"),),
)
