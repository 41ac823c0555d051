"""Write a school's import files exactly as docs/import.md specifies them.

CSV in UTF-8 with a BOM (what Excel expects), Chinese headers, Chinese vocabulary from the
catalogue and node/vocabulary.py, dates as YYYY-MM-DD, yes/no as 是/否, several values in a
cell separated by ；.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from node.vocabulary import ACTIVITY_KINDS, RECORD_KINDS, REGISTRATION_STATUSES, TIERS
from protos.catalogue import load
from synth.model import School

HEADERS = {
    "roster": ("学号", "姓名", "身份证号", "性别", "学段", "年级", "班级", "困境类别", "叠加因素",
               "家庭经济困难等级", "应届毕业生", "联系电话", "家庭住址"),
    "auto": ("身份证号", "姓名", "困境类别", "来源", "推送日期"),
    "cases": ("学号", "申请日期", "申请人", "申请关爱内容", "事实和理由", "评议日期", "评议参与人",
              "评议结论", "确定日期", "备案日期", "退出日期", "退出评议参与人"),
    "records": ("学号", "日期", "记录类型", "数量", "说明"),
    "registration": ("学号", "学期", "报到情况", "劝返复学日期", "是否辍学", "说明"),
    "aid": ("学号", "日期", "资助项目", "金额（元）", "最高档次"),
    "mentors": ("工号", "导师姓名", "学号", "学期"),
    "activities": ("日期", "活动类型", "说明"),
}
IMPORT_ORDER = tuple(HEADERS)  # the order the node must import them in
SEPARATOR = "；"

_CATALOGUE = load()
_ZH = {dim: {v.id: v.label.zh for v in _CATALOGUE.dimensions[dim].values}
       for dim in ("stage", "category", "factor", "requester", "aid_item")}


def _zh(dimension: str, ids: Iterable[str]) -> str:
    """Labels in catalogue order, joined."""
    labels = _ZH[dimension]
    chosen = set(ids)
    return SEPARATOR.join(label for value, label in labels.items() if value in chosen)


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _roster(school: School) -> Iterator[tuple]:
    for s in school.students:
        yield (s.no, s.name, s.id_card, "男" if s.male else "女", _ZH["stage"][s.stage], s.grade,
               s.klass, _zh("category", s.roster_categories), _zh("factor", s.factors),
               TIERS[s.tier].label.zh if s.tier else "", _yes(s.graduating), s.phone, s.address)


def _auto(school: School) -> Iterator[tuple]:
    for e in school.auto:
        yield (e.student.id_card, e.student.name, _zh("category", e.categories), e.source,
               _day(e.pushed))


def _cases(school: School) -> Iterator[tuple]:
    decisions = {True: "同意", False: "不同意", None: ""}
    for c in school.cases:
        yield (c.student.no, _day(c.applied), _ZH["requester"][c.requester], c.care, c.facts,
               _day(c.reviewed), c.participants or "", decisions[c.approved], _day(c.confirmed),
               _day(c.filed), _day(c.exited), c.exit_participants or "")


def _records(school: School) -> Iterator[tuple]:
    for r in school.records:
        yield r.student.no, _day(r.on), RECORD_KINDS[r.kind].label.zh, r.quantity, r.note


def _registration(school: School) -> Iterator[tuple]:
    period = school.spec.period.code
    for r in school.registrations:
        yield (r.student.no, period, REGISTRATION_STATUSES[r.status].label.zh,
               _day(r.returned_on), _yes(r.dropped_out), r.note)


def _aid(school: School) -> Iterator[tuple]:
    for a in school.aid:
        yield a.student.no, _day(a.on), _ZH["aid_item"][a.item], a.amount, _yes(a.highest_tier)


def _mentors(school: School) -> Iterator[tuple]:
    period = school.spec.period.code
    for m in school.mentors:
        for student in m.students:
            yield m.staff_no, m.name, student.no, period


def _activities(school: School) -> Iterator[tuple]:
    for a in school.activities:
        yield _day(a.on), ACTIVITY_KINDS[a.kind].label.zh, a.note


ROWS = {"roster": _roster, "auto": _auto, "cases": _cases, "records": _records,
        "registration": _registration, "aid": _aid, "mentors": _mentors,
        "activities": _activities}


def write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def toml_lines(table: dict[str, object]) -> list[str]:
    """``key = value`` lines; JSON's string and list syntax is valid TOML for these values."""
    return [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in table.items()]


def school_table(school: School) -> dict[str, object]:
    spec = school.spec
    return {
        "school_id": spec.school_id, "region": spec.county.code, "name": spec.name,
        "stages": list(spec.stages), "students": spec.students, "period": spec.period.code,
        "reports_to": spec.reports_to, "direct_to_province": spec.direct,
        "seed": spec.seed,
    }


def write_school(school: School, folder: Path) -> None:
    """school.toml and the eight import files of one school."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# 合成数据 synthetic data (guanai synth): no real student", "",
             *toml_lines(school_table(school))]
    (folder / "school.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kind in IMPORT_ORDER:
        write_csv(folder / f"{kind}.csv", HEADERS[kind], ROWS[kind](school))
