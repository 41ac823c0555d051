"""``guanai node …`` commands of the aid office's daily work: imports, the R-PROC procedure,
care records, aid, registration, mentors, activities and the growth ledger.

Every command checks its values with the same row parser as the matching import, so a value
refused in a spreadsheet is refused here too. Names may show on this screen: it is local.
"""

from __future__ import annotations

from pathlib import Path

import click

from common.clock import SYSTEM
from node import procedure
from node.importer import ImportRejected, find_kind, import_file, write_template
from node.records import (
    ACTIVITIES,
    AID,
    MENTORS,
    RECORDS,
    REGISTRATION,
    add_growth_event,
    ledger,
)
from node.rows import RowKind, describe_counts, save_one
from node.store import open_store
from node.vocabulary import CASE_STATUSES, CASE_STEPS
from protos.deadlines import local_date

DATE_HELP = "Date (日期) YYYY-MM-DD; default today."


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--full", is_flag=True,
              help="Roster only: the file is the whole roster; students not in it are marked as left.")
@click.pass_obj
def import_command(db: Path, kind: str, file: Path, full: bool) -> None:
    """导入 Import a .csv or .xlsx file, all or nothing.

    KIND: roster 学生名册, auto 免申即享名单, cases 重点关爱对象, records 关爱记录,
    registration 学期报到, aid 资助记录, mentors 育人导师, activities 家校协同活动.
    Formats: docs/import.md; blank templates: `guanai node template KIND --out FILE`.
    """
    row_kind = find_kind(kind)
    try:
        counts = import_file(open_store(db), row_kind, file, full=full)
    except ImportRejected as rejected:
        for problem in rejected.problems:
            click.echo(str(problem), err=True)
        raise
    click.echo(f"导入{row_kind.label.zh} {row_kind.id}: {describe_counts(counts)}")


@click.command()
@click.argument("kind")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it: .csv (UTF-8 with BOM) or .xlsx.")
def template(kind: str, out: Path) -> None:
    """空白模板 Write the blank import template of KIND (header row only)."""
    written = write_template(kind, out)
    click.echo(f"已生成空白模板 blank template of {find_kind(kind).id}: {written}")


# ------------------------------------------------------------------ R-PROC

@click.command()
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--requester", required=True,
              help="申请人: student|guardian|teacher (学生本人/家长（监护人）/教师).")
@click.option("--care", required=True, help="申请关爱内容: the care requested.")
@click.option("--facts", required=True, help="事实: the facts.")
@click.option("--reasons", required=True, help="理由: the reasons.")
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def apply(db: Path, student: str, requester: str, care: str, facts: str, reasons: str,
          on: str | None) -> None:
    """提出申请 Apply for key care (R-PROC step 1); prints the case number."""
    case_id = procedure.apply(open_store(db), student, requester, care, facts, reasons, on)
    click.echo(f"已提出申请 application recorded: 案件 case {case_id}")


@click.command()
@click.argument("case", type=int)
@click.option("--participants", required=True,
              help="评议参与人: at least two roles, e.g. \"资助干部,班主任,心理教师\".")
@click.option("--decision", required=True, help="评议结论: approve|reject (同意/不同意).")
@click.option("--note", help="说明 Note.")
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def review(db: Path, case: int, participants: str, decision: str, note: str | None,
           on: str | None) -> None:
    """集体评议 Record the collective review of CASE (R-PROC step 2)."""
    status = procedure.review(open_store(db), case, participants, decision, note, on)
    click.echo(f"已记录集体评议 review recorded: 案件 case {case} → "
               f"{CASE_STATUSES[status].label.both()}")


@click.command()
@click.argument("case", type=int)
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def confirm(db: Path, case: int, on: str | None) -> None:
    """对象确定 Confirm CASE as a key care target, after an approving review (R-PROC step 3)."""
    procedure.confirm(open_store(db), case, on)
    click.echo(f"已确定重点关爱对象 confirmed: 案件 case {case}")


@click.command("file")
@click.argument("cases", nargs=-1, type=int)
@click.option("--all-confirmed", is_flag=True, help="File every confirmed case not yet filed.")
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def file_command(db: Path, cases: tuple[int, ...], all_confirmed: bool, on: str | None) -> None:
    """备案 Record that confirmed CASES were filed with the superior authority.

    Only counts go upward, in the statistics table; names never leave the school.
    """
    filed = procedure.file_cases(open_store(db), cases, all_confirmed, on)
    click.echo(f"已备案 filed: {len(filed)} 个案件 cases ({', '.join(map(str, filed))}); "
               "上报的只是统计表中的人数 only counts go upward")


@click.command("exit")
@click.argument("case", type=int)
@click.option("--participants", required=True, help="退出评议参与人: at least two roles.")
@click.option("--note", help="说明 Note.")
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def exit_command(db: Path, case: int, participants: str, note: str | None,
                 on: str | None) -> None:
    """退出 CASE leaves the key care list after a collective review (R-DYNAMIC)."""
    procedure.exit_case(open_store(db), case, participants, note, on)
    click.echo(f"已退出 exited: 案件 case {case}")


@click.command()
@click.option("--status", help="Only cases in this status: applied|reviewed|rejected|confirmed|exited.")
@click.pass_obj
def cases(db: Path, status: str | None) -> None:
    """案件 List the key care cases (local screen only: names show)."""
    lines = procedure.list_cases(open_store(db), status)
    click.echo("案件 case | 学号 | 姓名 | 途径 route | 状态 status | 最近步骤 last step")
    for line in lines:
        route = "免申即享 auto" if line.route == "auto" else "申请 application"
        click.echo(f"{line.id} | {line.student_no} | {line.name} | {route} | "
                   f"{CASE_STATUSES[line.status].label.both()} | "
                   f"{CASE_STEPS[line.last_step].label.zh} {line.last_date}")
    click.echo(f"共 {len(lines)} 个案件 cases")


