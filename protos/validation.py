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

from common.errors import GuanaiError
from protos.catalogue import CatalogueError, load
from protos.periods import Period, PeriodError
from protos.refusals import Kind, Refused
from protos.regions import CodeError, check_region, check_school, school_stages
from protos.report_pb2 import Report

SCHOOL_ID_LENGTH = 10
MAX_SUMMARY_BYTES = 256 * 1024

# Verifies a SignedReport attached to a summary and returns its Report; raises GuanaiError.
FigureVerifier = Callable[[bytes], Report]


@dataclass(frozen=True)
class Layout:
    """Where a report of a catalogue version may and must have what, for a set of stages."""

    size: int
    public: tuple[int, ...]
    closed: tuple[int, ...]  # DP cells no student of these stages can reach: structural zeros
    groups: dict[str, tuple[int, ...]]  # DP group → the cells it noises


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
    )


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
    if report.revision < 1:
        raise Refused(Kind.MALFORMED, "版本号错误 bad revision: the first release is revision 1")
    if period.annual != (report.kind == Report.SUMMARY):
        raise Refused(Kind.MALFORMED, f"期次不符 {period}: the annual period takes the work summary "
                       "(年度工作总结), a half-year takes the statistics table")
    check_content(report, verify)


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
    if not school:
        if report.noise:
            raise _bad("a rollup carries no noise groups of its own")
        return
    noise = {n.group: n for n in report.noise}
    if len(noise) != len(report.noise) or set(noise) != set(shape.groups):
        raise _bad(f"noise groups {sorted(noise)}, expected {sorted(shape.groups)}")
    for group, cells in shape.groups.items():
        scale = noise[group].scale
        found = {variances[i] for i in cells}
        if not (math.isfinite(scale) and scale > 0) or any(
            not math.isclose(v, scale * scale, rel_tol=1e-9) for v in found
        ):
            raise _bad(f"the variances of group {group} are not its declared scale squared")


def _bad(what: str) -> Refused:
    return Refused(Kind.MALFORMED, f"数值不符合目录 values outside the catalogue: {what}")
