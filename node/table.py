"""The true statistics table of one period, computed from the school's records.

Each student-level query yields contributions (student, cell, value). They are then bounded
exactly as the catalogue declares — a student counts only in cells open to their stage, at
most ``bound`` per cell, at most one cell of an exclusive set — so the L2 sensitivity that
privacy/dp.py assumes holds whatever the records say. School-level public cells (enrolment
aside) come from school-level records.

Except enrolment and the key-care procedure, cells count students in difficulty only: enrolled
students with at least one category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlite_utils

from common.clock import SYSTEM
from common.errors import GuanaiError
from protos.catalogue import Catalogue
from protos.deadlines import local_date
from protos.periods import Period


class PeriodNotStarted(GuanaiError):
    """A table asked for a period that has not begun."""


@dataclass(frozen=True)
class Window:
    """The period and the day the table is computed as of (the period end, or today if earlier)."""

    period: Period
    as_of: date

    @classmethod
    def of(cls, period: Period, today: date | None = None) -> Window:
        today = today or local_date(SYSTEM.now())
        if today < period.start:
            raise PeriodNotStarted(
                f"{period.label_zh} ({period}) has not started: it begins {period.start}"
            )
        return cls(period, min(today, period.end))

    def params(self) -> dict[str, object]:
        halves = [f"{self.period.year}-H1", f"{self.period.year}-H2"]
        months = [
            (y, m) for y, m in self.period.months() if date(y, m, 1) <= self.as_of
        ]
        return {
            "start": self.period.start.isoformat(),
            "as_of": self.as_of.isoformat(),
            "h1": self.period.code if self.period.half else halves[0],
            "h2": self.period.code if self.period.half else halves[1],
            "months": len(months),
        }


_IN_DIFFICULTY = """
    CREATE TEMP TABLE in_difficulty AS
    SELECT s.id, s.stage FROM students s
    WHERE s.enrolled = 1 AND EXISTS (SELECT 1 FROM student_categories c WHERE c.student_id = s.id)
"""
_KEY_CURRENT = """
    CREATE TEMP TABLE key_current AS
    SELECT DISTINCT c.student_id AS id FROM cases c
    JOIN case_events e ON e.case_id = c.id AND e.kind = 'confirm' AND e.on_date <= :as_of
    WHERE NOT EXISTS (
        SELECT 1 FROM case_events x
        WHERE x.case_id = c.id AND x.kind = 'exit' AND x.on_date <= :as_of
    )
"""
_IN_PERIOD = "BETWEEN :start AND :as_of"
_REGISTRATION = """
    SELECT r.* FROM registrations r JOIN in_difficulty d ON d.id = r.student_id
    WHERE r.period = (SELECT max(period) FROM registrations x
                      WHERE x.student_id = r.student_id AND x.period IN (:h1, :h2))
