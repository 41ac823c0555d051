"""What a synthetic school is made of: its students and every row its import files hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from protos.periods import Period
from synth.geography import County


@dataclass(frozen=True)
class SchoolSpec:
    """Everything that decides a school before its students are drawn."""

    school_id: str
    name: str
    county: County
    stage_sizes: dict[str, int]  # catalogue stage → students, in teaching order
    period: Period
    seed: int
    rurality: float  # of the school's pupils, 0 (city centre) to 1 (remote countryside)
    direct: bool = False  # reports straight to the province (universities, province-run 中职)
    problems: tuple[str, ...] = ()
    birthplaces: tuple[County, ...] = ()  # where students not born locally come from

    @property
    def type_code(self) -> str:
        return self.school_id[:2]

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.stage_sizes)

    @property
    def students(self) -> int:
        return sum(self.stage_sizes.values())

    @property
    def reports_to(self) -> str:
        return "610000" if self.direct else self.county.code


@dataclass(slots=True)
class Student:
    no: str  # 学号
    name: str
    id_card: str
    male: bool
    stage: str
    grade: str
    grade_index: int
    klass: str
    graduating: bool
    categories: frozenset[str]  # true categories: the roster's and the 免申即享 list's
    factors: frozenset[str]
    tier: str | None
    phone: str
    address: str
    roster_categories: frozenset[str] = frozenset()

    @property
    def in_difficulty(self) -> bool:
        return bool(self.categories)


@dataclass(frozen=True)
class AutoEntry:
    """A row of the 免申即享 list: confirmed as a key target on the day it was pushed."""

    student: Student
    categories: frozenset[str]
    source: str
    pushed: date


@dataclass
class Case:
    """An application (R-PROC) and how far it went by the period's end."""

    student: Student
    requester: str
    care: str
    facts: str
    applied: date
    reviewed: date | None = None
    participants: str | None = None
    approved: bool | None = None
    confirmed: date | None = None
    filed: date | None = None
    exited: date | None = None
    exit_participants: str | None = None


@dataclass(frozen=True)
class Record:
    student: Student
    on: date
    kind: str  # node.vocabulary.RECORD_KINDS id
    quantity: int = 1
    note: str = ""


@dataclass(frozen=True)
class Registration:
    student: Student
    status: str  # node.vocabulary.REGISTRATION_STATUSES id
    returned_on: date | None = None
    dropped_out: bool = False
    note: str = ""


@dataclass(frozen=True)
class Aid:
    student: Student
    on: date
    item: str  # catalogue aid_item id
    amount: int
    highest_tier: bool = False


@dataclass(frozen=True)
class Mentor:
    staff_no: str
    name: str
    students: tuple[Student, ...]


@dataclass(frozen=True)
class Activity:
    on: date
    kind: str  # node.vocabulary.ACTIVITY_KINDS id
    note: str


@dataclass
class School:
    spec: SchoolSpec
    students: list[Student]
    auto: list[AutoEntry] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    aid: list[Aid] = field(default_factory=list)
    mentors: list[Mentor] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
