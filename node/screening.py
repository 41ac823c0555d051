"""Screening staff's text against the school's own roster before it leaves the node.

The annual work summary is the one free text that leaves a school (invariant 1, docs/architecture.md): it is signed,
stored at the county, forwarded to the province, exported and backed up. Before it is signed,
the text is searched for what the roster (学生名册) knows of any student, present or past — a
whole name, an ID-card number (身份证号), a student number (学号), a phone number — and for any
run of digits shaped like an ID-card, phone or student number, whoever's it is.

Disguise, deliberate or not, is taken apart first, over the whole text (a name may be broken
across lines):

- markup goes: HTML comments and tags, Markdown marks and backslashes; HTML entities are read
  as the characters they stand for (``&#27979;`` is 测);
- every character is folded (NFKC: full-width forms; case);
- names are compared on letters and digits alone, so spaces, line breaks, punctuation and
  separator dots inside a name (``测试金**丝雀甲**``, ``王 · 芳``, ``王/芳``) change nothing;
- numbers are compared on digits and Latin letters alone, with Chinese and full-width digits
  (一三三, 壹, ０, ①) turned into ASCII, so ``6101.0220.1501.0199.93``, ``133/0000/1111`` and
  ``一三三 零零零零 一一一一`` are the numbers they spell.

Names are matched whole (at least two characters): a surname or a given name alone is not
matched, and a name in Latin letters only as whole words. A short name can also be a common
word (高兴, 文明), and joining across punctuation makes that likelier: staff who see such a
finding can rephrase, or name the phrase it is part of (``--allow 文明校园``), which lets that
phrase pass (a name, or a number such as a span of years, inside it). Student numbers shorter
than six characters cannot be told from counts and years, and are not matched.

A finding names its line, column and kind (``describe``: the refusal's message, safe to log),
and ``shown`` adds the text around it with the finding marked, which the command prints on the
school's own screen before anything is signed (never into the exception or a log).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from common.clock import SYSTEM
from common.errors import GuanaiError
from node.idcard import PROVINCES
from node.normalise import invisible
from node.store import students as student_rows
from protos.deadlines import local_date

MIN_NAME = 2
MIN_STUDENT_NO = 6
LONG_NUMBER = 9  # a run of this many digits or more is shaped like a student or document number
CONTEXT = 12  # characters shown on each side of a finding
KINDS = {
    "name": "本校学生姓名 a student's name from the roster",
    "id_card": "身份证号 an ID-card number",
    "student_no": "学号 a student number",
    "phone": "电话号码 a phone number",
}
CHINESE_DIGITS = {**{ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")},
                  **{ch: str(i) for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")},
                  "幺": "1", "两": "2", "洞": "0"}
_MARKUP = re.compile(r"<!--.*?(?:-->|$)|<[a-zA-Z/!?][^<>]*>|&#\d+;|&#[xX][0-9a-fA-F]+;|&[a-zA-Z]+;",
                     re.DOTALL)
_ID_SHAPE = re.compile(r"(?=(\d{17}[\dx]))")
_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")


@dataclass(frozen=True)
class Finding:
    line: int
    column: int
    kind: str
    context: str = ""  # the text around the finding, the finding in 【】; never logged

    def describe(self) -> str:
        """Where and what, without the text itself: safe for a log line."""
        return f"第{self.line}行第{self.column}列 line {self.line}, column {self.column}: " \
               f"{KINDS[self.kind]}"

    def shown(self) -> str:
        """Where, what, and the text around it, for the school's own screen."""
        return f"{self.describe()}\n      …{self.context}…"