# ------------------------------------------------------------------ records

def _save(db: Path, kind: RowKind, values: dict[str, object]) -> None:
    counts = save_one(open_store(db), kind, values)
    click.echo(f"{kind.label.both()}: {describe_counts(counts)}")


@click.command()
@click.argument("kind")
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--date", "on", help=DATE_HELP)
@click.option("--quantity", help="数量: talks held or postings given (default 1).")
@click.option("--note", help="说明 Note.")
@click.pass_obj
def record(db: Path, kind: str, student: str, on: str | None, quantity: str | None,
           note: str | None) -> None:
    """关爱记录 Record care given; KIND is a 记录类型 (e.g. 谈心谈话 or talk)."""
    _save(db, RECORDS, {"学号": student, "日期": on or _today(), "记录类型": kind,
                        "数量": quantity, "说明": note})


@click.command()
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--period", required=True, help="学期: 2025-H1 / 2025-H2 (or 2025春季 / 2025秋季).")
@click.option("--status", required=True,
              help="报到情况: on_time|illness|suspension|other (按时报到/因病请假/休学/其他原因).")
@click.option("--returned-on", help="劝返复学日期 (only when not on time).")
@click.option("--dropped-out", is_flag=True, help="是否辍学 (only when not on time).")
@click.option("--note", help="说明 Note.")
@click.pass_obj
def register(db: Path, student: str, period: str, status: str, returned_on: str | None,
             dropped_out: bool, note: str | None) -> None:
    """学期报到 Record a student's registration for a semester (R-DROPOUT)."""
    _save(db, REGISTRATION, {"学号": student, "学期": period, "报到情况": status,
                             "劝返复学日期": returned_on, "是否辍学": "是" if dropped_out else "否",
                             "说明": note})


@click.command()
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--item", required=True, help="资助项目 (Chinese name or id, e.g. senior_grant).")
@click.option("--amount", required=True, help="金额（元） whole yuan.")
@click.option("--date", "on", help=DATE_HELP)
@click.option("--highest-tier", is_flag=True, help="最高档次: aided at the highest tier.")
@click.pass_obj
def aid(db: Path, student: str, item: str, amount: str, on: str | None,
        highest_tier: bool) -> None:
    """资助记录 Record aid paid to a student (R-AID)."""
    _save(db, AID, {"学号": student, "日期": on or _today(), "资助项目": item,
                    "金额（元）": amount, "最高档次": "是" if highest_tier else "否"})


@click.group("ledger")
def ledger_group() -> None:
    """工作清单 The key students' work list: growth events (R-LEDGER)."""


@ledger_group.command("add")
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--kind", required=True, help="事件类型, e.g. 学业, 心理, 获奖表彰 (or academic, …).")
@click.option("--text", required=True, help="描述 What happened.")
@click.option("--date", "on", help=DATE_HELP)
@click.pass_obj
def ledger_add(db: Path, student: str, kind: str, text: str, on: str | None) -> None:
    """Add a key growth event (关键成长事件)."""
    counts = add_growth_event(open_store(db), student, kind, text, on)
    click.echo(f"关键成长事件 growth event: {describe_counts(counts)}")


@ledger_group.command("show")
@click.option("--student", required=True, help="学号 of the student.")
@click.pass_obj
def ledger_show(db: Path, student: str) -> None:
    """Show a student's work list: case steps, care, aid and growth events by date."""
    entries = ledger(open_store(db), student)
    for entry in entries:
        click.echo(f"{entry.on_date}  {entry.what}  {entry.detail}".rstrip())
    click.echo(f"共 {len(entries)} 条 entries")


@click.group("mentor")
def mentor_group() -> None:
    """育人导师 Mentors (R-MENTOR)."""


@mentor_group.command("assign")
@click.option("--staff-no", required=True, help="工号 of the mentor.")
@click.option("--name", required=True, help="导师姓名.")
@click.option("--student", required=True, help="学号 of the student.")
@click.option("--period", required=True, help="学期: 2025-H1 / 2025-H2.")
@click.pass_obj
def mentor_assign(db: Path, staff_no: str, name: str, student: str, period: str) -> None:
    """Assign a student to a mentor for a semester (the mentor is created if new)."""
    _save(db, MENTORS, {"工号": staff_no, "导师姓名": name, "学号": student, "学期": period})


@click.group("activity")
def activity_group() -> None:
    """家校协同活动 Home-school activities (R-HOME)."""


@activity_group.command("add")
@click.option("--kind", required=True,
              help="活动类型: 家长学校|家长会|学校开放日|专题讲座|网络平台|其他.")
@click.option("--date", "on", help=DATE_HELP)
@click.option("--note", help="说明 Note.")
@click.pass_obj
def activity_add(db: Path, kind: str, on: str | None, note: str | None) -> None:
    """Record a home-school activity held by the school."""
    _save(db, ACTIVITIES, {"日期": on or _today(), "活动类型": kind, "说明": note})


def _today() -> str:
    return local_date(SYSTEM.now()).isoformat()


CARE_COMMANDS: list[click.Command] = [
    import_command, template, apply, review, confirm, file_command, exit_command, cases,
    record, register, aid, ledger_group, mentor_group, activity_group,
]