"""


def _record(kind: str, cell: str, amount: str = "1") -> str:
    return f"""
        SELECT r.student_id, '{cell}', {amount} FROM care_records r
        JOIN in_difficulty d ON d.id = r.student_id
        WHERE r.kind = '{kind}' AND r.on_date {_IN_PERIOD}
    """


def _step(kind: str, cell: str, extra: str = "") -> str:
    return f"""
        SELECT DISTINCT c.student_id, {cell}, 1 FROM cases c
        JOIN case_events e ON e.case_id = c.id
        WHERE e.kind = '{kind}' AND e.on_date {_IN_PERIOD} {extra}
    """


CONTRIBUTIONS = [
    # 一、服务对象
    "SELECT id, 'pop.enrolled.' || stage, 1 FROM students WHERE enrolled = 1",
    "SELECT id, 'pop.in_difficulty.' || stage, 1 FROM in_difficulty",
    """SELECT d.id, 'pop.category.' || c.category || '.' || d.stage, 1
       FROM in_difficulty d JOIN student_categories c ON c.student_id = d.id""",
    """SELECT d.id, 'pop.disabled', 1 FROM in_difficulty d
       JOIN student_categories c ON c.student_id = d.id AND c.category = 'disability'""",
    """SELECT d.id, 'pop.factor.' || f.factor, 1
       FROM in_difficulty d JOIN student_factors f ON f.student_id = d.id""",
    """SELECT d.id, 'pop.stacked', 1 FROM in_difficulty d
       WHERE (SELECT count(*) FROM student_factors f WHERE f.student_id = d.id) >= 2""",
    # 二、重点关爱对象
    _step("apply", "'key.applied.' || c.requester", "AND c.route = 'application'"),
    _step("review", "'key.reviewed'"),
    _step("confirm", "'key.confirmed'", "AND c.route = 'application'"),
    _step("confirm", "'key.auto'", "AND c.route = 'auto'"),
    _step("exit", "'key.exited'"),
    _step("file", "'key.filed'"),
    "SELECT id, 'key.current', 1 FROM key_current",
    # 三、学业关心
    _record("tutoring", "acad.tutored"),
    _record("pairing", "acad.paired"),
    # The latest placement in the period wins.
    """SELECT r.student_id, 'acad.placement.' || substr(r.kind, 11), 1 FROM care_records r
       JOIN in_difficulty d ON d.id = r.student_id
       WHERE r.kind LIKE 'placement_%' AND r.on_date BETWEEN :start AND :as_of
       AND r.id = (SELECT x.id FROM care_records x WHERE x.student_id = r.student_id
                   AND x.kind LIKE 'placement_%' AND x.on_date BETWEEN :start AND :as_of
                   ORDER BY x.on_date DESC, x.id DESC LIMIT 1)""",
    f"SELECT student_id, 'acad.reg_expected', 1 FROM ({_REGISTRATION})",
    f"""SELECT student_id, CASE status WHEN 'on_time' THEN 'acad.reg_on_time'
                                      ELSE 'acad.absent.' || status END, 1
        FROM ({_REGISTRATION})""",
    f"""SELECT student_id, 'acad.returned', 1 FROM ({_REGISTRATION})
        WHERE returned_on IS NOT NULL AND returned_on <= :as_of""",
    f"SELECT student_id, 'acad.dropped_out', 1 FROM ({_REGISTRATION}) WHERE dropped_out = 1",
    # 四、心理关爱
    f"""SELECT k.id, 'psy.talk_monthly', 1 FROM key_current k JOIN in_difficulty d ON d.id = k.id
        WHERE :months > 0 AND (SELECT count(DISTINCT substr(r.on_date, 1, 7)) FROM care_records r
               WHERE r.student_id = k.id AND r.kind = 'talk'
               AND r.on_date {_IN_PERIOD}) = :months""",
    _record("talk", "psy.talks", "r.quantity"),
    _record("risk_sign", "psy.risk"),
    _record("intervention", "psy.intervened"),
    _record("referral", "psy.referred"),
    # 五、就业指导帮扶: graduating students in difficulty
    """SELECT d.id, 'job.graduating', 1 FROM in_difficulty d
       JOIN students s ON s.id = d.id WHERE s.graduating = 1""",
    f"""SELECT r.student_id, 'job.postings3', 1 FROM care_records r
        JOIN in_difficulty d ON d.id = r.student_id JOIN students s ON s.id = r.student_id
        WHERE s.graduating = 1 AND r.kind = 'posting' AND r.on_date {_IN_PERIOD}
        GROUP BY r.student_id HAVING sum(r.quantity) >= 3""",
    *(
        f"""SELECT r.student_id, '{cell}', {amount} FROM care_records r
            JOIN in_difficulty d ON d.id = r.student_id JOIN students s ON s.id = r.student_id
            WHERE s.graduating = 1 AND r.kind = '{kind}' AND r.on_date {_IN_PERIOD}"""
        for kind, cell, amount in [
            ("posting", "job.postings", "r.quantity"),
            ("job_training", "job.trained", "1"),
            ("certificate", "job.certified", "1"),
            ("placed", "job.placed", "1"),
        ]
    ),
    # 六、教育资助
    """SELECT d.id, 'aid.assessed', 1 FROM in_difficulty d
       JOIN students s ON s.id = d.id WHERE s.tier IS NOT NULL""",
    f"""SELECT a.student_id, 'aid.highest_tier', 1 FROM aid_records a
        JOIN in_difficulty d ON d.id = a.student_id
        WHERE a.highest_tier = 1 AND a.on_date {_IN_PERIOD}""",
    f"""SELECT a.student_id, 'aid.students.' || a.item, 1 FROM aid_records a
        JOIN in_difficulty d ON d.id = a.student_id WHERE a.on_date {_IN_PERIOD}""",
    f"""SELECT a.student_id, 'aid.yuan.' || a.item, a.amount FROM aid_records a
        JOIN in_difficulty d ON d.id = a.student_id WHERE a.on_date {_IN_PERIOD}""",
    # 七、育人导师
    """SELECT DISTINCT k.id, 'mentor.assigned', 1 FROM key_current k
       JOIN mentor_assignments m ON m.student_id = k.id WHERE m.period IN (:h1, :h2)""",
]

SCHOOL_LEVEL = {
    "psy.home_activities": f"SELECT count(*) FROM activities WHERE on_date {_IN_PERIOD}",
    # Mentors appointed for the period (the school's mentor list), not those with students:
    # no student's records change it (invariant 11, docs/architecture.md).
    "mentor.mentors": """SELECT count(DISTINCT mentor_id) FROM mentor_terms
                         WHERE period IN (:h1, :h2)""",
}


def contributions(db: sqlite_utils.Database, window: Window) -> pd.DataFrame:
    """Every (student, cell, value) the records give, before any bound is applied."""
    params = window.params()
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.in_difficulty")
    conn.execute("DROP TABLE IF EXISTS temp.key_current")
    conn.execute(_IN_DIFFICULTY)
    conn.execute(_KEY_CURRENT, params)
    rows: list[tuple] = []
    for query in CONTRIBUTIONS:
        rows.extend(conn.execute(query, params).fetchall())
    stages = dict(conn.execute("SELECT id, stage FROM students").fetchall())
    frame = pd.DataFrame(rows, columns=["student", "cell", "value"])
    frame["stage"] = frame["student"].map(stages)
    return frame


def bound(catalogue: Catalogue, frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the catalogue's per-student bounds, stage limits and exclusive sets."""
    if frame.empty:
        return frame
    # One row per (cell, stage open to it): the inner join keeps only contributions a student
    # of that stage may make.
    cells = pd.DataFrame(
        [(c.id, stage, c.index, c.bound, c.exclusive) for c in catalogue.cells
         for stage in c.stages],
        columns=["cell", "stage", "index", "bound", "exclusive"],
    )
    merged = (
        frame.groupby(["student", "cell", "stage"], as_index=False)["value"].sum()
        .merge(cells, on=["cell", "stage"], how="inner")
    )
    merged = merged.assign(value=merged["value"].clip(lower=0, upper=merged["bound"]))
    merged = merged[merged["value"] > 0].sort_values(["student", "index"])
    exclusive = merged["exclusive"].notna()
    first = ~merged[exclusive].duplicated(["student", "exclusive"])
    return pd.concat([merged[~exclusive], merged[exclusive][first]])


def compute(db: sqlite_utils.Database, catalogue: Catalogue, window: Window) -> dict[str, int]:
    """The true table: every cell of the catalogue, in catalogue order."""
    bounded = bound(catalogue, contributions(db, window))
    totals = bounded.groupby("cell")["value"].sum()
    table = {cell.id: int(totals.get(cell.id, 0)) for cell in catalogue.cells}
    params = window.params()
    for cell_id, query in SCHOOL_LEVEL.items():
        table[catalogue.cell(cell_id).id] = db.conn.execute(query, params).fetchone()[0]
    return table
