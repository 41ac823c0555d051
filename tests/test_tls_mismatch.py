"""A client whose TLS setup does not match its aggregator's is told why, and does not retry.

Real servers on loopback with real certificates (openssl): each mismatch of issue 16 item 9b
ends at the first attempt in ``TlsMisconfigured``, saying the cause in Chinese and English,
where gRPC alone says ``UNAVAILABLE: Socket closed`` and the member would retry for ever. An
aggregator that is simply down is still retried. The Query and Members clients get the same
diagnosis (one piece of code: member/client.py ``calling``), and an aggregator that is down
stays UNAVAILABLE for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from aggregator.grpc.query_client import QueryRefused, ask, ask_table, request
from aggregator.grpc.server import Tls
from member.client import Backoff, ClientTls, SubmitGaveUp, TlsMisconfigured, submit_until_receipt
from member.standing import MemberRequestFailed, get_status
from privacy import credential
from privacy.envelope import seal, sign_report
from protos import aggregator_pb2 as pb
from protos.periods import Period
from tests.federation import Aggregator, free_port, make_report
from tests.test_aggregator_server import _openssl, certificates, county  # noqa: F401 (fixtures)

SCHOOL = "2161010001"
FAST = dict(attempts=20, timeout=5, backoff=Backoff(initial=0.05, maximum=0.1))


@pytest.fixture
def other_ca(certificates):  # noqa: F811
    """A second CA, with a server and a client certificate of its own."""
    c = certificates
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days",
             "2", "-subj", "/CN=another CA", cwd=c)
    for name in ("other-server", "other-client"):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                 f"/CN={name}", cwd=c)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "other-ca.pem", "-CAkey",
                 "other-ca.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                 "-extfile", "server.ext", cwd=c)
    return c


def attempt(county: Aggregator, ca: str | None, client: ClientTls | None = None,  # noqa: F811
            address: str | None = None) -> None:
    target = county.settings.identity(address or county.running.address, ca)
    signed = sign_report(make_report().SerializeToString(), county.key)
    submit_until_receipt(target, pb.Submission(sealed=seal(signed, target.keys.sealing)),
                         client_tls=client, **FAST)


def client_of(c, name: str = "client") -> ClientTls:  # noqa: ANN001
    return ClientTls((c / f"{name}.pem").read_bytes(), (c / f"{name}.key").read_bytes())


def mismatch(call) -> str:  # noqa: ANN001
    with pytest.raises(TlsMisconfigured) as info:
        call()
    return str(info.value)


def test_no_client_certificate_for_a_mutual_tls_parent(county, certificates):  # noqa: F811
    c = certificates
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key", c / "ca.pem"))
    said = mismatch(lambda: attempt(county, (c / "ca.pem").read_text()))
    assert "对方汇总节点要求客户端证书" in said and "requires mutual TLS" in said
    attempt(county, (c / "ca.pem").read_text(), client_of(c))  # with one, it goes through


def test_a_client_certificate_from_another_ca(county, other_ca):  # noqa: F811
    c = other_ca
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key", c / "ca.pem"))
    said = mismatch(lambda: attempt(county, (c / "ca.pem").read_text(),
                                    client_of(c, "other-client")))
    assert "不接受本端的客户端证书" in said and "refuses this side's client certificate" in said


def test_a_server_certificate_from_another_ca(county, other_ca):  # noqa: F811
    c = other_ca
    county.start(tls=Tls.from_files(c / "other-server.pem", c / "other-server.key"))
    said = mismatch(lambda: attempt(county, (c / "ca.pem").read_text()))
    assert "不是由导出文件中的 CA 签发" in said and "not signed by the CA in its export" in said


def test_plaintext_against_a_tls_parent(county, certificates):  # noqa: F811
    c = certificates
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key"))
    said = mismatch(lambda: attempt(county, None))
    assert "对方汇总节点使用 TLS 加密" in said and "connects in plaintext" in said


def test_tls_against_a_plaintext_parent(county, certificates):  # noqa: F811
    county.start()
    said = mismatch(lambda: attempt(county, (certificates / "ca.pem").read_text()))
    assert "对方汇总节点未启用 TLS" in said and "does not speak TLS" in said


def test_a_parent_that_is_down_is_still_retried(county, certificates):  # noqa: F811
    address = f"127.0.0.1:{free_port()}"
    for ca in (None, (certificates / "ca.pem").read_text()):
        with pytest.raises(SubmitGaveUp):
            attempt(county, ca, address=address)


# --- every other client of an aggregator gets the same diagnosis (member/client.py ``calling``)

def _figures(target, client, at: Aggregator) -> None:  # noqa: ANN001
    token = credential.issue(at.key, SCHOOL, "school", SCHOOL, "资助办", timedelta(days=1))
    ask(target, token, request("acad.dropped_out", [Period.parse("2025-H1")]),
        client_tls=client, timeout=5)


def _table(target, client, at: Aggregator) -> None:  # noqa: ANN001
    token = credential.issue(at.key, SCHOOL, "school", SCHOOL, "资助办", timedelta(days=1))
    try:
        ask_table(target, token, "", Period.parse("2025-H1"), client_tls=client, timeout=5)
    except QueryRefused as refused:  # the service's own answer: the school sent nothing yet
        if "本期无计入数字" not in str(refused):
            raise


def _standing(target, client, at: Aggregator) -> None:  # noqa: ANN001
    get_status(target, SCHOOL, at.key, datetime.now(UTC), client_tls=client, timeout=5)


CLIENTS = {"Query.Figures": _figures, "Query.Table": _table, "Members.GetStatus": _standing}


@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_names_a_missing_client_certificate(county, certificates, client):  # noqa: F811
    c = certificates
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key", c / "ca.pem"))
    target = county.settings.identity(county.running.address, (c / "ca.pem").read_text())
    said = mismatch(lambda: CLIENTS[client](target, None, county))
    assert "对方汇总节点要求客户端证书" in said and "requires mutual TLS" in said
    assert "UNAVAILABLE" not in said.split("(gRPC:")[0]
    CLIENTS[client](target, client_of(c), county)  # with one, it is answered


@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_names_a_server_certificate_from_another_ca(county, other_ca, client):  # noqa: F811
    c = other_ca
    county.start(tls=Tls.from_files(c / "other-server.pem", c / "other-server.key"))
    target = county.settings.identity(county.running.address, (c / "ca.pem").read_text())
    said = mismatch(lambda: CLIENTS[client](target, None, county))
    assert "不是由导出文件中的 CA 签发" in said and "not signed by the CA in its export" in said


@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_names_plaintext_against_tls(county, certificates, client):  # noqa: F811
    c = certificates
    county.start(tls=Tls.from_files(c / "server.pem", c / "server.key"))
    target = county.settings.identity(county.running.address, None)
    said = mismatch(lambda: CLIENTS[client](target, None, county))
    assert "对方汇总节点使用 TLS 加密" in said and "connects in plaintext" in said
    CLIENTS[client](county.settings.identity(county.running.address,
                                             (c / "ca.pem").read_text()), None, county)


@pytest.mark.parametrize("client", CLIENTS)
def test_an_aggregator_that_is_down_is_unavailable_not_a_tls_mismatch(county, client):  # noqa: F811
    target = county.settings.identity(f"127.0.0.1:{free_port()}", None)
    with pytest.raises((QueryRefused, MemberRequestFailed)) as info:
        CLIENTS[client](target, None, county)
    assert not isinstance(info.value, TlsMisconfigured)
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
