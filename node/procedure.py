"""R-PROC: application (提出申请) → collective review (集体评议) → determination (对象确定) →
filing with the superior authority (备案), and R-DYNAMIC exit after a collective review.

A case's history is its steps (case_events); its status is what replaying them gives, so
the same rules judge a command typed today and a history imported from a paper ledger.
Students on the aid system's list (免申即享, R-AUTO) get a case that starts confirmed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlite_utils

from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from node.rows import Cells, Column, Context, RowKind, Student, Terms, Unique, as_text, refuse
from node.store import cases, transaction
from node.vocabulary import CASE_STATUSES, CASE_STEPS, DECISIONS
from protos.catalogue import Label, load
from protos.deadlines import local_date

REQUESTERS = Terms.of_dimension(load().dimensions["requester"])
DECISION_TERMS = Terms.of_vocabulary(Label("评议结论", "decision"), DECISIONS)
STATUS_TERMS = Terms.of_vocabulary(Label("案件状态", "case status"), CASE_STATUSES)
OPEN = frozenset({"applied", "reviewed", "confirmed"})

COLUMNS = (
    Column("学号", "student number", required=True, text=True),
    Column("申请日期", "application date", required=True),
    Column("申请人", "requester", required=True),
    Column("申请关爱内容", "care requested", required=True),
    Column("事实和理由", "facts and reasons", required=True),
    Column("评议日期", "review date"),
    Column("评议参与人", "review participants"),
    Column("评议结论", "review decision"),
    Column("确定日期", "determination date"),
    Column("备案日期", "filing date"),
    Column("退出日期", "exit date"),
    Column("退出评议参与人", "exit review participants"),
)


class ProcedureError(GuanaiError):
    """A step of the procedure out of order, or about a case that does not exist."""


@dataclass(frozen=True)
class Step:
    kind: str  # node.vocabulary.CASE_STEPS
    on_date: date
    participants: tuple[str, ...] = ()
    decision: str | None = None
    note: str | None = None

    def same_as(self, other: Step) -> bool:
        """Equal but for the note."""
        return replace(self, note=None) == replace(other, note=None)


@dataclass(frozen=True)
class Case:
    id: int | None
    student_id: int
    route: str  # application | auto
    requester: str | None = None
    requested_care: str | None = None
    facts: str | None = None
    reasons: str | None = None
    steps: tuple[Step, ...] = ()

    @property
    def status(self) -> str:
        return replay(self.route, self.steps)

    @property
    def filed(self) -> bool:
        return any(step.kind == "file" for step in self.steps)


def _name(term_id: str) -> str:
    term = CASE_STEPS.get(term_id) or CASE_STATUSES[term_id]
    return term.label.both()


def replay(route: str, steps: Sequence[Step]) -> str:
    """The status that a case reaches through these steps; ProcedureError if one is out of order."""
    status: str | None = None
    for index, step in enumerate(steps):
        status = _after(route, status, any(s.kind == "file" for s in steps[:index]), step)
    if status is None:
        raise ProcedureError("案件没有任何步骤 a case needs at least one step")
    return status


def _after(route: str, status: str | None, filed: bool, step: Step) -> str:
    kind = step.kind
    if status in ("rejected", "exited"):
        raise ProcedureError(
            f"案件已结束（{_name(status)}），不能再{CASE_STEPS[kind].label.zh} "
            f"the case is closed; start a new application (提出申请) if needed"
        )
    if status is None and not (kind == "apply" and route == "application"
                               or kind == "confirm" and route == "auto"):
        raise ProcedureError("案件应从提出申请开始 a case starts with an application")
    if kind == "apply":
        if status is not None:
            raise ProcedureError("该案件已提出申请 the case already has its application")
        return "applied"
    if kind == "review":
        if status != "applied":
            raise ProcedureError(f"该案件已评议（{_name(status)}） the case was already reviewed")
        _need_participants(step)
        if step.decision not in DECISIONS:
            raise ProcedureError("评议结论应为“同意”或“不同意” the decision must be approve or reject")
        return "reviewed" if step.decision == "approve" else "rejected"
    if kind == "confirm":
        if status == "applied":
            raise ProcedureError(
                "尚未集体评议，不能确定 the case has not been reviewed collectively: "
                "run `guanai node review` first"
            )
        if status != "reviewed" and not (status is None and route == "auto"):
            raise ProcedureError(f"该案件已确定（{_name(status)}） the case is already confirmed")
        return "confirmed"
    if kind == "file":
        if status != "confirmed":
            raise ProcedureError(
                f"只有已确定的案件才能备案 only a confirmed case can be filed (状态 status: {_name(status)})"
            )
        if filed:
            raise ProcedureError("该案件已备案 the case has already been filed")
        return "confirmed"
    if kind == "exit":
        if status != "confirmed":
            raise ProcedureError(
                "只有已确定的重点关爱对象才能退出 only a confirmed key care target can exit "
                f"(状态 status: {_name(status)})"
            )
        _need_participants(step)
        return "exited"
    raise ProcedureError(f"unknown step {kind!r}")


def _need_participants(step: Step) -> None:
    if len(step.participants) < 2:
        raise ProcedureError(
            "集体评议至少需要两个参与人（角色） a collective review needs at least two participants (roles)"
        )


# ------------------------------------------------------------------ reading and writing cases

def _read_cases(db: sqlite_utils.Database, column: str, value: int | str) -> list[Case]:
    rows = cases.cases_by(db, column, value)
    steps: dict[int, list[Step]] = defaultdict(list)
    for case_id, kind, on_date, participants, decision, note in cases.steps_of(
            db, [row[0] for row in rows]):
        roles = tuple(participants.split("、")) if participants else ()
        steps[case_id].append(Step(kind, date.fromisoformat(on_date), roles, decision, note))
    return [Case(*row, steps=tuple(steps[row[0]])) for row in rows]


def load_case(db: sqlite_utils.Database, case_id: int) -> Case:
    found = _read_cases(db, "id", case_id)
    if not found:
        raise ProcedureError(f"没有案件 {case_id} no case number {case_id} (see `guanai node cases`)")
    return found[0]


def cases_of(db: sqlite_utils.Database, student_id: int) -> list[Case]:
    return _read_cases(db, "student_id", student_id)


def open_case(db: sqlite_utils.Database, student_id: int) -> Case | None:
    return next((case for case in cases_of(db, student_id) if case.status in OPEN), None)


def _now() -> str:
    return stamp(SYSTEM.now())


def _insert_steps(db: sqlite_utils.Database, case_id: int, steps: Iterable[Step]) -> None:
    cases.add_steps(db, [(case_id, s.kind, s.on_date.isoformat(),
                          "、".join(s.participants) or None, s.decision, s.note, _now())
                         for s in steps])


def insert_case(db: sqlite_utils.Database, case: Case) -> int:
    """Write a new case and its steps; returns the case number."""
    case_id = cases.add_case(db, case.student_id, case.route, case.requester,
                             case.requested_care, case.facts, case.reasons, case.status)
    _insert_steps(db, case_id, case.steps)
    return case_id


def _add_step(db: sqlite_utils.Database, case_id: int, step: Step) -> None:
    case = load_case(db, case_id)
    last = case.steps[-1]
    if step.on_date < last.on_date:
        raise ProcedureError(
            f"日期 {step.on_date} 早于上一步骤（{_name(last.kind)} {last.on_date}） "
            f"the date is before the previous step"
        )
    status = replay(case.route, (*case.steps, step))
    _insert_steps(db, case_id, [step])
    cases.set_status(db, case_id, status)


# ------------------------------------------------------------------ the steps, one command each

@dataclass(frozen=True)
class CaseRow:
    student: Student
    case: Case

    @property
    def applied_on(self) -> date:
        return self.case.steps[0].on_date



def parse_application(cells: Cells, context: Context) -> CaseRow | None:
    """The application part of a case row: 学号, 申请日期, 申请人, 申请关爱内容, 事实和理由."""
    student = cells.student("学号", context)
    applied_on = cells.date("申请日期", required=True)
    requester = cells.term("申请人", REQUESTERS, required=True)
    care = cells.text("申请关爱内容", required=True)
    facts = cells.text("事实和理由", required=True)
    if cells.problems:
        return None
    return CaseRow(student, Case(None, student.id, "application", requester, care, facts,
                                 steps=(Step("apply", applied_on),)))


def apply(db: sqlite_utils.Database, student_no: str, requester: str, care: str, facts: str,
          reasons: str, on: date | str | None = None, today: date | None = None) -> int:
    """提出申请: open a case for a student on the roster; returns the case number."""
    context = Context(db, today)
    cells = Cells({"学号": student_no, "申请日期": on or context.today, "申请人": requester,
                   "申请关爱内容": care, "事实和理由": facts, "理由": reasons}, context.today)
    row = parse_application(cells, context)
    reasons = cells.text("理由", required=True)
    refuse(cells, (*COLUMNS, Column("理由", "reasons")))
    student, case = row.student, replace(row.case, reasons=reasons)
    if not student.enrolled:
        raise ProcedureError(f"学生 {student.student_no} 已离校 the student has left the school")
    with transaction(db):
        existing = open_case(db, student.id)
        if existing is not None:
            raise ProcedureError(
                f"该学生已有未结案件 {existing.id}（{_name(existing.status)}） "
                f"the student already has an open case {existing.id}"
            )
        return insert_case(db, case)


def review(db: sqlite_utils.Database, case_id: int, participants: str, decision: str,
           note: str | None = None, on: date | str | None = None,
           today: date | None = None) -> str:
    """集体评议: record a collective review; returns the case's new status."""
    today = today or local_date(SYSTEM.now())
    cells = Cells({"评议日期": on or today, "评议参与人": participants, "评议结论": decision}, today)
    step = Step("review", cells.date("评议日期", required=True),
                cells.roles("评议参与人", required=True),
                cells.term("评议结论", DECISION_TERMS, required=True), _note(note))
    refuse(cells, COLUMNS)
    with transaction(db):
        _add_step(db, case_id, step)
        return load_case(db, case_id).status


