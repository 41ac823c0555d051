"""Monitoring warnings end to end over real gRPC: judged at the province, kept as history,
delivered signed to the county concerned, answered, and the answer visible at the province."""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.figures.holdings import level_of
from aggregator.store.sqlite import Store, StoredWarning
from aggregator.warnings import board
from aggregator.warnings.delivery import DeliveryError, deliver_pending, respond, send_responses
from aggregator.warnings.monitoring import evaluate_period
from aggregator.warnings.notices import open_response, open_warning, sign_response, sign_warning
from aggregator.warnings.rules import load_rules
from common.clock import SimulatedClock
from protos.periods import Period
from protos.query_pb2 import SignedWarning, SignedWarningResponse, Warning, WarningResponse
from protos.query_pb2_grpc import WarningsStub
from tests.federation import aggregator_cli, dump, leave_open
from tests.rounds import CAT, Round, healthy

H1, H2 = Period.parse("2025-H1"), Period.parse("2025-H2")
AFTER = date(2026, 1, 10)
LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161030004", "3161030005"]}


@pytest.fixture
def round_(tmp_path):
    federation = Round(tmp_path, LAYOUT)
    yield federation
    federation.stop()


def judge(round_, period, today=AFTER, levels=("county",), answers=False):
    """The province's warnings of the period (new, persisting, resolved), of regions at these
    levels; with ``answers``, every notice (the other answers too)."""
    store = Store(round_.province.db)
    try:
        return {(w.rule_id, w.region): w for w in evaluate_period(
            store, round_.province.settings, period, today=today)
            if level_of(w.region) in levels and (answers or w.status != "judged")}
    finally:
        store.close()


def submit_all(round_, period, problems, skip=()):
    for county, schools in LAYOUT.items():
        for school_id in schools:
            if school_id not in skip:
                round_.submit(school_id, healthy(school_id, **problems.get(county, {})), period)
    round_.roll_up(period)


def test_history_new_persisting_resolved_and_since(round_):
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100},
                            "610103": {"mentor.assigned": 80}})
    first = judge(round_, H1)
    assert sorted(first) == [("W03", "610102"), ("W07", "610103")]
    above = judge(round_, H1, levels=("city", "province"))
    assert sorted(above) == [("W03", "610000"), ("W03", "610100"), ("W07", "610000"),
                             ("W07", "610100")]
    w03 = open_warning(first[("W03", "610102")].signed, round_.province.settings.public_keys.signing)
    assert (w03.status, w03.since, w03.level, w03.members, w03.missing) == (
        "new", "2025-H1", "county", 2, 0)
    assert w03.low > w03.threshold == 0.10 and w03.low <= w03.value <= w03.high
    assert w03.value == pytest.approx(200 / 400)

    submit_all(round_, H2, {"610103": {"mentor.assigned": 80}})
    second = judge(round_, H2)
    assert {k: (w.status, w.since) for k, w in second.items()} == {
        ("W03", "610102"): ("persisting", "2025-H1"), ("W07", "610103"): ("persisting", "2025-H1")}
    # 610102's H2 alone cannot tell; over the year (H1's half without talks pooled) it is beyond
    w03 = open_warning(second[("W03", "610102")].signed,
                       round_.province.settings.public_keys.signing)
    assert (w03.answer, w03.basis_zh) == ("warning", "全年两期合并")
    assert judge(round_, H2) == second  # judging again changes nothing

    next_h1 = Period.parse("2026-H1")
    for aggregator in (round_.province, *round_.counties.values()):
        leave_open(aggregator.db, 2026)
    submit_all(round_, next_h1, {})
    third = judge(round_, next_h1, today=date(2026, 7, 10))
    assert {k: (w.status, w.since) for k, w in third.items()} == {
        ("W03", "610102"): ("resolved", "2025-H1"), ("W07", "610103"): ("resolved", "2025-H1")}


