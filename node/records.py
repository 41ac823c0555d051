"""What the school does for its students, row by row: care records (R-TUTOR … R-JOBS),
semester registration (R-DROPOUT), aid (R-AID), mentors (R-MENTOR), home-school activities
(R-HOME) and the growth ledger (R-LEDGER).

Each row has a natural key; saving a row whose key is already stored updates it or leaves it
alone, so importing the same file twice adds nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from common import clock
from node.procedure import cases_of
from node.rows import Cells, Column, Context, RowKind, Student, Terms, Unique, refuse, save_one
from node.store import records as record_rows
from node.vocabulary import (
    ACTIVITY_KINDS,
    CASE_STEPS,
    DECISIONS,
    GROWTH_KINDS,
    RECORD_KINDS,
    REGISTRATION_STATUSES,
)
from protos.catalogue import Label, load
from protos.deadlines import local_date

RECORD_TERMS = Terms.of_vocabulary(Label("记录类型", "record kind"), RECORD_KINDS)
STATUS_TERMS = Terms.of_vocabulary(Label("报到情况", "registration status"),
                                   REGISTRATION_STATUSES)
ACTIVITY_TERMS = Terms.of_vocabulary(Label("活动类型", "activity kind"), ACTIVITY_KINDS)
GROWTH_TERMS = Terms.of_vocabulary(Label("事件类型", "growth event kind"), GROWTH_KINDS)
AID_ITEMS = load().dimensions["aid_item"]
AID_TERMS = Terms.of_dimension(AID_ITEMS)


def _upsert_all(db: sqlite_utils.Database, table: str,
                rows: list[tuple[dict[str, object], dict[str, object]]]) -> Counter[str]:
    return Counter(record_rows.upsert(db, table, key, values) for key, values in rows)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ------------------------------------------------------------------ 关爱记录

@dataclass(frozen=True)
class CareRecord:
    student: Student
    kind: str
    on_date: date
    quantity: int
    note: str | None


def _parse_record(cells: Cells, context: Context) -> CareRecord | None:
    row = CareRecord(cells.student("学号", context), cells.term("记录类型", RECORD_TERMS, True),
                     cells.date("日期", required=True), cells.positive("数量", default=1),
                     cells.text("说明"))
    return None if cells.problems else row


RECORDS = RowKind(
    id="records",
    label=Label("关爱记录", "care records"),
    columns=(
        Column("学号", "student number", required=True, text=True),
        Column("日期", "date", required=True),
        Column("记录类型", "record kind", required=True),
        Column("数量", "quantity"),
        Column("说明", "note"),
    ),
    parse=_parse_record,
    save=lambda db, rows, _: _upsert_all(db, "care_records", [
        ({"student_id": r.student.id, "kind": r.kind, "on_date": r.on_date.isoformat(),
          "note": r.note}, {"quantity": r.quantity}) for r in rows]),
    uniques=(Unique(("学号", "日期", "记录类型", "说明"),
                    "同一学生、日期、记录类型和说明与第{line}行重复",
                    "same student, date, kind and note as line {line}"),),
)


# ------------------------------------------------------------------ 学期报到 (R-DROPOUT)

@dataclass(frozen=True)
class Registration:
    student: Student
    period: str
    status: str
    returned_on: date | None
    dropped_out: bool
    note: str | None


def _parse_registration(cells: Cells, context: Context) -> Registration | None:
    row = Registration(cells.student("学号", context), cells.period("学期", required=True),
                       cells.term("报到情况", STATUS_TERMS, required=True),
                       cells.date("劝返复学日期"), cells.yes("是否辍学"), cells.text("说明"))
    if row.status == "on_time":
        for header, given in (("劝返复学日期", row.returned_on), ("是否辍学", row.dropped_out)):
            if given:
                cells.fail(header, "按时报到的学生不填此项",
                           "only for a student who did not register on time")
    return None if cells.problems else row


REGISTRATION = RowKind(
    id="registration",
    label=Label("学期报到", "semester registration"),
    columns=(
        Column("学号", "student number", required=True, text=True),
        Column("学期", "semester", required=True),
        Column("报到情况", "registration status", required=True),
        Column("劝返复学日期", "date returned to school"),
        Column("是否辍学", "dropped out"),
        Column("说明", "note"),
    ),
    parse=_parse_registration,
    save=lambda db, rows, _: _upsert_all(db, "registrations", [
        ({"student_id": r.student.id, "period": r.period},
         {"status": r.status, "returned_on": _iso(r.returned_on),
          "dropped_out": int(r.dropped_out), "note": r.note}) for r in rows]),
    uniques=(Unique(("学号", "学期"), "同一学生同一学期与第{line}行重复",
                    "same student and semester as line {line}"),),
)


# ------------------------------------------------------------------ 资助记录 (R-AID)

@dataclass(frozen=True)
class AidRecord:
    student: Student
    item: str
    on_date: date
    amount: int
    highest_tier: bool


def _parse_aid(cells: Cells, context: Context) -> AidRecord | None:
    row = AidRecord(cells.student("学号", context), cells.term("资助项目", AID_TERMS, True),
                    cells.date("日期", required=True), cells.amount("金额（元）", required=True),
                    cells.yes("最高档次"))
    if row.student and row.item:
        stages = AID_ITEMS.value(row.item).stages
        if stages is not None and row.student.stage not in stages:
            stage = load().stages.value(row.student.stage).label
            cells.fail("资助项目", f"该资助项目不适用于{stage.zh}学段的学生",
                       f"this aid item does not serve students of stage {stage.en}")
    return None if cells.problems else row


AID = RowKind(
    id="aid",
    label=Label("资助记录", "aid records"),
    columns=(
        Column("学号", "student number", required=True, text=True),
        Column("日期", "date", required=True),
        Column("资助项目", "aid item", required=True),
        Column("金额（元）", "amount (yuan)", required=True),
        Column("最高档次", "at the highest tier"),
    ),
    parse=_parse_aid,
    save=lambda db, rows, _: _upsert_all(db, "aid_records", [
        ({"student_id": r.student.id, "item": r.item, "on_date": r.on_date.isoformat()},
         {"amount": r.amount, "highest_tier": int(r.highest_tier)}) for r in rows]),
    uniques=(Unique(("学号", "日期", "资助项目"), "同一学生、日期和资助项目与第{line}行重复",
                    "same student, date and aid item as line {line}"),),
)


# ------------------------------------------------------------------ 育人导师 (R-MENTOR)
# A row appoints the mentor for the semester (the school's mentor list, counted by the public
# cell mentor.mentors) and, with a 学号, assigns that student to them (a student's record).

@dataclass(frozen=True)
class Assignment:
    """A mentor appointed for a semester and, if 学号 is given, a student assigned to them."""

    staff_no: str
    mentor_name: str
    student: Student | None
    period: str


def _parse_mentor(cells: Cells, context: Context) -> Assignment | None:
    staff_no, name = cells.code("工号", required=True), cells.text("导师姓名", required=True)
    student = cells.student("学号", context) if cells.text("学号") else None
    row = Assignment(staff_no, name, student, cells.period("学期", required=True))
    return None if cells.problems else row


def _check_mentor_names(rows: list[tuple[int, Assignment]], _: Context) -> list[tuple]:
    first: dict[str, tuple[int, str]] = {}
    problems = []
    for line, row in rows:
        seen = first.setdefault(row.staff_no, (line, row.mentor_name))
        if seen[1] != row.mentor_name:
            problems.append((line, "导师姓名", f"同一工号在第{seen[0]}行的导师姓名不同",
                             f"the same staff number has another name on line {seen[0]}"))
    return problems


def _save_mentors(db: sqlite_utils.Database, rows: list[Assignment],
                  _: Context) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts["mentors_added"] += record_rows.upsert(db, "mentors", {"staff_no": row.staff_no},
                                           {"name": row.mentor_name}) == "added"
        mentor = record_rows.mentor_id(db, row.staff_no)
        appointed = record_rows.appoint(db, mentor, row.period)
        if row.student is None:
            counts["added" if appointed else "unchanged"] += 1
            continue
        assigned = record_rows.assign(db, mentor, row.student.id, row.period)
        counts["added" if assigned else "unchanged"] += 1
    return counts


MENTORS = RowKind(
    id="mentors",
    label=Label("育人导师", "mentors"),
    columns=(
        Column("工号", "staff number", required=True, text=True),
        Column("导师姓名", "mentor's name", required=True),
        Column("学号", "student number", text=True),
        Column("学期", "semester", required=True),
    ),
    parse=_parse_mentor,
    save=_save_mentors,
    uniques=(Unique(("学号", "工号", "学期"), "同一导师、学生和学期与第{line}行重复",
                    "same mentor, student and semester as line {line}"),),
    check_file=_check_mentor_names,
)


# ------------------------------------------------------------------ 家校协同活动 (R-HOME)

@dataclass(frozen=True)
class Activity:
    kind: str
    on_date: date
    note: str | None


def _parse_activity(cells: Cells, _: Context) -> Activity | None:
    row = Activity(cells.term("活动类型", ACTIVITY_TERMS, required=True),
                   cells.date("日期", required=True), cells.text("说明"))
    return None if cells.problems else row


ACTIVITIES = RowKind(
    id="activities",
    label=Label("家校协同活动", "home-school activities"),
    columns=(
        Column("日期", "date", required=True),
        Column("活动类型", "activity kind", required=True),
        Column("说明", "note"),
    ),
    parse=_parse_activity,
    save=lambda db, rows, _: _upsert_all(db, "activities", [
        ({"kind": r.kind, "on_date": r.on_date.isoformat(), "note": r.note}, {}) for r in rows]),
    uniques=(Unique(("日期", "活动类型", "说明"), "同一日期、活动类型和说明与第{line}行重复",
                    "same date, kind and note as line {line}"),),
)


# ------------------------------------------------------------------ 工作清单 (R-LEDGER)

@dataclass(frozen=True)
class GrowthEvent:
    student: Student
    on_date: date
    kind: str
    description: str


def _parse_growth(cells: Cells, context: Context) -> GrowthEvent | None:
    row = GrowthEvent(cells.student("学号", context), cells.date("日期", required=True),
                      cells.term("事件类型", GROWTH_TERMS, required=True),
                      cells.text("描述", required=True))
    return None if cells.problems else row


def _save_growth(db: sqlite_utils.Database, rows: list[GrowthEvent], _: Context) -> Counter[str]:
    stamp = {"recorded_at": clock.stamp(clock.SYSTEM.now())}
    return Counter(record_rows.upsert(db, "growth_events", {
        "student_id": r.student.id, "on_date": r.on_date.isoformat(), "kind": r.kind,
        "description": r.description}, {}, stamp) for r in rows)


GROWTH = RowKind(
    id="ledger",
    label=Label("关键成长事件", "key growth events"),
    columns=(
        Column("学号", "student number", required=True, text=True),
        Column("日期", "date", required=True),
        Column("事件类型", "event kind", required=True),
        Column("描述", "description", required=True),
    ),
    parse=_parse_growth,
    save=_save_growth,
)


def add_growth_event(db: sqlite_utils.Database, student_no: str, kind: str, text: str,
                     on: date | str | None = None, today: date | None = None) -> Counter[str]:
    today = today or local_date(clock.SYSTEM.now())
    return save_one(db, GROWTH, {"学号": student_no, "日期": on or today, "事件类型": kind,
                                 "描述": text}, today)


@dataclass(frozen=True)
class LedgerEntry:
    on_date: str
    what: str
    detail: str


def ledger(db: sqlite_utils.Database, student_no: str) -> list[LedgerEntry]:
    """A key student's work list (工作清单): steps of their cases, care given, aid and growth
    events, in date order. Local screen only."""
    context = Context(db)
    cells = Cells({"学号": student_no}, context.today)
    student = cells.student("学号", context)
    refuse(cells, GROWTH.columns)
    entries = []
    for case in cases_of(db, student.id):
        for step in case.steps:
            detail = "、".join(step.participants)
            if step.decision:
                detail += f" {DECISIONS[step.decision].label.both()}"
            if step.note:
                detail += f" {step.note}"
            entries.append(LedgerEntry(step.on_date.isoformat(),
                                       f"案件 case {case.id}: {CASE_STEPS[step.kind].label.both()}",
                                       detail.strip()))
    for kind, on_date, quantity, note in record_rows.care_of(db, student.id):
        times = f"×{quantity} " if quantity != 1 else ""
        entries.append(LedgerEntry(on_date, RECORD_KINDS[kind].label.both(),
                                   f"{times}{note or ''}".strip()))
    for item, on_date, amount, highest in record_rows.aid_of(db, student.id):
        tier = " 最高档次 highest tier" if highest else ""
        entries.append(LedgerEntry(on_date, AID_ITEMS.value(item).label.both(),
                                   f"{amount} 元 yuan{tier}"))
    for on_date, kind, description in record_rows.growth_of(db, student.id):
        entries.append(LedgerEntry(on_date, f"成长事件 growth: {GROWTH_KINDS[kind].label.both()}",
                                   description))
    return sorted(entries, key=lambda e: e.on_date)