def confirm(db: sqlite_utils.Database, case_id: int, on: date | str | None = None,
            today: date | None = None) -> None:
    """对象确定: only after a collective review that approved."""
    with transaction(db):
        _add_step(db, case_id, Step("confirm", _day(on, "确定日期", today)))


def file_cases(db: sqlite_utils.Database, case_ids: Sequence[int] = (),
               all_confirmed: bool = False, on: date | str | None = None,
               today: date | None = None) -> list[int]:
    """向上级主管部门备案: record locally that confirmed cases were filed; returns their numbers.

    Only counts go upward, in the statistics table; nothing here is sent.
    """
    day = _day(on, "备案日期", today)
    with transaction(db):
        chosen = list(dict.fromkeys(case_ids))
        if all_confirmed:
            waiting = _read_cases(db, "status", "confirmed")
            chosen += [c.id for c in waiting if not c.filed and c.id not in chosen]
        if not chosen:
            raise ProcedureError(
                "没有待备案的案件 no case to file: name case numbers or use --all-confirmed"
            )
        for case_id in chosen:
            _add_step(db, case_id, Step("file", day))
    return chosen


def exit_case(db: sqlite_utils.Database, case_id: int, participants: str,
              note: str | None = None, on: date | str | None = None,
              today: date | None = None) -> None:
    """R-DYNAMIC: a confirmed key care target leaves the list after a collective review."""
    today = today or local_date(SYSTEM.now())
    cells = Cells({"退出日期": on or today, "退出评议参与人": participants}, today)
    step = Step("exit", cells.date("退出日期", required=True),
                cells.roles("退出评议参与人", required=True), "approve", _note(note))
    refuse(cells, COLUMNS)
    with transaction(db):
        _add_step(db, case_id, step)