def test_missing_members_warn_only_after_the_deadline(round_):
    submit_all(round_, H2, {}, skip={"3161030005"})
    assert judge(round_, H2, today=date(2025, 12, 15)) == {}
    late = judge(round_, H2, today=date(2025, 12, 16))
    assert list(late) == [("W08", "610103")]
    w08 = open_warning(late[("W08", "610103")].signed, round_.province.settings.public_keys.signing)
    assert (w08.value, w08.members, w08.missing) == (1, 1, 1)



def test_a_deadline_moved_by_staff_moves_the_missing_members_warning(round_):
    submit_all(round_, H2, {}, skip={"3161030005"})
    province = Store(round_.province.db)
    try:
        province.set_deadlines(H2.code, "2025-12-31T16:00:00+00:00", "2026-01-15T16:00:00+00:00")
    finally:
        province.close()
    assert judge(round_, H2, today=date(2025, 12, 16)) == {}
    assert list(judge(round_, H2, today=date(2026, 1, 2))) == [("W08", "610103")]


def test_every_answer_is_delivered_signed_answered_and_visible_upwards(round_):
    """警示, 未见异常 and 数据不足以判断 alike reach the county they are about, and each is
    answered with the actions that fit it (a clear answer cannot be "rectifying")."""
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100}})
    notices = judge(round_, H1, answers=True)
    keys = round_.province.settings.public_keys.signing
    told = {k: open_warning(w.signed, keys) for k, w in notices.items() if k[1] == "610102"}
    assert {k[0]: w.answer for k, w in told.items()} == {
        "W01": "undecided", "W02": "undecided", "W03": "warning", "W04": "undecided",
        "W05": "undecided", "W06": "undecided", "W07": "undecided", "W08": "clear"}
    warning, clear, unsure = (notices[(r, "610102")] for r in ("W03", "W08", "W05"))
    assert (told[("W08", "610102")].status, told[("W05", "610102")].status) == ("judged",
                                                                                "judged")
    settle = told[("W05", "610102")].settle_zh
    assert "倍的数据" in settle and "市级 610100：" in settle  # what would tell, and the city
    province = Store(round_.province.db)
    try:
        sent = deliver_pending(province, round_.province.settings)
        # 8 rules × 2 counties go down; the province's and Xi'an's own answers stay here
        assert (sent.delivered, sent.kept, sent.failed) == (16, 16, 0)
        assert all(province.warning(w.warning_id).delivered_at for w in (warning, clear, unsure))
        assert deliver_pending(province, round_.province.settings).delivered == 0
    finally:
        province.close()

    county = round_.counties["610102"]
    store = Store(county.db)
    try:
        for notice in (warning, clear, unsure):
            received = store.warning(notice.warning_id)
            assert received.signed == notice.signed and received.issuer == "610000"
        for notice, wrong in ((warning, "ignored"), (warning, "checking"),
                              (clear, "rectifying"), (unsure, "rectified")):
            with pytest.raises(DeliveryError, match="action"):
                respond(store, county.settings, notice.warning_id, wrong)
        assert store.warning_responses() == []  # a refused answer records nothing
        respond(store, county.settings, warning.warning_id, "rectifying", date(2026, 3, 1))
        respond(store, county.settings, clear.warning_id, "acknowledged")
        respond(store, county.settings, unsure.warning_id, "checking")
        assert send_responses(store, county.settings).delivered == 3
        assert all(r.sent_at for r in store.warning_responses())
    finally:
        store.close()

    province = Store(round_.province.db)
    try:
        got = {}
        for notice in (warning, clear, unsure):
            [answer] = province.warning_responses(notice.warning_id)
            body = open_response(answer.signed, county.settings.public_keys.signing)
            got[notice.rule_id] = (body.responder, body.action, body.planned_by)
        assert got == {"W03": ("610102", "rectifying", "2026-03-01"),
                       "W08": ("610102", "acknowledged", ""),
                       "W05": ("610102", "checking", "")}
    finally:
        province.close()
    other = Store(round_.counties["610103"].db)
    try:
        assert {w.region for w in other.warnings()} == {"610103"}
    finally:
        other.close()
    # the county's staff see every answer with its response; --only-warnings keeps the 警示
    listed = aggregator_cli(county.db, "warnings", "--period", "2025-H1")
    assert all(word in listed for word in ("警示", "未见异常", "数据不足以判断", "整改中",
                                           "自查核实中", "610100："))
    only = aggregator_cli(county.db, "warnings", "--period", "2025-H1", "--only-warnings")
    assert "W03" in only and "W05" not in only and "W08" not in only


