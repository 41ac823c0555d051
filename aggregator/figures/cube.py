"""Keeping the figures store current (数据立方): which report each unit's row holds, and the
check that the store is what the log says.

The rule, for one period: a member's row is its latest submission here unless that one was
returned for correction (the rule of rollups and completeness, aggregator/calendar/timeliness.py);
a unit below a member (a school under a county, a county under a city) holds the report
forwarded with the counted rollup of the member with the lowest code that carries it, unless it
is a member itself. ``record_submission`` and ``record_return`` apply the rule to the units a
change touches, inside the caller's transaction, so the store is never stale, and count the
period's change (its generation: a kept official table of an older one is stale); ``expected``
applies it to a whole period from the log alone, and ``check`` compares the two.

Signed reports are parsed here only: on their way in, and when the store is rebuilt or checked.

A leader's own region has a row only once it published the period's figure with the helper
(secure aggregation, aggregator/rollup/publish.py): the two parties' noisy partials added,
kind ``published``; ``record_publication`` writes it and ``expected`` makes it again from the
stored publication, so a rebuild and the check know it too.

A publication stands for the region only while every school of its named set is still counted
here at the revision the set names (``stands``): a school that reports here (a direct member) by
its counted submission (``_counted``) at exactly that revision; a school carried in a member's
rollup by still having a row and by its carrier's word: the member's counted rollup still
carries a named set naming the school at that revision. A member carries its set only while its
own publication stands by this same rule (aggregator/rollup/build.py), so a school returned or
corrected at the county takes the province's figure down with the county's next rollup; the
forwarded report's own revision is not read (that would mean parsing every forwarded report of
the period), the member's set is (one parse per member). A return of the member here removes its
carried rows. Nor does it stand once a school is held here that the set leaves out (one that
reported without shares, or after the set was named). When a publication no longer stands (a
named school returned or revised, a member carrying named schools returned, a school held but
not named) the region's own row goes, as before it
published: the region is then the sum of its counted members, noisier. ``_refresh`` (after a
submission or a return) and ``expected`` apply this, so ``check`` and a rebuild agree. It stands
again only if every named school is counted at its named revision once more (a member returned
here sends its rollup again with the same set); a level publishes once per period, so a fallen
figure is never made afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregator.keys.own_identity import helper
from aggregator.store.figures import FIGURES_VERSION, FigureUnit
from aggregator.store.sqlite import Publication, Store
from privacy import partials
from privacy.envelope import parse_signed
from protos.catalogue import load
from protos.refusals import Refused
from protos.regions import level
from protos.report_pb2 import Report

_KINDS = {Report.SCHOOL: "school", Report.ROLLUP: "rollup", Report.SUMMARY: "summary"}
_RANKS = {"province": 0, "city": 1, "county": 2, "school": 3}


def _level(unit: str) -> str:
    return "school" if len(unit) == 10 else level(unit)


@dataclass(frozen=True)
class Row:
    """One unit's row as the rule gives it: the membership record and its cells."""

    unit: FigureUnit
    cells: tuple[tuple[int, int, float], ...]  # (position, value, variance); 0 and 0.0 left out


def _counted(store: Store, period: str, sender: str):  # noqa: ANN202 - Submission | None
    """The sender's latest submission for the period unless it was returned."""
    revisions = store.revisions(sender, period)
    if not revisions:
        return None
    latest = revisions[-1]
    if any(r.revision == latest.revision for r in store.returns(period, sender)):
        return None
    return latest


def _row(store: Store, period: str, unit: str, parsed: Mapping[bytes, Report]) -> Row | None:
    """The unit's row by the rule; ``parsed`` holds reports already read, by SHA-256."""
    held = _counted(store, period, unit)
    if held is not None:
        report = parsed.get(held.report_sha256) or parse_signed(held.signed)[1]
        return _make(store, period, unit, report, True, unit, held.log_index, held.report_sha256)
    for carrier, log_index, sha, signed in store.carriers(period, unit):
        counted = _counted(store, period, carrier)
        if counted is not None and counted.log_index == log_index:
            report = parsed.get(sha) or parse_signed(signed)[1]
            return _make(store, period, unit, report, False, carrier, log_index, sha)
    return None


def _make(store: Store, period: str, unit: str, report: Report, direct: bool, source: str,
          log_index: int, sha: bytes) -> Row:
    kind = _KINDS.get(report.kind, "school")
    if report.kind == Report.ROLLUP:
        members, missing = len(report.members), len(report.missing)
        below = (store.figure_unit(period, m.sender_id) for m in report.members)
        schools = sum(b.schools for b in below if b is not None)
    else:
        members, missing, schools = 1, 0, 1
    region = report.region_code if _level(unit) == "school" else unit
    values, variances = report.values, report.noise_variance
    published = carried_figure(store, report)
    if published is not None:  # the member's figure published with the helper: noise once
        values, variances = published.values, published.variances  # still its rollup's row
    return Row(FigureUnit(period, unit, _level(unit), region, direct, source, kind, members,
                          missing, schools, report.catalogue_version, log_index, sha),
               tuple((i, v, w) for i, (v, w) in enumerate(
                   zip(values, variances, strict=True)) if v or w))


