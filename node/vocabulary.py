"""The words staff use in import files and on the command line, and what they mean to the store.

Categories, factors, stages, requesters, placements, absence reasons and aid items come from
the catalogue (their Chinese labels are the accepted spellings); the rest is fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from protos.catalogue import Label


@dataclass(frozen=True)
class Term:
    id: str
    label: Label


def _terms(*rows: tuple[str, str, str]) -> dict[str, Term]:
    return {row[0]: Term(row[0], Label(row[1], row[2])) for row in rows}


# care_records.kind — one row per activity; quantity counts talks or postings on that date.
RECORD_KINDS = _terms(
    ("tutoring", "学业辅导", "Tutoring"),
    ("pairing", "一对一结对帮扶", "One-to-one peer pairing"),
    ("placement_regular_class", "随班就读", "Placement: regular class"),
    ("placement_special_school", "特殊教育学校", "Placement: special-education school"),
    ("placement_home_delivery", "送教上门", "Placement: education delivered at home"),
    ("talk", "谈心谈话", "Talk with counsellor or class teacher"),
    ("risk_sign", "心理高危倾向", "High-risk mental-health sign"),
    ("intervention", "干预", "Intervention"),
    ("referral", "转介", "Referral"),
    ("posting", "岗位信息推送", "Targeted job postings given"),
    ("job_training", "就业能力培训", "Employment training"),
    ("certificate", "职业资格证书", "Vocational certificate"),
    ("placed", "就业或升学", "Employed or in further study"),
)

# registrations.status
REGISTRATION_STATUSES = _terms(
    ("on_time", "按时报到", "Registered on time"),
    ("illness", "因病请假", "Absent: illness"),
    ("suspension", "休学", "Absent: suspension of schooling"),
    ("other", "其他原因", "Absent: other reason"),
)

# students.tier — 家庭经济困难等级 (教财〔2018〕16号; tiers are set locally, this is the common form)
TIERS = _terms(
    ("special", "特别困难", "Special difficulty"),
    ("difficult", "困难", "Difficulty"),
    ("general", "一般困难", "General difficulty"),
)

# case_events.kind
CASE_STEPS = _terms(
    ("apply", "提出申请", "Application"),
    ("review", "集体评议", "Collective review"),
    ("confirm", "对象确定", "Determination"),
    ("file", "备案", "Filed with the superior authority"),
    ("exit", "退出", "Exit after collective review"),
)

DECISIONS = _terms(
    ("approve", "同意", "Approved"),
    ("reject", "不同意", "Rejected"),
)

GENDERS = {"男": "男", "女": "女", "M": "男", "F": "女"}
YES = {"是", "Y", "y", "yes", "1", "√"}
NO = {"否", "N", "n", "no", "0", ""}

# cases.status
CASE_STATUSES = _terms(
    ("applied", "已申请", "Applied"),
    ("reviewed", "评议同意", "Approved at review"),
    ("rejected", "评议不同意", "Rejected at review"),
    ("confirmed", "已确定", "Confirmed key care target"),
    ("exited", "已退出", "Exited"),
)

# activities.kind — R-HOME home-school activities
ACTIVITY_KINDS = _terms(
    ("parent_school", "家长学校", "Parent school"),
    ("parent_meeting", "家长会", "Parents' meeting"),
    ("open_day", "学校开放日", "School open day"),
    ("lecture", "专题讲座", "Lecture"),
    ("online", "网络平台", "Online platform"),
    ("other", "其他", "Other"),
)

# growth_events.kind — R-LEDGER key growth events (关键成长事件)
GROWTH_KINDS = _terms(
    ("academic", "学业", "Academic"),
    ("psychological", "心理", "Psychological"),
    ("health", "健康", "Health"),
    ("family", "家庭变故", "Family change"),
    ("award", "获奖表彰", "Award"),
    ("discipline", "违纪", "Discipline"),
    ("care", "关爱措施", "Care given"),
    ("other", "其他", "Other"),
)

# Columns that exports of other systems (全国学生资助管理信息系统, 学籍系统, WPS templates) carry and
# that no import needs: ignored with a note naming them, never stored. A column that is neither
# one of an import's nor one of these is refused, since it may be a misspelt required column.
OTHER_SYSTEMS_COLUMNS = frozenset({
    "序号", "编号", "行号", "民族", "籍贯", "国籍", "政治面貌", "宗教信仰", "户口性质", "户籍性质",
    "户籍所在地", "户籍地址", "现住址", "出生日期", "出生年月", "年龄", "学籍号", "全国学籍号",
    "学籍辅号", "个人标识码", "曾用名", "身份证件类型", "证件类型", "港澳台侨外", "健康状况", "血型",
    "入学年月", "入学日期", "入学方式", "就读方式", "是否寄宿", "是否寄宿生", "是否独生子女",
    "是否随迁子女", "是否进城务工人员随迁子女", "班主任", "监护人", "监护人姓名", "监护人关系",
    "监护人电话", "家长姓名", "家长电话", "学校名称", "学校代码", "学校标识码", "所在学校", "备注",
})
