"""Queries over real gRPC: figures and intervals at every level, and who may ask what."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.figures.estimates import ratio, total
from aggregator.figures.indicators import IndicatorError
from aggregator.figures.trends import trend
from aggregator.grpc.query_client import QueryRefused, ask, request
from aggregator.store.sqlite import Store
from privacy import credential
from protos.periods import Period
from tests.rounds import CAT, H1, Round

H2 = Period.parse("2025-H2")
LAYOUT = {"610102": ["2161010001", "3161010002"], "610103": ["2161030004", "2161030005"]}
UNIVERSITY = ("4161000006", "610116")
DROPPED = {"2161010001": (400, 4), "3161010002": (300, 30), "2161030004": (500, 5),
           "2161030005": (200, 2), UNIVERSITY[0]: (900, 9)}
DROPOUT = "acad.dropped_out / acad.reg_expected"


def cells(school_id: str, half: int = 1) -> dict[str, int]:
    expected, dropped = DROPPED[school_id]
    return {"acad.reg_expected": expected, "acad.dropped_out": dropped * half,
            "key.current": 50, "psy.talk_monthly": 45}


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("query"), LAYOUT, (UNIVERSITY,))
    for period, half in ((H1, 1), (H2, 2)):
        for school_id in [*DROPPED]:
            if (school_id, period) != ("2161030005", H2):  # missing in H2
                federation.submit(school_id, cells(school_id, half), period)
        federation.roll_up(period)
    yield federation
    federation.stop()


def figures(round_, token, indicator=DROPOUT, periods=(H1,), at=None, **options):
    target = (at or round_.province).identity()
    response = ask(target, token, request(indicator, periods, **options))
    return response, {(f.region, f.period): f for f in response.figures}


def expected_ratio(schools, half=1, variance=9.0):
    values = {"d": sum(DROPPED[s][1] * half for s in schools),
              "e": sum(DROPPED[s][0] for s in schools)}
    return ratio({"d": 1}, {"e": 1}, values, dict.fromkeys(values, variance * len(schools)))


def test_province_staff_see_every_level_with_intervals_and_members(round_):
    token = round_.staff(round_.province, "610000")
    response, found = figures(round_, token, regions=["610000", "610102", "3161010002"])
    assert (response.kind, response.label_zh, response.unit_zh) == (
        "share", "辍学人数 ÷ 应报到困境学生人数", "比例")
    everything = [*DROPPED]
    for unit, schools, members, missing in (
            ("610000", everything, 3, 0), ("610102", LAYOUT["610102"], 2, 0),
            ("3161010002", ["3161010002"], 1, 0)):
        figure, want = found[(unit, "2025-H1")], expected_ratio(schools)
        assert (figure.value, figure.low, figure.high) == pytest.approx(
            (want.value, want.low, want.high), rel=1e-12)
        assert (figure.members, figure.missing, figure.schools) == (members, missing,
                                                                    len(schools))


def test_a_trend_over_periods_counts_the_missing(round_):
    token = round_.staff(round_.province, "610000")
    _, found = figures(round_, token, "acad.dropped_out", (H1, H2), regions=["610103"])
    h1, h2 = found[("610103", "2025-H1")], found[("610103", "2025-H2")]
    assert (h1.value, h1.members, h1.missing) == (7, 2, 0)
    assert (h2.value, h2.members, h2.missing) == (10, 1, 1)
    want = total({"d": 1}, {"d": 10}, {"d": 9.0})
    assert (h2.low, h2.high) == pytest.approx((want.low, want.high))


def test_below_lists_the_counties_and_a_countys_schools(round_):
    token = round_.staff(round_.province, "610000")
    _, found = figures(round_, token, below="county")
    assert sorted(r for r, _ in found) == ["610102", "610103"]
    _, found = figures(round_, token, regions=["610102"], below="school")
    assert sorted(r for r, _ in found) == LAYOUT["610102"]


def test_a_stage_keeps_only_that_stages_cells(round_):
    token = round_.staff(round_.province, "610000")
    response, found = figures(round_, token, "pop.in_difficulty", stage="primary",
                              regions=["3161010002", "2161010001"])
    assert response.label_en == "Students in difficulty (Primary)"
    assert found[("3161010002", "2025-H1")].value == 0  # a junior school has no primary cell
    index = CAT.cell("pop.in_difficulty.primary").index
    assert found[("2161010001", "2025-H1")].value == 5 + index % 7
    with pytest.raises(QueryRefused) as refused:
        figures(round_, token, DROPOUT, stage="primary")
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_county_staff_see_their_county_and_its_schools_only(round_):
    for at in (round_.province, round_.counties["610102"]):
        token = round_.staff(at, "610102")
        _, found = figures(round_, token, at=at, regions=["610102", "2161010001"])
        assert found[("610102", "2025-H1")].value == pytest.approx(34 / 700)
        _, found = figures(round_, token, at=at, below="school")
        assert sorted(r for r, _ in found) == LAYOUT["610102"]
        for outside in ("610103", "2161030004", "610000", UNIVERSITY[0], "2161039999"):
            with pytest.raises(QueryRefused) as refused:
                figures(round_, token, at=at, regions=[outside])
            assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED


def test_a_school_sees_its_own_figures_only(round_):
    token = round_.school("2161030004")
    for at in (round_.counties["610103"], round_.province):
        _, found = figures(round_, token, at=at)
        assert found[("2161030004", "2025-H1")].value == pytest.approx(0.01)
        for other in ("2161030005", "610103"):
            with pytest.raises(QueryRefused) as refused:
                figures(round_, token, at=at, regions=[other])
            assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(QueryRefused) as refused:  # a county does not hold its neighbour's school
        figures(round_, token, at=round_.counties["610102"])
    assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_untrusted_credentials_are_unauthenticated_and_reveal_nothing(round_):
    province = round_.province.settings
    forged = SigningKey.generate()
    cases = {
        "none": b"",
        "garbage": b"not a credential",
        "expired": credential.issue(province.signing_key, "610000", "staff", "610000", "s",
                                    timedelta(days=1), datetime.now(UTC) - timedelta(days=2)),
        "another issuer's key": credential.issue(forged, "610000", "staff", "610000", "s",
                                                 timedelta(days=1)),
        "a county's credential at the province": round_.staff(round_.counties["610102"],
                                                              "610102"),
        "a school signing for another": credential.issue(
            round_.keys["2161010001"], "2161030004", "school", "2161030004", "s",
            timedelta(days=1)),
    }
    for name, token in cases.items():
        with pytest.raises(QueryRefused) as refused:
            figures(round_, token)
        assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED, name
        assert "0.0" not in str(refused.value)


def test_tampered_credentials_do_not_verify():
    key = SigningKey.generate()
    token = bytearray(credential.issue(key, "610000", "staff", "610102", "s", timedelta(days=1)))
    token[token.index(b"610102") + 5] ^= 1  # 610102 → 610103
    with pytest.raises(credential.CredentialError, match="signature"):
        credential.verify(bytes(token))
    text = credential.to_text(bytes(token))
    assert credential.from_text(text + "\n") == bytes(token)
    with pytest.raises(credential.CredentialError):
        credential.from_text("Bearer abc")


def test_a_region_that_holds_nothing_is_not_held(round_):
    token = round_.staff(round_.province, "610000")
    _, found = figures(round_, token, regions=["610104"])
    figure = found[("610104", "2025-H1")]
    assert not figure.held and math.isnan(figure.value)


def test_the_pages_trend_is_the_query_services_figures(round_):
    """/trends draws what guanai.v1.Query answers: the same points, oldest half-year first."""
    token = round_.staff(round_.province, "610000")
    _, found = figures(round_, token, DROPOUT, (H1, H2), regions=["610103"])
    store = Store(round_.province.db)
    try:
        made = trend(store, round_.province.settings, "610103", DROPOUT)
        assert made.indicator.label.zh == "辍学人数 ÷ 应报到困境学生人数"
        assert [p.period for p in made.points] == ["2025-H1", "2025-H2"]
        for point in made.points:
            figure = found[("610103", point.period)]
            assert point.held and (point.members, point.missing) == (figure.members,
                                                                     figure.missing)
            assert (point.interval.value, point.interval.low, point.interval.high) == (
                figure.value, figure.low, figure.high)
        w03 = trend(store, round_.province.settings, "610102", "W03")  # a rule names its indicator
        assert w03.indicator.label.zh.startswith("重点学生") and w03.indicator.kind == "share"
        primary = trend(store, round_.province.settings, "2161010001", "pop.in_difficulty",
                        "primary")
        assert primary.indicator.label.zh.endswith("（小学）")
        assert primary.points[0].interval.value == 5 + CAT.cell(
            "pop.in_difficulty.primary").index % 7
        for wrong in (("no.such.cell", None), ("W03", "primary")):
            with pytest.raises(IndicatorError):
                trend(store, round_.province.settings, "610102", *wrong)
    finally:
        store.close()
