"""Review sign-off (审核签字): a county's rollup goes up only after 填表人, 审核人 and 单位负责人
have approved it with their own credentials (or a role was waived, on the record); the
province refuses one without; the approvals travel signed inside the rollup, fill the
sign-off block and are checked by ``guanai inspect verify``. Real servers on loopback, real
SQLite files, the real command line."""

from __future__ import annotations

import json

import grpc
import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey
from openpyxl import load_workbook

from aggregator.rollup import signoff
from aggregator.rollup.build import make_rollup, member_reports, rollup_report
from aggregator.store.sqlite import Store
from guanai.cli import cli
from privacy.envelope import parse_signed, seal, sign_report
from privacy.signoff import sign_approval
from protos.aggregator_pb2 import Submission
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from protos.report_pb2 import Report
from protos.signoff import RoleError, role_code
from tests.federation import Aggregator, dump, make_report, school_identity, sealed

H1 = Period.parse("2025-H1")
OFFICIALS = {"填表人": "张填表", "审核人": "李审核", "单位负责人": "王主任"}


def run(*args: object, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, f"{args}: {result.output} {result.exception!r}"
    else:
        assert result.exit_code != 0, result.output
        if isinstance(result.exception, SystemExit):
            return result.output
        return result.output + str(result.exception)  # `guanai` prints a GuanaiError's text
    return result.output


@pytest.fixture
def pair(tmp_path):
    """Two schools → county 610102 → province 610000, both serving on loopback; the county's
    three officials registered, each with a credential file of their own."""
    province = Aggregator(tmp_path, "610000", "province")
    county = Aggregator(tmp_path, "610102", "county", "610000")
    province.start()
    county.start()
    county.set_parent(province)
    province.enrol(county.identity())
    with grpc.insecure_channel(county.running.address) as channel:
        for school_id in ("2161010001", "3161010002"):
            key = SigningKey.generate()
            county.enrol(school_identity(school_id, "610102", key))
            AggregatorStub(channel).Submit(sealed(make_report(school_id), key, county), timeout=10)
    keys = {}
    for role, person in OFFICIALS.items():
        keys[role] = tmp_path / f"{role}.key"
        run("aggregator", "--db", county.db, "staff", "add", "--name", person,
            "--key-out", keys[role])
    yield province, county, keys
    county.stop()
    province.stop()


def county_cli(county: Aggregator, *args: object, ok: bool = True) -> str:
    return run("aggregator", "--db", county.db, *args, ok=ok)


def send(county: Aggregator, *args: object, ok: bool = True) -> str:
    return county_cli(county, "rollup", "--period", "2025上半年", "--attempts", 2,
                      "--backoff", 0.05, "--timeout", 10, *args, ok=ok)


def province_rollups(province: Aggregator) -> list[Report]:
    store = Store(province.db)
    try:
        return [parse_signed(s.signed)[1] for s in store.period_submissions("2025-H1")
                if s.kind == "rollup"]
    finally:
        store.close()


def test_the_rollup_goes_up_only_after_three_approvals_which_it_carries(pair, tmp_path):
    province, county, keys = pair
    before = dump(province.db)
    refused = send(county, ok=False)
    assert "未审核签字" in refused and "审核人 reviewer" in refused
    assert dump(province.db) == before  # nothing reached the province

    for role in ("填表人", "审核人"):
        county_cli(county, "approve", "--period", "2025年春季学期", "--role", role,
                   "--credential", keys[role])
    shown = county_cli(county, "signoff", "--period", "2025-H1")
    assert "张填表" in shown and "李审核" in shown and "单位负责人 unit head: 未签 not yet" in shown
    refused = send(county, ok=False)
    assert "单位负责人 head" in refused and "填表人 filler" not in refused
    assert dump(province.db) == before

    # one person cannot take a second role; the aggregator's own key is no staff credential
    assert "一人不能兼任" in county_cli(county, "approve", "--period", "2025-H1", "--role",
                                     "单位负责人", "--credential", keys["审核人"], ok=False)
    county_cli(county, "approve", "--period", "2025-H1", "--role", "head",
               "--credential", keys["单位负责人"])
    assert "已上报 delivered to 610000" in send(county)

    [received] = province_rollups(province)
    assert [(a.role, a.name) for a in received.approvals] == [
        ("filler", "张填表"), ("reviewer", "李审核"), ("head", "王主任")]
    store = Store(county.db)
    try:
        block = signoff.approvals_of(store, H1)
        assert [(s.role_zh, s.name, s.waived) for s in block] == [
            ("填表人", "张填表", False), ("审核人", "李审核", False), ("单位负责人", "王主任", False)]
        assert all(s.date.startswith("20") and len(s.date) == 10 for s in block)
        kinds = [d.kind for d in store.decisions(period="2025-H1")]
        assert kinds.count("approve") == 3
    finally:
        store.close()
    # the county's printable table carries the same three names in its sign-off block
    xlsx = tmp_path / "county.xlsx"
    county_cli(county, "table", "--period", "2025-H1", "--format", "xlsx", "--out", xlsx)
    cells = {str(c.value) for row in load_workbook(xlsx).worksheets[0].iter_rows()
             for c in row if c.value is not None}
    assert all(any(name in text for text in cells) for name in ("张填表", "李审核", "王主任"))

    for aggregator in (county, province):
        run("aggregator", "--db", aggregator.db, "export", "--period", "2025-H1",
            "--out", tmp_path / "bundles" / aggregator.settings.region)
    verdict = json.loads(run("inspect", "verify", tmp_path / "bundles", "--format", "json"))
    assert verdict["verdict"] == "pass", verdict["failures"]
    assert verdict["checked"]["signoff"] == 2  # the county's own rollup, and as the province got it

    # an inspector given a county bundle whose officials were not registered sees it
    staff_file = tmp_path / "bundles" / "610102" / "staff.json"
    staff_file.write_text("[]\n", encoding="utf-8")
    verdict = json.loads(run("inspect", "verify", tmp_path / "bundles", "--format", "json",
                             ok=False))
    failed = [f for f in verdict["failures"] if f["check"] == "signoff"]
    assert len(failed) == 2 and all("张填表" in f["en"] for f in failed)


def test_a_waiver_is_recorded_and_signed_into_the_rollup(pair):
    province, county, keys = pair
    county_cli(county, "approve", "--period", "2025-H1", "--role", "填表人",
               "--credential", keys["填表人"])
    assert "免签须说明理由" in send(county, "--waive", "审核人", "--waive", "单位负责人", ok=False)
    assert province_rollups(province) == []
    send(county, "--waive", "审核人", "--waive", "单位负责人", "--reason", "审核人病假 on sick leave")
    [received] = province_rollups(province)
    waived = {a.role: a.waiver_reason for a in received.approvals}
    assert waived == {"filler": "", "reviewer": "审核人病假 on sick leave",
                      "head": "审核人病假 on sick leave"}
    store = Store(county.db)
    try:
        assert [d.kind for d in store.decisions(period="2025-H1")].count("waive") == 2
    finally:
        store.close()


def test_a_new_member_report_needs_a_new_sign_off(pair):
    province, county, keys = pair
    for role, key in keys.items():
        county_cli(county, "approve", "--period", "2025-H1", "--role", role, "--credential", key)
    with grpc.insecure_channel(county.running.address) as channel:
        key = SigningKey.generate()
        county.enrol(school_identity("2161010003", "610102", key))
        AggregatorStub(channel).Submit(sealed(make_report("2161010003"), key, county), timeout=10)
    # the approvals were of revision 1; the table now includes a third school: revision 2
    assert "未审核签字 rollup 2025-H1 revision 2" in send(county, ok=False)
    assert province_rollups(province) == []


def _submit_to_province(county: Aggregator, province: Aggregator, report: Report) -> None:
    store = Store(county.db)
    try:
        members = member_reports(store, report)
    finally:
        store.close()
    signed = sign_report(report.SerializeToString(), county.settings.signing_key)
    to = province.identity().keys.sealing
    with grpc.insecure_channel(province.running.address) as channel:
        AggregatorStub(channel).Submit(
            Submission(sealed=seal(signed, to), sealed_members=[seal(m, to) for m in members]),
            timeout=10)


def test_the_province_refuses_a_rollup_without_a_valid_sign_off(pair):
    province, county, _ = pair
    store = Store(county.db)
    try:
        draft = rollup_report(make_rollup(store, county.settings, H1)[0])
    finally:
        store.close()
    before = dump(province.db)
    with pytest.raises(grpc.RpcError) as info:  # no approvals: a sender that skipped the gate
        _submit_to_province(county, province, draft)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "未审核签字" in info.value.details()

    stranger = SigningKey.generate()
    forged = Report()
    forged.CopyFrom(draft)
    forged.approvals.extend(sign_approval(draft, role, stranger, 1750000000000, name="冒名")
                            for role in ("filler", "reviewer", "head"))
    forged.values[3] += 1  # approved, then changed: the approvals no longer cover it
    forged.approvals[0].name = "张填表"  # and a name changed after signing
    with pytest.raises(grpc.RpcError) as info:
        _submit_to_province(county, province, forged)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # the sums are checked first

    forged.values[3] -= 1  # the sums hold again: only the approvals are wrong now
    with pytest.raises(grpc.RpcError) as info:
        _submit_to_province(county, province, forged)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "审核签字无效" in info.value.details() and "filler" in info.value.details()

    waived = Report()
    waived.CopyFrom(draft)
    waived.approvals.extend(sign_approval(draft, role, stranger, 1750000000000,
                                          waiver_reason="无人 nobody")
                            for role in ("filler", "reviewer", "head"))
    with pytest.raises(grpc.RpcError) as info:  # a waiver signed by other than the county
        _submit_to_province(county, province, waived)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert dump(province.db) == before


def test_roles_are_read_as_people_write_them():
    assert [role_code(t) for t in ("填表人", " 审核人", "单位负责人", "head")] == [
        "filler", "reviewer", "head", "head"]
    with pytest.raises(RoleError):
        role_code("校长")
