"""Issue 13, job 6 (and the end of the road): from a school's files to a delivered receipt,
in a real browser, against a real county aggregator on loopback.

Every import file is uploaded; the preview shows the true values and how uncertain each
released figure will be in plain words, with no ρ or ε on the main screen; the confirmation
says the release happens once, that a correction spends more of the year's allowance and
how many releases are left; the job page shows progress; the county holds the submission and
the receipts page shows its verified receipt. A correction then asks again and counts one
release fewer.
"""

from __future__ import annotations

import re

from aggregator.store.sqlite import Store
from node.release import latest_release
from protos.periods import Period
from synth.files import IMPORT_ORDER
from tests.node_web import (
    fits_width,
    set_up_school,
    shot,
    synth_files,
    upload,
)

KIND_ZH = {"roster": "学生名册", "auto": "免申即享名单", "cases": "重点关爱对象",
           "records": "关爱记录", "registration": "学期报到", "aid": "资助记录",
           "mentors": "育人导师", "activities": "家校协同活动"}


def import_everything(page, pages, folder) -> None:
    for kind in IMPORT_ORDER:
        upload(page, pages, KIND_ZH[kind], folder / f"{kind}.csv")
        assert "已导入" in page.get_by_role("status").inner_text(), kind


def test_preview_confirm_release_and_submit_until_a_verified_receipt(page, pages, county,
                                                                      tmp_path):
    set_up_school(page, pages, county, tmp_path)
    import_everything(page, pages, synth_files(tmp_path, students=120))

    page.get_by_role("link", name="统计表与报送").click()
    main = page.locator("main")
    text = main.inner_text()
    assert "尚未发布" in text and "本年度还可发布 4 次" in text
    assert "ρ" not in text and "ε" not in text  # the privacy parameters are behind a link
    assert re.search(r"±\d+，", text)  # how uncertain each figure will be
    assert "小于误差范围" in text or "报送值一般在" in text
    assert fits_width(page)
    shot(page, "09-release-preview")
    assert latest_release(pages.store(), Period.parse("2027-H1")) is None

    page.get_by_role("link", name="发布并报送").click()
    text = page.locator("main").inner_text()
    assert "发布只做一次" in text and "更正会多用隐私额度" in text
    assert "本年度还可发布 4 次" in text and "这次发布后还剩 3 次" in text
    shot(page, "10-release-confirm")

    # Without the box ticked (a script, or the browser's check bypassed): nothing happens.
    page.eval_on_selector("input[name=understood]", "e => e.removeAttribute('required')")
    page.get_by_role("button", name="确认发布并报送").click()
    assert "请先勾选" in page.get_by_role("alert").inner_text()
    assert pages.count("releases") == 0 and pages.count("budget_ledger") == 0

    page.get_by_label(re.compile("我已了解")).check()
    page.get_by_role("button", name="确认发布并报送").click()
    assert "/jobs/" in page.url
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    status = page.locator(".job-status").inner_text()
    assert "完成" in status and "回执已核验" in status, status
    assert page.locator("ol.progress li.done").count() == 2
    shot(page, "11-release-job")

    store = Store(county.db)
    try:
        held = store.submission("2161010001", "2027-H1", 1)
    finally:
        store.close()
    assert held is not None

    page.get_by_role("link", name="查看回执").click()
    row = page.locator("main table tbody tr").first.inner_text()
    assert "2027-H1" in row and "610102" in row and "按时" in row
    shot(page, "12-receipts")

    page.get_by_role("link", name="概览").first.click()
    assert "已报送并收到回执" in page.locator(".next").inner_text()
    shot(page, "13-status-delivered")

    # A correction: asked again, and one release fewer is left.
    page.get_by_role("link", name="统计表与报送").click()
    assert "已报送，回执已核验" in page.locator("main").inner_text()
    page.get_by_role("link", name="发布更正版").click()
    text = page.locator("main").inner_text()
    assert "（更正版）" in text and "本年度还可发布 3 次" in text
    page.get_by_role("link", name="隐私参数详情").click()
    assert "ρ = 0.5" in page.locator("main").inner_text()  # the details, behind the link


def test_an_unreachable_county_leaves_the_table_queued_and_try_again_delivers_the_same_bytes(
        page, pages, county, clock, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    upload(page, pages, "学生名册", synth_files(tmp_path) / "roster.csv")
    address = county.running.address
    county.stop()

    page.goto(pages.url + "/release/2027-H1/confirm")
    page.get_by_label(re.compile("我已了解")).check()
    page.get_by_role("button", name="确认发布并报送").click()
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    assert "暂时没有送达" in page.locator(".job-status").inner_text()
    [queued] = pages.store().execute("SELECT signed, state FROM outbox").fetchall()
    assert queued[1] == "pending"

    page.get_by_role("link", name="回执").first.click()
    assert "待报送" in page.locator("main").inner_text()
    county.start(listen=address, clock=clock)
    page.get_by_role("button", name="再试一次").click()
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    assert "回执已核验" in page.locator(".job-status").inner_text()
    [sent] = pages.store().execute("SELECT signed, state FROM outbox").fetchall()
    assert sent == (queued[0], "delivered")  # the same signed bytes, no fresh noise
    assert pages.count("releases") == 1