def _warning(region: str, issuer: str = "610000") -> Warning:
    return Warning(warning_id="ab" * 12, issuer=issuer, rule_id="W03", region=region,
                   period="2025-H1", status="new", since="2025-H1",
                   issued_unix_ms=1751335200000)  # 2025-07-01 10:00 CST


def _call(aggregator, method, message):
    with grpc.insecure_channel(aggregator.running.address) as channel:
        return getattr(WarningsStub(channel), method)(message, timeout=10)


def test_forged_or_misdirected_warnings_and_responses_are_refused(round_):
    county, other = round_.counties["610102"], round_.counties["610103"]
    province_key = round_.province.settings.signing_key
    cases = [
        (county, "Deliver", SignedWarning.FromString(sign_warning(_warning("610102"),
                                                                  SigningKey.generate())),
         grpc.StatusCode.UNAUTHENTICATED),
        (county, "Deliver", SignedWarning.FromString(sign_warning(_warning("610102", "610100"),
                                                                  province_key)),
         grpc.StatusCode.UNAUTHENTICATED),
        (county, "Deliver", SignedWarning.FromString(sign_warning(_warning("610103"),
                                                                  province_key)),
         grpc.StatusCode.PERMISSION_DENIED),
    ]
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100}})
    notices = judge(round_, H1, answers=True)
    issued, clear = notices[("W03", "610102")], notices[("W08", "610102")]

    def response(by, warning_id=issued.warning_id, action="acknowledged"):
        body = WarningResponse(warning_id=warning_id, responder=by.settings.region,
                               action=action, responded_unix_ms=1)
        return SignedWarningResponse.FromString(sign_response(body, by.settings.signing_key))

    forged = WarningResponse(warning_id=issued.warning_id, responder="610102",
                             action="acknowledged", responded_unix_ms=1)
    cases += [
        (round_.province, "Respond", response(other), grpc.StatusCode.PERMISSION_DENIED),
        (round_.province, "Respond", SignedWarningResponse.FromString(
            sign_response(forged, SigningKey.generate())), grpc.StatusCode.UNAUTHENTICATED),
        (round_.province, "Respond", response(county, "cd" * 12), grpc.StatusCode.NOT_FOUND),
        # signed by the county, but "rectified" does not answer 未见异常
        (round_.province, "Respond", response(county, clear.warning_id, "rectified"),
         grpc.StatusCode.INVALID_ARGUMENT),
        (round_.province, "Respond", response(county, issued.warning_id, "made-up"),
         grpc.StatusCode.INVALID_ARGUMENT),
    ]
    before = {a: dump(a.db) for a in (county, round_.province)}
    for target, method, message, code in cases:
        with pytest.raises(grpc.RpcError) as refused:
            _call(target, method, message)
        assert refused.value.code() == code, (method, refused.value.details())
    for aggregator, tables in before.items():
        assert dump(aggregator.db) == tables


def test_a_ratio_warns_only_if_the_test_at_the_threshold_agrees():
    """Fieller's set can lie beyond the threshold when the denominator is noise (here it is
    estimated below zero); the one-sided test of N − T·D keeps such a region from a warning."""
    from aggregator.warnings.rules import Figures, judge, load_rules

    w03 = next(r for r in load_rules().rules if r.id == "W03")
    values = dict.fromkeys(CAT.ids(), 0.0) | {"key.current": -1000.0, "psy.talk_monthly": -500.0}
    finding = judge(w03, Figures("610102", "county", values, dict.fromkeys(CAT.ids(), 1.0), 3, 0))
    assert finding.interval.low > w03.threshold and not finding.fires


