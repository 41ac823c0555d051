"""Fixtures for the school's web pages in a real browser: Debian's chromium driven by
Playwright, a node's pages and a county aggregator on loopback, one fixed clock for both.

The clock stands at 30 June 2027, 10:00 Beijing time — inside the first half-year's release
window, before its deadline — whatever the real date is. Screenshots go to
``test-screenshots/`` (git-ignored) for people to look at. A request to any host but the
pages' own fails the test: nothing may be loaded from elsewhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from common.web.server import start
from node.config import NodeConfig
from node.store import open_store
from node.web.app import create_app
from node.web.site import Site
from tests.federation import Aggregator

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
NOW = datetime(2027, 6, 30, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-screenshots"
VIEWPORT = {"width": 1366, "height": 768}


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds, stop=None) -> None:  # noqa: ANN001
        pass


class Pages:
    """A school node's pages served on loopback, and what the test needs to reach them."""

    def __init__(self, folder: Path, clock: FixedClock) -> None:
        self.db = folder / "school.db"
        self.site = Site(self.db, clock, NodeConfig(), submit_attempts=2, submit_timeout=10)
        self.server = start(create_app(self.site))
        self.url = self.server.url

    def store(self):  # noqa: ANN201
        return open_store(self.db)

    def count(self, table: str) -> int:
        return self.store().execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def county(tmp_path, clock):
    county = Aggregator(tmp_path, "610102", "county", "610000", open_2025=False)
    county.start(clock=clock)
    yield county
    county.stop()


@pytest.fixture
def pages(tmp_path, clock):
    pages = Pages(tmp_path, clock)
    yield pages
    pages.server.stop()


@pytest.fixture(scope="module")  # each test module imports it: one Playwright at a time
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: deploy/install.sh --dev installs Debian's chromium "
                    "(as root); never `playwright install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, pages):
    yield from guarded_page(browser, lambda url: urlsplit(url).netloc == urlsplit(pages.url).netloc)


def guarded_page(browser, own) -> Iterator:  # noqa: ANN001
    """A fresh browser page whose requests to anywhere ``own(url)`` refuses fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    elsewhere: list[str] = []

    def guard(route) -> None:  # noqa: ANN001
        if not own(route.request.url):
            elsewhere.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert elsewhere == [], f"pages asked another host for {elsewhere}"


def shot(page, name: str) -> Path:  # noqa: ANN001
    """Save a full-page screenshot for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_width(page) -> bool:  # noqa: ANN001
    """No horizontal scrolling at the viewport's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def set_up_school(page, pages: Pages, county: Aggregator, tmp_path: Path,  # noqa: ANN001
                  school_id: str = "2161010001") -> None:
    """From an empty node: the setup form, then the key exchange with the county."""
    page.goto(pages.url + "/")
    page.get_by_label("学校标识码").fill(school_id)
    page.get_by_label("所在县区代码").fill("610102")
    page.get_by_label("学校名称").fill("西安市新城区示范小学")
    page.get_by_role("button", name="建立").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载本校公钥文件").click()
    mine = tmp_path / "school-key.json"
    download.value.save_as(mine)
    from privacy.identity import Identity

    county.enrol(Identity.from_json(mine.read_text(encoding="utf-8")))
    theirs = tmp_path / "county.json"
    theirs.write_text(county.identity().to_json(), encoding="utf-8")
    page.get_by_label("选择县区教育局给的文件").set_input_files(str(theirs))
    page.get_by_role("button", name="导入上级公钥").click()
    page.wait_for_url(pages.url + "/")


def upload(page, pages: Pages, kind_zh: str, path: Path) -> None:  # noqa: ANN001
    """Upload one import file through the import page."""
    page.goto(pages.url + "/import")
    page.get_by_role("radio", name=re.compile(f"^{kind_zh}")).check()
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(path))
    page.get_by_role("button", name="检查并导入").click()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def form_fields(page, selector: str) -> dict[str, str]:  # noqa: ANN001
    """The current values of a form's fields (hidden ones included), to send it again."""
    return json.loads(page.eval_on_selector(
        selector, "f => JSON.stringify(Object.fromEntries(new FormData(f)))"))


def synth_files(folder: Path, students: int = 60, school_id: str = "2161010001") -> Path:
    """A synthetic school's import files for 2027-H1 (synth/, never real students)."""
    from protos.periods import Period
    from synth.files import write_school
    from synth.geography import county
    from synth.idcard import IdCardIssuer
    from synth.school import generate, make_spec

    spec = make_spec(school_id, county("610102"), Period.parse("2027-H1"), seed=11,
                     students=students)
    files = folder / "files"
    write_school(generate(spec, IdCardIssuer()), files)
    return files


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl): cert.pem, key.pem."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a test certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out",
                    "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1"],
                   cwd=folder, check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"