class IdentifiableText(GuanaiError):
    """Text that would name a student or carry their numbers; nothing was signed or sent."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        lines = "\n  ".join(f.describe() for f in findings)
        super().__init__(
            "含学生个人信息，未签名、未报送：请删除或改写以下各处后重试 — the text identifies "
            f"students; nothing was signed or sent — remove or rewrite these and try again:\n"
            f"  {lines}\n"
            "若常用词被当作了短姓名，请改写，或用 --allow 指明它所在的词组 — if a common word was "
            "taken for a short name, rephrase it or pass the phrase it is part of with --allow."
        )


@dataclass(frozen=True)
class _Char:
    ch: str
    start: int  # offset in the source text of what produced it
    end: int


def _visible(text: str) -> list[_Char]:
    """The characters a reader sees, folded (NFKC, case), each with where it came from:
    HTML comments and tags left out, entities read as what they stand for."""
    out = []
    position = 0
    for markup in [*_MARKUP.finditer(text), None]:
        stop = markup.start() if markup else len(text)
        for offset in range(position, stop):
            for ch in unicodedata.normalize("NFKC", text[offset]).casefold():
                out.append(_Char(ch, offset, offset + 1))
        if markup is None:
            break
        if markup.group().startswith("&"):
            for ch in unicodedata.normalize("NFKC", html.unescape(markup.group())).casefold():
                out.append(_Char(ch, markup.start(), markup.end()))
        position = markup.end()
    return [c for c in out if not invisible(c.ch)]


def _letters(chars: Iterable[_Char]) -> list[_Char]:
    """Only letters and digits: spaces, line breaks, punctuation, symbols and marks (Markdown
    * _ ~ ` # > [ ] ( ) |, backslashes, separator dots) fall away."""
    return [c for c in chars if unicodedata.category(c.ch)[0] in "LN"]


def _digits(chars: Iterable[_Char]) -> list[_Char]:
    """For numbers: Chinese numerals made ASCII digits; digits and Latin letters kept; other
    letters (Chinese text) become a break; everything else falls away."""
    out = []
    for c in chars:
        ch = CHINESE_DIGITS.get(c.ch, c.ch)
        if ch.isascii() and ch.isalnum():
            out.append(_Char(ch, c.start, c.end))
        elif unicodedata.category(ch)[0] in "LN":
            out.append(_Char(" ", c.start, c.end))
    return out


def fold_name(text: str) -> str:
    """A name or phrase as it is compared: letters and digits only, folded."""
    return "".join(c.ch for c in _letters(_visible(text)))


def fold_number(text: str) -> str:
    """A number or phrase as numbers are compared: ASCII digits and Latin letters only."""
    return "".join(c.ch for c in _digits(_visible(text)) if c.ch != " ")


@dataclass(frozen=True)
class Roster:
    names: frozenset[str]  # names with no Latin letter, folded by fold_name
    latin_names: re.Pattern | None  # names with Latin letters, matched as whole words
    id_cards: frozenset[str]
    student_nos: frozenset[str]
    phones: frozenset[str]
    shapes: frozenset[tuple[int, str]]  # (length, first four) of the roster's digit 学号

    @classmethod
    def of(cls, store: sqlite_utils.Database) -> Roster:
        rows = student_rows.identifiers(store)
        names = {n for n in (fold_name(r[0]) for r in rows) if len(n) >= MIN_NAME}
        latin = sorted((n for n in names if any(_latin(c) for c in n)), key=len, reverse=True)
        pattern = None
        if latin:
            words = "|".join(r"[\W_]*".join(map(re.escape, n)) for n in latin)
            pattern = re.compile(rf"(?<![a-z])(?:{words})(?![a-z])")
        ids = {fold_number(r[1]) for r in rows if r[1]}
        numbers = {n for n in (fold_number(r[2]) for r in rows) if len(n) >= MIN_STUDENT_NO}
        phones = {_national(fold_number(r[3])) for r in rows
                  if r[3] and len(fold_number(r[3])) >= 7}
        shapes = {(len(n), n[:4]) for n in numbers if n.isdigit()}
        return cls(frozenset(names) - set(latin), pattern, frozenset(ids), frozenset(numbers),
                   frozenset(phones), frozenset(shapes))


def _national(digits: str) -> str:
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _spared(stream: str, allowed: list[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.start() + len(phrase)) for phrase in allowed if phrase
            for m in re.finditer(re.escape(phrase), stream)]


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _names(chars: list[_Char], roster: Roster, allow: list[str]
           ) -> Iterator[tuple[_Char, _Char, str]]:
    letters = _letters(chars)
    stream = "".join(c.ch for c in letters)
    spared = _spared(stream, [fold_name(a) for a in allow])
    for length in sorted({len(n) for n in roster.names}):
        for start in range(len(stream) - length + 1):
            if stream[start:start + length] in roster.names \
                    and not _inside(start, start + length, spared):
                yield letters[start], letters[start + length - 1], "name"
    if roster.latin_names is not None:
        spaced = [_Char(" ", c.start, c.end) if c.ch.isspace() else c for c in chars]
        text = "".join(c.ch for c in spaced)
        for match in roster.latin_names.finditer(text):
            yield spaced[match.start()], spaced[match.end() - 1], "name"


def _id_shaped(number: str, today: date) -> bool:
    """18 characters that an ID-card number could be: a province code and a real birth date
    (check digit or not: a mistyped or made-up one is still someone's to guess at)."""
    if number[:2] not in PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def _is_date(number: str) -> bool:
    if len(number) != 8:
        return False
    try:
        date(int(number[:4]), int(number[4:6]), int(number[6:]))
    except ValueError:
        return False
    return True


def _numbers(chars: list[_Char], roster: Roster, allow: list[str], today: date
             ) -> Iterator[tuple[_Char, _Char, str]]:
    digits = _digits(chars)
    stream = "".join(c.ch for c in digits)
    spared = _spared(stream, [fold_number(a) for a in allow])
    known_numbers = [(known, kind, {len(number) for number in known})
                     for known, kind in ((roster.student_nos, "student_no"),
                                         (roster.id_cards, "id_card"), (roster.phones, "phone"))]
    for token in re.finditer(r"[0-9a-z]+", stream):
        text, base = token.group(), token.start()

        def found(start: int, length: int, kind: str, base: int = base
                  ) -> Iterator[tuple[_Char, _Char, str]]:
            if not _inside(base + start, base + start + length, spared):
                yield digits[base + start], digits[base + start + length - 1], kind

        for known, kind, lengths in known_numbers:
            for length in lengths:
                for at in range(len(text) - length + 1):
                    if text[at:at + length] in known:
                        yield from found(at, length, kind)
        shaped = False
        for window in _ID_SHAPE.finditer(text):
            if _id_shaped(window[1], today):
                shaped = True
                yield from found(window.start(), 18, "id_card")
        if not text.isdigit() or shaped:
            continue
        if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
            yield from found(0, len(text), "phone")
        elif (len(text) >= LONG_NUMBER or (len(text), text[:4]) in roster.shapes) \
                and not _is_date(text):
            yield from found(0, len(text), "student_no")


def _context(text: str, first: _Char, last: _Char) -> str:
    before = text[max(0, first.start - CONTEXT):first.start]
    after = text[last.end:last.end + CONTEXT]
    return "".join((before, "【", text[first.start:last.end], "】", after)).replace("\n", "⏎")


def screen(text: str, roster: Roster, allow: Iterable[str] = (),
           today: date | None = None) -> list[Finding]:
    """Every place in ``text`` that names a student or carries an identifying number, in text
    order, each with its line, column (1-based) and the text around it."""
    allowed = list(allow)
    chars = _visible(text)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    found = {}
    for first, last, kind in (*_names(chars, roster, allowed),
                              *_numbers(chars, roster, allowed, today or local_date(SYSTEM.now()))):
        line = next(i for i in range(len(starts), 0, -1) if starts[i - 1] <= first.start)
        key = (line, first.start - starts[line - 1] + 1, kind)
        found.setdefault(key, Finding(*key, _context(text, first, last)))
    return sorted(found.values(), key=lambda f: (f.line, f.column, f.kind))


def check(text: str, store: sqlite_utils.Database, allow: Iterable[str] = ()) -> None:
    """Raise IdentifiableText unless ``text`` is free of the roster's names and numbers and
    of anything shaped like an ID-card, phone or student number."""
    findings = screen(text, Roster.of(store), allow)
    if findings:
        raise IdentifiableText(findings)