def _judged_and_delivered_w03(round_: Round) -> StoredWarning:
    """Judge H1 at the province, deliver down, and give 610102's copy of its W03 warning."""
    judge(round_, H1)
    province = Store(round_.province.db)
    try:
        deliver_pending(province, round_.province.settings)
    finally:
        province.close()
    county = Store(round_.counties["610102"].db)
    try:
        return next(w for w in county.warnings() if w.rule_id == "W03")
    finally:
        county.close()


def test_the_board_shows_history_responses_scope_and_the_severest(round_):
    """What /warnings and the map read (aggregator/warnings/board.py), as the CLI shows it."""
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100, "acad.dropped_out": 40},
                            "610103": {"mentor.assigned": 80}})
    w03 = _judged_and_delivered_w03(round_)
    county = Store(round_.counties["610102"].db)
    try:
        respond(county, round_.counties["610102"].settings, w03.warning_id, "acknowledged")
        respond(county, round_.counties["610102"].settings, w03.warning_id, "rectified")
        send_responses(county, round_.counties["610102"].settings)
    finally:
        county.close()
    submit_all(round_, H2, {"610103": {"mentor.assigned": 80}})
    judge(round_, H2)

    province = Store(round_.province.db)
    try:
        first = {(e.stored.rule_id, e.stored.region): e
                 for e in board.entries(province, H1.code) if e.warns}
        answered = first[("W03", "610102")]
        assert [a.action for a in answered.answers] == ["acknowledged", "rectified"]
        assert answered.latest.action == "rectified" and answered.stored.delivered_at
        assert not first[("W07", "610103")].responses
        assert {(e.stored.rule_id, e.stored.region)
                for e in board.entries(province, H1.code, scope="610103")
                if e.warns} == {("W07", "610103")}
        worst = board.severest(list(first.values()))
        severity = {r.id: r.severity for r in load_rules().rules}
        assert worst["610103"] == severity["W07"]
        assert worst["610102"] == min((severity["W01"], severity["W03"]),
                                      key=board.SEVERITY_RANK.get)
        second = [e for e in board.entries(province, H2.code, scope="610100") if e.warns]
        statuses = {(e.stored.rule_id, e.stored.region): (e.stored.status, e.stored.since)
                    for e in second}
        # H2 alone cannot tell for 610102; the year pooled still shows H1's lapse: persisting
        assert statuses[("W03", "610102")] == ("persisting", "2025-H1")
        assert statuses[("W07", "610103")] == ("persisting", "2025-H1")
        worst = board.severest(second)
        assert "610102" in worst and worst["610103"] == severity["W07"]
        assert {e.stored.region for e in second} <= {"610100", "610102", "610103"}
        assert len(board.entries(province)) == len(board.entries(province, H1.code)) + len(
            board.entries(province, H2.code))
    finally:
        province.close()


def test_responses_made_within_one_millisecond_are_all_kept(round_):
    """Two answers to one warning in quick succession: both kept, in the order made (they
    were once keyed by the millisecond alone and the second replaced the first)."""
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100}})
    w03 = _judged_and_delivered_w03(round_)
    county = Store(round_.counties["610102"].db)
    try:
        instant = SimulatedClock(datetime(2025, 8, 1, 2, 0, tzinfo=UTC))  # time stands still
        made = [respond(county, round_.counties["610102"].settings, w03.warning_id, action,
                        clock=instant) for action in ("acknowledged", "rectifying", "rectified")]
        kept = county.warning_responses(w03.warning_id)
    finally:
        county.close()
    assert [r.action for r in kept] == ["acknowledged", "rectifying", "rectified"]
    assert len({r.responded_unix_ms for r in made}) == 3
