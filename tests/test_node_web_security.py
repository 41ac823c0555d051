"""Issue 13, security: forged requests, serving beyond loopback, and the password.

A state-changing request without the session's token, or sent from another site, is refused
and changes nothing. ``guanai node web`` refuses an address beyond loopback without TLS and a
password; with both, the pages ask for the password (argon2id) and say how they are served.
Every browser test also fails if a page asks another host for anything (tests/node_web.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from common.web.passwords import check_password, hash_password
from common.web.server import BindingRefused, Tls, check_binding, start
from node.config import NodeConfig
from node.web.app import create_app
from node.web.site import Site
from tests.federation import dump
from tests.node_web import (
    VIEWPORT,
    form_fields,
    set_up_school,
    shot,
    synth_files,
    tls_certificate,
    upload,
)


def test_forged_and_cross_site_requests_are_refused_and_change_nothing(page, pages, county,
                                                                        tmp_path):
    set_up_school(page, pages, county, tmp_path)
    upload(page, pages, "学生名册", synth_files(tmp_path) / "roster.csv")
    page.goto(pages.url + "/care?form=activities")
    fields = form_fields(page, "main form")
    fields.update({"日期": "2027-06-01", "活动类型": "家长会"})
    before = dump(pages.db)

    forged = dict(fields, csrf_token="guessed")
    answer = page.request.post(pages.url + "/care/activities", form=forged)
    assert answer.status == 400 and "没有做任何更改" in answer.text()
    missing = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert page.request.post(pages.url + "/care/activities", form=missing).status == 400
    elsewhere = page.request.post(pages.url + "/care/activities", form=fields,
                                  headers={"Origin": "http://evil.example"})
    assert elsewhere.status == 400 and "其他网站" in elsewhere.text()
    assert dump(pages.db) == before


def test_binding_beyond_loopback_needs_tls_and_a_password(tmp_path):
    check_binding("127.0.0.1", None, False)
    check_binding("::1", None, False)
    check_binding("localhost", None, False)
    tls = Tls(tmp_path / "cert.pem", tmp_path / "key.pem")
    for tls_, password in ((None, False), (None, True), (tls, False)):
        with pytest.raises(BindingRefused, match="TLS"):
            check_binding("0.0.0.0", tls_, password)
    check_binding("0.0.0.0", tls, True)

    run = subprocess.run([sys.executable, "-m", "guanai", "node", "--db", str(tmp_path / "n.db"),
                          "web", "--host", "0.0.0.0"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "needs TLS and a password" in run.stderr


def test_over_tls_the_pages_ask_for_the_password_and_say_how_they_are_served(
        browser, clock, tmp_path):
    tls_certificate(tmp_path)
    stored = hash_password("长安校园2027!")
    assert stored.startswith("$argon2id$") and check_password(stored, "长安校园2027!")
    assert not check_password(stored, "wrong password")
    site = Site(tmp_path / "school.db", clock, NodeConfig(), served_beyond_loopback=True)
    server = start(create_app(site, stored, secure_cookies=True),
                   tls=Tls(tmp_path / "cert.pem", tmp_path / "key.pem"))
    context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
    try:
        assert server.url.startswith("https://")
        page = context.new_page()
        page.goto(server.url + "/")
        assert "/login" in page.url
        assert "需要密码" in page.locator("main").inner_text()
        page.get_by_label("密码").fill("wrong password")
        page.get_by_role("button", name="登录 Sign in").click()
        assert "密码不对" in page.get_by_role("alert").inner_text()
        assert not site.db.exists()  # nothing was created behind the gate
        page.get_by_label("密码").fill("长安校园2027!")
        page.get_by_role("button", name="登录 Sign in").click()
        assert page.url.endswith("/setup")
        assert "网络访问（TLS + 密码）" in page.locator("header").inner_text()
        shot(page, "17-tls-setup")
    finally:
        context.close()
        server.stop()


def test_the_command_serves_on_loopback_and_stops_on_sigterm(tmp_path):
    import signal
    import urllib.request

    from tests.federation import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "guanai", "node", "--db", str(tmp_path / "n.db"), "web",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line and "仅本机" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert answer.url.endswith("/setup") and "建立学校节点" in answer.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_web_password_keeps_only_an_argon2id_hash(tmp_path):
    from click.testing import CliRunner

    from guanai.cli import cli
    from node.cli_web import PASSWORD_KEY
    from node.membership import init_school
    from node.store import get_meta, open_store

    db = tmp_path / "n.db"
    init_school(db, "2161010001", "610102", "测试学校")
    short = CliRunner().invoke(cli, ["node", "--db", str(db), "web-password",
                                     "--password", "short"])
    assert short.exit_code == 2 and get_meta(open_store(db), PASSWORD_KEY) is None
    done = CliRunner().invoke(cli, ["node", "--db", str(db), "web-password",
                                    "--password", "长安校园2027!"])
    assert done.exit_code == 0, done.output
    stored = get_meta(open_store(db), PASSWORD_KEY)
    assert stored.startswith("$argon2id$") and "长安校园" not in stored
    assert check_password(stored, "长安校园2027!")
