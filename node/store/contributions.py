"""Which records give which cell of the statistics table, as SQL over the school's store.

Each query of ``CONTRIBUTIONS`` yields (student id, cell id, value) rows; ``SCHOOL_LEVEL``
gives the public cells that come from school-level records. node/table.py bounds and sums
them; the parameters are those of its ``Window.params()`` (start, as_of, h1, h2, months).
"""

from __future__ import annotations

import sqlite_utils

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


def contribution_rows(store: sqlite_utils.Database, params: dict[str, object]
                      ) -> tuple[list[tuple], dict[int, str]]:
    """Every (student id, cell id, value) the records give, before any bound is applied, and
    each student's stage (id → stage id)."""
    conn = store.conn
    conn.execute("DROP TABLE IF EXISTS temp.in_difficulty")
    conn.execute("DROP TABLE IF EXISTS temp.key_current")
    conn.execute(_IN_DIFFICULTY)
    conn.execute(_KEY_CURRENT, params)
    rows: list[tuple] = []
    for query in CONTRIBUTIONS:
        rows.extend(conn.execute(query, params).fetchall())
    return rows, dict(conn.execute("SELECT id, stage FROM students").fetchall())


def school_level(store: sqlite_utils.Database, params: dict[str, object]) -> dict[str, int]:
    """The public cells counted from school-level records, by cell id."""
    return {cell: store.conn.execute(query, params).fetchone()[0]
            for cell, query in SCHOOL_LEVEL.items()}
