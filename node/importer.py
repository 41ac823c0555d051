"""``guanai node import KIND FILE``: all or nothing.

Every row is read and checked before anything is written; if any problem is found, every one
is reported with its line, column letter and header, and the store is left as it was.
The formats are documented in docs/import.md.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlite_utils

from common.errors import GuanaiError
from node.procedure import CASES
from node.records import ACTIVITIES, AID, MENTORS, RECORDS, REGISTRATION
from node.roster import AUTO, ROSTER
from node.rows import Cells, Context, RowKind, normalize
from node.store import transaction
from node.tabular import SUFFIXES, Table, TableError, column_letter, read_table, write_blank

KINDS: dict[str, RowKind] = {
    kind.id: kind for kind in (ROSTER, AUTO, CASES, RECORDS, REGISTRATION, AID, MENTORS, ACTIVITIES)
}
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    column: int  # 0-based; -1 when the problem is about the whole line (a missing column)
    header: str
    zh: str
    en: str

    def __str__(self) -> str:
        if self.column < 0:
            return (f"第{self.line}行（{self.header}）: {self.zh} — "
                    f"line {self.line} ({self.header}): {self.en}")
        letter = column_letter(self.column)
        return (f"第{self.line}行 第{letter}列（{self.header}）: {self.zh} — "
                f"line {self.line}, column {letter} ({self.header}): {self.en}")


class ImportRejected(GuanaiError):
    """A file with problems: nothing was written; ``problems`` lists every one."""

    def __init__(self, kind: RowKind, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            f"导入{kind.label.zh}被拒绝：{path.name} 有 {len(problems)} 个问题，未写入任何数据 — "
            f"{kind.id} import rejected: {len(problems)} problem(s) in {path.name}; "
            "nothing was written"
        )


def find_kind(name: str) -> RowKind:
    """An import kind by id (roster) or Chinese name (学生名册)."""
    for kind in KINDS.values():
        if normalize(name) in (kind.id, normalize(kind.label.zh)):
            return kind
    known = ", ".join(f"{k.id} {k.label.zh}" for k in KINDS.values())
    raise GuanaiError(f"未知导入类型 unknown import kind {name!r} (one of: {known})")


def import_file(db: sqlite_utils.Database, kind: RowKind | str, path: Path | str,
                full: bool = False, today: date | None = None) -> Counter[str]:
    """Check every row of the file, then write them all in one transaction."""
    kind = find_kind(kind) if isinstance(kind, str) else kind
    path = Path(path)
    if full and kind.finish_full is None:
        raise GuanaiError(f"--full 只用于学生名册 --full applies to the roster only, not {kind.id}")
    table = read_table(path)
    with transaction(db):
        context = Context(db, today)
        problems, rows = check_table(kind, table, context)
        if problems:
            raise ImportRejected(kind, path, problems)
        counts = kind.save(db, rows, context)
        if full:
            counts.update(kind.finish_full(db, rows, context))
    return counts


def check_table(kind: RowKind, table: Table, context: Context) -> tuple[list[Problem], list]:
    """Every problem of the file, and the rows read from it (valid only without problems)."""
    positions, problems = _check_headers(kind, table)
    if any(p.column < 0 for p in problems):  # a required column is missing: rows can't be read
        return sorted(problems), []
    rows, first_seen = [], {}
    for line, values in table.rows:
        cells = Cells({h: values[i] if i < len(values) else None for h, i in positions.items()},
                      context.today)
        row = kind.parse(cells, context)
        problems += [Problem(line, positions[h], h, zh, en) for h, zh, en in cells.problems]
        for unique in kind.uniques:
            key = unique.key(cells)
            first = line if key is None else first_seen.setdefault((unique, key), line)
            if first != line:
                header = unique.headers[0]
                problems.append(Problem(line, positions[header], header,
                                        unique.zh.format(line=first), unique.en.format(line=first)))
        if row is not None:
            rows.append((line, row))
    problems += [Problem(line, positions[h], h, zh, en)
                 for line, h, zh, en in kind.check_file(rows, context)]
    return sorted(problems), [row for _, row in rows]


def _check_headers(kind: RowKind, table: Table) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column is; problems with unknown, repeated or missing headers."""
    known = {normalize(header): header for header in kind.headers}
    positions: dict[str, int] = {}
    problems = []
    for index, text in enumerate(table.headers):
        header = known.get(normalize(text))
        if not text:
            if any(index < len(values) and values[index] not in (None, "") for _, values in table.rows):
                problems.append(Problem(1, index, "", "列名为空", "the header is empty"))
        elif header is None:
            problems.append(Problem(1, index, text, f"未知列，{kind.label.zh}的列为：{'、'.join(kind.headers)}",
                                    f"unknown column for {kind.id}"))
        elif header in positions:
            problems.append(Problem(1, index, header, f"与第{column_letter(positions[header])}列重复",
                                    f"repeats column {column_letter(positions[header])}"))
        else:
            positions[header] = index
    for column in kind.columns:
        if column.required and column.header not in positions:
            problems.append(Problem(1, -1, column.header, "缺少必填列", "required column is missing"))
    return positions, problems


def write_template(kind: RowKind | str, out: Path | str) -> Path:
    """Copy the blank template of a kind (.csv or .xlsx, by the suffix of ``out``)."""
    kind = find_kind(kind) if isinstance(kind, str) else kind
    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:
        raise TableError(f"模板只能是 .csv 或 .xlsx a template is .csv or .xlsx, not {out.name!r}")
    shutil.copyfile(TEMPLATES / f"{kind.id}{out.suffix.lower()}", out)
    return out


def make_templates(folder: Path = TEMPLATES) -> None:
    """Write the shipped blank templates (run when a kind's columns change)."""
    for kind in KINDS.values():
        text = [c.header for c in kind.columns if c.text]
        for suffix in SUFFIXES:
            write_blank(folder / f"{kind.id}{suffix}", kind.headers, text, kind.label.zh)