def _day(on: date | str | None, header: str, today: date | None) -> date:
    today = today or local_date(SYSTEM.now())
    cells = Cells({header: on or today}, today)
    day = cells.date(header, required=True)
    refuse(cells, COLUMNS)
    return day


def _note(note: str | None) -> str | None:
    return note.strip() or None if note else None


@dataclass(frozen=True)
class CaseLine:
    id: int
    student_no: str
    name: str
    route: str
    status: str
    last_step: str
    last_date: str


def list_cases(db: sqlite_utils.Database, status: str | None = None) -> list[CaseLine]:
    """Cases with their student and latest step, for the local screen only (names show)."""
    status_id = None
    if status is not None:
        status_id = STATUS_TERMS.get(status)
        if status_id is None:
            raise ProcedureError(
                f"未知案件状态 unknown case status {status!r}: {STATUS_TERMS.choices()}"
            )
    return [CaseLine(*row) for row in cases.case_lines(db, status_id)]


# ------------------------------------------------------------------ 免申即享 (R-AUTO)

def confirm_auto(db: sqlite_utils.Database, student_id: int, pushed_on: date,
                 source: str | None) -> bool:
    """Open a confirmed auto case unless the student has an open case or this push was taken.

    Returns whether a case was created.
    """
    held = cases_of(db, student_id)
    taken = any(c.route == "auto" and c.steps[0].on_date == pushed_on for c in held)
    if taken or any(c.status in OPEN for c in held):
        return False
    insert_case(db, Case(None, student_id, "auto", steps=(Step("confirm", pushed_on, note=source),)))
    return True


# ------------------------------------------------------------------ import of past cases

_ORDER = (("申请日期", "评议日期"), ("评议日期", "确定日期"), ("确定日期", "备案日期"),
          ("确定日期", "退出日期"))


