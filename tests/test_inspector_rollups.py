"""The inspector against a dishonest county's rollups (issue 16, items 9–12).

The round of tests/inspection.py is made once; each test copies it, and the county signs a
false rollup in its own store (as only it can), or rewrites its log, before exporting. The
inspector must flag a member named twice, outside the county or not enrolled there; a school
left out or called missing although its receipt or the county's log proves it was accepted
before the rollup was made (naming the receipt); tell a dropped leaf from a replaced or a
renumbered one; and pass what is honest: a member returned for correction, annual summaries.
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from aggregator.calendar import decisions
from aggregator.keys import own_identity, staff
from aggregator.log.export import export_bundle
from aggregator.rollup.build import make_rollup
from aggregator.rollup.summaries import file_summary
from aggregator.store.sqlite import Store
from inspector.verify import verify
from node.store import open_store
from node.submit import submit
from node.summary import file_summary as file_school_summary
from privacy.envelope import parse_signed, sign_report
from privacy.merkle import leaf_hash
from protos.deadlines import to_ms
from protos.periods import Period
from protos.report_pb2 import Enrolled, Report, Revoked
from tests import test_inspector
from tests.federation import Aggregator, waive_all
from tests.inspection import (
    FAST,
    H1,
    aggregator_db,
    export_all,
    export_school_receipts,
    make_school,
    trusted_keys,
)
from tests.test_inspector import text

honest, round_ = test_inspector.honest, test_inspector.round_  # the round, made once a module

SCHOOL = "2161010001"  # county 610102's first school: leaf 0 there
COUNTY = "610102"


def inspect_county(folder: Path, receipts: bool = True):  # noqa: ANN201
    """The county's bundle alone, with the schools' receipts and every exported key."""
    bundles = export_all(folder, Path(tempfile.mkdtemp(dir=folder)))
    held = [export_school_receipts(folder)] if receipts else []
    return verify([bundles / COUNTY], held, [trusted_keys(folder)])


def resign_rollup(folder: Path, change) -> Report:  # noqa: ANN001
    """The county changes its latest own rollup in place and signs it again with its key (it
    could not send it up: the province refuses such a rollup, tests/test_rollup_membership.py)."""
    db = aggregator_db(folder, COUNTY)
    store = Store(db)
    try:
        rollup = store.latest_rollup(H1.code)
        reports = {s.sender_id: parse_signed(s.signed)[1] for s in store.latest_submissions(H1.code)}
        settings = own_identity.load(store)
    finally:
        store.close()
    report = parse_signed(rollup.signed)[1]
    change(report, reports)
    # The round's sign-offs are waivers, signed with the county's own key: a county that alters
    # its rollup signs them again over the altered draft, so only the alteration is wrong.
    waive_all(report, settings.signing_key)
    signed = sign_report(report.SerializeToString(), settings.signing_key)
    conn = sqlite3.connect(db)
    try:
        with conn:
            # the province's receipt was for the honest bytes: a false rollup gets none now
            conn.execute("UPDATE rollups SET signed = ?, receipt = NULL WHERE period = ? AND "
                         "revision = ?", [signed, H1.code, rollup.revision])
    finally:
        conn.close()
    return report


def add(report: Report, member: Report, sign: int) -> None:
    for i, (value, variance) in enumerate(zip(member.values, member.noise_variance, strict=True)):
        report.values[i] += sign * value
        report.noise_variance[i] += sign * variance


def test_an_honest_county_bundle_verifies_clean(round_):
    verdict = inspect_county(round_)
    assert verdict.ok, text(verdict.failures)
    assert verdict.passed["rollup"] == 1


def test_a_member_named_twice_with_its_sums_doubled_is_flagged(round_):
    def twice(report: Report, reports: dict[str, Report]) -> None:
        report.members.append(next(m for m in report.members if m.sender_id == SCHOOL))
        add(report, reports[SCHOOL], +1)

    resign_rollup(round_, twice)
    verdict = inspect_county(round_)
    [problem] = verdict.failures  # its sums are right for what it names: only this is wrong
    assert problem.check == "membership" and "610102 本级汇总 own rollup" in problem.subject
    assert f"member {SCHOOL} is named 2 times as a member" in problem.en


def test_a_school_of_another_county_in_the_enrolment_is_flagged(round_):
    key = SigningKey.generate()

    def stranger(report: Report, _: dict) -> None:
        report.enrolled.append(Enrolled(member_id="2161030004", region="610103",
                                        signing_keys=[bytes(key.verify_key)]))
        report.missing.append("2161030004")

    resign_rollup(round_, stranger)
    problems = text(inspect_county(round_).failures)
    assert "member 2161030004 is enrolled in region 610103, outside 610102" in problems
    assert "lists 2161030004 (region 610103) with keys that 610102's own bundle does not " \
        "show enrolled" in problems


def test_a_school_another_county_enrolled_claimed_in_the_countys_region_is_flagged(round_):
    """County 610102 signs 610103's school into its enrolment as its own, with a made-up key."""
    key = SigningKey.generate()

    def claim(report: Report, _: dict) -> None:
        report.enrolled.append(Enrolled(member_id="2161030004", region=COUNTY,
                                        signing_keys=[bytes(key.verify_key)]))
        report.missing.append("2161030004")

    resign_rollup(round_, claim)
    verdict = verify([export_all(round_)], [export_school_receipts(round_)],
                     [trusted_keys(round_)])
    [twice] = [f for f in verdict.failures if f.subject == "成员 member 2161030004"]
    assert twice.check == "membership"
    assert twice.en.startswith("is enrolled by 610102, 610103 at once (610102 第1版汇总 rollup r1 "
                               "(2025-H1); 610103 ")
    assert "a member is enrolled in one place only" in twice.en


