"""The bureaus' pages: sign-in, sessions, roles and region scopes, in a real browser."""

from __future__ import annotations

import re

from tests.bureau_web import sign_in
from tests.node_web import shot


def test_a_county_account_is_refused_another_county_and_sees_nothing_of_it(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("新城区查看", "viewer", region="610102")
    sign_in(bureau_page, pages, "新城区查看", path="/completeness?period=2025-H1&region=610102")
    assert re.search(r"/completeness", bureau_page.url)
    assert "610102" in bureau_page.content()
    response = bureau_page.goto(pages.url + "/completeness?period=2025-H1&region=610103")
    assert response.status == 403
    body = bureau_page.content()
    assert "无权访问" in body and "Forbidden" in body
    assert "碑林" not in body and "2161010011" not in body
    shot(bureau_page, "bureau-forbidden")
    for path in ("/table?period=2025-H1&region=610103", "/table?period=2025-H1&region=2161010011",
                 "/export/table.csv?period=2025-H1&region=610103",
                 "/export/table.xlsx?period=2025-H1&region=610000",
                 "/completeness?period=2025-H1&region=610000"):
        response = bureau_page.request.get(pages.url + path)
        assert response.status == 403, path
        assert "2161010011" not in response.text() and "碑林" not in response.text()
    # its own county's table and export are there
    assert bureau_page.request.get(
        pages.url + "/export/table.csv?period=2025-H1&region=610102").status == 200


def test_bad_input_is_a_clear_page_and_changes_nothing(round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅输入", "viewer")
    sign_in(bureau_page, pages, "省厅输入")
    for path, words in (("/completeness?period=2025-H1&region=61010", "6 位数字"),
                        ("/completeness?period=2025-H1&region=620102", "本级没有这个地区"),
                        ("/completeness?period=2025-H1&region=610199", "本级没有这个地区"),
                        ("/completeness?period=2025-H3", "报送期不对"),
                        ("/completeness?period=1999-H1", "年份不在 2000–2999 之间"),
                        ("/table?period=2025-H1&stage=kindergarten", "学段不对"),
                        ("/table?period=2025-H1&form=pretty", "表式不对"),
                        ("/table?period=2025-H1&region=2161019999", "没有这所学校"),
                        ("/export/table.docx?period=2025-H1", "导出格式不对")):
        response = bureau_page.goto(pages.url + path)
        assert response.status == 400, path
        assert words in bureau_page.content() and "Nothing was changed" in bureau_page.content()
        assert bureau_page.locator("h1").inner_text() == "输入有误 Bad input", path


def test_every_page_says_load_nothing_from_another_host(round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅安全", "viewer")
    sign_in(bureau_page, pages, "省厅安全")
    for path in ("/login", "/completeness?period=2025-H1", "/table?period=2025-H1"):
        response = bureau_page.goto(pages.url + path)
        assert "default-src 'self'" in response.headers["content-security-policy"], path


def test_a_post_without_its_csrf_token_is_refused(round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅表单", "viewer")
    sign_in(bureau_page, pages, "省厅表单")
    forged = bureau_page.request.post(pages.url + "/logout", form={"x": "1"})
    assert forged.status == 400 and "没有做任何更改" in forged.text()
    # still signed in: the forged sign-out did nothing
    assert bureau_page.goto(pages.url + "/completeness").url.startswith(
        pages.url + "/completeness")


def test_a_session_ends_when_idle_when_old_and_when_its_account_is_revoked(
        round_h1, bureau_pages, bureau_page, clock):
    from datetime import timedelta

    from aggregator.keys import accounts

    pages = bureau_pages(round_h1.province)
    pages.account("省厅会话", "viewer")
    start = clock.moment
    try:
        sign_in(bureau_page, pages, "省厅会话", path="/completeness?period=2025-H1")
        clock.moment = start + timedelta(minutes=29)  # still alive, and the idle time restarts
        assert "/completeness" in bureau_page.goto(pages.url + "/completeness").url
        clock.moment = start + timedelta(minutes=29 + 31)
        bureau_page.goto(pages.url + "/completeness?period=2025-H1")
        assert "/login" in bureau_page.url and "会话已过期" in bureau_page.content()
        shot(bureau_page, "bureau-session-expired")

        sign_in(bureau_page, pages, "省厅会话")  # absolute limit: 12 hours however busy
        for minutes in range(25, 12 * 60, 25):
            clock.moment = start + timedelta(minutes=60 + minutes)
            assert "/login" not in bureau_page.goto(pages.url + "/completeness").url
        clock.moment = start + timedelta(minutes=60 + 12 * 60 + 1)
        assert "/login" in bureau_page.goto(pages.url + "/completeness").url

        sign_in(bureau_page, pages, "省厅会话")
        accounts.revoke(pages.bureau.store, "省厅会话", clock.moment)
        assert "/login" in bureau_page.goto(pages.url + "/completeness").url
        sign_in(bureau_page, pages, "省厅会话", succeeds=False)
        assert "账号或密码不对" in bureau_page.content()
    finally:
        clock.moment = start


def test_sign_in_is_locked_after_five_failures_and_every_attempt_is_recorded(
        round_h1, bureau_pages, bureau_page, clock):
    from datetime import timedelta

    pages = bureau_pages(round_h1.province)
    pages.account("省厅限速", "viewer")
    start = clock.moment
    try:
        for _ in range(5):
            sign_in(bureau_page, pages, "省厅限速", password="wrong password", succeeds=False)
            assert "账号或密码不对" in bureau_page.content()
        # the right password is refused too while the account is locked
        sign_in(bureau_page, pages, "省厅限速", succeeds=False)
        assert "已锁定 15 分钟" in bureau_page.content()
        shot(bureau_page, "bureau-login-locked")
        clock.moment = start + timedelta(minutes=16)
        sign_in(bureau_page, pages, "省厅限速")
        attempts = pages.bureau.store.login_attempts("省厅限速")
        assert [ok for _, _, ok in attempts] == [False] * 6 + [True]
        assert all(address == "127.0.0.1" for _, address, _ in attempts)
    finally:
        clock.moment = start