def parse_case_row(cells: Cells, context: Context) -> CaseRow | None:
    application = parse_application(cells, context)
    present = {h: bool(as_text(cells.values.get(h))) for h in (c.header for c in COLUMNS)}
    reviewed_on = cells.date("评议日期")
    participants = cells.roles("评议参与人")
    decision = cells.term("评议结论", DECISION_TERMS)
    days = {"申请日期": cells.parsed.get("申请日期"), "评议日期": reviewed_on,
            "确定日期": cells.date("确定日期"), "备案日期": cells.date("备案日期"),
            "退出日期": cells.date("退出日期")}
    exit_roles = cells.roles("退出评议参与人")

    review = ("评议日期", "评议参与人", "评议结论")
    if any(present[h] for h in review):
        for header in review:
            if not present[header]:
                cells.fail(header, "已填写评议信息时必填（评议日期、评议参与人、评议结论）",
                           "required once the review is filled in (date, participants, decision)")
    if present["确定日期"] and present["评议结论"] and decision == "reject":
        cells.fail("确定日期", "评议结论为“不同意”时不能有确定日期",
                   "a rejected application has no determination date")
    if present["确定日期"] and not present["评议结论"]:
        cells.fail("确定日期", "确定日期需要评议结论为“同意”",
                   "a determination date needs a review decided 同意 (approve)")
    for header in ("备案日期", "退出日期"):
        if present[header] and not present["确定日期"]:
            cells.fail(header, "需要先有确定日期", "needs a determination date (确定日期)")
    if present["退出日期"] != present["退出评议参与人"]:
        header = "退出评议参与人" if present["退出日期"] else "退出日期"
        cells.fail(header, "退出日期与退出评议参与人须同时填写",
                   "exit date and exit review participants go together")
    for earlier, later in _ORDER:
        if days[earlier] and days[later] and days[later] < days[earlier]:
            cells.fail(later, f"{later}早于{earlier}", f"{later} is before {earlier}")
    if cells.problems:
        return None

    steps = [application.case.steps[0]]
    if reviewed_on:
        steps.append(Step("review", reviewed_on, participants, decision))
    for header, kind in (("确定日期", "confirm"), ("备案日期", "file")):
        if days[header]:
            steps.append(Step(kind, days[header]))
    if days["退出日期"]:
        steps.append(Step("exit", days["退出日期"], exit_roles, "approve"))
    return replace(application, case=replace(application.case, steps=tuple(steps)))


def _stored_match(stored: list[Case], row: CaseRow) -> Case | None:
    return next((c for c in stored
                 if c.route == "application" and c.steps[0].on_date == row.applied_on), None)


def _check_cases(rows: list[tuple[int, CaseRow]], context: Context) -> list[tuple]:
    """A past case may extend the one recorded for the same application date, never contradict
    it; and a student has at most one open case once the file is in."""
    problems = []
    by_student: dict[int, list[tuple[int, CaseRow]]] = defaultdict(list)
    for line, row in rows:
        by_student[row.student.id].append((line, row))
    for student_id, items in by_student.items():
        stored = cases_of(context.db, student_id)
        replaced = set()
        for line, row in items:
            match = _stored_match(stored, row)
            if match is None:
                continue
            replaced.add(match.id)
            if not _extends(match.steps, row.case.steps):
                problems.append((line, "申请日期", f"与已记录的案件 {match.id} 的步骤不一致",
                                 f"contradicts the steps of case {match.id} already recorded"))
        holders = [(f"案件 {c.id}", f"case {c.id}") for c in stored
                   if c.id not in replaced and c.status in OPEN]
        for line, row in items:
            if row.case.status not in OPEN:
                continue
            if holders:
                zh, en = holders[0]
                problems.append((line, "学号", f"该学生已有未结案件（{zh}）",
                                 f"the student already has an open case ({en})"))
            else:
                holders.append((f"第{line}行", f"line {line}"))
    return problems


def _extends(old: Sequence[Step], new: Sequence[Step]) -> bool:
    return len(new) >= len(old) and all(a.same_as(b) for a, b in zip(old, new, strict=False))


def _save_cases(db: sqlite_utils.Database, rows: list[CaseRow], context: Context) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        match = _stored_match(cases_of(db, row.student.id), row)
        if match is None:
            insert_case(db, row.case)
            counts["added"] += 1
            continue
        fields = replace(row.case, id=match.id, steps=match.steps)
        new_steps = row.case.steps[len(match.steps):]
        if fields == match and not new_steps:
            counts["unchanged"] += 1
            continue
        cases.update_case(db, match.id, row.case.requester, row.case.requested_care,
                          row.case.facts, row.case.reasons, row.case.status)
        _insert_steps(db, match.id, new_steps)
        counts["updated"] += 1
    return counts


CASES = RowKind(
    id="cases",
    label=Label("重点关爱对象", "key care cases"),
    columns=COLUMNS,
    parse=parse_case_row,
    save=_save_cases,
    uniques=(Unique(("学号", "申请日期"), "同一学生同一申请日期的案件与第{line}行重复",
                    "same student and application date as line {line}"),),
    check_file=_check_cases,
)
