"""修改密码: an official changes their own password in the bureau's pages, in a real browser,
against a county serving gRPC on loopback fed by its schools.

The change keeps the staff credential (a decision made after it is signed by the same key),
ends the account's other sessions and not the one that made it; a wrong current password
changes nothing and counts toward the sign-in lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from aggregator.keys import accounts
from aggregator.store.sqlite import Account, Store
from guanai.cli import cli
from privacy.envelope import verify_with_context
from privacy.memberauth import DECISION_CONTEXT
from tests.bureau_web import PASSWORD, sign_in
from tests.node_web import guarded_page, shot
from tests.test_bureau_web_decisions import county_round  # noqa: F401 (fixture: 2 of 3 report)

NEW = "a new long password 2"


@pytest.fixture
def second_page(browser):
    """Another browser (its own cookies): a second session of the same account."""
    yield from guarded_page(browser, lambda url: urlsplit(url).hostname == "127.0.0.1")


def change(page, current: str, new: str, again: str | None = None) -> None:  # noqa: ANN001
    page.get_by_label("当前密码 Current password").fill(current)
    page.get_by_label("新密码 New password", exact=True).fill(new)
    page.get_by_label("再输一次新密码 Repeat the new password").fill(again or new)
    with page.expect_navigation():
        page.get_by_role("button", name="修改密码 Change password").click()


def test_an_official_changes_their_password_keeping_their_credential(
        county_round, bureau_pages, bureau_page, second_page, clock):  # noqa: F811
    page = bureau_page
    county = bureau_pages(county_round.counties["610102"])
    county.account("李填表", "operator")
    store = county.bureau.store
    before = store.account("李填表")
    sign_in(second_page, county, "李填表", path="/decisions?period=2027-H1")
    sign_in(page, county, "李填表", path="/completeness")

    page.get_by_role("link", name="修改密码 Change password").click()
    page.wait_for_url("**/password")
    # a wrong current password: a clear message, nothing changed, counted as a failed sign-in
    attempts = store.login_attempts("李填表")
    change(page, "not my password", NEW)
    assert page.get_by_role("alert").inner_text().startswith("当前密码不对")
    assert "没有做任何更改" in page.get_by_role("alert").inner_text()
    assert store.account("李填表") == before
    assert store.login_attempts("李填表") == [*attempts, (attempts[-1][0], "127.0.0.1", False)]
    # the new password twice, differently; the account's own name: refused, nothing changed
    change(page, PASSWORD, NEW, NEW + "x")
    assert "两次输入的新密码不一致" in page.get_by_role("alert").inner_text()
    change(page, PASSWORD, "李填表")
    assert "密码不能与账号名相同" in page.get_by_role("alert").inner_text()
    change(page, PASSWORD, " " * 8)  # a password of spaces: not a password
    assert "密码不能全是空格" in page.get_by_role("alert").inner_text()
    assert store.account("李填表") == before

    change(page, PASSWORD, NEW)
    assert "密码已修改" in page.locator(".note.ok").inner_text()
    shot(page, "bureau-password")
    after = store.account("李填表")
    assert after.staff_key_id == before.staff_key_id  # the same credential, sealed again
    assert after.sealed_key != before.sealed_key and after.salt != before.salt
    assert len(store.staff()) == 1
    raw = county_round.counties["610102"].db.read_bytes()
    assert NEW.encode() not in raw and PASSWORD.encode() not in raw

    # the other session has ended; this one goes on, and decides with the same credential
    second_page.reload()
    assert "/login" in second_page.url
    assert second_page.get_by_role("status").inner_text() == (
        "密码已在别处修改，请重新登录。The password was changed elsewhere; please sign in again.")
    shot(second_page, "bureau-password-changed-elsewhere")
    page.goto(county.url + "/decisions?period=2027-H1")
    late = page.locator("tr#m-2161010003")
    late.get_by_label("补报截止 Until").fill("2027-07-31")
    late.get_by_role("button", name="准予补报 Unlock").click()
    assert "已准予 2161010003 补报" in page.locator(".note.ok").inner_text()
    [made] = [d for d in store.decisions() if d.kind == "unlock"]
    assert made.credential == f"staff:{before.staff_key_id}"
    [official] = store.staff()
    verify_with_context(DECISION_CONTEXT, made.record, made.signature, official.public_key)

    # signing in: the old password no more, the new one opens the same credential
    page.get_by_role("button", name="退出 Sign out").click()
    sign_in(page, county, "李填表", password=PASSWORD, succeeds=False)
    assert "账号或密码不对" in page.get_by_role("alert").inner_text()
    sign_in(page, county, "李填表", password=NEW, path="/password")
    signed = accounts.sign_in(store, "李填表", NEW, "-", clock.now())
    assert signed.credential.label == f"staff:{before.staff_key_id}"

    # wrong current passwords count toward the lock: after five, even the right one is refused
    # (failures count from the last success: a second later than the sign-in)
    clock.moment += timedelta(seconds=1)
    for _ in range(accounts.LOCK_FAILURES):
        change(page, "guessing again", "another new password")
    change(page, NEW, "another new password")
    assert "尝试次数过多" in page.get_by_role("alert").inner_text()
    assert store.account("李填表").password_hash == after.password_hash
    page.get_by_role("button", name="退出 Sign out").click()
    sign_in(page, county, "李填表", password=NEW, succeeds=False)
    assert "尝试次数过多" in page.get_by_role("alert").inner_text()


def test_a_viewer_changes_their_password_too(county_round, bureau_pages, bureau_page):  # noqa: F811
    page = bureau_page
    county = bureau_pages(county_round.counties["610102"])
    county.account("赵查看", "viewer")
    sign_in(page, county, "赵查看", path="/password")
    change(page, PASSWORD, NEW)
    assert "密码已修改" in page.locator(".note.ok").inner_text()
    store = Store(county_round.counties["610102"].db)
    try:
        assert accounts.sign_in(store, "赵查看", NEW, "-", county.bureau.now()).credential is None
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, "赵查看", PASSWORD, "-", county.bureau.now())
    finally:
        store.close()
    # the administrator resets it (another process, as `guanai aggregator account password`):
    # the open session ends at its next request
    reset = CliRunner().invoke(cli, ["aggregator", "--db", str(county.aggregator.db), "account",
                                     "password", "--name", "赵查看"], input=f"{PASSWORD}\n" * 2)
    assert reset.exit_code == 0, reset.output
    page.reload()
    assert "/login" in page.url and "密码已在别处修改" in page.content()
    assert "会话已过期" not in page.content()


def test_a_session_ended_by_a_password_change_is_told_so_for_a_while_only(clock):
    """``Sessions`` remembers the ids a change ended for ``IDLE`` (then forgets them): the
    next request within it is told why, one after it is a plain unknown session."""
    from aggregator.web.access import IDLE, PASSWORD_CHANGED, Sessions

    account = Account("李填表", "viewer", "610102", "$argon2id$old", None, None, None,
                      "2027-06-30T02:00:00+00:00")
    sessions = Sessions()
    now = clock.now()
    keep, told, late = (sessions.open(account, None, now) for _ in range(3))
    changed = replace(account, password_hash="$argon2id$new")
    assert sessions.changed(changed, keep, now) == 2
    assert sessions.get(keep, now)[0].password_hash == "$argon2id$new"
    assert sessions.get(told, now + IDLE) == (None, PASSWORD_CHANGED)
    assert sessions.get(told, now + IDLE) == (None, None)  # told once
    sessions.open(account, None, now + IDLE + timedelta(seconds=1))  # forgets what is past
    assert sessions.get(late, now + IDLE + timedelta(seconds=1)) == (None, None)
