"""The annual work summary end to end: screened at the school, attached figures, filed at the
county, the county's own summary forwarded to the province, listed and shown there."""

from __future__ import annotations

from datetime import date, datetime

import grpc
import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from aggregator.keys import own_identity as aggregator_identity
from aggregator.log.export import export_bundle
from aggregator.rollup.build import send_rollup
from aggregator.rollup.summaries import file_summary as file_county_summary
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from guanai.cli import cli
from inspector.verify import verify
from member.client import Backoff
from node.membership import ensure_key, import_parent, own_identity, signing_key
from node.release import release_period, spent_in_year
from node.screening import IdentifiableText
from node.submit import outbox, submit
from node.summary import file_summary
from privacy.envelope import sign_report, verify_signed
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import CHINA
from protos.periods import Period
from protos.report_pb2 import Report
from protos.summary_pb2 import AnnualSummary
from tests.conftest import School
from tests.federation import (
    CANARY_ID,
    Aggregator,
    dump,
    make_report,
    school_identity,
    sealed,
)

H1, H2, YEAR = (Period.parse(p) for p in ("2025-H1", "2025-H2", "2025"))
SCHOOL = "2161010001"
FAST = dict(attempts=3, backoff=Backoff(initial=0.05, maximum=0.1), timeout=10)
TEXT = "# 2025年度工作总结\n\n全年资助困境学生12名，开展谈心谈话40次。\n"


@pytest.fixture
def federation(tmp_path):
    clock = SimulatedClock(datetime(2025, 12, 8, 10, tzinfo=CHINA))
    province = Aggregator(tmp_path, "610000", "province")
    county = Aggregator(tmp_path, "610102", "county", "610000")
    for aggregator in (province, county):
        aggregator.start(clock=clock)
    county.set_parent(province)
    province.enrol(county.identity())
    school = School(tmp_path / "school.db", school_id=SCHOOL)
    school.student("primary", ["poverty"], name="欧阳金丝雀", id_card=CANARY_ID)
    ensure_key(school.path)
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity())
    for half in (H1, H2):
        release_period(school.db, half, "610102", today=date(2025, 12, 8))
        submit(school.db, school.path, half, **FAST)
    yield clock, province, county, school
    for aggregator in (county, province):
        aggregator.stop()


