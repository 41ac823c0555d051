"""Screening staff's text against the school's own roster before it leaves the node.

The annual work summary is the one free text that leaves a school (invariant 1, docs/architecture.md). Before it is
signed, every line is searched for what the roster (学生名册) knows of any student, present or
past: a whole name, an ID-card number (身份证号), a student number (学号), a phone number;
and for anything shaped like an ID-card number with a valid check digit or a mainland mobile
number, whoever's it is. A finding names its line and column and what it found, never the
value itself, so the refusal can be shown and logged.

Matching is on a normalised copy of each line: full-width forms folded (NFKC), case folded,
and spaces, invisible characters and the middle dots of transcribed names removed, so
``王 芳`` and ``王·芳`` are found as ``王芳``. Names are matched whole (at least two
characters): a surname or a given name alone is not matched, and a name in Latin letters only
between non-letters. A short name can also be a common word (高兴, 文明): staff who see such a
line refused can rephrase it, or name the phrase the word is part of (``--allow 文明校园``), which
lets the name pass inside that phrase only. Student numbers shorter than six characters cannot
be told from counts and years, and are not matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from common.errors import GuanaiError
from node.idcard import id_card_problem

MIN_NAME = 2
MIN_STUDENT_NO = 6
KINDS = {
    "name": "本校学生姓名 a student's name from the roster",
    "id_card": "身份证号 an ID-card number",
    "student_no": "学号 a student number from the roster",
    "phone": "电话号码 a phone number",
}
_DROPPED_IN_NAMES = set("·・•‧.。")
_NUMBER_SEPARATORS = set("-–—()（）")
_TOKEN = re.compile(r"[0-9a-z]+")
_ID_SHAPE = re.compile(r"\d{17}[\dx]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class Finding:
    line: int
    column: int
    kind: str

    def describe(self) -> str:
        return f"第{self.line}行第{self.column}列 line {self.line}, column {self.column}: " \
               f"{KINDS[self.kind]}"


class IdentifiableText(GuanaiError):
    """Text that would name a student or carry their numbers; nothing was sent."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        lines = "\n  ".join(f.describe() for f in findings)
        super().__init__(
            "含学生个人信息，未报送 the text identifies students; nothing was signed or sent — "
            f"remove these and try again:\n  {lines}\n"
            "If a common word was taken for a short name, rephrase it or pass the phrase it is "
            "part of with --allow."
        )


@dataclass(frozen=True)
class Roster:
    names: frozenset[str]  # names in Chinese characters, compacted
    latin_names: re.Pattern | None  # names with Latin letters, matched as whole words
    id_cards: frozenset[str]
    student_nos: frozenset[str]
    phones: frozenset[str]

    @classmethod
    def of(cls, store: sqlite_utils.Database) -> Roster:
        rows = store.execute("SELECT name, id_card, student_no, phone FROM students").fetchall()
        names = {n for n in (_compact(r[0], _DROPPED_IN_NAMES)[0] for r in rows)
                 if len(n) >= MIN_NAME}
        latin = sorted((n for n in names if any(_latin(c) for c in n)), key=len, reverse=True)
        pattern = None
        if latin:
            words = "|".join(r"[\s·.\-]*".join(map(re.escape, n)) for n in latin)
            pattern = re.compile(rf"(?<![a-z])(?:{words})(?![a-z])")
        ids = {_compact(r[1])[0] for r in rows if r[1]}
        numbers = {n for n in (_compact(r[2])[0] for r in rows) if len(n) >= MIN_STUDENT_NO}
        phones = {_digits(r[3]) for r in rows if r[3] and len(_digits(r[3])) >= 7}
        return cls(frozenset(names) - set(latin), pattern, frozenset(ids), frozenset(numbers),
                   frozenset(phones))


def _compact(text: str, dropped: Iterable[str] = (), keep_spaces: bool = False
             ) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the column it came from."""
    dropped = set(dropped)
    out, columns = [], []
    for column, ch in enumerate(text, start=1):
        for folded in unicodedata.normalize("NFKC", ch).casefold():
            if folded.isspace() and keep_spaces:
                folded = " "
            elif folded.isspace() or unicodedata.category(folded) == "Cf" or folded in dropped:
                continue
            out.append(folded)
            columns.append(column)
    return "".join(out), columns


def _digits(text: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _names(line: str, roster: Roster, allowed: list[str]) -> Iterable[tuple[int, str]]:
    compact, columns = _compact(line, _DROPPED_IN_NAMES)
    lengths = sorted({len(n) for n in roster.names})
    spared = [(m.start(), m.start() + len(phrase)) for phrase in allowed
              for m in re.finditer(re.escape(phrase), compact)]
    for start in range(len(compact)):
        for length in lengths:
            end = start + length
            if end > len(compact) or compact[start:end] not in roster.names:
                continue
            if any(a <= start and end <= b for a, b in spared):
                continue
            yield columns[start], "name"
    if roster.latin_names is not None:
        folded, columns = _compact(line, keep_spaces=True)
        for match in roster.latin_names.finditer(folded):
            yield columns[match.start()], "name"


def _numbers(line: str, roster: Roster) -> Iterable[tuple[int, str]]:
    compact, columns = _compact(line, _NUMBER_SEPARATORS)
    for token in _TOKEN.finditer(compact):
        text, column = token.group(), columns[token.start()]
        if text in roster.student_nos:
            yield column, "student_no"
        if text in roster.id_cards or (
                _ID_SHAPE.fullmatch(text) and id_card_problem(text.upper()) is None):
            yield column, "id_card"
        digits = text[2:] if len(text) == 13 and text.startswith("86") else text
        if digits.isdigit() and (digits in roster.phones or _MOBILE.fullmatch(digits)):
            yield column, "phone"


def screen(text: str, roster: Roster, allow: Iterable[str] = ()) -> list[Finding]:
    """Every place in ``text`` that names a student or carries an identifying number."""
    allowed = [p for p in (_compact(a, _DROPPED_IN_NAMES)[0] for a in allow) if p]
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for column, kind in (*_names(line, roster, allowed), *_numbers(line, roster)):
            found.add(Finding(number, column, kind))
    return sorted(found, key=lambda f: (f.line, f.column, f.kind))


def check(text: str, store: sqlite_utils.Database, allow: Iterable[str] = ()) -> None:
    """Raise IdentifiableText unless ``text`` is free of the roster's names and numbers."""
    findings = screen(text, Roster.of(store), allow)
    if findings:
        raise IdentifiableText(findings)
