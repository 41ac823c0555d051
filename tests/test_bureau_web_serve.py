"""``guanai aggregator web``: loopback by default, TLS with the gRPC certificate beyond it,
its address from the configuration file, stopped by SIGTERM."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
import urllib.request

from tests.federation import Aggregator, free_port
from tests.node_web import tls_certificate


def test_beyond_loopback_without_tls_is_refused(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610100")
    run = subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db", str(county.db),
                          "web", "--listen", "0.0.0.0:0"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "TLS" in run.stderr and "Traceback" not in run.stderr


def test_the_command_serves_tls_from_the_configuration_and_stops_on_sigterm(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610100")
    cert, _ = tls_certificate(tmp_path)
    port = free_port()
    config = tmp_path / "county.toml"
    config.write_text(f"[aggregator]\ndb = '{county.db.name}'\n[web]\nlisten = '127.0.0.1:{port}'"
                      "\n[tls]\ncert = 'cert.pem'\nkey = 'key.pem'\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "guanai", "aggregator", "web", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert f"https://127.0.0.1:{port}/" in line, line + process.stderr.read()
        insecure = ssl.create_default_context(cafile=str(cert))
        insecure.check_hostname = False
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/completeness",
                                    context=insecure) as answer:
            assert answer.url.endswith("/login?next=/completeness?")
            assert "登录 Sign in" in answer.read().decode()
            cookie = answer.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_a_client_certificate_needs_its_key_and_is_read_from_the_configuration(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    cert, key = tls_certificate(tmp_path)
    # one without the other: a usage error, Chinese first, before anything is served
    run = subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db", str(county.db),
                          "web", "--client-cert", str(cert)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "客户端证书和私钥须一同给出" in run.stderr and "go together" in run.stderr
    # a file named in the configuration that is not there: said at start, nothing served
    config = tmp_path / "county.toml"
    config.write_text(f"[aggregator]\ndb = '{county.db.name}'\n[rollup]\nclient_cert = "
                      "'cert.pem'\nclient_key = 'gone.pem'\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "guanai", "aggregator", "web", "--config",
                          str(config)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "gone.pem" in run.stderr and "Traceback" not in run.stderr
    # the pages present the same client certificate as `rollup`
    from aggregator.cli.configfile import load_config

    config.write_text(f"[aggregator]\ndb = '{county.db.name}'\n[rollup]\nclient_cert = "
                      f"'{cert.name}'\nclient_key = '{key.name}'\n", encoding="utf-8")
    web = load_config(config).default_map()["web"]
    assert (web["client_cert"], web["client_key"]) == (str(cert), str(key))


def _web(db, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    """``guanai aggregator web`` on a free loopback port; a refusal returns at once, a start
    would run until the 60-second timeout (and fail the test)."""
    return subprocess.run([sys.executable, "-m", "guanai", "aggregator", "--db", str(db), "web",
                           "--listen", f"127.0.0.1:{free_port()}", *args], capture_output=True,
                          text=True, timeout=60)


def test_a_client_certificate_is_checked_at_start(tmp_path):
    """Not PEM, a key of another certificate, a key readable by others: each a usage error
    (exit 2), Chinese first, naming the file, and nothing served; a good pair serves."""
    county = Aggregator(tmp_path, "610102", "county", "610000")
    (tmp_path / "other").mkdir()
    cert, key = tls_certificate(tmp_path)
    _, other_key = tls_certificate(tmp_path / "other")
    hello = tmp_path / "hello.pem"
    hello.write_text("hello\n")
    hello.chmod(0o600)
    open_key = tmp_path / "open.key"
    open_key.write_bytes(key.read_bytes())
    open_key.chmod(0o644)
    for pair, words in (((hello, hello), f"客户端证书不是 PEM 证书 the client certificate {hello}"),
                        ((cert, hello), f"客户端私钥不是未加密的 PEM 私钥 the client key {hello}"),
                        ((cert, other_key), f"客户端私钥与证书不配 the client key {other_key}"),
                        ((cert, open_key), f"密钥文件权限过宽 key file is accessible by others: "
                                           f"{open_key} has mode 0644")):
        run = _web(county.db, "--client-cert", str(pair[0]), "--client-key", str(pair[1]))
        assert run.returncode == 2, run.stdout + run.stderr
        assert words in run.stderr and "Traceback" not in run.stderr, run.stderr
        assert "汇总网页已启动" not in run.stdout
    process = subprocess.Popen(
        [sys.executable, "-m", "guanai", "aggregator", "--db", str(county.db), "web",
         "--listen", f"127.0.0.1:{free_port()}", "--client-cert", str(cert), "--client-key",
         str(key)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "汇总网页已启动" in line, line + process.stderr.read()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
