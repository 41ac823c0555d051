"""One row of an import file or of a command's options, read cell by cell.

Each kind of row (roster, aid, …) has one parser that reads a ``Cells`` and one writer. The
importer and the matching command both use them, so a value is accepted or refused the same
way whether it came from a spreadsheet or from the command line. Reading a cell never raises:
every problem is recorded with its column's header, so all of them can be shown at once.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

import sqlite_utils

from common.clock import SYSTEM
from common.errors import GuanaiError
from node import normalise
from node.idcard import excel_damaged, id_card_problem, near_numbers
from node.store import StoreError, get_meta, transaction
from node.store import students as student_rows
from node.vocabulary import GENDERS, NO, YES, Term
from protos.catalogue import Dimension, Label
from protos.deadlines import local_date
from protos.periods import Period, PeriodError
from protos.regions import school_stages

SEPARATORS = "；;、，,"
_SPLIT = re.compile(f"([{SEPARATORS}])")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{5}(?:\.0+)?")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's own leap-year slip included)
_AMOUNT = re.compile(r"[¥￥]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?:元|圆|rmb|RMB|CNY)?")
_SEMESTER = re.compile(r"(\d{4})\s*年?\s*(春|秋)季?(?:学期)?")

COUNT_LABELS = {
    "added": Label("新增", "added"),
    "updated": Label("更新", "updated"),
    "unchanged": Label("未变", "unchanged"),
    "left": Label("标记离校", "marked as left"),
    "mentors_added": Label("新增导师", "new mentors"),
}


def normalize(text: str) -> str:
    """The form in which spellings are compared: NFKC, no spaces or invisible characters
    (so （） equals () and a zero-width space changes nothing)."""
    return normalise.code(text)


def as_text(value: object) -> str:
    """A cell's value as the text a person sees (numbers without a trailing .0), without
    invisible characters and with its spaces made plain (node/normalise.py)."""
    if isinstance(value, str):
        return normalise.text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def describe_counts(counts: Counter[str]) -> str:
    """``新增 added 3, 更新 updated 1, 未变 unchanged 0`` (extra counts only when non-zero)."""
    parts = []
    for key, label in COUNT_LABELS.items():
        if key in ("added", "updated", "unchanged") or counts.get(key):
            parts.append(f"{label.both()} {counts.get(key, 0)}")
    return ", ".join(parts)


class Terms:
    """A vocabulary: accepted spellings (Chinese label or id) of each term id."""

    def __init__(self, label: Label, labels: Mapping[str, str]) -> None:
        self.label = label
        self.labels = dict(labels)  # id -> Chinese label
        self._ids = {normalize(zh): term_id for term_id, zh in labels.items()}
        self._ids.update({normalize(term_id): term_id for term_id in labels})

    @classmethod
    def of_dimension(cls, dimension: Dimension) -> Terms:
        return cls(dimension.label, {value.id: value.label.zh for value in dimension.values})

    @classmethod
    def of_vocabulary(cls, label: Label, terms: Mapping[str, Term]) -> Terms:
        return cls(label, {term.id: term.label.zh for term in terms.values()})

    def get(self, spelling: str) -> str | None:
        return self._ids.get(normalize(spelling))

    def choices(self) -> str:
        return "、".join(self.labels.values())


class Student(NamedTuple):
    id: int
    student_no: str
    name: str
    id_card: str | None
    stage: str
    enrolled: bool


class Context:
    """What rows are checked against: today, the school's stages, the students in the store,
    and the 学号 staff confirmed."""

    def __init__(self, db: sqlite_utils.Database, today: date | None = None,
                 confirmed: Iterable[str] = ()) -> None:
        school_id = get_meta(db, "school_id")
        if not school_id:
            raise StoreError("节点尚未建立 the node has no school yet: run `guanai node init` first")
        self.db = db
        self.today = today or local_date(SYSTEM.now())
        self.school_id = school_id
        self.stages = school_stages(school_id)
        # 学号 that staff checked against the documents (--confirm): an ID really ending in
        # 000, a child of their own although like another
        self.confirmed = frozenset(normalise.code(no) for no in confirmed)

    @cached_property
    def students(self) -> dict[str, Student]:
        """Every student ever on the roster, by 学号."""
        rows = student_rows.keys(self.db)
        return {normalise.code(row[1]): Student(*row[:5], bool(row[5])) for row in rows}

    @cached_property
    def by_id_card(self) -> dict[str, Student]:
        return {s.id_card: s for s in self.students.values() if s.id_card}


def _kept(reader: Callable) -> Callable:
    """Remember what a reader returned, so that keys can be compared across rows."""

    @functools.wraps(reader)
    def read(self: Cells, header: str, *args: Any, **kwargs: Any) -> Any:
        value = reader(self, header, *args, **kwargs)
        self.parsed[header] = value
        return value

    return read


class Cells:
    """The raw values of one row by header; each reader records its problem instead of raising."""

    def __init__(self, values: Mapping[str, object], today: date) -> None:
        self.values = values
        self.today = today
        self.problems: list[tuple[str, str, str]] = []  # (header, Chinese, English)
        self.parsed: dict[str, object] = {}  # header -> the value last read from it

    def fail(self, header: str, zh: str, en: str) -> None:
        self.problems.append((header, zh, en))

    @_kept
    def text(self, header: str, required: bool = False) -> str | None:
        value = as_text(self.values.get(header))
        if not value:
            if required:
                self.fail(header, "必填项为空", "required value is missing")
            return None
        return value

    @_kept
    def code(self, header: str, required: bool = False) -> str | None:
        """A number or code (学号, 工号, phone): full-width forms folded, no spaces or invisible
        characters (node/normalise.py)."""
        text = self.text(header, required)
        return None if text is None else normalise.code(text)

    @_kept
    def date(self, header: str, required: bool = False) -> date | None:
        """A date: a cell Excel holds as a date, or text such as 2025-03-01, 2025/3/1,
        2025.3.1, 2025年3月1日 or 20250301. A bare number that is an Excel serial date
        (a date cell formatted as a number, or exported as one) is refused naming the date it
        stands for, since it cannot be told from a count."""
        raw = self.values.get(header)
        if isinstance(raw, datetime):
            day: date | None = raw.date()
        elif isinstance(raw, date):
            day = raw
        else:
            text = self.text(header, required)
            if text is None:
                return None
            day = _parse_date(normalise.fold(text))
            if day is None:
                serial = _serial_date(normalise.code(text))
                if serial is not None:
                    self.fail(header, f"“{text}”是 Excel 的日期序号，代表 {serial}：请把该单元格格式设为"
                              f"“日期”，或直接写 {serial}",
                              f"{text!r} is an Excel serial number that stands for {serial}: format "
                              f"the cell as a date, or write {serial}")
                    return None
                self.fail(header, f"日期“{text}”无效，应为 YYYY-MM-DD",
                          f"{text!r} is not a date: write YYYY-MM-DD")
                return None
        if day > self.today:
            self.fail(header, f"日期 {day} 晚于今天（{self.today}）",
                      f"{day} is in the future (today is {self.today})")
            return None
        return day

    @_kept
    def term(self, header: str, terms: Terms, required: bool = False) -> str | None:
        text = self.text(header, required)
        if text is None:
            return None
        term_id = terms.get(text)
        if term_id is None:
            self._unknown(header, terms, text)
        return term_id

    @_kept
    def terms(self, header: str, terms: Terms, required: bool = False) -> frozenset[str]:
        """Several terms in one cell, separated by any of ；;、，, (a label may contain 、)."""
        text = self.text(header, required)
        if text is None:
            return frozenset()
        found = set()
        for piece in _split_terms(text, terms):
            term_id = terms.get(piece)
            if term_id is None:
                self._unknown(header, terms, piece)
            else:
                found.add(term_id)
        return frozenset(found)

    @_kept
    def roles(self, header: str, required: bool = False) -> tuple[str, ...]:
        """The roles at a collective review (集体评议): at least two."""
        text = self.text(header, required)
        if text is None:
            return ()
        roles = tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(text)
                                    if p.strip() and p not in SEPARATORS))
        if len(roles) < 2:
            self.fail(header, "集体评议至少需要两个参与人（角色），用顿号分隔",
                      "a collective review needs at least two participants (roles), separated by 、")
        return roles

    @_kept
    def yes(self, header: str) -> bool:
        text = self.text(header) or ""
        if normalise.code(text) in YES:
            return True
        if normalise.code(text) not in NO:
            self.fail(header, f"“{text}”应为“是”或“否”", f"{text!r} must be 是 (yes) or 否 (no)")
        return False

    @_kept
    def positive(self, header: str, required: bool = False, default: int | None = None) -> int | None:
        text = self.text(header, required)
        if text is None:
            return default
        if not text.isascii() or not text.isdigit() or int(text) <= 0:
            self.fail(header, f"“{text}”应为正整数", f"{text!r} must be a positive whole number")
            return None
        return int(text)

    @_kept
    def amount(self, header: str, required: bool = False) -> int | None:
        """A positive amount in whole yuan, as people write it: 625, 625.00, 1,250, 625元,
        ¥625, full-width ６２５. Fractions of a yuan are refused, not rounded."""
        text = self.text(header, required)
        if text is None:
            return None
        match = _AMOUNT.fullmatch(normalise.code(text))
        if match is None or int(match[1].replace(",", "")) <= 0:
            self.fail(header, f"“{text}”应为以元为单位的正整数金额（如 625、1,250、625元）",
                      f"{text!r} must be a positive amount in whole yuan (625, 1,250, 625元)")
            return None
        if match[2] and int(match[2]):
            self.fail(header, f"金额“{text}”不是整元：请填写整元金额",
                      f"{text!r} is not a whole number of yuan")
            return None
        return int(match[1].replace(",", ""))

    @_kept
    def period(self, header: str, required: bool = False) -> str | None:
        """A semester: 2025-H1 / 2025-H2, or 2025春季 / 2025秋季."""
        text = self.text(header, required)
        if text is None:
            return None
        semester = _SEMESTER.fullmatch(text)
        if semester:
            return f"{semester[1]}-H{1 if semester[2] == '春' else 2}"
        try:
            period = Period.parse(text)
        except PeriodError:
            period = None
        if period is None or period.annual:
            self.fail(header, f"学期“{text}”无效，应为 2025-H1、2025-H2、2025春季 或 2025秋季",
                      f"{text!r} is not a semester: write 2025-H1 (spring) or 2025-H2 (autumn)")
            return None
        return period.code

    @_kept
    def gender(self, header: str) -> str | None:
        text = self.text(header)
        if text is None:
            return None
        if normalise.code(text) not in GENDERS:
            self.fail(header, f"性别“{text}”应为“男”或“女”", f"gender {text!r} must be 男 or 女")
            return None
        return GENDERS[normalise.code(text)]

    @_kept
    def id_card(self, header: str, required: bool = False, checked: bool = False) -> str | None:
        """An ID-card number (GB 11643), with full-width forms and invisible characters taken
        out. Excel's damage is refused (node/idcard.py): a number cell or scientific form
        always; 18 digits ending in 000 unless ``checked`` (staff confirmed it against the
        card, or it is already on the roster exactly), since one real ID in 1,100 ends so."""
        raw = self.values.get(header)
        if excel_damaged(raw) and not (checked and isinstance(raw, str)
                                       and not _SCIENTIFIC_ID.search(raw)):
            self.fail(header, EXCEL_ROUNDED[0], EXCEL_ROUNDED[1])
            return None
        text = self.text(header, required)
        if text is None:
            return None
        number = normalise.code(text).upper()
        problem = id_card_problem(number)
        if problem:
            self.fail(header, f"身份证号{problem[0]}", f"ID-card number {problem[1]}")
            return None
        return number

    @_kept
    def student(self, header: str, context: Context) -> Student | None:
        student_no = self.code(header, required=True)
        if student_no is None:
            return None
        student = context.students.get(student_no)
        if student is None:
            near = near_numbers(student_no, context.students)
            if near:
                zh = "；".join(f"{no}（{context.students[no].name}，{why}）" for no, why, _ in near)
                en = "; ".join(f"{no} ({why})" for no, _, why in near)
                self.fail(header, f"未知学号 {student_no}；名册中有相近的学号：{zh}",
                          f"unknown student number {student_no}; the roster has a near one: {en}")
            else:
                self.fail(header, f"未知学号 {student_no}（请先导入学生名册）",
                          f"unknown student number {student_no} (import the roster first)")
        return student

    def _unknown(self, header: str, terms: Terms, text: str) -> None:
        self.fail(header, f"未知{terms.label.zh}“{text}”，可选：{terms.choices()}",
                  f"unknown {terms.label.en} {text!r}")


_SCIENTIFIC_ID = re.compile(r"[eE]")
EXCEL_ROUNDED = (
    "身份证号已被 Excel 四舍五入损坏（Excel 把它当作数字，只保留15位有效数字：后三位变成000，"
    "或显示为 6.10102E+17 这样的科学计数法），无法还原：请把该列单元格格式设为“文本”"
    "（或在号码前加英文单引号 '），再按身份证原件重新输入。若身份证上的号码确实以000结尾，"
    "请加 --confirm 学号 重新导入",
    "Excel rounded this ID number (it took it for a number and kept 15 significant digits: the "
    "last three became 000, or it shows in scientific form like 6.10102E+17) and it cannot be "
    "recovered: format the column as Text (or type an apostrophe ' before the number) and type "
    "it again from the ID card. If the card really ends in 000, import again with --confirm "
    "and the student number",
)


def _serial_date(text: str) -> date | None:
    """The date an Excel serial number stands for, if ``text`` is one in 1960–2100."""
    if not _SERIAL.fullmatch(text):
        return None
    serial = float(text)
    if not 21916 <= serial < 73051 or not serial.is_integer():
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _split_terms(text: str, terms: Terms) -> list[str]:
    """Split on separators, but keep together pieces that form a known label (…警察、消防…)."""
    parts = _SPLIT.split(text)  # values at even indexes, separators at odd ones
    pieces, start = [], 0
    while start < len(parts):
        end = start
        for candidate in range(len(parts) - 1, start, -2):
            if terms.get("".join(parts[start:candidate + 1])):
                end = candidate
                break
        piece = "".join(parts[start:end + 1]).strip()
        if piece:
            pieces.append(piece)
        start = end + 2
    return pieces


class InvalidInput(GuanaiError):
    """Values given to a command that its row's parser refused; every problem is named."""

    def __init__(self, problems: list[tuple[str, str, str]], columns: Iterable[Column]) -> None:
        self.problems = problems
        english = {column.header: column.en for column in columns}
        super().__init__("; ".join(
            f"{header}（{english.get(header, header)}）: {zh} — {en}" for header, zh, en in problems
        ))


