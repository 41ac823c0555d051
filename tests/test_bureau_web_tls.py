"""The bureau's pages reach a parent that requires mutual TLS, with the client certificate
they were started with (``guanai aggregator web --client-cert/--client-key``).

A real province serves gRPC on loopback with mutual TLS (certificates made by openssl); its
county serves plain gRPC and its pages in a real browser. Without a client certificate the
county's pages say that the parent refused the connection, Chinese first, and mark nothing
sent; with one they send the signed-off rollup and an answer to a warning up, and the
province holds both.
"""

from __future__ import annotations

import pytest

from aggregator.grpc.server import Tls
from aggregator.keys import accounts, own_identity
from aggregator.rollup import signoff
from aggregator.store.sqlite import Store
from aggregator.warnings.delivery import deliver_pending
from aggregator.warnings.monitoring import evaluate_period
from protos.periods import Period
from tests.bureau_web import PASSWORD, sign_in
from tests.rounds import Round, healthy
from tests.test_aggregator_server import certificates  # noqa: F401 (fixture)
from tests.test_tls_mismatch import client_of

LAYOUT = {"610102": ["2161010001", "2161010002"]}
H1 = Period.parse("2027-H1")  # the period open at the pages' clock (30 June 2027)
OFFICIALS = (("李填表", "operator", "filler"), ("王审核", "reviewer", "reviewer"),
             ("张局长", "head", "head"))


@pytest.fixture
def guarded(tmp_path, clock, certificates):  # noqa: F811
    """A province requiring mutual TLS; its county 610102 fed by two schools for 2027-H1 (one
    lapse the province warns about: monthly talks)."""
    c = certificates
    (tmp_path / "round").mkdir()
    federation = Round(tmp_path / "round", LAYOUT, clock=clock, province_tls=(
        Tls.from_files(c / "server.pem", c / "server.key", c / "ca.pem"),
        (c / "ca.pem").read_text()))
    for school_id in LAYOUT["610102"]:
        federation.submit(school_id, healthy(school_id, **{"psy.talk_monthly": 100}), H1)
    yield federation
    federation.stop()


def held(db, what):  # noqa: ANN001, ANN201
    store = Store(db)
    try:
        return what(store)
    finally:
        store.close()


def test_the_pages_send_up_with_their_client_certificate_and_say_when_refused_without(
        guarded, certificates, bureau_pages, bureau_page, clock):  # noqa: F811
    page = bureau_page
    county, province = guarded.counties["610102"], guarded.province
    bare = bureau_pages(county)  # started without --client-cert
    mutual = bureau_pages(county, client_of(certificates))
    for name, role, signing in OFFICIALS:
        bare.account(name, role)
        official = accounts.sign_in(bare.bureau.store, name, PASSWORD, "-", clock.now())
        signoff.approve(bare.bureau.store, bare.bureau.settings, official.credential, H1,
                        signing, clock.now())

    sign_in(page, bare, "张局长", path="/decisions?period=2027-H1")
    page.get_by_role("button", name="上报上级 Send up").click()
    said = page.locator(".note.error").inner_text()
    assert said.startswith("上级拒绝了连接，未送达。")
    assert "要求客户端证书" in said and "requires mutual TLS" in said
    assert held(county.db, lambda s: s.latest_rollup(H1.code).receipt) is None
    assert held(province.db, lambda s: s.revisions("610102", H1.code)) == []

    sign_in(page, mutual, "张局长", path="/decisions?period=2027-H1")
    page.get_by_role("button", name="上报上级 Send up").click()
    assert "已上报 陕西省（610000）" in page.locator(".note.ok").inner_text()
    assert held(county.db, lambda s: s.latest_rollup(H1.code).receipt) is not None
    assert [r.revision for r in held(province.db, lambda s: s.revisions("610102", H1.code))] == [1]

    # the province judges the period and delivers its answers down (the county needs no
    # certificate); the county answers one of them up
    store = Store(province.db)
    try:
        settings = own_identity.load(store)
        evaluate_period(store, settings, H1, today=clock.now().date())
        assert deliver_pending(store, settings, timeout=10).failed == 0
    finally:
        store.close()
    sign_in(page, bare, "李填表", path="/warnings?period=2027-H1&all=1")
    form = page.locator("table.warnings form.answer").first
    form.locator("select").select_option(index=0)
    form.get_by_role("button", name="回复上级 Answer").click()
    said = page.locator(".note.error").inner_text()
    assert said.startswith("已回复") and "上级拒绝了连接，未送达。" in said
    assert "要求客户端证书" in said
    [kept] = held(county.db, lambda s: s.warning_responses())
    assert kept.sent_at is None
    assert held(province.db, lambda s: s.warning_responses()) == []
    page.goto(bare.url + "/warnings?period=2027-H1&all=1")
    assert "未送达 not sent" in page.locator("table.warnings").inner_text()

    sign_in(page, mutual, "李填表", path="/warnings?period=2027-H1&all=1")
    page.get_by_role("button", name="重发未送达的回复 Send answers not yet taken").click()
    assert "已送达回复 1 条，未送达 0 条" in page.locator(".note.ok").inner_text()
    [sent] = held(county.db, lambda s: s.warning_responses())
    assert sent.sent_at is not None
    [taken] = held(province.db, lambda s: s.warning_responses())
    assert (taken.warning_id, taken.responder) == (kept.warning_id, "610102")
