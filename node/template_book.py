"""Blank import workbooks that help the person filling them in (.xlsx).

The shipped templates (node/templates/) are a header row only. A worker in Excel needs more:
a sheet that says what each column means and which are required, a drop-down on every column
whose values come from a list (学段, 困境类别, 记录类型 …), the ID and number columns formatted
as text and wide enough for 18 digits, and an example row. The example sits on the
instructions sheet, never on the sheet that is imported (the first, which the importer
reads), so it cannot become a student; the workbook opens on the instructions.
Columns that take several values (困境类别 can be 孤儿、农村留守儿童) offer the list but
accept typed combinations.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from node.importer import find_kind
from node.procedure import DECISION_TERMS, REQUESTERS
from node.records import ACTIVITY_TERMS, AID_ITEMS, AID_TERMS, RECORD_TERMS, STATUS_TERMS
from node.roster import CATEGORIES, FACTORS, STAGES, TIER_TERMS
from node.rows import RowKind

ROWS = 1000  # rows prepared with drop-downs and text format
_YES_NO = ["是", "否"]
MULTI = {"困境类别", "叠加因素", "评议参与人", "退出评议参与人"}
DATE_COLUMNS = {"日期", "申请日期", "评议日期", "确定日期", "备案日期", "退出日期", "推送日期",
          "劝返复学日期"}


def choices(header: str, today: date, stages: list[str] | None = None) -> list[str] | None:
    """The values a column takes from a list, in Chinese, or None for a free column.

    With the school's ``stages``, 学段 and 资助项目 offer only what its students can have.
    """
    fixed = {
        "困境类别": list(CATEGORIES.labels.values()),
        "叠加因素": list(FACTORS.labels.values()),
        "家庭经济困难等级": list(TIER_TERMS.labels.values()),
        "性别": ["男", "女"],
        "应届毕业生": _YES_NO, "是否辍学": _YES_NO, "最高档次": _YES_NO,
        "申请人": list(REQUESTERS.labels.values()),
        "评议结论": list(DECISION_TERMS.labels.values()),
        "记录类型": list(RECORD_TERMS.labels.values()),
        "报到情况": list(STATUS_TERMS.labels.values()),
        "资助项目": list(AID_TERMS.labels.values()),
        "活动类型": list(ACTIVITY_TERMS.labels.values()),
        "学期": [f"{y}{s}" for y in (today.year - 1, today.year) for s in ("春季", "秋季")],
    }
    if header == "学段":
        return [STAGES.labels[s] for s in stages] if stages else list(STAGES.labels.values())
    if header == "资助项目" and stages:  # only the items the school's students can receive
        return [item.label.zh for item in AID_ITEMS.values
                if item.stages is None or item.stages & set(stages)]
    return fixed.get(header)


_EXAMPLES = {
    "学号": "20250001", "姓名": "张三", "身份证号": "610102201201011236", "性别": "男",
    "学段": None, "年级": "五年级", "班级": "2班", "困境类别": "农村留守儿童、家庭经济困难",
    "叠加因素": "", "家庭经济困难等级": "困难", "应届毕业生": "否", "联系电话": "13800000000",
    "家庭住址": "某县某镇某村", "来源": "全国学生资助管理信息系统", "申请人": "教师",
    "申请关爱内容": "学业辅导", "事实和理由": "父母在外务工，成绩下降", "评议参与人":
    "资助干部、班主任、心理教师", "评议结论": "同意", "数量": "1", "说明": "",
    "记录类型": "谈心谈话", "报到情况": "按时报到", "是否辍学": "否", "资助项目": None,
    "金额（元）": "1250", "最高档次": "是", "工号": "T0012", "导师姓名": "李老师",
    "活动类型": "家长会",
}


def _example(header: str, today: date, options: list[str] | None) -> str:
    if header in DATE_COLUMNS:
        return "" if header in ("劝返复学日期", "确定日期", "备案日期", "退出日期",
                                "评议日期") else today.replace(day=1).isoformat()
    if header == "学期":
        return f"{today.year}{'春季' if today.month <= 6 else '秋季'}"
    value = _EXAMPLES.get(header, "")
    return options[0] if value is None and options else value or ""


def write_book(kind: RowKind | str, out: Path | str, today: date,
               stages: list[str] | None = None) -> Path:
    """A workbook for ``kind``: the sheet to fill in, instructions with an example, and lists."""
    kind = find_kind(kind) if isinstance(kind, str) else kind
    out = Path(out)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind.label.zh
    help_sheet = book.create_sheet("填写说明")
    lists = book.create_sheet("选项")
    book.active = 1  # Excel opens on the instructions; the importer reads the first sheet

    bold = Font(bold=True)
    required = PatternFill("solid", fgColor="FFF2CC")
    sheet.append(kind.headers)
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        if column.required:
            cell.fill = required
        width = 22 if column.header == "身份证号" else max(12, 2 * len(column.header) + 4)
        options = choices(column.header, today, stages)
        if options:
            width = max(width, min(30, max(2 * len(o) + 2 for o in options)))
        sheet.column_dimensions[letter].width = width
        if column.text:
            for row in range(2, ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if options:
            lists.cell(row=1, column=index, value=column.header).font = bold
            for row, option in enumerate(options, start=2):
                lists.cell(row=row, column=index, value=option)
            check = DataValidation(
                type="list", allow_blank=True,
                formula1=f"='选项'!${letter}$2:${letter}${len(options) + 1}",
                showErrorMessage=column.header not in MULTI,
                errorTitle="不在选项中", error="请从下拉列表中选择",
                promptTitle=column.header,
                prompt=("可多选，用“、”分隔" if column.header in MULTI else "请从下拉列表中选择"))
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}{ROWS + 1}")
        elif column.header in DATE_COLUMNS:
            check = DataValidation(type="date", operator="lessThanOrEqual",
                                   formula1=f"DATE({today.year},{today.month},{today.day})",
                                   allow_blank=True, showErrorMessage=False,
                                   promptTitle=column.header, prompt="日期，如 2025-03-01")
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}{ROWS + 1}")
    sheet.freeze_panes = "A2"
    lists.sheet_state = "hidden"

    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 10
    help_sheet.column_dimensions["C"].width = 70
    help_sheet.column_dimensions["D"].width = 30
    wrap = Alignment(wrap_text=True, vertical="top")
    help_sheet.append([f"{kind.label.zh}（{kind.label.en}）导入模板 填写说明"])
    help_sheet["A1"].font = Font(bold=True, size=14)
    for line in (
        f"在“{kind.label.zh}”工作表中每行填一条，第1行表头不要改动；黄色表头为必填列。",
        "有下拉箭头的列请从列表中选择；学号、身份证号等列已设为文本格式，请勿改成数字格式。",
        "导入时整份文件一起检查：只要有一处问题，就一条也不写入，并逐行逐列列出要改的地方。",
        "下面的示例行只用于说明，不在导入的工作表中，不会被导入。",
    ):
        help_sheet.append([line])
    help_sheet.append([])
    help_sheet.append(["列名", "必填", "说明", "示例"])
    for cell in help_sheet[help_sheet.max_row]:
        cell.font = bold
    for column in kind.columns:
        options = choices(column.header, today, stages)
        if options:
            what = ("可多选，用“、”分隔。可选：" if column.header in MULTI else "从下拉列表选择：") \
                + "、".join(options)
        elif column.header in DATE_COLUMNS:
            what = "日期，格式 YYYY-MM-DD，不能晚于今天"
        elif column.text:
            what = "文本（保留前导0和全部位数）"
        else:
            what = ""
        help_sheet.append([f"{column.header}\n{column.en}", "是" if column.required else "",
                           what, _example(column.header, today, options)])
        for cell in help_sheet[help_sheet.max_row]:
            cell.alignment = wrap
    book.save(out)
    return out
