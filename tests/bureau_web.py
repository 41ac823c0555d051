"""Fixtures for the bureaus' web pages in a real browser: a province and its counties serving
gRPC on loopback, fed with school reports (tests/rounds.py), and an aggregator's pages served
by cheroot on loopback with accounts made as ``guanai aggregator account add`` makes them.

``bureau_pages(aggregator)`` serves that aggregator's pages (a ``BureauPages``); ``.account``
adds an account and ``sign_in(page, pages, name)`` signs the browser in. The pages' clock is
the ``clock`` fixture of tests/node_web.py (30 June 2027, 10:00 Beijing time), which a test
moves forward to expire a session. Reuse: the browser, ``page`` guard and ``shot`` come from
tests/node_web.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from aggregator.keys import accounts
from aggregator.web.app import create_app
from aggregator.web.bureau import Bureau
from common.web.server import start
from member.client import ClientTls
from tests.federation import Aggregator
from tests.node_web import guarded_page
from tests.rounds import H1, Round

PASSWORD = "correct horse 1"
# Two counties of Xi'an with three schools each; 610103's third school never reports.
LAYOUT = {"610102": ["2161010001", "2161010002", "2161010003"],
          "610103": ["2161010011", "2161010012", "2161010013"]}


class BureauPages:
    """One aggregator's pages on loopback."""

    def __init__(self, aggregator: Aggregator, clock,  # noqa: ANN001
                 client_tls: ClientTls | None = None) -> None:
        self.aggregator = aggregator
        self.bureau = Bureau(aggregator.db, clock, client_tls)
        self.server = start(create_app(self.bureau))
        self.url = self.server.url

    def account(self, name: str, role: str = "viewer", region: str | None = None,
                password: str = PASSWORD) -> None:
        accounts.add(self.bureau.store, self.bureau.settings, name, role, password,
                     self.bureau.now(), region)

    def stop(self) -> None:
        self.server.stop()
        self.bureau.close()


@pytest.fixture(scope="module")
def round_h1(tmp_path_factory):
    """The province and two counties; five of six schools report 2025-H1, both counties roll
    up; one school's figures are 10 for every cell named below."""
    folder = tmp_path_factory.mktemp("bureau")
    the_round = Round(folder, LAYOUT)
    for schools in LAYOUT.values():
        for school_id in schools:
            if school_id != "2161010013":
                the_round.submit(school_id, {})
    the_round.roll_up(H1)
    yield the_round
    the_round.stop()


@pytest.fixture
def bureau_pages(clock):
    """``bureau_pages(aggregator[, client_tls])``: that aggregator's pages (presenting that
    client certificate in their gRPC calls), stopped at the end."""
    started: list[BureauPages] = []

    def serve(aggregator: Aggregator, client_tls: ClientTls | None = None) -> BureauPages:
        started.append(BureauPages(aggregator, clock, client_tls))
        return started[-1]

    yield serve
    for pages in started:
        pages.stop()


@pytest.fixture
def bureau_page(browser):
    """A browser page that may load nothing but from the pages on loopback."""
    yield from guarded_page(browser, lambda url: urlsplit(url).hostname == "127.0.0.1")


def sign_in(page, pages: BureauPages, name: str, password: str = PASSWORD,  # noqa: ANN001
            path: str = "/", succeeds: bool = True) -> None:
    """Open ``path`` and sign in on the page it leads to; wait until it has led on (or, if
    not ``succeeds``, until the refusal is shown)."""
    page.goto(pages.url + path)
    page.get_by_label("账号 Account name").fill(name)
    page.get_by_label("密码 Password").fill(password)
    if succeeds:
        with page.expect_navigation():
            page.get_by_role("button", name="登录 Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
    else:
        page.get_by_role("button", name="登录 Sign in").click()
        page.get_by_role("alert").wait_for()