def refuse(cells: Cells, columns: Iterable[Column]) -> None:
    """Raise ``InvalidInput`` if reading the cells found any problem."""
    if cells.problems:
        raise InvalidInput(cells.problems, columns)


@dataclass(frozen=True)
class Column:
    header: str
    en: str
    required: bool = False
    text: bool = False  # formatted as text in the .xlsx template (学号, 身份证号, …)


@dataclass(frozen=True)
class Unique:
    """Columns whose values together may occur once per file; the message names the line
    that had them first and is shown at the first of the columns."""

    headers: tuple[str, ...]
    zh: str
    en: str

    def key(self, cells: Cells) -> tuple | None:
        """The row's values of the columns; None if one is faulty or the first is empty."""
        if cells.parsed.get(self.headers[0]) is None or any(
                header in self.headers for header, _, _ in cells.problems):
            return None
        return tuple(cells.parsed.get(header) for header in self.headers)


FileProblem = tuple[int, str, str, str]  # (line, header, Chinese, English)


def _nothing(*_: Any) -> list:
    return []


@dataclass(frozen=True)
class RowKind:
    """One kind of import file (and of command): its columns, parser and writer.

    ``parse`` reads one row (None when it has problems); ``uniques`` are the keys that may
    not repeat within a file; ``check_file`` looks at all good rows together; ``save`` writes
    them inside the caller's transaction; ``finish_full`` is what ``--full`` adds, if allowed.
    """

    id: str
    label: Label
    columns: tuple[Column, ...]
    parse: Callable[[Cells, Context], Any]
    save: Callable[[sqlite_utils.Database, list, Context], Counter[str]]
    uniques: tuple[Unique, ...] = ()
    check_file: Callable[[list[tuple[int, Any]], Context], Iterable[FileProblem]] = _nothing
    finish_full: Callable[[sqlite_utils.Database, list, Context], Counter[str]] | None = None
    also_reads: tuple[str, ...] = ()  # other systems' columns read when present, never stored

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


def save_one(db: sqlite_utils.Database, kind: RowKind, values: Mapping[str, object],
             today: date | None = None) -> Counter[str]:
    """A command's single row: read it like an import line, refuse it whole, or save it."""
    with transaction(db):
        context = Context(db, today)
        cells = Cells(values, context.today)
        row = kind.parse(cells, context)
        refuse(cells, kind.columns)
        problems = [(header, zh, en) for _, header, zh, en in kind.check_file([(1, row)], context)]
        if problems:
            raise InvalidInput(problems, kind.columns)
        return kind.save(db, [row], context)