def carried_figure(store: Store, report: Report) -> partials.Published | None:
    """The figure a member aggregator's rollup carries as published with the helper, if it
    holds up: its named set signed by a key enrolled here for the sender, of its own region,
    the leader's noisy partial by the same key, the helper's by the key of the helper this
    aggregator imported, both of that set (privacy/partials.py ``publish``). None otherwise,
    and the rollup's sum of its members stands."""
    if report.kind != Report.ROLLUP or not report.helper_noisy:
        return None
    known = helper(store)
    try:
        named, _body, signer = partials.open_named_set(report.named_set)
        leader, leader_key = partials.open_noisy_partial(report.noisy)
        other, helper_key = partials.open_noisy_partial(report.helper_noisy)
        enrolled = {k.signing_key for k in store.keys(report.sender_id)}
        if (known is None or helper_key != known.keys.signing or leader_key != signer
                or signer not in enrolled or named.region != report.sender_id):
            return None
        return partials.publish(load(named.catalogue_version), leader, other,
                                partials.set_stages(m.school_id for m in named.members))
    except (Refused, partials.PartialMismatch):
        return None


def _refresh(store: Store, period: str, units: Iterable[str],
             parsed: Mapping[bytes, Report]) -> None:
    """Re-apply the rule to ``units``, lowest level first (a rollup counts the schools below),
    and count the period's figures changed once (its generation, what kept official tables
    are checked against: aggregator/figures/kept.py)."""
    for unit in sorted(set(units), key=lambda u: (-_RANKS[_level(u)], u)):
        row = _row(store, period, unit, parsed)
        if row is None:
            store.delete_figure(period, unit)
        else:
            store.put_figure(row.unit, row.cells)
    _keep_published(store, period)
    store.bump_generation(period)


def _keep_published(store: Store, period: str) -> None:
    """The region's own row by the rule: the published figure while its publication stands,
    none otherwise. Nothing is read beyond the publications when there is none completed."""
    for publication in _completed(store, period):
        held = store.figure_unit(period, publication.region)
        carriers = {u.unit: u.source for u in store.figure_units(period, "school")}
        if not stands(store, publication, carriers):
            store.delete_figure(period, publication.region)
        elif held is None or held.kind != "published":
            row = published_row(store, publication)
            store.put_figure(row.unit, row.cells)


def record_submission(store: Store, report: Report, report_sha256: bytes,
                      forwarded: Mapping[bytes, Report]) -> None:
    """After a submission is stored: its sender's row and those of the units it carried, before
    and now. Call inside the transaction that stores it; ``forwarded`` by SHA-256."""
    period, sender = report.period, report.sender_id
    touched = {sender, *store.figure_units_from(period, sender)}
    touched |= {r.sender_id for r in forwarded.values()}
    _refresh(store, period, touched, {report_sha256: report, **forwarded})


def record_return(store: Store, member_id: str, period: str) -> None:
    """After a member's latest submission is returned: it stops counting, with what it carried.
    Call inside the transaction that records the return."""
    touched = store.figure_units_from(period, member_id)
    carried = [u for u in touched if u != member_id]
    _refresh(store, period, [member_id, *carried], {})


# A published figure is carried by no submission here: its log_index says so.
PUBLISHED_LOG_INDEX = -1


def published_row(store: Store, publication: Publication) -> Row:
    """The row of a leader's completed publication: the two signed noisy partials added
    (privacy/partials.py ``publish``), the variance of both parties' noise per cell; members
    and schools the schools of the named set, missing the schools enrolled here without it."""
    named, _body, _signer = partials.open_named_set(publication.named_set)
    leader = partials.open_noisy_partial(publication.noisy)[0]
    helper = partials.open_noisy_partial(publication.other_noisy or b"")[0]
    named_ids = {m.school_id for m in named.members}
    figure = partials.publish(load(named.catalogue_version), leader, helper,
                              partials.set_stages(named_ids))
    missing = sum(1 for m in store.members() if m.kind == "school" and
                  m.member_id not in named_ids)
    unit = FigureUnit(publication.period, publication.region, publication.level,
                      publication.region, False, publication.region, "published",
                      len(named_ids), missing, len(named_ids), named.catalogue_version,
                      PUBLISHED_LOG_INDEX, publication.set_sha256)
    return Row(unit, tuple((i, v, w) for i, (v, w) in enumerate(
        zip(figure.values, figure.variances, strict=True)) if v or w))


def _completed(store: Store, period: str) -> list[Publication]:
    """The period's publications this aggregator completed as leader (the helper's answer
    held): at most one, of its own region; none at a helper or before publishing."""
    return [p for p in store.publications(period) if p.other_noisy is not None]


