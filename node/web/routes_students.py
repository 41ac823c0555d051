"""The roster and the key-care cases: browse, open a student, run the procedure by forms.

The forms call the same functions as ``guanai node apply | review | confirm | file | exit``,
so the same rules hold (a review needs two participants, no confirmation before an approving
review, no step dated before the last). A refused step is shown on the student's page with
what was typed kept, and nothing is stored. Names show here and nowhere else.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from common.errors import GuanaiError
from node import browse, procedure
from node.records import add_growth_event
from node.rows import InvalidInput
from node.template_book import choices
from node.vocabulary import CASE_STATUSES, CASE_STEPS, DECISIONS, GROWTH_KINDS
from node.web.site import site

blueprint = Blueprint("students", __name__)
FILTER_LABELS = {"all": "在校学生", "difficulty": "困境学生", "key": "重点关爱（未结案件）",
                 "left": "已离校"}
ROLES = ["资助干部", "班主任", "心理教师", "年级组长", "校领导", "家长代表", "辅导员"]


@blueprint.get("/students")
def roster() -> str:
    here = site()
    which = request.args.get("which", "all")
    search = request.args.get("q", "")
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    found = browse.students(here.store(), search, which, page)
    return render_template("students.html", page=found, which=which, q=search,
                           filters=FILTER_LABELS, counts=browse.counts(here.store()))


@blueprint.get("/cases")
def cases() -> str:
    here = site()
    status = request.args.get("status") or None
    lines = procedure.list_cases(here.store(), status if status in CASE_STATUSES else None)
    return render_template("cases.html", lines=lines, status=status, statuses=CASE_STATUSES,
                           steps=CASE_STEPS)


def _student_page(student_no: str, status: int = 200, **extra: object) -> tuple[str, int]:
    here = site()
    detail = browse.student(here.store(), student_no)
    if detail is None:
        abort(404)
    return render_template(
        "student.html", s=detail, requester_labels=procedure.REQUESTERS.labels, steps=CASE_STEPS, statuses=CASE_STATUSES, decisions=DECISIONS,
        requesters=choices("申请人", here.today()), roles=ROLES, growth_kinds=GROWTH_KINDS,
        form=extra.pop("form", ImmutableMultiDict()), **extra), status


@blueprint.get("/students/<student_no>")
def student(student_no: str) -> tuple[str, int]:
    return _student_page(student_no)


def _refused(student_no: str, exc: GuanaiError, form_name: str) -> tuple[str, int]:
    problems = exc.problems if isinstance(exc, InvalidInput) else []
    return _student_page(student_no, 400 if problems else 409, error=str(exc) if not problems
                         else "没有保存，请修改后再提交：", problems=problems, open_form=form_name,
                         form=request.form)


def _roles() -> str:
    picked = request.form.getlist("roles")
    extra = request.form.get("other_roles", "").strip()
    return "、".join([*picked, *([extra] if extra else [])])


@blueprint.post("/students/<student_no>/apply")
def apply(student_no: str) -> Response | tuple[str, int]:
    here = site()
    form = request.form
    try:
        case_id = procedure.apply(here.store(), student_no, form.get("requester", ""),
                                  form.get("care", ""), form.get("facts", ""),
                                  form.get("reasons", ""), form.get("on") or None, here.today())
    except GuanaiError as exc:
        return _refused(student_no, exc, "apply")
    flash(f"已提出申请：案件 {case_id}。下一步：集体评议。", "ok")
    return redirect(url_for("students.student", student_no=student_no, _anchor=f"case-{case_id}"))


def _case_step(case_id: int, action: str) -> Response | tuple[str, int]:
    here = site()
    student_no = browse.case_student(here.store(), case_id)
    if student_no is None:
        abort(404)
    form = request.form
    on = form.get("on") or None
    try:
        if action == "review":
            status = procedure.review(here.store(), case_id, _roles(), form.get("decision", ""),
                                      form.get("note"), on, here.today())
            said = f"已记录集体评议：{CASE_STATUSES[status].label.zh}。"
        elif action == "confirm":
            procedure.confirm(here.store(), case_id, on, here.today())
            said = "已确定为重点关爱对象。下一步：向上级主管部门备案（只报人数，不报姓名）。"
        elif action == "file":
            procedure.file_cases(here.store(), [case_id], False, on, here.today())
            said = "已记录备案。上报的只是统计表中的人数，姓名不离开学校。"
        else:
            procedure.exit_case(here.store(), case_id, _roles(), form.get("note"), on,
                                here.today())
            said = "已退出重点关爱对象名单。"
    except GuanaiError as exc:
        return _refused(student_no, exc, f"{action}-{case_id}")
    flash(f"案件 {case_id}：{said}", "ok")
    return redirect(url_for("students.student", student_no=student_no, _anchor=f"case-{case_id}"))


@blueprint.post("/cases/<int:case_id>/<action>")
def case_step(case_id: int, action: str) -> Response | tuple[str, int]:
    if action not in ("review", "confirm", "file", "exit"):
        abort(404)
    return _case_step(case_id, action)


@blueprint.post("/students/<student_no>/growth")
def growth(student_no: str) -> Response | tuple[str, int]:
    here = site()
    form = request.form
    try:
        add_growth_event(here.store(), student_no, form.get("kind", ""), form.get("text", ""),
                         form.get("on") or None, here.today())
    except GuanaiError as exc:
        return _refused(student_no, exc, "growth")
    flash("已记录关键成长事件。", "ok")
    return redirect(url_for("students.student", student_no=student_no, _anchor="ledger"))
