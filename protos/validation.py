"""Contract validation: what any receiver checks of a Report before it takes it.

These checks need nothing but the report, the catalogue and the receiver's own region, so the
aggregator (aggregator/intake/) and a school checking its own annual summary before it signs
(node/summary.py) run the same code. Each failure is a typed ``Refused``
(protos/refusals.py); the gRPC edge chooses the status code. The checks against stored state
(enrolment, revocation, revisions) are the aggregator's (aggregator/intake/accept.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from common.errors import GuanaiError
from protos.catalogue import CatalogueError, load
from protos.periods import Period, PeriodError
from protos.refusals import Kind, Refused
from protos.regions import CodeError, check_region, check_school, school_stages
from protos.report_pb2 import Report
from protos.signoff import check_shape

SCHOOL_ID_LENGTH = 10
MAX_SUMMARY_BYTES = 256 * 1024
# A correction is a new revision; a school makes a handful a year. The bound keeps revision
# numbers far from the uint32 end, after which no correction could follow (docs/aggregator.md).
MAX_REVISION = 99
# The most students one school can have: larger than any university, so that an honest table
# never reaches the value bound below, small enough that no sum of a province's tables can
# leave a 64-bit integer (docs/aggregator.md, "Values").
MAX_STUDENTS = 200_000
# The largest noise scale accepted (σ of the discrete Gaussian): noise beyond it hides every
# figure; a bound keeps |value| ≤ bound × MAX_STUDENTS + NOISE_TAILS × σ far below 2^63.
MAX_SCALE = 1e7
# Standard deviations of noise an honest value may lie from its true range: a discrete
# Gaussian lands beyond 40σ with probability below 10^-340.
NOISE_TAILS = 40
MECHANISM = "discrete_gaussian"
TIMELINESS = ("", "on_time", "late")
# A rollup's cells stay within what a float holds exactly (figures are computed in floats).
MAX_ROLLUP_VALUE = 2**53
MAX_ROLLUP_VARIANCE = 1e30

# SubmitBatch: at most this many submissions per call (docs/aggregator.md §3), and never more
# than the answer can carry: one outcome (a receipt with its inclusion proof and checkpoint,
# or a rejection of at most 700 bytes of message) is below OUTCOME_BYTES.
MAX_BATCH = 1000
OUTCOME_BYTES = 4096

M = TypeVar("M", bound=Message)

# Verifies a SignedReport attached to a summary and returns its Report; raises GuanaiError.
FigureVerifier = Callable[[bytes], Report]


@dataclass(frozen=True)
class Layout:
    """Where a report of a catalogue version may and must have what, for a set of stages."""

    size: int
    public: tuple[int, ...]
    closed: tuple[int, ...]  # DP cells no student of these stages can reach: structural zeros
    groups: dict[str, tuple[int, ...]]  # DP group → the cells it noises
    reach: tuple[int, ...]  # per cell: the most an honest true value can be (bound × MAX_STUDENTS)


@cache
def layout(version: str, stages: frozenset[str] | None = None) -> Layout:
    """The layout of catalogue ``version`` for a school of ``stages`` (None: a rollup, which
    may reach every cell). Raises ``CatalogueError`` for an unknown version."""
    catalogue = load(version)
    open_ = [c for c in catalogue.cells if c.group and (stages is None or c.stages & stages)]
    groups = {
        g: tuple(c.index for c in open_ if c.group == g)
        for g in catalogue.groups
        if stages is not None and catalogue.sensitivity(g, stages) > 0
    }
    return Layout(
        size=len(catalogue.cells),
        public=tuple(c.index for c in catalogue.cells if c.public),
        closed=tuple(c.index for c in catalogue.cells
                     if c.group and stages is not None and not c.stages & stages),
        groups=groups,
        reach=tuple(max(c.bound, 1) * MAX_STUDENTS for c in catalogue.cells),
    )


def parse_canonical(kind: type[M], data: bytes, what: str) -> M:
    """``data`` parsed as a ``kind`` message, if it is that message's one canonical encoding.

    Canonical means: no unknown field at any depth, every field once and in field-number
    order, repeated scalars packed, no default value written, minimal varints — exactly the
    bytes that serializing the parsed message gives back. Anything else could carry bytes that
    no reader shows (a name in field 100) or that two parsers read differently, so it is
    refused whole: raises ``Refused`` (MALFORMED) naming ``what``. DESIGN §4 invariant 9.
    Every signed message a receiver reads is parsed so (reports, query credentials, member
    requests); the caller decides what status a malformed one gets.
    """
    try:
        message = kind.FromString(data)
    except DecodeError:
        raise Refused(Kind.MALFORMED, f"格式错误 malformed: the {what} is not a "
                      f"{kind.DESCRIPTOR.full_name}") from None
    clean = kind()
    clean.CopyFrom(message)
    clean.DiscardUnknownFields()
    if clean.SerializeToString(deterministic=True) != data:
        raise Refused(Kind.MALFORMED, f"编码不规范 non-canonical encoding: the {what} carries "
                      "unknown, repeated or unpacked fields, or is not encoded as "
                      f"{kind.DESCRIPTOR.full_name} serializes it; nothing unsigned or unread "
                      "may ride along")
    return message


def check_batch(count: int, answer_limit: int) -> None:
    """Refuse (TOO_LARGE) a batch of ``count`` submissions beyond ``MAX_BATCH``, or more than an
    answer of ``answer_limit`` bytes (the receiver's largest message) can carry."""
    most = min(MAX_BATCH, answer_limit // OUTCOME_BYTES)
    if count > most:
        raise Refused(Kind.TOO_LARGE, f"批量过大 batch too large: {count} submissions, at most "
                      f"{most} per SubmitBatch here; send the rest in further calls")


def check_report(report: Report, region: str, today: date, verify: FigureVerifier) -> None:
    """Raise ``Refused`` unless the report is addressed to ``region`` and fits the catalogue.

    ``today`` is the receiver's date in China Standard Time; ``verify`` checks the signatures
    of the figures an annual summary attaches (privacy/envelope.py's ``verify_signed``).
    """
    if report.recipient_id != region:
        raise Refused(Kind.NOT_PERMITTED,
                       f"收件方不符 wrong recipient: the report is for {report.recipient_id or '?'}, "
                       f"this is aggregator {region}; seal and address it to its own aggregator")
    try:
        period = Period.parse(report.period)
        if period.code != report.period:
            raise PeriodError(f"period {report.period!r} is not written canonically ({period.code})")
        load(report.catalogue_version)
        if report.kind == Report.SCHOOL or (report.kind == Report.SUMMARY
                                            and len(report.sender_id) == SCHOOL_ID_LENGTH):
            check_school(report.sender_id)
        elif report.kind in (Report.ROLLUP, Report.SUMMARY):
            check_region(report.sender_id)
        else:
            raise Refused(Kind.MALFORMED, "报送类型未知 unknown report kind: expected SCHOOL, "
                          "ROLLUP or SUMMARY")
        check_region(report.region_code)
    except (PeriodError, CatalogueError, CodeError) as exc:
        raise Refused(Kind.MALFORMED, f"报送内容错误 bad report: {exc}") from exc
    if period.start > today:
        raise Refused(Kind.MALFORMED, f"报送期未开始 period {period} has not begun")
    if not 1 <= report.revision <= MAX_REVISION:
        raise Refused(Kind.MALFORMED, f"版本号错误 bad revision {report.revision}: the first release "
                      f"is revision 1, a correction the next, at most {MAX_REVISION}")
    if period.annual != (report.kind == Report.SUMMARY):
        raise Refused(Kind.MALFORMED, f"期次不符 {period}: the annual period takes the work summary "
                       "(年度工作总结), a half-year takes the statistics table")
    check_content(report, verify)
    check_shape(report)


def check_content(report: Report, verify: FigureVerifier) -> None:
    """The checks of a table's values, or of a summary's text and attached figures."""
    if report.kind == Report.SUMMARY:
        check_summary(report, verify)
    else:
        check_values(report)


def check_summary(report: Report, verify: FigureVerifier) -> None:
    """Text within bounds; no values of its own; figures: the sender's own half-year tables.

    Raises ``Refused`` (MALFORMED) naming what is wrong.
    """
    school = len(report.sender_id) == SCHOOL_ID_LENGTH
    if report.values or report.noise_variance or report.noise or report.HasField("budget"):
        raise _bad_summary("a summary carries no values or noise of its own")
    if school and (report.members or report.missing):
        raise _bad_summary("a school's summary names no members")
    size = len(report.summary.text.encode("utf-8"))
    if not report.summary.text.strip() or size > MAX_SUMMARY_BYTES:
        raise _bad_summary(f"the text must be non-empty and at most {MAX_SUMMARY_BYTES} bytes, "
                           f"it has {size}")
    halves = {f"{report.period}-H1", f"{report.period}-H2"}
    seen = set()
    for signed in report.summary.figures:
        try:
            figure = verify(signed)
        except GuanaiError as exc:
            raise _bad_summary(f"an attached figure does not verify: {exc}") from exc
        expected = Report.SCHOOL if school else Report.ROLLUP
        if (figure.sender_id != report.sender_id or figure.kind != expected
                or figure.period not in halves or figure.period in seen):
            raise _bad_summary("each attached figure must be the sender's own table of a different "
                               f"half of {report.period}")
        seen.add(figure.period)
        try:
            check_values(figure)
        except Refused as exc:
            raise _bad_summary(f"attached {figure.period}: {exc.message}") from exc


def _bad_summary(what: str) -> Refused:
    return Refused(Kind.MALFORMED, f"工作总结不合要求 bad annual summary: {what}")


def check_values(report: Report) -> None:
    """Every value where the catalogue allows it, every variance sound, every noise group there.

    Raises ``Refused`` (MALFORMED) naming the first problem found.
    """
    school = report.kind == Report.SCHOOL
    try:
        stages = frozenset(school_stages(report.sender_id)) if school else None
        shape = layout(report.catalogue_version, stages)
    except (CodeError, CatalogueError) as exc:
        raise _bad(str(exc)) from exc
    if school and report.stage_code != report.sender_id[:2]:
        raise _bad("the stage code is not the school id's 学校类别")
    values, variances = list(report.values), list(report.noise_variance)
    if len(values) != shape.size or len(variances) != shape.size:
        raise _bad(f"catalogue {report.catalogue_version} has {shape.size} cells, the report "
                   f"{len(values)} values and {len(variances)} variances")
    if not math.isfinite(sum(variances)) or min(variances) < 0:  # a NaN or ∞ makes the sum so
        raise _bad("a noise variance is negative or not a finite number")
    if any(values[i] < 0 or variances[i] != 0 for i in shape.public):
        raise _bad("a public cell is negative or has noise")
    if any(values[i] != 0 or variances[i] != 0 for i in shape.closed):
        raise _bad("a cell the school's stages cannot reach is not zero")
    if school and any(values[i] > shape.reach[i] for i in shape.public):
        raise _bad(f"a public cell is beyond what {MAX_STUDENTS} students can reach")
    if not school:
        check_rollup_fields(report)
        if any(abs(v) > MAX_ROLLUP_VALUE for v in values) or max(variances) > MAX_ROLLUP_VARIANCE:
            raise _bad(f"a rollup value is beyond ±2^53 or a variance beyond {MAX_ROLLUP_VARIANCE:g}")
        return
    if report.members or report.missing or report.HasField("summary"):
        raise _bad("a school's table names no members and carries no summary")
    noise = {n.group: n for n in report.noise}
    if len(noise) != len(report.noise) or set(noise) != set(shape.groups):
        raise _bad(f"noise groups {sorted(noise)}, expected {sorted(shape.groups)}")
    for group, cells in shape.groups.items():
        scale = noise[group].scale
        found = {variances[i] for i in cells}
        if noise[group].mechanism != MECHANISM:
            raise _bad(f"group {group} must be noised by {MECHANISM}")
        if not (math.isfinite(scale) and 0 < scale * scale and scale <= MAX_SCALE) or any(
            not math.isclose(v, scale * scale, rel_tol=1e-9) for v in found
        ):
            raise _bad(f"the variances of group {group} are not its declared scale squared, "
                       f"or the scale is not within (0, {MAX_SCALE:g}]")
        if any(abs(values[i]) > shape.reach[i] + NOISE_TAILS * scale for i in cells):
            raise _bad(f"a value of group {group} is beyond what {MAX_STUDENTS} students and "
                       f"{NOISE_TAILS} times its noise scale can reach")


def check_rollup_fields(report: Report) -> None:
    """A rollup names its members and missing schools by well-formed codes, each once.

    Raises ``Refused`` (MALFORMED). Whether they belong to the sender is checked against the
    enrolment at the receiver.
    """
    if report.noise or report.stage_code:
        raise _bad("a rollup carries no noise groups or stage code of its own")
    for member in report.members:
        _check_code(member.sender_id)
        if (not 1 <= member.revision <= MAX_REVISION or len(member.report_sha256) != 32
                or member.timeliness not in TIMELINESS):
            raise _bad(f"member {member.sender_id}: revision, digest or timeliness malformed")
    for code in report.missing:
        _check_code(code)
    if len(set(report.missing)) != len(report.missing):
        raise _bad("a missing member is listed twice")


def _check_code(code: str) -> None:
    try:
        (check_school if len(code) == SCHOOL_ID_LENGTH else check_region)(code)
    except CodeError as exc:
        raise _bad(str(exc)) from exc


def _bad(what: str) -> Refused:
    return Refused(Kind.MALFORMED, f"数值不符合目录 values outside the catalogue: {what}")