def stands(store: Store, publication: Publication, carriers: Mapping[str, str]) -> bool:
    """Whether a completed publication still stands for its region (module docstring): every
    named school that reports here counted at the named revision; every other named school
    held in a row of the period (``carriers``: school code → the member whose rollup carries
    its row) whose carrier's counted rollup still carries a named set naming it at that
    revision; and no school held in a row of the period left out of the set (one that reported
    without shares, or after the set was named: the published figure would not sum the region
    as held, and its exact cells would not add up with its parts'). Two reads and one parse
    per carrying member, however many schools are named."""
    named = partials.open_named_set(publication.named_set)[0]
    if set(carriers) - {m.school_id for m in named.members}:
        return False
    period = publication.period
    latest = store.latest_revisions(period)
    returned = {(r.member_id, r.revision) for r in store.returns(period)}
    sets: dict[str, set[tuple[str, int]]] = {}
    for member in named.members:
        school, revision = member.school_id, member.revision
        if school in latest:  # reports here: its counted submission must be the named one
            if latest[school] != revision or (school, revision) in returned:
                return False
            continue
        carrier = carriers.get(school)
        if carrier is None:
            return False
        if carrier not in sets:
            sets[carrier] = _named_by(store, period, carrier)
        if (school, revision) not in sets[carrier]:
            return False
    return True


def _named_by(store: Store, period: str, member: str) -> set[tuple[str, int]]:
    """(school, revision) of the named set the member's counted rollup carries (it carries one
    only while the member's own publication stands: aggregator/rollup/build.py); empty if none."""
    counted = _counted(store, period, member)
    if counted is None:
        return set()
    report = parse_signed(counted.signed)[1]
    if not report.named_set:
        return set()
    try:
        named = partials.open_named_set(report.named_set)[0]
    except Refused:
        return set()
    return {(m.school_id, m.revision) for m in named.members}


def record_publication(store: Store, publication: Publication) -> None:
    """After a leader completed a publication: its region's row if it stands (``stands``),
    the period's generation counted once. Call inside its transaction, after storing it."""
    _keep_published(store, publication.period)
    store.bump_generation(publication.period)


def expected(store: Store, period: str) -> list[Row]:
    """Every row of the period as the rule gives it from the log (and the completed
    publications) alone, by unit."""
    latest = store.latest_submissions(period)
    units = {s.sender_id for s in latest}
    units |= {f.sender_id for s in latest for f in store.forwarded(s.log_index)}
    rows: dict[str, Row] = {}
    for unit in sorted(units, key=lambda u: (-_RANKS[_level(u)], u)):
        row = _row(_Overlay(store, period, rows), period, unit, {})
        if row is not None:
            rows[unit] = row
    for publication in _completed(store, period):
        carriers = {u: r.unit.source for u, r in rows.items() if r.unit.level == "school"}
        if stands(store, publication, carriers):
            rows[publication.region] = published_row(store, publication)
        else:
            rows.pop(publication.region, None)
    return [rows[u] for u in sorted(rows)]


class _Overlay:
    """The store as seen while rebuilding: unit rows come from the rows built so far."""

    def __init__(self, store: Store, period: str, rows: Mapping[str, Row]) -> None:
        self._store, self._period, self._rows = store, period, rows

    def figure_unit(self, period: str, unit: str) -> FigureUnit | None:
        row = self._rows.get(unit)
        return row.unit if row else None

    def __getattr__(self, name: str):  # noqa: ANN204 - everything else reads the store
        return getattr(self._store, name)


def stored(store: Store, period: str) -> list[Row]:
    """Every row of the period as the figures store holds it, by unit."""
    units = store.figure_units(period)
    cells = store.figure_cells(period, [u.unit for u in units], None)
    rows = []
    for u in units:
        values, variances = cells.get(u.unit, ({}, {}))
        rows.append(Row(u, tuple((i, values[i], variances[i]) for i in sorted(values))))
    return rows


def periods(store: Store) -> list[str]:
    """Every period held in the log or the figures store."""
    return sorted(set(store.periods()) | set(store.figure_periods()))


def check(store: Store) -> list[str]:
    """Differences between the figures store and a rebuild from the log; empty if identical.

    Each difference names the period and unit: ``missing`` (in the log, not the store),
    ``extra`` (in the store only) or ``differs`` (membership, source or a cell)."""
    problems = []
    for period in periods(store):
        want = {r.unit.unit: r for r in expected(store, period)}
        have = {r.unit.unit: r for r in stored(store, period)}
        for unit in sorted(want.keys() | have.keys()):
            if unit not in have:
                problems.append(f"{period} {unit}: missing")
            elif unit not in want:
                problems.append(f"{period} {unit}: extra")
            elif want[unit] != have[unit]:
                problems.append(f"{period} {unit}: differs")
    return problems


def rebuild(store: Store) -> int:
    """Replace the whole figures store by a rebuild from the log, in one transaction; rows.
    Every period of the log, or held before or after, counts one change of its figures."""
    count = 0
    with store.transaction():
        before = store.figure_periods()
        store.clear_figures()
        for period in store.periods():
            for row in expected(store, period):
                store.put_figure(row.unit, row.cells)
                count += 1
        for period in sorted({*before, *store.periods(), *store.figure_periods()}):
            store.bump_generation(period)
        store.set_meta("figures", FIGURES_VERSION)
    return count


def ensure_current(store: Store) -> bool:
    """Rebuild a store made before the figures store existed; whether it was rebuilt."""
    if store.figures_current():
        return False
    rebuild(store)
    return True
