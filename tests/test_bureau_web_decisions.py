"""Decisions in the bureaus' pages, in a real browser, against a county and its province
serving gRPC on loopback: a county operator returns a submission with a reason (the school
then sees the return) and unlocks a late school; the filler, a reviewer and the unit head each
sign the rollup with their own credential; it goes up and the province shows it; a viewer
cannot decide; a forged member changes nothing. Each decision is recorded as the CLI's are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.store.sqlite import Store
from member.standing import get_status
from protos.periods import Period
from tests.bureau_web import sign_in
from tests.federation import dump
from tests.node_web import form_fields, shot
from tests.rounds import Round

LAYOUT = {"610102": ["2161010001", "2161010002", "2161010003"]}
H1 = Period.parse("2027-H1")  # the period open at the pages' clock (30 June 2027)
REASON = "资助金额与名单人数不符，请核对后重报 aid totals do not match"


@pytest.fixture
def county_round(tmp_path, clock):
    federation = Round(tmp_path, LAYOUT, clock=clock)
    for school_id in LAYOUT["610102"][:2]:
        federation.submit(school_id, {}, H1)
    yield federation
    federation.stop()


def sign_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="退出 Sign out").click()
    page.wait_for_url("**/login")


def member_row(page, member_id: str):  # noqa: ANN001, ANN201
    return page.locator(f"tr#m-{member_id}")


def test_return_unlock_sign_off_and_send_up_each_by_its_own_official(
        county_round, bureau_pages, bureau_page, clock):
    page = bureau_page
    county = bureau_pages(county_round.counties["610102"])
    for name, role in (("李填表", "operator"), ("王审核", "reviewer"), ("张局长", "head"),
                       ("赵查看", "viewer")):
        county.account(name, role)
    province = bureau_pages(county_round.province)
    province.account("省厅查看", "viewer")

    sign_in(page, county, "李填表", path="/decisions?period=2027-H1")
    returned = member_row(page, "2161010002")
    returned.get_by_label("退回理由 Why returned").fill(REASON)
    returned.get_by_role("button", name="退回 Return").click()
    assert "已退回 2161010002 第1版" in page.locator(".note.ok").inner_text()
    assert "已退回" in member_row(page, "2161010002").inner_text()
    assert REASON in member_row(page, "2161010002").inner_text()
    # the school asks its county for its standing, as its node does, and sees the return
    standing = get_status(county_round.counties["610102"].identity(), "2161010002",
                          county_round.keys["2161010002"], clock.now()).status
    h1 = next(p for p in standing.periods if p.period == H1.code)
    assert (h1.returned_revision, h1.return_reason) == (1, REASON)

    late = member_row(page, "2161010003")
    late.get_by_label("补报截止 Until").fill("2027-07-31")
    late.get_by_role("button", name="准予补报 Unlock").click()
    assert "已准予 2161010003 补报" in page.locator(".note.ok").inner_text()
    page.get_by_role("button", name="以填表人身份签字 Approve as filled by").click()
    assert "李填表 已以填表人身份签字" in page.locator(".note.ok").inner_text()
    assert page.get_by_role("button", name="上报上级 Send up").is_disabled()

    # a viewer reads but cannot decide: no forms, and forged posts are refused (403)
    sign_out(page)
    sign_in(page, county, "赵查看", path="/decisions?period=2027-H1")
    assert page.locator("form.decide").count() == 0
    assert page.get_by_role("button", name="上报上级 Send up").count() == 0
    before = dump(county_round.counties["610102"].db)
    fields = form_fields(page, "form[action='/logout']") | {"period": "2027-H1"}
    for path, extra in (("/decisions/return", {"member": "2161010001", "reason": "x"}),
                        ("/decisions/unlock", {"member": "2161010001"}),
                        ("/decisions/approve", {}), ("/decisions/send", {})):
        assert page.request.post(county.url + path, form=fields | extra).status == 403, path
    assert dump(county_round.counties["610102"].db) == before

    sign_out(page)
    sign_in(page, county, "王审核", path="/decisions?period=2027-H1")
    assert page.locator("form.decide").count() == 0  # a reviewer reviews: no return or unlock
    page.get_by_role("button", name="以审核人身份签字 Approve as reviewed by").click()
    assert "王审核 已以审核人身份签字" in page.locator(".note.ok").inner_text()

    sign_out(page)
    sign_in(page, county, "张局长", path="/decisions?period=2027-H1")
    forged = form_fields(page, "tr#m-2161010001 form[action='/decisions/return']")
    before = dump(county_round.counties["610102"].db)
    for member in ("2161019999", "610103", "61010'"):
        refused = page.request.post(county.url + "/decisions/return",
                                    form=forged | {"member": member, "reason": "x"})
        assert refused.status == 400 and "没有做任何更改" in refused.text()
    refused = page.request.post(county.url + "/decisions/approve",
                                form=forged | {"period": "2025-H7"})
    assert refused.status == 400
    assert dump(county_round.counties["610102"].db) == before
    page.get_by_role("button", name="以单位负责人身份签字 Approve as unit head").click()
    assert "张局长 已以单位负责人身份签字" in page.locator(".note.ok").inner_text()
    signoff = page.locator("#signoff + .card").inner_text()
    assert "李填表" in signoff and "王审核" in signoff and "张局长" in signoff
    page.get_by_role("button", name="上报上级 Send up").click()
    assert "已上报 陕西省（610000）" in page.locator(".note.ok").inner_text()
    record = page.locator("table.record").inner_text()
    for name, kind in (("李填表", "退回修改"), ("李填表", "准予补报"), ("王审核", "审核签字"),
                       ("张局长", "审核签字")):
        assert any(name in line and kind in line for line in record.splitlines()), (name, kind)
    # made at 02:00 UTC by the pages' clock, shown in Beijing time like the deadlines
    assert "2027-06-30 10:00" in record and "UTC" not in record
    shot(page, "bureau-decisions")

    # the province holds the signed-off rollup: its pages show the county's revision
    sign_in(page, province, "省厅查看", path="/decisions?period=2027-H1")
    assert "第1版" in member_row(page, "610102").inner_text()
    store = Store(county_round.province.db)
    try:
        [held] = store.revisions("610102", H1.code)
    finally:
        store.close()
    assert held.revision == 1


def test_an_unlock_shows_until_when_and_is_shown_expired_once_past(
        county_round, bureau_pages, bureau_page, clock):
    page = bureau_page
    county = bureau_pages(county_round.counties["610102"])
    county.account("李填表", "operator")
    sign_in(page, county, "李填表", path="/decisions?period=2027-H1")
    late = member_row(page, "2161010003")
    late.get_by_label("补报截止 Until").fill("2027-07-31")
    late.get_by_role("button", name="准予补报 Unlock").click()
    shown = member_row(page, "2161010003").locator(".unlock").inner_text()
    assert "准予补报至 2027-07-31 24:00" in shown and "已过期" not in shown
    assert member_row(page, "2161010001").locator(".unlock").count() == 0  # none granted

    start = clock.moment
    try:
        clock.moment = datetime(2027, 7, 31, 16, 0, tzinfo=UTC)  # 24:00 Beijing: its last moment
        sign_in(page, county, "李填表", path="/decisions?period=2027-H1")
        assert "准予补报至" in member_row(page, "2161010003").locator(".unlock").inner_text()
        clock.moment += timedelta(seconds=1)  # the session goes on; the unlock does not
        page.reload()
        shown = member_row(page, "2161010003").locator(".unlock").inner_text()
        assert "已过期" in shown and "2027-07-31 24:00" in shown and "准予补报至" not in shown
    finally:
        clock.moment = start