def test_a_school_the_county_never_enrolled_is_flagged(round_):
    def ghost(report: Report, _: dict) -> None:
        report.missing.append("2161010009")

    resign_rollup(round_, ghost)
    [problem] = inspect_county(round_).failures
    assert "member 2161010009 is not in the enrolment 610102 signed" in problem.en


@pytest.mark.parametrize("how", ["missing", "left out"])
def test_a_school_called_missing_or_left_out_despite_its_receipt_is_flagged(round_, how):
    def drop(report: Report, reports: dict[str, Report]) -> None:
        kept = [m for m in report.members if m.sender_id != SCHOOL]
        del report.members[:]
        report.members.extend(kept)
        add(report, reports[SCHOOL], -1)
        if how == "missing":
            report.missing.append(SCHOOL)
        else:
            kept = [e for e in report.enrolled if e.member_id != SCHOOL]
            del report.enrolled[:]
            report.enrolled.extend(kept)

    resign_rollup(round_, drop)
    receipt = round_ / "receipts" / f"school-{SCHOOL}" / f"{SCHOOL}_2025-H1_r1.receipt"
    [problem] = inspect_county(round_).failures
    assert problem.check == "accounted"
    said = f"lists {SCHOOL} as missing" if how == "missing" else \
        f"leaves {SCHOOL} out (neither a member nor missing)"
    assert f"{said}, but the receipt {receipt} proves its revision 1 was accepted" in problem.en
    assert "before this rollup was made" in problem.en and str(receipt) in problem.zh

    [problem] = inspect_county(round_, receipts=False).failures  # the log proves it as well
    assert f"{said}, but leaf 0 of 新城区 610102's log proves its revision 1" in problem.en


def test_a_school_returned_for_correction_may_be_listed_missing(round_):
    db = aggregator_db(round_, COUNTY)
    store = Store(db)
    try:
        settings = own_identity.load(store)
        decisions.return_submission(store, settings, staff.aggregator_credential(
            settings.signing_key), SCHOOL, H1, "人数不符 the counts do not match",
            datetime.now(UTC))
        made, new = make_rollup(store, settings, H1)
    finally:
        store.close()
    report = parse_signed(made.signed)[1]
    assert new and SCHOOL in report.missing
    assert [e.returned_revision for e in report.enrolled if e.member_id == SCHOOL] == [1]
    verdict = inspect_county(round_)
    assert verdict.ok, text(verdict.failures)


def _rewrite_log(folder: Path, *statements: tuple[str, list]) -> None:
    conn = sqlite3.connect(aggregator_db(folder, COUNTY))
    try:
        with conn:
            for sql, params in statements:
                conn.execute(sql, params)
            conn.execute("DELETE FROM checkpoints")  # and signs the rewritten log anew
    finally:
        conn.close()


def test_a_renumbered_log_is_told_apart_from_a_dropped_leaf(round_):
    _rewrite_log(round_, ("UPDATE submissions SET log_index = -1 WHERE log_index = 0", []),
                 ("UPDATE submissions SET log_index = 0 WHERE log_index = 1", []),
                 ("UPDATE submissions SET log_index = 1 WHERE log_index = -1", []))
    verdict = verify([export_all(round_)], [export_school_receipts(round_)],
                     [trusted_keys(round_)])
    problems = text(verdict.failures)
    assert "leaf 0 of the log is no longer this submission: it was moved to leaf 1 (the log " \
        "was renumbered)" in problems
    assert "it was moved to leaf 0" in problems
    assert f"names member {SCHOOL} revision 1 at leaf 0, which the bundle does not hold there: " \
        "it is at leaf 1 now, the log was renumbered after the rollup was made" in problems
    # summed from where the members are now, and found to sum
    assert "the rollup is not the sum" not in problems
    assert "cannot be recomputed" not in text(verdict.notes)
    assert "dropped" not in problems and "replaced" not in problems


