"""Monitoring warnings end to end over real gRPC: judged at the province, kept as history,
delivered signed to the county concerned, answered, and the answer visible at the province."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.figures.holdings import level_of
from aggregator.store.sqlite import Store
from aggregator.warnings import board
from aggregator.warnings.delivery import DeliveryError, deliver_pending, respond, send_responses
from aggregator.warnings.monitoring import evaluate_period
from aggregator.warnings.notices import open_response, open_warning, sign_response, sign_warning
from aggregator.warnings.rules import load_rules
from protos.periods import Period
from protos.query_pb2 import SignedWarning, SignedWarningResponse, Warning, WarningResponse
from protos.query_pb2_grpc import WarningsStub
from tests.federation import dump
from tests.rounds import CAT, Round, healthy

H1, H2 = Period.parse("2025-H1"), Period.parse("2025-H2")
AFTER = date(2026, 1, 10)
LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161030004", "3161030005"]}


@pytest.fixture
def round_(tmp_path):
    federation = Round(tmp_path, LAYOUT)
    yield federation
    federation.stop()


def judge(round_, period, today=AFTER, levels=("county",)):
    """The province's judgements of the period, of regions at these levels."""
    store = Store(round_.province.db)
    try:
        return {(w.rule_id, w.region): w for w in evaluate_period(
            store, round_.province.settings, period, today=today)
            if level_of(w.region) in levels}
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
        ("W03", "610102"): ("resolved", "2025-H1"), ("W07", "610103"): ("persisting", "2025-H1")}
    assert judge(round_, H2) == second  # judging again changes nothing


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


def test_delivered_signed_answered_and_visible_upwards(round_):
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100}})
    warning = judge(round_, H1)[("W03", "610102")]
    province = Store(round_.province.db)
    try:
        sent = deliver_pending(province, round_.province.settings)
        # the province's and Xi'an's own W03 stay at the province: no aggregator of theirs below
        assert (sent.delivered, sent.kept, sent.failed) == (1, 2, 0)
        assert province.warning(warning.warning_id).delivered_at
        assert deliver_pending(province, round_.province.settings).delivered == 0
    finally:
        province.close()

    county = round_.counties["610102"]
    store = Store(county.db)
    try:
        received = store.warning(warning.warning_id)
        assert received.signed == warning.signed and received.issuer == "610000"
        with pytest.raises(DeliveryError, match="action"):
            respond(store, county.settings, warning.warning_id, "ignored")
        respond(store, county.settings, warning.warning_id, "rectifying", date(2026, 3, 1))
        assert send_responses(store, county.settings).delivered == 1
        assert all(r.sent_at for r in store.warning_responses())
    finally:
        store.close()

    province = Store(round_.province.db)
    try:
        [answer] = province.warning_responses(warning.warning_id)
        body = open_response(answer.signed, county.settings.public_keys.signing)
        assert (body.responder, body.action, body.planned_by) == ("610102", "rectifying",
                                                                  "2026-03-01")
    finally:
        province.close()
    assert Store(round_.counties["610103"].db).warnings() == []


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
    issued = judge(round_, H1)[("W03", "610102")]

    def response(by, warning_id=issued.warning_id):
        body = WarningResponse(warning_id=warning_id, responder=by.settings.region,
                               action="acknowledged", responded_unix_ms=1)
        return SignedWarningResponse.FromString(sign_response(body, by.settings.signing_key))

    forged = WarningResponse(warning_id=issued.warning_id, responder="610102",
                             action="acknowledged", responded_unix_ms=1)
    cases += [
        (round_.province, "Respond", response(other), grpc.StatusCode.PERMISSION_DENIED),
        (round_.province, "Respond", SignedWarningResponse.FromString(
            sign_response(forged, SigningKey.generate())), grpc.StatusCode.UNAUTHENTICATED),
        (round_.province, "Respond", response(county, "cd" * 12), grpc.StatusCode.NOT_FOUND),
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


def test_the_board_shows_history_responses_scope_and_the_severest(round_):
    """What /warnings and the map read (aggregator/warnings/board.py), as the CLI shows it."""
    submit_all(round_, H1, {"610102": {"psy.talk_monthly": 100, "acad.dropped_out": 40},
                            "610103": {"mentor.assigned": 80}})
    judge(round_, H1)
    province = Store(round_.province.db)
    try:
        deliver_pending(province, round_.province.settings)
    finally:
        province.close()
    county = Store(round_.counties["610102"].db)
    try:
        w03 = next(w for w in county.warnings() if w.rule_id == "W03")
        respond(county, round_.counties["610102"].settings, w03.warning_id, "acknowledged")
        respond(county, round_.counties["610102"].settings, w03.warning_id, "rectified")
        send_responses(county, round_.counties["610102"].settings)
    finally:
        county.close()
    submit_all(round_, H2, {"610103": {"mentor.assigned": 80}})
    judge(round_, H2)

    province = Store(round_.province.db)
    try:
        first = {(e.stored.rule_id, e.stored.region): e for e in board.entries(province, H1.code)}
        answered = first[("W03", "610102")]
        assert [a.action for a in answered.answers] == ["acknowledged", "rectified"]
        assert answered.latest.action == "rectified" and answered.stored.delivered_at
        assert not first[("W07", "610103")].responses
        assert {(e.stored.rule_id, e.stored.region)
                for e in board.entries(province, H1.code, scope="610103")} == {("W07", "610103")}
        worst = board.severest(list(first.values()))
        severity = {r.id: r.severity for r in load_rules().rules}
        assert worst["610103"] == severity["W07"]
        assert worst["610102"] == min((severity["W01"], severity["W03"]),
                                      key=board.SEVERITY_RANK.get)
        second = board.entries(province, H2.code, scope="610100")
        statuses = {(e.stored.rule_id, e.stored.region): (e.stored.status, e.stored.since)
                    for e in second}
        assert statuses[("W03", "610102")] == ("resolved", "2025-H1")
        assert statuses[("W07", "610103")] == ("persisting", "2025-H1")
        worst = board.severest(second)
        assert "610102" not in worst and worst["610103"] == severity["W07"]  # resolved: clear
        assert {e.stored.region for e in second} <= {"610100", "610102", "610103"}
        assert len(board.entries(province)) == len(first) + len(board.entries(province, H2.code))
    finally:
        province.close()