def aggregator_cli(db, *args: str) -> str:  # noqa: ANN001
    result = CliRunner().invoke(cli, ["aggregator", "--db", str(db), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_summary_is_screened_attached_filed_and_listed_up_to_the_province(federation,
                                                                           tmp_path):
    clock, province, county, school = federation
    before = dump(school.path)
    with pytest.raises(IdentifiableText, match="line 4"):
        file_summary(school.db, school.path, YEAR, TEXT + "身份证号" + CANARY_ID + "\n")
    assert dump(school.path) == before

    path = tmp_path / "summary.md"
    path.write_text(TEXT + "文明校园\n", encoding="utf-8")
    spent = spent_in_year(school.db, 2025)
    result = CliRunner().invoke(cli, ["node", "--db", str(school.path), "summary", "--year",
                                      "2025", str(path)])
    assert result.exit_code == 0, result.output
    [item] = [i for i in outbox(school.db) if i.period == "2025"]
    report = verify_signed(item.signed)[0]
    assert report.kind == Report.SUMMARY and report.summary.text.endswith("文明校园\n")
    sent = {i.period: i.signed for i in outbox(school.db) if i.period != "2025"}
    assert list(report.summary.figures) == [sent["2025-H1"], sent["2025-H2"]]
    assert spent_in_year(school.db, 2025) == spent  # no new budget
    [body] = submit(school.db, school.path, **FAST)
    assert (body.period, body.timeliness) == ("2025", "on_time")

    store = Store(county.db)
    made = file_county_summary(store, county.settings, YEAR, "# 新城区年度工作总结\n", clock.now())
    send_rollup(store, county.settings, province.identity(), made, **FAST)
    store.close()
    listed = aggregator_cli(province.db, "summary", "list", "--year", "2025")
    assert "610102" in listed and f"{SCHOOL}" in listed and "via 610102" in listed
    shown = aggregator_cli(province.db, "summary", "show", "--member", SCHOOL, "--year", "2025",
                           "--figures")
    assert "全年资助困境学生12名" in shown and "2025-H1 revision 1, 2025-H2 revision 1" in shown
    assert "2025-H1 发布值 Released" in shown
    status = aggregator_cli(province.db, "status", "--period", "2025")
    assert "610102" in status and "missing below: 无 none" in status


def test_the_aggregator_refuses_summaries_out_of_place(federation):
    clock, _, county, school = federation
    key = SigningKey.generate()
    county.enrol(school_identity("2161010002", "610102", key))
    figure = sign_report(make_report("2161010002", period="2025-H1").SerializeToString(), key)
    stranger = sign_report(make_report(SCHOOL, period="2025-H1").SerializeToString(),
                           SigningKey.generate())

    def summary(period: str = "2025", figures=(), **changes) -> Report:  # noqa: ANN001, ANN003
        fields = dict(report_id=bytes(16), kind=Report.SUMMARY, sender_id="2161010002",
                      region_code="610102", recipient_id="610102", period=period,
                      catalogue_version="v1", revision=1, stage_code="21",
                      summary=AnnualSummary(text=TEXT, figures=list(figures)))
        return Report(**{**fields, **changes})

    cases = [
        (summary("2025-H2"), grpc.StatusCode.INVALID_ARGUMENT),
        (make_report("2161010002", period="2025"), grpc.StatusCode.INVALID_ARGUMENT),
        (summary(figures=[figure, figure]), grpc.StatusCode.INVALID_ARGUMENT),
        (summary(summary=AnnualSummary(text=" \n")), grpc.StatusCode.INVALID_ARGUMENT),
        (summary(summary=AnnualSummary(text="x" * (256 * 1024 + 1))),
         grpc.StatusCode.INVALID_ARGUMENT),
        (summary(sender_id=SCHOOL, figures=[stranger]), grpc.StatusCode.UNAUTHENTICATED),
    ]
    before = dump(county.db)
    with grpc.insecure_channel(county.running.address) as channel:
        stub = AggregatorStub(channel)
        for report, code in cases:
            signer = key if report.sender_id == "2161010002" else signing_key(school.path)
            with pytest.raises(grpc.RpcError) as refused:
                stub.Submit(sealed(report, signer, county), timeout=10)
            assert refused.value.code() == code, refused.value.details()
        assert "figure" in refused.value.details()  # the last: enrolled sender, foreign figure
        assert dump(county.db) == before
        receipt = stub.Submit(sealed(summary(figures=[figure]), key, county), timeout=10)
    assert receipt.body


def test_the_county_and_province_annual_bundles_verify_clean(federation, tmp_path):
    """Issue 16, item 11: the honest annual bundles — summaries, not tables — pass inspection."""
    clock, province, county, school = federation
    file_summary(school.db, school.path, YEAR, TEXT)
    submit(school.db, school.path, **FAST)
    for aggregator, text in ((county, "# 新城区年度工作总结\n"), (province, "# 陕西省年度工作总结\n")):
        store = Store(aggregator.db)
        try:
            made = file_county_summary(store, aggregator.settings, YEAR, text, clock.now())
            if aggregator is county:
                send_rollup(store, county.settings, province.identity(), made, **FAST)
        finally:
            store.close()
    for aggregator in (county, province):
        store = Store(aggregator.db)
        try:
            export_bundle(store, aggregator_identity.load(store), YEAR,
                          tmp_path / "bundles" / aggregator.settings.region)
        finally:
            store.close()
    verdict = verify([tmp_path / "bundles"])
    assert verdict.ok, [(f.subject, f.en) for f in verdict.failures]
    # the county's summary, its own and as the province holds it, and the province's own
    assert verdict.passed["rollup"] == 3 and verdict.passed["accounted"] == 2