def test_a_replaced_leaf_is_told_apart_from_a_dropped_one(round_):
    db = aggregator_db(round_, COUNTY)
    store = Store(db)
    try:
        held = store.submission(SCHOOL, H1.code, 1)
    finally:
        store.close()
    envelope, report = parse_signed(held.signed)
    report.values[0] += 1
    envelope.report = report.SerializeToString()
    other = envelope.SerializeToString()
    _rewrite_log(round_, ("UPDATE submissions SET signed = ?, leaf_hash = ? WHERE log_index = 0",
                          [other, leaf_hash(other)]))
    verdict = verify([export_all(round_)], [export_school_receipts(round_)],
                     [trusted_keys(round_)])
    problems = text(verdict.failures)
    assert f"the log holds other bytes for {SCHOOL} 2025-H1 revision 1 (leaf 0): the submission " \
        "was replaced" in problems
    assert "dropped" not in problems and "renumbered" not in problems


def test_a_county_bundle_with_its_own_annual_summary_verifies_clean(tmp_path):
    """The county files its own work summary, naming its school's: an honest annual bundle."""
    county = Aggregator(tmp_path, COUNTY, "county")
    year = Period.parse("2025")
    county.start()
    try:
        school = make_school(tmp_path, SCHOOL, "primary", COUNTY, county)
        store = open_store(school.path)
        try:
            file_school_summary(store, school.path, year, "# 2025年度工作总结\n开展关爱活动。\n")
            submit(store, school.path, None, **FAST)
        finally:
            store.conn.close()
    finally:
        county.stop()
    aggregator_store = Store(county.db)
    try:
        settings = own_identity.load(aggregator_store)
        make_rollup(aggregator_store, settings, H1)
        file_summary(aggregator_store, settings, year, "# 新城区2025年度工作总结\n", datetime.now(UTC))
        bundle = export_bundle(aggregator_store, settings, year, tmp_path / "bundle").path
    finally:
        aggregator_store.close()
    verdict = verify([bundle])
    assert verdict.ok, text(verdict.failures)
    assert verdict.bundles[0].rollups == 1 and verdict.passed["rollup"] == 1



LATER = datetime(2030, 1, 1, tzinfo=UTC)  # the rollup re-signed as made then


def revoke_in_county(folder: Path, at: str) -> bytes:
    """The county's store shows SCHOOL's key revoked from ``at``; the key."""
    conn = sqlite3.connect(aggregator_db(folder, COUNTY))
    try:
        with conn:
            conn.execute("UPDATE member_keys SET revoked_at = ? WHERE member_id = ?", [at, SCHOOL])
        [(key,)] = conn.execute("SELECT signing_key FROM member_keys WHERE member_id = ?",
                                [SCHOOL]).fetchall()
    finally:
        conn.close()
    return bytes(key)


@pytest.mark.parametrize("listed", ["as kept", "not at all", "at another time"])
def test_a_revocation_the_county_hides_from_its_enrolment_is_flagged(round_, listed):
    """The county's own keys.json shows the school's key revoked in 2029; its rollup, made in
    2030, must list that revocation at that time, or its parent would still answer the key."""
    key = revoke_in_county(round_, "2029-01-01T00:00:00+00:00")

    def made_later(report: Report, _: dict) -> None:
        report.created_unix_ms = to_ms(LATER)
        if listed != "not at all":
            moved = 1000 if listed == "at another time" else 0
            next(e for e in report.enrolled if e.member_id == SCHOOL).revoked.append(Revoked(
                signing_key=key, revoked_unix_ms=to_ms(datetime(2029, 1, 1, tzinfo=UTC)) + moved))

    resign_rollup(round_, made_later)
    verdict = inspect_county(round_)
    if listed == "as kept":
        assert verdict.ok, text(verdict.failures)
        return
    problems = [f for f in verdict.failures if f.check == "membership"]
    assert problems and len(problems) == len(verdict.failures), text(verdict.failures)
    said = text(problems)
    assert f"does not list the revocation of {SCHOOL}'s key" in said
    assert "from 2029-01-01T00:00:00.000+00:00" in said
    if listed == "at another time":
        assert "lists a revocation of" in said and "does not show at that time" in said


def test_a_revocation_the_county_makes_up_is_flagged(round_):
    def made_up(report: Report, _: dict) -> None:
        entry = next(e for e in report.enrolled if e.member_id == SCHOOL)
        entry.revoked.append(Revoked(signing_key=entry.signing_keys[0],
                                     revoked_unix_ms=to_ms(LATER)))

    resign_rollup(round_, made_up)
    [problem] = inspect_county(round_).failures
    assert problem.check == "membership"
    assert f"lists a revocation of {SCHOOL}'s key" in problem.en
