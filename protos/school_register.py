"""The register of schools (学校名录): which 学校标识码 exist, and in which county.

A county can enrol a school that does not exist, with a key it made itself, and sum it into
its rollups; its own signature on that enrolment proves nothing, as it made the key. What the
county cannot make up is the official list of schools that the Ministry of Education's
statistics (全国教育事业统计, 学校标识码) keep and the province holds. When an aggregator has
imported that list (`guanai aggregator schools FILE`), it refuses to enrol a school the list
does not place in the member's region, and refuses a rollup whose signed enrolment does
(aggregator/intake/enrolled_below.py); the inspector checks the same with ``--register FILE``.
A made-up school then needs the code of a real school of that county, whose own key is
enrolled for it: the real school's exported key (``inspect verify --keys``) then shows the
county's made-up key as one it never held (docs/inspection.md §3).

The file is CSV, UTF-8 (a byte-order mark allowed), with a header row naming the columns
``学校标识码`` and ``所在地区代码`` (the school's county, GB/T 2260) and, optionally,
``学校名称``; one row per school. This module reads it once for the aggregator and the
inspector, and says the one rule both apply.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from common.errors import GuanaiError
from protos.regions import CodeError, check_region, check_school, level

SCHOOL_COLUMN, REGION_COLUMN, NAME_COLUMN = "学校标识码", "所在地区代码", "学校名称"
SCHOOL_ID_LENGTH = 10


class RegisterError(GuanaiError):
    """A register file that is not what this module reads: nothing is taken from it."""


@dataclass(frozen=True)
class RegisteredSchool:
    school_id: str  # 10-digit 学校标识码
    region: str  # the county it lies in (6-digit GB/T 2260)
    name: str  # as the register writes it; may be empty


def read_register(data: bytes) -> list[RegisteredSchool]:
    """Every school of a register file's bytes, in file order.

    Raises ``RegisterError`` naming the first bad row (its line number) for a file that is not
    UTF-8 CSV with the columns above, a malformed code, a region that is not a county, a school
    listed twice, or no school at all: a register is taken whole or not at all.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegisterError("学校名录文件错误 the register is not UTF-8 text; save it as CSV "
                            "UTF-8") from None
    rows = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip() for c in rows.fieldnames or []]
    if SCHOOL_COLUMN not in columns or REGION_COLUMN not in columns:
        raise RegisterError(f"学校名录文件错误 the register's header must name the columns "
                            f"{SCHOOL_COLUMN} and {REGION_COLUMN} (and may name {NAME_COLUMN})")
    rows.fieldnames = columns
    found: dict[str, RegisteredSchool] = {}
    for row in rows:
        line = rows.line_num
        school_id = (row.get(SCHOOL_COLUMN) or "").strip()
        region = (row.get(REGION_COLUMN) or "").strip()
        try:
            check_school(school_id)
            if level(check_region(region)) != "county":
                raise CodeError(f"{region} is not a county's code")
        except CodeError as exc:
            raise RegisterError(f"学校名录第 {line} 行错误 register line {line}: {exc}") from None
        if school_id in found:
            raise RegisterError(f"学校名录第 {line} 行错误 register line {line}: school "
                                f"{school_id} is listed twice")
        found[school_id] = RegisteredSchool(school_id, region,
                                            (row.get(NAME_COLUMN) or "").strip())
    if not found:
        raise RegisterError("学校名录文件错误 the register lists no school")
    return list(found.values())


def unregistered(member_id: str, region: str, registered_region: str | None
                 ) -> tuple[str, str] | None:
    """Why enrolling ``member_id`` in ``region`` contradicts the register, in zh and en, or None.

    ``registered_region`` is the county the register gives the member (None: not listed).
    Only schools are in a register; an aggregator member (a region code) is never refused.
    """
    if len(member_id) != SCHOOL_ID_LENGTH or registered_region == region:
        return None
    if registered_region is None:
        return (f"学校 {member_id} 不在学校名录中：名录之外的学校不能登记",
                f"school {member_id} is not in the register of schools: a school the register "
                "does not list cannot be enrolled")
    return (f"学校 {member_id} 在学校名录中属于 {registered_region}，不是 {region}",
            f"school {member_id} lies in {registered_region} by the register of schools, not "
            f"in {region}")
